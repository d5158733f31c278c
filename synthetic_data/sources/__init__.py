"""The data providers, in the order they run (later ones may read what earlier ones shared).

Each module exposes ``DOCTYPES`` (what it writes) and ``generate(ctx) -> list[Batch]``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from synthetic_data.drive import FILES

SOURCE_MODULES = (
    "enedis",           # Linky: load curve, daily energy, max power, half-hour statements, customer
    "grdf",             # Gazpar daily statements
    "water",            # daily litres, water bills
    "energy_supplier",  # EDF client, contracts, payment terms, home profile, estimates, bills
    "orange_mobility",  # fr.orange.geopoint (and the positions calls use)
    "orange_calls",     # fr.orange.phonecommunicationlog, phone bills
    "orange_vod",       # fr.orange.videostream
    "maif",             # fr.maif.maifuser.*
    "transport",        # org.selfdata.transport.validation, season passes and tickets (ledger)
    "shopping",         # org.selfdata.receipt, org.selfdata.laposte.parcel; card payments (ledger)
    "bank",             # io.cozy.bank.accounts, io.cozy.bank.operations (every ledger payment)
    "ground_truth",     # org.selfdata.groundtruth.event
)


# Sources a household has only when it is that partner's customer (``Household.partners``); the
# others run for every household (and write nothing where there is nothing, e.g. no gas).
PARTNER_OF = {
    "energy_supplier": "edf",
    "orange_mobility": "orange_mobile",
    "orange_calls": "orange_mobile",
    "orange_vod": "vod",
}


def modules() -> list[ModuleType]:
    return [import_module(f"synthetic_data.sources.{name}") for name in SOURCE_MODULES]


def modules_for(partners: object) -> list[ModuleType]:
    """The sources that hold data on a household with these ``partners``."""
    return [import_module(f"synthetic_data.sources.{name}") for name in SOURCE_MODULES
            if name not in PARTNER_OF or getattr(partners, PARTNER_OF[name])]


def all_doctypes() -> list[str]:
    """Every doctype the generator writes: the sources' and the Drive step's (io.cozy.files)."""
    seen: dict[str, None] = dict.fromkeys([FILES])
    for mod in modules():
        seen.update(dict.fromkeys(mod.DOCTYPES))
    return sorted(seen)
