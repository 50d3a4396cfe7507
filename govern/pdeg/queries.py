"""What the PDEG pages show: lists, the register, a decision's journey, the actions on offer.

Read-only: nothing here changes state. The rules (who may act, which step comes next) are the
workflow's, asked through :func:`workflows.engine.available`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, raiseload

from govern.cases.models import CaseEvent, CaseKind
from govern.core import clock
from govern.disputes.models import Dispute
from govern.extensions import db, read
from govern.partnership.models import Organisation, SubordinateGroup
from govern.pdeg import states
from govern.pdeg.facts import recommendation_actor, recommendation_facts
from govern.pdeg.models import (
    AgendaItem,
    AgendaPart,
    InterestDeclaration,
    PdegMeeting,
    RaisedBy,
    Ratification,
    Recommendation,
    RecommendationParty,
)
from govern.web import paging
from govern.web.paging import Page
from workflows import engine as wf_engine
from workflows.engine import TriggerInfo
from workflows.rules import day_text

SCH4 = "Schedule 4 (Delegation to subordinate groups)"

#: Actions a PDEG meeting's pages take (agenda, outcomes); the recommendation page points there.
MEETING_TRIGGERS = frozenset({"place_on_agenda", "take_off_agenda", "agree", "amend_and_agree", "not_agree", "defer"})

#: What each kind of state of a decision reads as (the states themselves are the agreement's; see
#: :mod:`govern.pdeg.states` for how each is recognised).
STATE_TITLES: dict[str, str] = {
    "being_prepared": "Being prepared",
    "waiting_for_agenda": "Raised; awaiting a PDEG agenda",
    "within_delegation": "Decided within delegated powers",
    "at_pdeg": "On a PDEG agenda",
    "turned_down": "Not agreed at PDEG",
    "with_the_boards": "Agreed at PDEG; awaiting ratification",
    "ratified_by_all": "Ratified by every remaining party's Board",
}


class _BoardWords:
    """Words for a Board's state, looked up by the state's meaning: ``titles[ratification.state]``."""

    def __init__(self, words: dict[str, str]) -> None:
        self.words = words

    def __getitem__(self, state: object) -> str:
        return self.words[states.board_meaning(str(state))]

    def get(self, state: object, default: str = "") -> str:
        """The words for ``state`` (``default`` for none)."""
        return self[state] if state else default


BOARD_STATUS_TITLES = _BoardWords({
    "awaiting": "Awaiting the Board",
    "deferred": "Deferred",
    "refused": "Not ratified",
    "ratified": "Ratified",
    "lapsed": "Lapsed (withdrawn, clause 15)",
    "superseded": "Superseded by an amendment",
})

BOARD_STATUS_COLOURS = _BoardWords({
    "awaiting": "nhsuk-tag--blue",
    "deferred": "nhsuk-tag--yellow",
    "refused": "nhsuk-tag--red",
    "ratified": "nhsuk-tag--green",
    "lapsed": "nhsuk-tag--grey",
    "superseded": "nhsuk-tag--grey",
})

#: Each recorded event of a recommendation or a ratification: what happened, and its clause.
EVENT_TITLES: dict[str, tuple[str, str]] = {
    "raised": ("Raised for PDEG", SCH4),
    "recorded_under_delegation": ("Recorded as decided within the members' delegated powers", SCH4),
    "placed_on_agenda": ("Placed on the agenda of a PDEG meeting", "10.5"),
    "taken_off_agenda": ("Taken off the agenda of a PDEG meeting, for another meeting", "10.5"),
    "pdeg_agreed": ("Agreed at PDEG and sent to each party's Board", "10.6"),
    "pdeg_not_agreed": ("Not agreed at PDEG", "10.6"),
    "pdeg_deferred": ("Deferred by PDEG to a later meeting", "10.5"),
    "pdeg_amended": ("Amended by PDEG; ratification starts again", "10.6"),
    "ratified": ("Ratified by every remaining party's Board", "10.6"),
    "board_ratified": ("Ratified by the Board", "10.6"),
    "board_not_ratified": ("Not ratified by the Board", "10.6"),
    "board_deferred": ("Deferred by the Board", "10.6"),
    "lapsed": ("Lapsed: the party withdrew", "15"),
    "superseded": ("Superseded by an amendment", "10.6"),
}


def clause_text(clause: str) -> str:
    """How a clause reads beside a step: 'clause 10.6', or a schedule by its own name."""
    return f"clause {clause}" if clause[:1].isdigit() else clause


def clause_short(clause: str) -> str:
    """The clause without its gloss: 'Schedule 4 (Delegation to subordinate groups)' -> 'Schedule 4'."""
    return clause_text(clause.split(" (", 1)[0])


def state_title(recommendation: Recommendation, ratifications: Iterable[Any] | None = None,
                organisations: dict[int, Organisation] | None = None) -> tuple[str, str]:
    """The decision's state and its clause (17.2 for a variation once it reaches the Boards). A decision
    with the Boards that a Board did not ratify says so first: "Not ratified by Devon County Council
    (Cabinet)". ``ratifications``: its current ones, when already loaded (the register's cells, with
    ``organisations`` by id)."""
    return _titled(state_title_of(recommendation.state, recommendation.is_variation),
                   refused_by(recommendation, ratifications, organisations))


def state_titles(rows: Iterable[RegisterRow]) -> list[tuple[str, str]]:
    """Each register row's :func:`state_title`, asking the agreement what its states mean once a page
    rather than several times a row."""
    with_the_boards, refused = states.with_the_boards(), states.board_refused()
    plain: dict[tuple[str, bool], tuple[str, str]] = {}
    found = []
    for row in rows:
        rec = row.recommendation
        key = (rec.state, rec.is_variation)
        title = plain.get(key)
        if title is None:
            title = plain[key] = state_title_of(*key)
        refusers = []
        if rec.state in with_the_boards:
            refusers = _refusers(rec, row.cells.values(), row.organisations, refused)
        found.append(_titled(title, refusers))
    return found


def _titled(title: tuple[str, str], refusers: list[Organisation]) -> tuple[str, str]:
    if not refusers:
        return title
    names = ", ".join(f"{o.name} ({o.board_name})" for o in refusers)
    return f"Not ratified by {names}; agreed at PDEG", title[1]


def refused_by(recommendation: Recommendation, ratifications: Iterable[Any] | None = None,
               organisations: dict[int, Organisation] | None = None) -> list[Organisation]:
    """The parties whose Board did not ratify the current version of a decision still with the Boards.
    ``ratifications`` may be the register's cells (plain rows), whose parties ``organisations`` holds by id."""
    if recommendation.state not in states.with_the_boards():
        return []
    rows = recommendation.ratifications if ratifications is None else ratifications
    return _refusers(recommendation, rows, organisations, states.board_refused())


