"""What the register of interests shows, its extract for a panel, and who may see Part Two papers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, raiseload

from govern.core import clock
from govern.extensions import db
from govern.interests.models import DeclaredAt, RegisteredInterest
from govern.pdeg.models import AgendaItem, AgendaPart
from govern.web import paging
from govern.web.paging import Page
from workflows.calendar import local_day


def current_filter() -> Any:
    """Declarations held today."""
    today = local_day(clock.now())
    return (RegisteredInterest.since <= today,
            or_(RegisteredInterest.until.is_(None), RegisteredInterest.until >= today))


def register_page(organisation_id: int | None, cursor: str | None, user: Any) -> Page[RegisteredInterest]:
    """The register, a page at a time, newest first; optionally one organisation's (its people's too).

    Disputes are resolved privately (Schedule 3): a conflict declared on a dispute's panel is shown to
    the declaring organisation, the STP Leader and administrators only."""
    query = select(RegisteredInterest)
    if not (user.is_stp_leader or user.is_administrator):
        query = query.where(or_(RegisteredInterest.declared_at != DeclaredAt.DISPUTE_PANEL,
                                RegisteredInterest.organisation_id == user.organisation_id))
    if organisation_id:
        query = query.where(RegisteredInterest.organisation_id == organisation_id)
    return paging.keyset(query.options(joinedload(RegisteredInterest.organisation),
                                       joinedload(RegisteredInterest.person), raiseload("*")),
                         (RegisteredInterest.since, RegisteredInterest.id), lambda d: (d.since, d.id),
                         descending=True, cursor=cursor)


def mine_page(user: Any, cursor: str | None) -> Page[RegisteredInterest]:
    """The person's own declarations, and their organisation's, newest first."""
    query = select(RegisteredInterest).where(or_(
        RegisteredInterest.user_id == user.id,
        (RegisteredInterest.user_id.is_(None)) & (RegisteredInterest.person_name == "")
        & (RegisteredInterest.organisation_id == user.organisation_id)))
    return paging.keyset(query.options(joinedload(RegisteredInterest.organisation),
                                       joinedload(RegisteredInterest.person), raiseload("*")),
                         (RegisteredInterest.since, RegisteredInterest.id),
                         lambda d: (d.since, d.id), descending=True, cursor=cursor)


def extract_for(organisation_ids: Iterable[int], limit: int = 10) -> dict[int, list[RegisteredInterest]]:
    """The current declarations of each organisation (its own and its people's), at most ``limit`` each,
    in one query: the extract shown when the STP Leader nominates a panel."""
    ids = sorted(set(organisation_ids))
    if not ids:
        return {}
    found: dict[int, list[RegisteredInterest]] = defaultdict(list)
    for declaration in db.session.scalars(
        select(RegisteredInterest).where(RegisteredInterest.organisation_id.in_(ids), *current_filter())
        .order_by(RegisteredInterest.organisation_id, RegisteredInterest.since.desc(), RegisteredInterest.id)
        .options(joinedload(RegisteredInterest.person), raiseload("*"))
    ):
        if len(found[declaration.organisation_id]) < limit:
            found[declaration.organisation_id].append(declaration)
    return dict(found)


def may_see_part_two(user: Any, item: AgendaItem) -> bool:
    """A PDEG member with a declared conflict on an item does not see its Part Two papers.

    Part One papers are not restricted here. A conflict counts if it is the person's own or their
    organisation's, declared on this item's recommendation and held today.
    """
    if item.part is not AgendaPart.TWO:
        return True
    conflict = db.session.scalar(
        select(RegisteredInterest.id).where(
            RegisteredInterest.recommendation_id == item.recommendation_id,
            or_(RegisteredInterest.user_id == user.id,
                (RegisteredInterest.user_id.is_(None)) & (RegisteredInterest.person_name == "")
                & (RegisteredInterest.organisation_id == user.organisation_id)),
            *current_filter(),
        ).limit(1)
    )
    return conflict is None


def panel_extract(form: Any) -> dict[str, Any]:
    """For a page that names organisations for a panel (a form with ``organisation_ids``): the register's
    extract for the organisations it offers, and their names. Nothing for any other page."""
    field = getattr(form, "organisation_ids", None)
    if field is None:
        return {"interest_extract": None, "extract_names": {}}
    names = {int(value): str(label) for value, label in (field.choices or []) if str(value).isdigit()}
    return {"interest_extract": extract_for(names), "extract_names": names}
