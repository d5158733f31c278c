"""Every injected event as a labelled document, so organisers can score detectors."""

from __future__ import annotations

from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch
from synthetic_data.sources import modules_for

GROUND_TRUTH = "org.selfdata.groundtruth.event"
DOCTYPES = (GROUND_TRUTH,)

LABELS = {
    "vacation": "Absence du domicile (vacances)",
    "leak": "Fuite d'eau après compteur",
    "claim": "Sinistre déclaré",
    "new_occupant": "Nouvel occupant",
    "tariff_change": "Changement d'option tarifaire",
    "salary_change": "Changement de salaire (augmentation ou nouvel emploi)",
    "unusual_expense": "Dépense exceptionnelle",
    "new_car": "Achat d'une voiture",
}
AFFECTS = {
    "vacation": ["fr.enedis.api.meteringdata.loadcurve", "org.fing.mesinfos.consumptionstatement",
                 "fr.orange.geopoint", "fr.orange.phonecommunicationlog", "fr.orange.videostream"],
    "leak": ["org.fing.mesinfos.consumptionstatement"],
    "claim": ["fr.maif.maifuser.sinistre"],
    "new_occupant": ["org.fing.mesinfos.consumptionstatement", "fr.maif.maifuser.foyer"],
    "tariff_change": ["org.fing.mesinfos.contract", "io.cozy.bills",
                      "fr.enedis.api.meteringdata.energy", "fr.enedis.api.customers.usagepoints"],
    "salary_change": ["io.cozy.bank.operations"],
    "unusual_expense": ["io.cozy.bank.operations"],
    "new_car": ["fr.maif.maifuser.contrat", "io.cozy.bills", "io.cozy.bank.operations"],
}


def generate(ctx: SourceContext) -> list[Batch]:
    docs = []
    held = {t for mod in modules_for(ctx.household.partners) for t in mod.DOCTYPES}
    for i, e in enumerate(ctx.timeline.events):
        docs.append({
            "eventId": f"{ctx.household.instance}-{i:03d}",
            "kind": e.kind,
            "label": LABELS[e.kind],
            "start": e.start.isoformat(),
            "end": e.end.isoformat(),
            "details": e.details,
            "affects": [t for t in AFFECTS[e.kind] if t in held],  # what this household has
        })
    return [Batch.from_dicts(GROUND_TRUTH, docs)]
