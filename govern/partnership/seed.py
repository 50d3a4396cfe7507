"""Loading the partnership from its agreement file: the agreement, its parties, groups and principles.

``seed_partnership`` is idempotent: rows are matched on their stable codes, and a second run
changes nothing and writes no audit event.  What the partnership is comes from the agreement file
(``agreements/devon-stp-2016.yaml`` for Devon), loaded as a version first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from govern.agreements import service
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
    version, loaded = service.load_file(service.configured_path(), audit=False)
    if loaded:
        created.append(f"agreement_version:{version.key} v{version.version} {version.digest[:12]}")
    declared = service.current().declaration
    info, partnership = declared.agreement, declared.partnership
    if db.session.scalar(select(Mou).limit(1)) is None:
        db.session.add(Mou(title=info.title, made_on=info.made, duration_from=partnership.duration_from,
                           duration_to=partnership.duration_to, duration_clause=partnership.duration_clause,
                           notes=info.notes))
        created.append("mou")
    for org in partnership.parties:
        _upsert(
            Organisation,
            {"code": org.code},
            {
                "name": org.name,
                "short_name": org.short_name or org.name,
                "kind": OrganisationKind(org.kind),
                "mou_status": MouStatus(org.signature),
                "pdeg_eligible": org.member_of_meetings,
                "board_name": org.board,
            },
            created,
        )
    for group in partnership.groups:
        _upsert(SubordinateGroup, {"code": group.code}, {"name": group.name, "remit": group.remit}, created)
    positions: dict[str, int] = {}
    for principle in partnership.principles:
        positions[principle.section] = positions.get(principle.section, 0) + 1
        _upsert(
            Principle,
            {"code": principle.code},
            {"section": PrincipleSection(principle.section), "position": positions[principle.section],
             "text": principle.text},
            created,
        )
    db.session.flush()
    if created:
        chain.record("seed_partnership", "mou", info.key, {"created": [None, created]})
    return created