def _refusers(recommendation: Any, ratifications: Iterable[Any], organisations: dict[int, Organisation] | None,
              refused: frozenset[str]) -> list[Organisation]:
    found = [r for r in ratifications if r.version == recommendation.amendment_version and r.state in refused]
    if organisations is None:
        return sorted((r.organisation for r in found), key=lambda o: o.name)
    return sorted((organisations[r.organisation_id] for r in found), key=lambda o: o.name)


def state_colour(recommendation: Recommendation, ratifications: Iterable[Ratification] | None = None) -> str:
    """The tag colour of a decision's state: green once ratified, red if PDEG did not agree it or a Board
    did not ratify it."""
    if recommendation.state in states.ratified_by_all():
        return "nhsuk-tag--green"
    if recommendation.state in states.not_agreed() or refused_by(recommendation, ratifications):
        return "nhsuk-tag--red"
    return "nhsuk-tag--blue"


@states.per_agreement
def state_title_of(state: str, is_variation: bool = False) -> tuple[str, str]:
    """A decision's state as users read it, and the agreement's clause for it (from the agreement alone)."""
    definition = states.recommendation_process()
    known = definition.state(state)
    title = STATE_TITLES.get(states.recommendation_meaning(state), known.title)
    clause = "17.2" if is_variation and state in states.decided() else known.clause
    return title, clause


def raised_by_text(recommendation: Recommendation) -> str:
    """Who brought it, in words."""
    kind = recommendation.raised_by_kind
    group = recommendation.group if kind is RaisedBy.SUBORDINATE_GROUP else None
    organisation = recommendation.raising_organisation if kind is RaisedBy.MEMBER_ORGANISATION else None
    return raised_by_words(kind, group.name if group else None, organisation.name if organisation else None)


def raised_by_words(kind: RaisedBy, group: str | None = None, organisation: str | None = None) -> str:
    """Who brought a recommendation, in words, from its kind of raiser and the raising group's or party's
    name (the register reads these as plain columns)."""
    match kind:
        case RaisedBy.SUBORDINATE_GROUP:
            return group if group is not None else "A subordinate group"
        case RaisedBy.MEMBER_ORGANISATION:
            return organisation if organisation is not None else "A party"
    return "The STP Leader"


def raiser_for(user: Any) -> dict[str, Any]:
    """How ``user`` raises a recommendation: for their group, their organisation, or as STP Leader."""
    if user.role.value == "group_chair" and user.group is not None:
        return {"raised_by": RaisedBy.SUBORDINATE_GROUP, "group": user.group}
    if user.role.acts_for_organisation:
        return {"raised_by": RaisedBy.MEMBER_ORGANISATION, "raising_organisation": user.organisation}
    return {"raised_by": RaisedBy.STP_LEADER}


def may_decide_under_delegation(raiser: dict[str, Any]) -> bool:
    """Only a subordinate group decides within its members' delegated powers (Schedule 4, Delegation)."""
    return raiser.get("raised_by") is RaisedBy.SUBORDINATE_GROUP


def current_parties() -> list[Organisation]:
    """The parties to the MoU now, by name."""
    return [o for o in db.session.scalars(select(Organisation).order_by(Organisation.name)) if o.is_party]


