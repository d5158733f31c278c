"""Which partners hold data on a household: MAIF, Enedis and water for all, GRDF with gas, the
others by market share; a showcase household with every source; nothing from a partner a
household is not a customer of."""

from __future__ import annotations

import math
from importlib import import_module

import pytest

from synthetic_data import parameters
from synthetic_data.household import Partners, edf_share
from synthetic_data.sources import PARTNER_OF, all_doctypes
from synthetic_data.sources.ground_truth import GROUND_TRUTH
from tests.support.households import YEAR, first_index, household, latent

N = 1500


def _within_3se(k: int, n: int, p: float) -> bool:
    return abs(k / n - p) <= 3 * math.sqrt(p * (1 - p) / n)


def test_shares_follow_the_market_shares_in_params() -> None:
    p = parameters.load("household")["partners"]
    drawn = [latent(i)[0].partners for i in range(p["showcase_households"], N)]
    n = len(drawn)
    assert _within_3se(sum(d.edf for d in drawn), n, edf_share(YEAR.start.year))
    assert _within_3se(sum(d.orange_mobile for d in drawn), n, p["orange_mobile_share"])
    boxes = [d for d in drawn if d.orange_box]
    assert _within_3se(len(boxes), n, p["orange_box_share"])
    assert _within_3se(sum(d.vod for d in boxes), len(boxes), p["vod_share_of_box"])
    assert not any(d.vod and not d.orange_box for d in drawn)


def test_edf_share_follows_the_year() -> None:
    assert edf_share(2010) == edf_share(2017) == pytest.approx(0.82)
    assert edf_share(2030) == edf_share(2024) == pytest.approx(0.65)
    assert edf_share(2017) > edf_share(2021) > edf_share(2024)


def test_the_showcase_household_has_every_source() -> None:
    data = household(0)
    assert data.household.partners == Partners()
    held = {b.doctype for b in data.batches if b.dicts()}
    # claims only if there was one; transport only in a network's area; GRDF writes statements,
    # a doctype EDF writes too
    assert set(all_doctypes()) - held <= {"fr.maif.maifuser.sinistre",
                                          "org.selfdata.transport.validation"}
    assert {"fr.orange.videostream", "fr.orange.phonecommunicationlog", "fr.orange.geopoint",
            "org.fing.mesinfos.client"} <= held


@pytest.mark.parametrize("partner", sorted(set(PARTNER_OF.values())))
def test_a_household_without_a_partner_has_none_of_its_data(partner: str) -> None:
    index = first_index(lambda hh, _: not getattr(hh.partners, partner) and hh.index > 0)
    data = household(index)
    theirs = {t for mod, who in PARTNER_OF.items() if who == partner
              for t in import_module(f"synthetic_data.sources.{mod}").DOCTYPES}
    held = {b.doctype for b in data.batches if b.dicts()}
    if partner == "edf":
        # the water utility (and GRDF) write client records too: none of them is EDF's
        assert not [b for b in data.batches if b.doctype == "org.fing.mesinfos.client"
                    for d in b.dicts() if d["vendor"] == "EDF"]
        assert not [b for b in data.batches if b.doctype == "io.cozy.bills"
                    for d in b.dicts() if d["vendor"] == "EDF"]
    else:
        # the doctypes only this partner writes are absent (io.cozy.bills is shared)
        assert not (theirs - {"io.cozy.bills", "org.fing.mesinfos.consumptionstatement"}) & held
    assert "fr.maif.maifuser.foyer" in held and "fr.enedis.api.meteringdata.loadcurve" in held
    truth = [d for b in data.batches if b.doctype == GROUND_TRUTH for d in b.dicts()]
    for event in truth:
        assert set(event["affects"]) <= held | {"io.cozy.bills"}
