"""What the register of interests shows, its extracts (for a panel, for a PDEG agenda), and who may see
Part Two papers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, raiseload

from govern.core import clock
from govern.extensions import db
from govern.interests.models import DeclaredAt, RegisteredInterest
from govern.pdeg.models import AgendaItem, AgendaPart, Recommendation
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


def _declared_by(user: Any) -> Any:
    """A declaration that is the person's own, or their organisation's as a whole (not a colleague's)."""
    return or_(RegisteredInterest.user_id == user.id,
               (RegisteredInterest.user_id.is_(None)) & (RegisteredInterest.person_name == "")
               & (RegisteredInterest.organisation_id == user.organisation_id))


#: Why a member with a conflict does not see an item's Part Two papers, as the pages say it.
PART_TWO_CLAUSE = "Schedule 4, PDEG Terms of Reference: Part Two"


def may_see_part_two(user: Any, item: AgendaItem) -> bool:
    """A PDEG member with a declared conflict on an item does not see its Part Two papers.

    Part One papers are not restricted here. A conflict counts if it is the person's own or their
    organisation's, declared on this item's recommendation and held today.
    """
    if item.part is not AgendaPart.TWO:
        return True
    conflict = db.session.scalar(
        select(RegisteredInterest.id).where(
            RegisteredInterest.recommendation_id == item.recommendation_id, _declared_by(user), *current_filter(),
        ).limit(1)
    )
    return conflict is None


def part_two_papers_withheld(user: Any, recommendation_ids: Iterable[int]) -> set[int]:
    """Of these recommendations, those whose papers ``user`` may not see, in one query: each is a Part Two
    item on a PDEG agenda and the person, or their organisation as a whole, holds a conflict declared on it
    (at a PDEG meeting or in the register). A recommendation's papers are its item's papers."""
    ids = sorted(set(recommendation_ids))
    if not ids or user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.scalars(
        select(RegisteredInterest.recommendation_id).distinct()
        .join(AgendaItem, AgendaItem.recommendation_id == RegisteredInterest.recommendation_id)
        .where(RegisteredInterest.recommendation_id.in_(ids), AgendaItem.part == AgendaPart.TWO,
               _declared_by(user), *current_filter())
    ))


def may_see_papers_of(user: Any, recommendation: Recommendation) -> bool:
    """Whether ``user`` sees the papers of a recommendation they may see (see :func:`part_two_papers_withheld`)."""
    return recommendation.id not in part_two_papers_withheld(user, [recommendation.id])


@dataclass
class AgendaExtract:
    """The register of interests as a PDEG agenda prints it."""

    #: Each member party's current declarations (its own and its people's), by organisation id.
    members: dict[int, list[RegisteredInterest]] = field(default_factory=dict)
    #: Member parties with more current declarations than the agenda prints (the register has them all).
    more: set[int] = field(default_factory=set)
    #: Each item's, by recommendation id: declarations made on it, then its affected parties'.
    items: dict[int, list[RegisteredInterest]] = field(default_factory=dict)


def agenda_extract(member_ids: Iterable[int], affected_by_item: Mapping[int, Iterable[int]],
                   limit: int = 10) -> AgendaExtract:
    """Which register entries go on a PDEG agenda (Schedule 4; issue 12), in one query.

    - For each member party: its current declarations, at most ``limit``.
    - For each item (a recommendation, with the parties it affects): every current declaration made on that
      recommendation, by anyone, then each affected party's current declarations (at most ``limit`` each).

    Declarations made on a dispute panel are never printed: disputes are resolved privately (Schedule 3),
    and an agenda goes to every member.
    """
    members = sorted(set(member_ids))
    affected = {rec_id: sorted(set(orgs)) for rec_id, orgs in affected_by_item.items()}
    organisations = set(members).union(*affected.values()) if affected else set(members)
    if not organisations and not affected:
        return AgendaExtract()
    by_org: dict[int, list[RegisteredInterest]] = defaultdict(list)
    on_item: dict[int, list[RegisteredInterest]] = defaultdict(list)
    for declaration in db.session.scalars(
        select(RegisteredInterest)
        .where(or_(RegisteredInterest.organisation_id.in_(sorted(organisations) or [0]),
                   RegisteredInterest.recommendation_id.in_(sorted(affected) or [0])),
               RegisteredInterest.declared_at != DeclaredAt.DISPUTE_PANEL, *current_filter())
        .order_by(RegisteredInterest.since.desc(), RegisteredInterest.id.desc())
        .options(joinedload(RegisteredInterest.organisation), joinedload(RegisteredInterest.person),
                 raiseload("*"))
    ):
        if declaration.organisation_id is not None:
            by_org[declaration.organisation_id].append(declaration)
        if declaration.recommendation_id in affected:
            on_item[declaration.recommendation_id].append(declaration)
    extract = AgendaExtract()
    extract.members = {o: by_org[o][:limit] for o in members if by_org.get(o)}
    extract.more = {o for o in members if len(by_org.get(o, [])) > limit}
    for rec_id, orgs in affected.items():
        own = on_item.get(rec_id, [])
        theirs = [d for o in orgs for d in by_org.get(o, [])[:limit] if d not in own]
        extract.items[rec_id] = own + theirs
    return extract


def panel_extract(form: Any) -> dict[str, Any]:
    """For a page that names organisations for a panel (a form with ``organisation_ids``): the register's
    extract for the organisations it offers, and their names. Nothing for any other page."""
    field = getattr(form, "organisation_ids", None)
    if field is None:
        return {"interest_extract": None, "extract_names": {}}
    names = {int(value): str(label) for value, label in (field.choices or []) if str(value).isdigit()}
    return {"interest_extract": extract_for(names), "extract_names": names}