def available_actions(recommendation: Recommendation, user: Any) -> list[TriggerInfo]:
    """The actions the workflow offers ``user`` on this recommendation now."""
    if not recommendation.can_take_actions(user):
        return []
    return wf_engine.available(
        states.recommendation_process(), recommendation_facts(recommendation),
        recommendation_actor(recommendation, user), clock.now(),
    )


def open_ratification_states() -> frozenset[str]:
    """A Board still has these to consider (a Board that did not ratify may reconsider)."""
    return states.board_open()


def undecided_ratification_states() -> frozenset[str]:
    """Awaiting a Board's decision (first time, or deferred): not one it has refused."""
    return states.board_undecided()


class BoardDecision(NamedTuple):
    """A decision a Board has recorded, as its lists show it (plain columns, not objects)."""

    id: int
    reference: str
    title: str
    meeting_date: date | None
    minute_reference: str


_BOARD_DECISION_COLUMNS = (Ratification.id, Recommendation.reference, Recommendation.title,
                           Ratification.meeting_date, Ratification.minute_reference)


def refused_by_board(organisation_id: int, limit: int = 20) -> list[BoardDecision]:
    """Current decisions this Board did not ratify (it may reconsider them)."""
    return [BoardDecision._make(row) for row in db.session.execute(
        select(*_BOARD_DECISION_COLUMNS).join(Recommendation, Recommendation.id == Ratification.recommendation_id)
        .where(Ratification.organisation_id == organisation_id,
               Ratification.state.in_(states.board_refused()),
               Ratification.version == Recommendation.amendment_version)
        .order_by(Ratification.updated_at.desc(), Ratification.id.desc())
        .limit(limit)
    )]


def boards_to_ratify(recommendation: Recommendation) -> list[Organisation] | None:
    """The parties whose Boards ratify the decision: None for one that never goes to the Boards (decided
    within delegated powers, or not agreed at PDEG); a withdrawn party is not among them (15)."""
    if recommendation.state in states.within_delegation() | states.not_agreed():
        return None
    sent = {r.organisation_id for r in recommendation.ratifications
            if r.version == recommendation.amendment_version and r.state not in states.board_lapsed()}
    return [o for o in recommendation.affected if o.is_party or o.id in sent]


def corrections(ratification: Ratification) -> list[dict[str, Any]]:
    """Each correction of the Board's recorded decision, oldest first, from the audit trail."""
    from govern.audit.models import AuditEvent

    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "ratification",
                                 AuditEvent.object_id == str(ratification.id),
                                 AuditEvent.action == "correct_board_decision")
        .order_by(AuditEvent.seq)
    )
    found = []
    for event in rows:
        changes = event.changes or {}
        found.append({
            "at": event.occurred_at, "by": event.actor_label,
            "reason": (changes.get("reason") or [None, ""])[1],
            "changes": [(DETAIL_LABELS.get(key, key), _day_or_text(old), _day_or_text(new))
                        for key, (old, new) in changes.items() if key != "reason"],
        })
    return found


