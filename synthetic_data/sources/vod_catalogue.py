"""An invented VOD catalogue: films, series (seasons of episodes) and children's programmes.

Titles are assembled from the word lists of ``params/vod.toml`` (no real title is used). One
catalogue per master seed and year, drawn from a national stream, so every household of a population
orders from the same titles (popular titles show up in many homes). Identifiers follow the kit's
shapes: ``MONEYMONSTEW0104939`` for a film (11 letters of the title, ``W``, 7 digits) and
``MOZARTI0102W0096769`` for an episode (7 letters of the series, season, episode, ``W``, digits).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from synthetic_data import parameters
from synthetic_data.french import elide_de
from synthetic_data.seeding import national_rng

VOWELS = tuple("AEIOUYÉÈÊÂÎÔH")


@dataclass(frozen=True)
class Film:
    kind: str          # "film" or "kids_film"
    title: str
    country: str       # "USA", "FRA"...
    year: int
    csa: int
    hd: bool
    seconds: int
    ocs: bool          # in the OCS subscription catalogue (free for subscribers)
    code: str          # content.id
    rental_price: float
    purchase_price: float


@dataclass(frozen=True)
class Episode:
    name: str
    seconds: int
    code: str


@dataclass(frozen=True)
class Series:
    kind: str          # "series" or "kids_series"
    name: str
    country: str
    csa: int
    hd: bool
    ocs: bool
    years: tuple[int, ...]                      # publication year of each season
    seasons: tuple[tuple[Episode, ...], ...]
    episode_price: float


@dataclass(frozen=True)
class Catalogue:
    films: tuple[Film, ...]
    series: tuple[Series, ...]
    kids_films: tuple[Film, ...]
    kids_series: tuple[Series, ...]
    film_weights: np.ndarray        # popularity, summing to 1 within each tuple
    series_weights: np.ndarray
    kids_film_weights: np.ndarray
    kids_series_weights: np.ndarray


def _ascii_upper(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in norm.upper() if ch.isalnum())


def _article(noun: str, feminine: bool) -> str:
    if noun.upper().startswith(VOWELS):
        return f"L'{noun}"
    return f"{'La' if feminine else 'Le'} {noun}"


class _Namer:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.w = parameters.load("vod")["words"]
        self.used: set[str] = set()

    def pick(self, key: str) -> str:
        words = self.w[key]
        return words[int(self.rng.integers(0, len(words)))]

    def french(self) -> str:
        fem = self.rng.random() < 0.5
        noun = self.pick("fr_nouns_f" if fem else "fr_nouns_m")
        adj = self.pick("fr_adj_f" if fem else "fr_adj_m")
        form = int(self.rng.integers(0, 5))
        if form == 0:
            return f"{_article(noun, fem)} {adj}"
        if form == 1:
            return f"{_article(noun, fem)} {elide_de(self.pick('fr_places'))}"
        if form == 2:
            return f"{'Une' if fem else 'Un'} {noun.lower()} à {self.pick('fr_places')}"
        if form == 3:
            return f"{self.pick('fr_names')} et {self.pick('fr_names')}"
        return f"{_article(noun, fem)} {elide_de(self.pick('fr_names'))}"

    def english(self) -> str:
        form = int(self.rng.integers(0, 5))
        if form == 0:
            return f"The {self.pick('en_adj')} {self.pick('en_nouns')}"
        if form == 1:
            return f"{self.pick('en_adj')} {self.pick('en_nouns')}"
        if form == 2:
            return f"{self.pick('en_nouns')} of {self.pick('en_places')}"
        if form == 3:
            return f"{self.pick('en_names')}'s {self.pick('en_nouns')}"
        return f"The {self.pick('en_nouns')}"

    def kids(self) -> str:
        a, b = self.pick("kids_nouns"), self.pick("kids_nouns")
        form = int(self.rng.integers(0, 4))
        if form == 0:
            return f"{a} et ses amis"
        if form == 1:
            return f"Les aventures de {a}"
        if form == 2:
            return f"{a} dans {self.pick('kids_places')}"
        return f"{a} et {b}" if a != b else f"Le grand {a}"

    def unique(self, make) -> str:
        for _ in range(200):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        name = f"{make()} {len(self.used)}"
        self.used.add(name)
        return name


def _code(prefix: str, width: int, number: int) -> str:
    return (_ascii_upper(prefix) + "X" * width)[:width] + f"W{number:07d}"


@lru_cache(maxsize=64)
def catalogue(master_seed: int, year: int) -> Catalogue:
    """The national catalogue available in ``year`` (cached per process)."""
    p = parameters.load("vod")
    cat = p["catalogue"]
    prices = p["prices"]
    rng = national_rng(master_seed, "vod-catalogue", year)
    namer = _Namer(rng)
    serial = iter(range(int(rng.integers(10_000, 90_000)), 10_000_000))
    countries = cat["countries"]
    cshares = np.asarray(cat["country_shares"], dtype=float)
    cshares = cshares / cshares.sum()

    def country() -> str:
        return countries[int(rng.choice(len(countries), p=cshares))]

    def name_for(c: str) -> str:
        return namer.unique(namer.english if c in ("USA", "GBR") else namer.french)

    def csa(key: str) -> int:
        s = np.asarray(cat[key], dtype=float)
        return int(cat["csa_codes"][int(rng.choice(len(s), p=s / s.sum()))])

    def film(kind: str) -> Film:
        kids = kind == "kids_film"
        c = "FRA" if kids and rng.random() < 0.5 else country()
        title = namer.unique(namer.kids) if kids else name_for(c)
        recent = rng.random() < cat["recent_share"]
        back = cat["back_catalogue_years"]
        y = year - int(rng.integers(0, 2)) if recent else year - 2 - min(
            back, int(rng.exponential(back / 4)))
        hd = bool(rng.random() < cat["hd_share"])
        lo, hi = cat["kids_film_seconds" if kids else "film_seconds"]
        rental = prices["rental_hd" if hd else "rental_sd"]
        return Film(kind, title, c, int(y), 1 if kids else csa("csa_shares_films"), hd,
                    int(rng.integers(lo, hi + 1)),
                    bool(not recent and rng.random() < cat["ocs_share_films"]),
                    _code(title, 11, next(serial)),
                    float(rental[int(rng.integers(0, len(rental)))]),
                    float(prices["purchase"][int(rng.integers(0, len(prices["purchase"])))]))

    def series(kind: str) -> Series:
        kids = kind == "kids_series"
        c = "FRA" if kids and rng.random() < 0.5 else country()
        name = namer.unique(namer.kids) if kids else name_for(c)
        n_seasons = int(rng.integers(cat["seasons"][0], cat["seasons"][1] + 1))
        first = year - (n_seasons - 1) - int(rng.integers(0, 4))
        lo, hi = cat["kids_episode_seconds" if kids else "episode_seconds"]
        base = rng.uniform(lo, hi)
        named = rng.random() < cat["named_episode_share"]
        make_ep = namer.english if c in ("USA", "GBR") else namer.french
        seasons = []
        for s in range(n_seasons):
            n_ep = int(rng.integers(cat["episodes_per_season"][0],
                                    cat["episodes_per_season"][1] + 1))
            eps = []
            for e in range(n_ep):
                sec = int(np.clip(base * (1 + rng.normal(0, cat["episode_spread"])), lo, hi))
                ep_name = make_ep() if named else f"Episode {e + 1}"
                eps.append(Episode(ep_name, sec, (_ascii_upper(name) + "X" * 7)[:7]
                                   + f"{s + 1:02d}{e + 1:02d}W{next(serial):07d}"))
            seasons.append(tuple(eps))
        hd = bool(rng.random() < cat["hd_share"])
        return Series(kind, name, c, 1 if kids else csa("csa_shares_series"), hd,
                      bool(rng.random() < cat["ocs_share_series"]),
                      tuple(min(year, first + s) for s in range(n_seasons)), tuple(seasons),
                      float(prices["episode_hd" if hd else "episode_sd"]))

    films = tuple(film("film") for _ in range(cat["films"]))
    kids_films = tuple(film("kids_film") for _ in range(cat["kids_films"]))
    all_series = tuple(series("series") for _ in range(cat["series"]))
    kids_series = tuple(series("kids_series") for _ in range(cat["kids_series"]))

    def popularity(n: int, boost: np.ndarray | None = None) -> np.ndarray:
        w = np.empty(n)
        w[rng.permutation(n)] = np.arange(1, n + 1, dtype=float) ** -cat["popularity_zipf"]
        if boost is not None:
            w = w * boost
        return w / w.sum()

    recent = np.array([f.year >= year - 1 for f in films], dtype=float)
    return Catalogue(films, all_series, kids_films, kids_series,
                     popularity(len(films), 1 + recent), popularity(len(all_series)),
                     popularity(len(kids_films)), popularity(len(kids_series)))
