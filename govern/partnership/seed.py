"""Loading the Devon STP partnership: the MoU, its parties, groups and principles.

``seed_partnership`` is idempotent: rows are matched on their stable codes, and a second run
changes nothing and writes no audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from govern.audit import chain
from govern.extensions import db
from govern.partnership.models import (
    Mou,
    MouStatus,
    Organisation,
    OrganisationKind,
    Principle,
    PrincipleSection,
    SubordinateGroup,
)
from govern.partnership.principles_text import PRINCIPLES

K = OrganisationKind
S = MouStatus


@dataclass(frozen=True)
class OrganisationSeed:
    """One organisation as the MoU names it."""

    code: str
    name: str
    short_name: str
    kind: OrganisationKind
    mou_status: MouStatus
    pdeg_eligible: bool
    board_name: str


# Clause 1 lists the 13 parties. PDEG eligibility is Schedule 3, Appendix 1 (which adds South
# Western Ambulance Service Trust, not a signatory, and leaves out the two regulators, who attend
# PDEG under Schedule 4 "In attendance"). The signature block marks one signature "Subject to Board
# ratification"; it sits in NHS Improvement's column, so that is the one we record.
ORGANISATIONS: tuple[OrganisationSeed, ...] = (
    OrganisationSeed("NEWD-CCG", "North East and West Devon CCG", "NEW Devon CCG", K.COMMISSIONER, S.SIGNED, True,
                     "Governing Body"),
    OrganisationSeed("SDT-CCG", "South Devon and Torbay CCG", "South Devon and Torbay CCG", K.COMMISSIONER,
                     S.SIGNED, True, "Governing Body"),
    OrganisationSeed("DCC", "Devon County Council", "Devon County Council", K.LOCAL_AUTHORITY, S.SIGNED, True,
                     "Cabinet"),
    OrganisationSeed("PCC", "Plymouth City Council", "Plymouth City Council", K.LOCAL_AUTHORITY, S.SIGNED, True,
                     "Cabinet"),
    OrganisationSeed("TC", "Torbay Council", "Torbay Council", K.LOCAL_AUTHORITY, S.SIGNED, True, "Cabinet"),
    OrganisationSeed("DPT", "Devon Partnership NHS Trust", "Devon Partnership Trust", K.PROVIDER, S.SIGNED, True,
                     "Board"),
    OrganisationSeed("LSW", "Livewell Southwest", "Livewell Southwest", K.PROVIDER, S.SIGNED, True, "Board"),
    OrganisationSeed("NDHT", "Northern Devon Healthcare NHS Trust", "Northern Devon Healthcare", K.PROVIDER,
                     S.SIGNED, True, "Board"),
    OrganisationSeed("PHNT", "Plymouth Hospitals NHS Trust", "Plymouth Hospitals", K.PROVIDER, S.SIGNED, True,
                     "Board"),
    OrganisationSeed("RDE", "Royal Devon and Exeter NHS Foundation Trust", "Royal Devon and Exeter", K.PROVIDER,
                     S.SIGNED, True, "Board"),
    OrganisationSeed("TSDFT", "Torbay and South Devon NHS Foundation Trust", "Torbay and South Devon FT",
                     K.PROVIDER, S.SIGNED, True, "Board"),
    OrganisationSeed("NHSE", "NHS England", "NHS England", K.REGULATOR, S.SIGNED, False, "Board"),
    OrganisationSeed("NHSI", "NHS Improvement", "NHS Improvement", K.REGULATOR, S.SIGNED_SUBJECT_TO_RATIFICATION,
                     False, "Board"),
    OrganisationSeed("SWAST", "South Western Ambulance Service Trust", "South Western Ambulance Service",
                     K.PROVIDER, S.ELIGIBLE_NOT_SIGNED, True, "Board"),
    OrganisationSeed("STP", "Devon STP programme office", "STP programme office", K.SYSTEM, S.NOT_A_PARTY, False,
                     "Programme Delivery Executive Group"),
)

# Schedule 4, "Subordinate Groups".
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("FWG", "Finance Working Group",
     "Leadership, strategic advice and guidance for the financial delivery of the STP."),
    ("CC", "Clinical Cabinet", "Clinical leadership to the programme, making recommendations to PDEG."),
    ("SPDG", "System Plan Delivery Group/System Performance Group",
     "Delivery of the overall agreed system plan and constitutional targets."),
    ("SEG", "System Executive Group", "Manages system performance and governance day to day."),
    ("SWOD", "System Workforce and OD Group", "Strategic direction to the Workforce Workstream."),
)

SECTION_CODES = {"values": "V", "outcomes": "O", "behaviours": "B"}

MOU = {
    "title": "Devon STP memorandum of understanding for governance",
    "made_on": date(2016, 12, 16),
    "duration_from": date(2016, 12, 16),
    "duration_to": date(2021, 3, 31),
    "duration_clause": "7.2, 15",
    "notes": (
        "Takes effect on the date it is signed by all Parties (7.1). Expected to last for 2016-2021 in line "
        "with the STP (7.2), currently to March 2021, reviewed at least annually (15)."
    ),
}


def _upsert(model: type[Any], key: dict[str, Any], values: dict[str, Any], created: list[str]) -> Any:
    row = db.session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(**key, **values)
        db.session.add(row)
        created.append(f"{model.__tablename__}:{next(iter(key.values()))}")
    return row


def seed_partnership() -> list[str]:
    """Load the MoU, organisations, groups and principles; return what was created (empty on a rerun).

    Existing rows are left as they are: an administrator's later changes (a withdrawal under
    clause 15, say) are never overwritten by seeding again.
    """
    created: list[str] = []
    if db.session.scalar(select(Mou).limit(1)) is None:
        db.session.add(Mou(**MOU))
        created.append("mou")
    for org in ORGANISATIONS:
        _upsert(
            Organisation,
            {"code": org.code},
            {
                "name": org.name,
                "short_name": org.short_name,
                "kind": org.kind,
                "mou_status": org.mou_status,
                "pdeg_eligible": org.pdeg_eligible,
                "board_name": org.board_name,
            },
            created,
        )
    for code, name, remit in GROUPS:
        _upsert(SubordinateGroup, {"code": code}, {"name": name, "remit": remit}, created)
    for section, texts in PRINCIPLES.items():
        for position, text in enumerate(texts, start=1):
            _upsert(
                Principle,
                {"code": f"{SECTION_CODES[section]}{position}"},
                {"section": PrincipleSection(section), "position": position, "text": text},
                created,
            )
    db.session.flush()
    if created:
        chain.record("seed_partnership", "mou", "devon-stp", {"created": [None, created]})
    return created