def _day_or_text(value: Any) -> str:
    if value is None:
        return "none"
    try:
        return day_text(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def awaiting_board(organisation_id: int) -> list[Ratification]:
    """Every agreed decision this party's Board must consider, oldest first."""
    return list(
        db.session.scalars(
            select(Ratification)
            .where(Ratification.organisation_id == organisation_id,
                   Ratification.state.in_(undecided_ratification_states()))
            .order_by(Ratification.created_at, Ratification.id)
        )
    )


def awaiting_board_page(organisation_id: int, cursor: str | None, size: int = paging.PAGE_SIZE) -> Page[Ratification]:
    """A page of what this party's Board must consider, oldest first, each with its decision loaded
    (any other relationship read in the list raises rather than query once per row)."""
    query = select(Ratification).where(
        Ratification.organisation_id == organisation_id, Ratification.state.in_(undecided_ratification_states())
    )
    return paging.keyset(
        query.options(joinedload(Ratification.recommendation), raiseload("*")),
        (Ratification.created_at, Ratification.id), lambda r: (r.created_at, r.id), cursor=cursor, size=size,
        count_query=query,
    )


class AwaitingItem(NamedTuple):
    """A decision awaiting a Board, as the Board's list shows it (plain columns, not objects)."""

    id: int
    recommendation_id: int
    state: str
    created_at: datetime
    reference: str
    title: str
    is_variation: bool


def awaiting_board_items(organisation_id: int, cursor: str | None, size: int = paging.PAGE_SIZE) -> Page[AwaitingItem]:
    """:func:`awaiting_board_page` as plain rows, for the Board's list: the same rows, the same order."""
    query = (
        select(Ratification.id, Ratification.recommendation_id, Ratification.state, Ratification.created_at,
               Recommendation.reference, Recommendation.title, Recommendation.is_variation)
        .join(Recommendation, Recommendation.id == Ratification.recommendation_id)
        .where(Ratification.organisation_id == organisation_id,
               Ratification.state.in_(undecided_ratification_states()))
    )
    # Counted on the Board's ratifications alone (the join adds the decision's words, never rows).
    counted = select(Ratification.id).where(Ratification.organisation_id == organisation_id,
                                            Ratification.state.in_(undecided_ratification_states()))
    page = paging.keyset(query, (Ratification.created_at, Ratification.id), lambda r: (r.created_at, r.id),
                         cursor=cursor, size=size, scalars=False, count_query=counted)
    return Page([AwaitingItem._make(r) for r in page.items], page.total, page.next_cursor, page.is_first)


def recorded_by_board(organisation_id: int, limit: int = 20) -> list[BoardDecision]:
    """This Board's latest recorded decisions."""
    return [BoardDecision._make(row) for row in db.session.execute(
        select(*_BOARD_DECISION_COLUMNS).join(Recommendation, Recommendation.id == Ratification.recommendation_id)
        .where(Ratification.organisation_id == organisation_id,
               Ratification.state.in_(states.board_ratified()))
        .order_by(Ratification.updated_at.desc(), Ratification.id.desc())
        .limit(limit)
    )]


def raised_awaiting_agenda() -> list[Recommendation]:
    """Recommendations raised and waiting for a place on a PDEG agenda."""
    return list(
        db.session.scalars(
            select(Recommendation)
            .where(Recommendation.state.in_(states.waiting_for_agenda()))
            .order_by(Recommendation.created_at, Recommendation.id)
        )
    )


def waiting_page(cursor: str | None = None) -> Page[Recommendation]:
    """A page of the recommendations waiting for a PDEG agenda, oldest first."""
    query = select(Recommendation).where(Recommendation.state.in_(states.waiting_for_agenda()))
    return paging.keyset(query.options(raiseload("*")), (Recommendation.created_at, Recommendation.id),
                         lambda r: (r.created_at, r.id), cursor=cursor)


def upcoming_meetings(limit: int = paging.PAGE_SIZE) -> list[tuple[PdegMeeting, int]]:
    """The next meetings (at most ``limit``: a page) with the number of items on each agenda, in one query."""
    items = select(func.count(AgendaItem.id)).where(AgendaItem.meeting_id == PdegMeeting.id).scalar_subquery()
    rows = db.session.execute(
        select(PdegMeeting, items).where(PdegMeeting.meeting_date >= clock.now().date(),
                                         PdegMeeting.cancelled_at.is_(None))
        .order_by(PdegMeeting.meeting_date, PdegMeeting.id).limit(limit)
    )
    return [(meeting, int(count)) for meeting, count in rows]


def past_meetings_page(cursor: str | None) -> Page[PdegMeeting]:
    """A page of past meetings, the most recent first."""
    query = select(PdegMeeting).where(PdegMeeting.meeting_date < clock.now().date())
    return paging.keyset(query.options(raiseload("*")), (PdegMeeting.meeting_date, PdegMeeting.id),
                         lambda m: (m.meeting_date, m.id), descending=True, cursor=cursor)


def agenda_items_of(recommendation: Recommendation) -> list[AgendaItem]:
    """Every PDEG agenda the recommendation has been on."""
    return list(
        db.session.scalars(
            select(AgendaItem).join(PdegMeeting)
            .where(AgendaItem.recommendation_id == recommendation.id)
            .order_by(PdegMeeting.meeting_date, AgendaItem.id)
        )
    )


@dataclass
class JourneyStep:
    """One thing that happened to a decision, with its date and clause."""

    title: str
    clause: str
    at: datetime
    who: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)


DETAIL_LABELS = {
    "meeting_date": "Meeting date",
    "minute_reference": "Minute reference",
    "reasons": "Reasons",
    "amendment": "Amendment",
    "basis": "Basis",
    "next_meeting_date": "Next meeting",
}


def _details(data: dict[str, Any]) -> list[tuple[str, str]]:
    details = []
    for key, label in DETAIL_LABELS.items():
        value = data.get(key)
        if value:
            if key.endswith("date"):
                try:
                    parsed = date.fromisoformat(str(value))
                    value = f"{parsed.day} {parsed:%B %Y}"
                except ValueError:
                    pass
            details.append((label, str(value)))
    return details


def journey(recommendation: Recommendation) -> list[JourneyStep]:
    """What happened to the decision, in order: the group or party, PDEG, then each Board."""
    steps: list[JourneyStep] = []
    ratifications = {r.id: r for r in recommendation.ratifications}
    events = db.session.scalars(
        select(CaseEvent).where(
            ((CaseEvent.case_kind == CaseKind.RECOMMENDATION) & (CaseEvent.case_id == recommendation.id))
            | ((CaseEvent.case_kind == CaseKind.RATIFICATION) & (CaseEvent.case_id.in_(list(ratifications) or [0])))
        ).order_by(CaseEvent.occurred_at, CaseEvent.id)
    )
    variation = recommendation.is_variation
    for event in events:
        title, clause = EVENT_TITLES.get(event.name, (event.name.replace("_", " ").capitalize(), "10.6"))
        who = raised_by_text(recommendation) if event.name in ("raised", "recorded_under_delegation") else ""
        if event.case_kind is CaseKind.RATIFICATION:
            ratification = ratifications[event.case_id]
            who = f"{ratification.organisation.name} ({ratification.organisation.board_name})"
            if variation and clause == "10.6":
                clause = "17.2"
        elif event.name in ("pdeg_agreed", "ratified") and variation:
            clause = "17.2"
        elif event.name in ("placed_on_agenda", "taken_off_agenda", "pdeg_agreed", "pdeg_not_agreed",
                            "pdeg_deferred", "pdeg_amended"):
            who = "PDEG"
        steps.append(JourneyStep(title, clause, event.occurred_at, who, _details(event.data or {})))
    return steps


def current_ratifications(recommendation: Recommendation) -> list[Ratification]:
    """Each Board's consideration of the current version, by party name."""
    rows = [r for r in recommendation.ratifications if r.version == recommendation.amendment_version]
    return sorted(rows, key=lambda r: r.organisation.name)


def disputes_caused(recommendation: Recommendation, user: Any) -> list[Dispute]:
    """Disputes brought about this decision that ``user`` may see (disputes are private, Schedule 3)."""
    rows = db.session.scalars(
        select(Dispute).where(Dispute.decision_recommendation_id == recommendation.id).order_by(Dispute.id)
    )
    return [d for d in rows if d.can_view(user)]


def followed_from_disputes(recommendation: Recommendation, user: Any) -> list[Recommendation]:
    """Recommendations that followed from the disputes this decision caused (Scenarios 2-4), for those
    who may see the dispute: to anyone else the link would reveal that a dispute was brought."""
    disputes = {d.id: d for d in db.session.scalars(
        select(Dispute).where(Dispute.decision_recommendation_id == recommendation.id))}
    if not disputes:
        return []
    found = db.session.scalars(
        select(Recommendation)
        .where(Recommendation.linked_dispute_id.in_(list(disputes)),
               Recommendation.state != states.being_prepared())
        .order_by(Recommendation.id)
    )
    return [r for r in found if disputes[r.linked_dispute_id or 0].can_view(user)]


def source_dispute(recommendation: Recommendation, user: Any) -> Dispute | None:
    """The dispute this recommendation followed from, if ``user`` may see it."""
    if recommendation.linked_dispute_id is None:
        return None
    dispute = db.session.get(Dispute, recommendation.linked_dispute_id)
    return dispute if dispute is not None and dispute.can_view(user) else None


def dispute_offer(ratification: Ratification, user: Any) -> dict[str, Any] | None:
    """A Board that did not ratify may bring the dispute the agreement offers about the decision (Scenario
    2 in Devon): what to cite, for the party's officers and its Board secretary."""
    from govern.agreements import service

    if ratification.state not in states.board_refused():
        return None
    process_key = service.offered_dispute()
    definition = service.current().processes.get(process_key or "")
    if definition is None:
        return None
    if user.organisation_id != ratification.organisation_id:
        return None
    if not (user.role.acts_for_organisation or user.role.value == "board_secretary"):
        return None
    recommendation = ratification.recommendation
    items = [i for i in agenda_items_of(recommendation) if i.outcome is not None and i.outcome.is_agreement]
    agreed = items[-1] if items else None
    return {
        "reference": recommendation.reference,
        "title": recommendation.title,
        "board": ratification.organisation.board_name,
        "pdeg_meeting": agreed.meeting.meeting_date if agreed else recommendation.agenda_meeting_date,
        "pdeg_minute": agreed.minute_reference if agreed else "",
        "board_meeting": ratification.meeting_date,
        "board_minute": ratification.minute_reference,
        # Only a party's officers act for it in a dispute (clause 10.3; Schedule 8 preamble).
        "may_file": bool(user.role.acts_for_organisation and ratification.organisation.is_party),
        "process_key": process_key,
        "process_title": definition.filing.title if definition.filing else definition.title,
        "process_clause": definition.clause,
    }


class RegisterDecision(NamedTuple):
    """What the register shows of a decision, read as plain columns (the raising group's and party's
    names joined), not a Recommendation object. A named tuple: the page reads each field several times
    a row, and a tuple's fields read much faster than a database row's."""

    id: int
    reference: str
    title: str
    state: str
    is_variation: bool
    amendment_version: int
    agenda_meeting_date: date | None
    created_at: datetime
    raised_by_kind: RaisedBy
    group_name: str | None
    raising_organisation_name: str | None


class RegisterState(NamedTuple):
    """What the register page shows of a Board's current ratification: where it stands. A named tuple,
    not the database's row: the page reads each of its 700 several times."""

    recommendation_id: int
    organisation_id: int
    version: int
    state: str


class RegisterCell(NamedTuple):
    """What the register shows of a Board's current ratification, read as plain columns: not whole
    ratifications, which a page of 50 decisions by 14 Boards would build 700 of."""

    id: int
    recommendation_id: int
    organisation_id: int
    version: int
    state: str
    meeting_date: date | None
    minute_reference: str
    lock_version: int


_RAISING_PARTY = aliased(Organisation)
_DECISION_COLUMNS = (
    Recommendation.id, Recommendation.reference, Recommendation.title, Recommendation.state,
    Recommendation.is_variation, Recommendation.amendment_version, Recommendation.agenda_meeting_date,
    Recommendation.created_at, Recommendation.raised_by_kind, SubordinateGroup.name.label("group_name"),
    _RAISING_PARTY.name.label("raising_organisation_name"),
)
_CELL_COLUMNS = tuple(getattr(Ratification, name) for name in RegisterCell._fields)
#: A page's cells (each decision's current ratifications) and affected parties, by the page's decision
#: ids: built once (``govern.extensions.read``), as every page of the register asks them.
_CURRENT_OF_PAGE = (
    and_(Ratification.recommendation_id == Recommendation.id, Ratification.version == Recommendation.amendment_version),
    Ratification.recommendation_id.in_(bindparam("ids", expanding=True)),
)
_PAGE_CELLS = select(*_CELL_COLUMNS).join(Recommendation, _CURRENT_OF_PAGE[0]).where(_CURRENT_OF_PAGE[1])
#: The page's own cells: each Board's state alone (its meeting and minute are the exports' and the
#: decision page's).
_PAGE_STATES = select(*(getattr(Ratification, name) for name in RegisterState._fields)).join(
    Recommendation, _CURRENT_OF_PAGE[0]).where(_CURRENT_OF_PAGE[1])
_PAGE_AFFECTED = select(RecommendationParty.recommendation_id, RecommendationParty.organisation_id).where(
    RecommendationParty.recommendation_id.in_(bindparam("ids", expanding=True)))


@dataclass
class RegisterRow:
    """One decision in the register: ``recommendation``, a :class:`RegisterDecision`; ``cells``, each
    party's Board status by organisation id, :class:`RegisterCell` s (:class:`RegisterState` s, read
    ``shown_only``);
    ``organisations`` holds every party of the page's cells and affected parties by id (shared by the
    rows of a page)."""

    recommendation: RegisterDecision
    cells: dict[int, RegisterCell]
    organisations: dict[int, Organisation] = field(default_factory=dict)
    #: The ids of the parties the decision affects.
    affected_ids: list[int] = field(default_factory=list)

    @property
    def affected(self) -> list[Organisation]:
        """The parties the decision affects, by name."""
        return sorted((self.organisations[i] for i in self.affected_ids), key=lambda o: o.name)

    @property
    def raised_by(self) -> str:
        """Who brought it, in words."""
        rec = self.recommendation
        return raised_by_words(rec.raised_by_kind, rec.group_name, rec.raising_organisation_name)


@dataclass
class RegisterFilters:
    """What the register is filtered by (all optional)."""

    status: str = ""
    party_id: int | None = None
    group_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def register_status_choices() -> list[tuple[str, str]]:
    """The register's status filter: the decision's state, or a Board's."""
    return list(_register_status_choices())


@states.per_agreement
def _register_status_choices() -> tuple[tuple[str, str], ...]:
    choices = [("", "Any status")]
    choices += [(s.name, f"Decision: {state_title_of(s.name)[0]}") for s in states.recommendation_process().states
                if s.name != states.being_prepared()]
    shown = states.board_open() | states.board_ratified()
    choices += [(f"board:{s.name}", f"A Board: {BOARD_STATUS_TITLES[s.name]}")
                for s in states.ratification_process().states if s.name in shown]
    return tuple(choices)


def organisations_by_name() -> list[Organisation]:
    """Every organisation the partnership has had, parties now and those that have withdrawn, by name."""
    return list(db.session.scalars(_ORGANISATIONS))


_ORGANISATIONS = select(Organisation).order_by(Organisation.name)
#: The subordinate groups by name, as (id, name): the register's filter offers them on every visit.
_GROUPS = select(SubordinateGroup.id, SubordinateGroup.name).order_by(SubordinateGroup.name)


def groups_by_name() -> list[tuple[int, str]]:
    """Each subordinate group's id and name, by name."""
    return [(group_id, name) for group_id, name in read(_GROUPS).all()]


@lru_cache(maxsize=64)
def _register_statements(group: bool, date_from: bool, date_to: bool, party: bool, status: str) -> paging.Statements:
    """The register's statements for a shape of its filters (which are set, not their values: at most
    48 shapes), built once each; the values go in as parameters. ``status``: "" (any), "decision" (the
    decision's state) or "board" (a Board's). Counted on the decisions alone: the joins add names,
    never rows."""
    wanted = [Recommendation.state != bindparam("being_prepared")]
    if group:
        wanted.append(Recommendation.group_id == bindparam("group_id"))
    day = Recommendation.agenda_meeting_date
    if date_from:
        wanted.append(day >= bindparam("date_from", type_=day.type))
    if date_to:
        wanted.append(day <= bindparam("date_to", type_=day.type))
    if status == "decision":
        wanted.append(Recommendation.state == bindparam("status"))
    current = and_(Ratification.recommendation_id == Recommendation.id,
                   Ratification.version == Recommendation.amendment_version)
    party_id = bindparam("party_id")
    if party:
        wanted.append(or_(
            exists().where(RecommendationParty.recommendation_id == Recommendation.id,
                           RecommendationParty.organisation_id == party_id),
            exists().where(current, Ratification.organisation_id == party_id),
        ))
    if status == "board":
        board = exists().where(current, Ratification.state == bindparam("board_state"))
        if party:
            board = board.where(Ratification.organisation_id == party_id)
        wanted.append(board)
    query = (
        select(*_DECISION_COLUMNS)
        .outerjoin(SubordinateGroup, SubordinateGroup.id == Recommendation.group_id)
        .outerjoin(_RAISING_PARTY, _RAISING_PARTY.id == Recommendation.raising_organisation_id)
        .where(*wanted)
    )
    return paging.prebuilt(query, (Recommendation.created_at, Recommendation.id), descending=True,
                           count_query=select(Recommendation.id).where(*wanted))


def _created_and_id(row: Any) -> tuple[datetime, int]:
    return row.created_at, row.id


def register(filters: RegisterFilters, cursor: str | None = None, organisations: list[Organisation] | None = None,
             *, shown_only: bool = False) -> tuple[list[Organisation], Page[RegisterRow]]:
    """The ratification register, a page at a time: (the party columns, one row per decision), newest
    first. Filters run in the database; each page is a fixed number of queries whatever its length, and
    reads plain rows, not objects. ``organisations``: :func:`organisations_by_name`, if the caller has
    read them (a party that has since withdrawn keeps its column where a decision on the page has its
    Board's ratification).

    ``shown_only``: read what the register page shows and no more (the page's 700 cells are most of its
    cost): each Board's state without its meeting and minute, and the parties affected only of the
    decisions PDEG has not yet decided (whose Boards it lists as not yet sent). The exports read it all."""
    status = filters.status
    shape = _register_statements(bool(filters.group_id), bool(filters.date_from), bool(filters.date_to),
                                 bool(filters.party_id), "board" if status.startswith("board:") else
                                 "decision" if status else "")
    values = {"being_prepared": states.being_prepared(), "group_id": filters.group_id,
              "date_from": filters.date_from, "date_to": filters.date_to, "party_id": filters.party_id,
              "status": status, "board_state": status.removeprefix("board:")}
    page = paging.keyset_of(shape, values, _created_and_id, cursor)
    decisions = [RegisterDecision._make(r) for r in page.items]
    cells: dict[int, dict[int, RegisterCell]] = {r.id: {} for r in decisions}
    affected: dict[int, list[int]] = {r.id: [] for r in decisions}
    if cells:
        ids = {"ids": list(cells)}
        found = map(RegisterState._make, read(_PAGE_STATES, ids).all()) if shown_only else map(
            RegisterCell._make, read(_PAGE_CELLS, ids).all())
        for cell in found:
            cells[cell.recommendation_id][cell.organisation_id] = cell
        if shown_only:  # the same query, of fewer decisions (perhaps none): a page's count stays fixed
            before_pdeg = states.before_pdeg()
            ids = {"ids": [r.id for r in decisions if r.state in before_pdeg]}
        for recommendation_id, organisation_id in read(_PAGE_AFFECTED, ids).all():
            affected[recommendation_id].append(organisation_id)
    everyone = organisations_by_name() if organisations is None else organisations
    by_id = {o.id: o for o in everyone}
    with_cells = {org_id for by_party in cells.values() for org_id in by_party}
    # The parties now, then a party that has since withdrawn where its Board has a decision on the page.
    parties = [o for o in everyone if o.is_party] + [o for o in everyone if not o.is_party and o.id in with_cells]
    rows = [RegisterRow(r, cells[r.id], by_id, affected[r.id]) for r in decisions]
    if filters.party_id:
        parties = [p for p in parties if p.id == filters.party_id]
    return parties, Page(rows, page.total, page.next_cursor, page.is_first)


# --- the PDEG meeting record (10.3, 10.5; Schedule 4) -------------------------------------------------


@dataclass
class Quorum:
    """The agreement's quorum for PDEG's outcomes, and where a meeting stands against it."""

    needed: int | None
    clause: str
    present: int = 0
    taken: bool = False

    @property
    def met(self) -> bool:
        """Attendance is recorded and enough member parties were present (or the agreement sets none)."""
        return self.needed is None or (self.taken and self.present >= self.needed)


def quorum_rule() -> tuple[int | None, str]:
    """The quorum the agreement sets for recording PDEG's outcomes (its ``pdeg_quorate`` rule), and its clause."""
    decl = states.declared(states.RECOMMENDATION)
    for transition in decl.transitions if decl is not None else []:
        for ref in transition.rules:
            if isinstance(ref, dict) and "pdeg_quorate" in ref:
                params = ref["pdeg_quorate"] or {}
                return int(params["min_parties"]), str(params.get("clause") or transition.clause)
    return None, ""


def quorum_of(meeting: PdegMeeting) -> Quorum:
    """Where the meeting stands against the quorum."""
    needed, clause = quorum_rule()
    present = sum(1 for a in meeting.attendance if a.kind.present)
    return Quorum(needed, clause, present, meeting.attendance_recorded_at is not None)


@dataclass
class Member:
    """A member party of PDEG, its representative and deputy (10.3), and its attendance at a meeting."""

    organisation: Organisation
    representatives: list[str]
    deputies: list[str]
    attendance: Any = None


def members_of(meeting: PdegMeeting) -> list[Member]:
    """PDEG's member parties with their representative (chief executive) and deputy (10.3), in two queries."""
    from govern.auth.models import Role, User
    from govern.pdeg.operations import pdeg_members

    organisations = pdeg_members()
    people: dict[int, dict[str, list[str]]] = {o.id: {"rep": [], "dep": []} for o in organisations}
    for user in db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_((Role.PARTNER_CEO, Role.DEPUTY)),
                           User.organisation_id.in_(list(people) or [0])).order_by(User.name)
    ):
        people[user.organisation_id]["rep" if user.role is Role.PARTNER_CEO else "dep"].append(user.name)
    attended = {a.organisation_id: a for a in meeting.attendance}
    return [Member(o, people[o.id]["rep"], people[o.id]["dep"], attended.get(o.id)) for o in organisations]


@dataclass
class MinuteExtract:
    """The extract of PDEG's minutes for one decision: what a Board reads in its pack."""

    meeting: PdegMeeting
    item: AgendaItem
    present: list[str]
    apologies: list[str]
    quorum: Quorum
    declarations: list[Any]


def minute_extract(item: AgendaItem) -> MinuteExtract:
    """The minute extract of one agenda item whose outcome is recorded."""
    meeting = item.meeting
    present = [f"{a.organisation.name}: {a.attendee}" + (" (deputy)" if a.status == "deputy" else "")
               for a in meeting.attendance if a.kind.present]
    apologies = [a.organisation.name for a in meeting.attendance if a.status == "apologies"]
    declarations = [d for d in meeting.declarations if d.agenda_item_id in (None, item.id)]
    return MinuteExtract(meeting, item, present, apologies, quorum_of(meeting), declarations)


# --- the printed agenda (10.5; Schedule 4) ------------------------------------------------------------


@dataclass
class AgendaEntry:
    """One item as the agenda prints it."""

    number: int
    item: AgendaItem
    raised_by: str
    affected: list[Organisation]
    #: Interests declared on the item at the meeting (the minutes' record).
    declared: list[InterestDeclaration]
    #: The register's extract for the item: declarations made on it, then its affected parties'.
    register: list[Any]


@dataclass
class Agenda:
    """A PDEG meeting's agenda, Part One then Part Two (the two roles Schedule 4 gives PDEG), with the register
    of interests' extract for its members and for the parties each item affects."""

    meeting: PdegMeeting
    parts: list[tuple[AgendaPart, list[AgendaEntry]]]
    members: list[Member]
    member_register: dict[int, list[Any]]
    more_in_register: set[int]
    declared_at_start: list[InterestDeclaration]


def agenda_of(meeting: PdegMeeting) -> Agenda:
    """The agenda of ``meeting`` as it is printed, in a constant number of queries whatever its size: its items
    with their recommendations and parties, the declarations at the meeting, the members, and the register's
    extract (:func:`govern.interests.queries.agenda_extract` decides which entries)."""
    from govern.interests.queries import agenda_extract

    items = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.part, AgendaItem.position, AgendaItem.id)
        .options(joinedload(AgendaItem.recommendation).selectinload(Recommendation.affected))
    ).unique().all()
    declarations = db.session.scalars(
        select(InterestDeclaration).where(InterestDeclaration.meeting_id == meeting.id)
        .order_by(InterestDeclaration.id).options(joinedload(InterestDeclaration.organisation))
    ).all()
    members = members_of(meeting)
    extract = agenda_extract([m.organisation.id for m in members],
                             {i.recommendation_id: [o.id for o in i.recommendation.affected] for i in items})
    parts: list[tuple[AgendaPart, list[AgendaEntry]]] = []
    for part in AgendaPart:
        entries = [AgendaEntry(
            number, item, raised_by_text(item.recommendation), list(item.recommendation.affected),
            [d for d in declarations if d.agenda_item_id == item.id], extract.items.get(item.recommendation_id, []),
        ) for number, item in enumerate((i for i in items if i.part is part), start=1)]
        parts.append((part, entries))
    return Agenda(meeting, parts, members, extract.members, extract.more,
                  [d for d in declarations if d.agenda_item_id is None])
