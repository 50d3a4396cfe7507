"""Operations on recommendations and ratifications (clause 10, Schedule 4, 17.2). None commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from govern.cases import runner, signals
from govern.cases.models import CaseKind
from govern.cases.registry import CaseType, register
from govern.core import clock
from govern.core.errors import OperationError
from govern.core.text import single_line
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup
from govern.pdeg import states
from govern.pdeg.facts import (
    ratification_actor,
    ratification_facts,
    recommendation_actor,
    recommendation_facts,
)
from govern.pdeg.models import (
    AgendaItem,
    AgendaOutcome,
    AgendaPart,
    AttendanceStatus,
    InterestDeclaration,
    MeetingAttendance,
    PdegMeeting,
    RaisedBy,
    Ratification,
    Recommendation,
    is_pdeg_secretariat,
)
from workflows import engine as wf_engine
from workflows.definitions import Context, EffectKind
from workflows.engine import Outcome
from workflows.rules import day_text


def _reference(recommendation: Recommendation) -> str:
    prefix = "V" if recommendation.is_variation else "R"
    return f"{prefix}{recommendation.created_at.year}-{recommendation.id:04d}"


def draft_recommendation(
    user: Any,
    *,
    title: str,
    summary: str,
    decision_sought: str,
    raised_by: RaisedBy,
    affected: Iterable[Organisation],
    group: SubordinateGroup | None = None,
    raising_organisation: Organisation | None = None,
    is_variation: bool = False,
    linked_dispute_id: int | None = None,
) -> Recommendation:
    """Create a recommendation in draft (not yet raised to PDEG)."""
    title = single_line(title)
    if not title:
        raise OperationError("Give the recommendation a title.", field="title")
    now = clock.now()
    recommendation = Recommendation(
        reference=f"new-{uuid4().hex[:16]}",  # fits String(20); replaced once the id is known
        title=title,
        summary=summary.strip(),
        decision_sought=decision_sought.strip(),
        raised_by_kind=raised_by,
        group_id=group.id if group else None,
        raising_organisation_id=raising_organisation.id if raising_organisation else None,
        raised_by_user_id=user.id,
        is_variation=is_variation,
        state=states.being_prepared(),
        linked_dispute_id=linked_dispute_id,
        created_at=now,
        updated_at=now,
    )
    recommendation.affected = list(affected)
    db.session.add(recommendation)
    db.session.flush()
    recommendation.reference = _reference(recommendation)
    from govern.audit import chain

    chain.record(
        "draft_recommendation",
        "recommendation",
        recommendation.id,
        {"reference": [None, recommendation.reference], "title": [None, recommendation.title],
         "affected": [None, sorted(o.id for o in recommendation.affected)], "is_variation": [None, is_variation]},
        actor=user,
    )
    return recommendation


def raise_recommendation(user: Any, **fields: Any) -> Recommendation:
    """Draft and raise a recommendation in one operation (Schedule 4: "referred to PDEG in the form of
    a recommendation ... with sufficient information to inform the decision making process")."""
    recommendation = draft_recommendation(user, **fields)
    runner.act(recommendation, user, "raise_recommendation")
    return recommendation


def _before_recommendation(recommendation: Recommendation, _user: Any, trigger: str) -> None:
    if trigger == "raise_recommendation" and recommendation.title in DRAFT_TITLES.values():
        # A draft born from a dispute goes to PDEG only as the STP Leader has written it (Schedule 3).
        raise OperationError("Write the title and summary PDEG will read before raising it.", field="title")


def _apply_recommendation(recommendation: Recommendation, _user: Any, outcome: Outcome) -> None:
    for event in outcome.events:
        if event.name == "placed_on_agenda":
            recommendation.agenda_meeting_date = outcome.values.get("meeting_date")  # type: ignore[assignment]


def _carry_out_recommendation(recommendation: Recommendation, user: Any, outcome: Outcome) -> None:
    for effect in outcome.effects:
        if effect.kind in (EffectKind.START_RATIFICATION, EffectKind.RESTART_RATIFICATION):
            _start_ratifications(recommendation, user, effect.data)


def _start_ratifications(recommendation: Recommendation, user: Any, data: Mapping[str, object]) -> None:
    """Send the (new version of the) decision to each required Board; older versions are superseded."""
    version = int(str(data["version"]))
    if version != recommendation.amendment_version:
        recommendation.amendment_version = version
        recommendation.amendment = str(data.get("amendment") or "")
        runner.flush_or_stale()
        for old in list(recommendation.ratifications):
            if old.version < version and old.state in states.board_open():
                runner.act(old, user, "supersede", system=True)
    now = clock.now()
    for organisation_id in data["organisation_ids"]:  # type: ignore[attr-defined]
        ratification = Ratification(
            recommendation_id=recommendation.id,
            organisation_id=int(str(organisation_id)),
            version=version,
            state=states.board_first(),
            created_at=now,
            updated_at=now,
        )
        db.session.add(ratification)
        recommendation.ratifications.append(ratification)
    runner.flush_or_stale()
    tell_board_secretaries(recommendation, [int(str(i)) for i in data["organisation_ids"]])  # type: ignore[attr-defined]


def tell_board_secretaries(recommendation: Recommendation, organisation_ids: list[int]) -> int:
    """Tell each affected party's Board secretary that a decision awaits their Board (10.6)."""
    from govern.auth.models import Role, User
    from govern.notify.queue import Message, queue

    secretaries = db.session.scalars(
        select(User).where(User.role == Role.BOARD_SECRETARY, User.active.is_(True),
                           User.organisation_id.in_(organisation_ids))
    ).all()
    by_org = {r.organisation_id: r for r in recommendation.ratifications
              if r.version == recommendation.amendment_version}
    clause = "17.2" if recommendation.is_variation else "10.6"
    messages = []
    for secretary in secretaries:
        ratification = by_org.get(secretary.organisation_id)
        messages.append(Message(
            user_id=secretary.id,
            subject=f"For your Board: {recommendation.reference} {recommendation.title}",
            body=(f"PDEG has agreed {recommendation.reference}, \"{recommendation.title}\". It needs your Board's "
                  f"ratification (clause {clause}). Record the outcome under Awaiting our Board."),
            link=f"/ratifications/{ratification.id}" if ratification else f"/recommendations/{recommendation.id}",
            case_kind=CaseKind.RATIFICATION if ratification else CaseKind.RECOMMENDATION,
            case_id=ratification.id if ratification else recommendation.id,
        ))
    return queue(messages, {s.id: s.email for s in secretaries})


def _apply_ratification(ratification: Ratification, user: Any, outcome: Outcome) -> None:
    if "meeting_date" in outcome.values:
        ratification.meeting_date = outcome.values["meeting_date"]  # type: ignore[assignment]
        ratification.minute_reference = single_line(str(outcome.values.get("minute_reference") or ""))
        ratification.recorded_by_id = getattr(user, "id", None)


def _carry_out_ratification(ratification: Ratification, user: Any, outcome: Outcome) -> None:
    for effect in outcome.effects:
        if effect.kind is EffectKind.CHECK_RATIFICATION:
            conclude_if_ratified(ratification.recommendation, user)
        if effect.kind is EffectKind.OFFER_DISPUTE:
            tell_chief_executive(ratification)


def tell_chief_executive(ratification: Ratification) -> int:
    """A Board did not ratify a decision: its organisation's chief executive and deputy (10.3) are told,
    with the dispute the agreement offers (Scenario 2 in Devon), which only they may bring."""
    from govern.agreements import service
    from govern.auth.models import Role, User
    from govern.notify.queue import Message, queue

    officers = db.session.scalars(
        select(User).where(User.role.in_((Role.PARTNER_CEO, Role.DEPUTY)), User.active.is_(True),
                           User.organisation_id == ratification.organisation_id)
    ).all()
    recommendation = ratification.recommendation
    board = ratification.organisation.board_name
    process_key = service.offered_dispute()
    offered = service.current().processes.get(process_key or "")
    offer = ""
    if offered is not None:
        title = offered.filing.title if offered.filing else offered.title
        offer = f" You may bring a dispute about it: {title} ({offered.clause})."
    when = f" on {day_text(ratification.meeting_date)}" if ratification.meeting_date else ""
    messages = [Message(
        user_id=officer.id,
        subject=f"{recommendation.reference}: not ratified by your {board}",
        body=(f"Your {board} did not ratify {recommendation.reference}, \"{recommendation.title}\"{when}"
              f" (clause 10.6).{offer} See the decision for what to cite."),
        link=f"/recommendations/{recommendation.id}",
        case_kind=CaseKind.RECOMMENDATION,
        case_id=recommendation.id,
    ) for officer in officers]
    return queue(messages, {o.id: o.email for o in officers})


def conclude_if_ratified(recommendation: Recommendation, user: Any) -> bool:
    """Mark the decision ratified once every required Board has ratified (10.6; 17.2 for a variation)."""
    definition = states.recommendation_process()
    facts = recommendation_facts(recommendation)
    problems = wf_engine.check(definition, facts, runner.SYSTEM_ACTOR, "conclude_ratification", {}, clock.now())
    if problems:
        return False
    runner.act(recommendation, user, "conclude_ratification", system=True)
    return True


def lapse_ratifications_of(organisation: Organisation, user: Any) -> int:
    """A party that withdraws (clause 15) no longer ratifies: its open ratifications lapse."""
    open_ones = db.session.scalars(
        select(Ratification).where(
            Ratification.organisation_id == organisation.id, Ratification.state.in_(states.board_open())
        )
    ).all()
    for ratification in open_ones:
        runner.act(ratification, user, "lapse", system=True)
    return len(open_ones)


#: The neutral title of a draft a dispute's outcome opens: the STP Leader replaces it with his own.
DRAFT_TITLES = {
    "options_paper": "Options paper for PDEG (draft: write its title)",
    "decision_revisited": "A decision to revisit (draft: write its title)",
}


def open_recommendation_from_dispute(dispute: Any, user: Any, data: Mapping[str, object]) -> Recommendation:
    """A "revisited" outcome (Scenarios 2, 3) or an options paper (Scenario 4) opens a draft
    recommendation, linked to the dispute, for the STP Leader to write and raise to PDEG.

    The draft carries none of the dispute's content (Schedule 3: disputes are resolved "professionally
    and privately"): no reference, no proposal, no reasons. What PDEG reads is what the STP Leader
    writes for it (:func:`write_draft_recommendation`); until then only he sees the draft
    (:meth:`Recommendation.can_view`). The parties a revisited decision affects are that decision's,
    which PDEG already knows; otherwise he names them.
    """
    kind = "options_paper" if "options" in str(data.get("kind") or "") else "decision_revisited"
    decision = (db.session.get(Recommendation, dispute.decision_recommendation_id)
                if getattr(dispute, "decision_recommendation_id", None) else None)
    return draft_recommendation(
        user,
        title=DRAFT_TITLES[kind],
        summary="",
        decision_sought="",
        raised_by=RaisedBy.STP_LEADER,
        affected=list(decision.affected) if decision is not None else [],
        linked_dispute_id=dispute.id,
    )


def write_draft_recommendation(recommendation: Recommendation, user: Any, *, title: str, summary: str,
                               decision_sought: str, affected: Iterable[Organisation],
                               expected_version: int | None = None) -> Recommendation:
    """Whoever holds a draft writes what PDEG will read: its title, summary, the decision sought and
    the parties whose Boards must ratify it (10.6). A draft born from a dispute is the STP Leader's."""
    return edit_recommendation(recommendation, user, title=title, summary=summary, decision_sought=decision_sought,
                               affected=affected, expected_version=expected_version)


def edit_recommendation(recommendation: Recommendation, user: Any, *, title: str, summary: str,
                        decision_sought: str, affected: Iterable[Organisation],
                        expected_version: int | None = None) -> Recommendation:
    """Whoever raised a recommendation may change it until PDEG considers it (Schedule 4): its title,
    summary, the decision sought and the parties whose Boards must ratify it (10.6). A variation goes to
    every party (17.2), whatever is chosen."""
    from govern.audit import chain

    if not recommendation.can_write(user):
        raise OperationError("Only whoever raised the recommendation may change it, until PDEG considers it.",
                             clause="Schedule 4")
    runner.check_version(recommendation, expected_version, "lock_version")
    title = single_line(title)
    if not title:
        raise OperationError("Enter a title for the recommendation", field="title")
    if title in DRAFT_TITLES.values():
        raise OperationError("Write the title PDEG will read.", field="title")
    chosen = list(affected)
    if recommendation.is_variation:
        chosen = list(current_party_list())
    if not recommendation.is_draft and not chosen:
        raise OperationError("Choose the parties whose Boards must ratify it", clause="10.6", field="affected")
    before = chain.snapshot(recommendation, ("title", "summary", "decision_sought"))
    before["affected"] = sorted(o.id for o in recommendation.affected)
    recommendation.title = title
    recommendation.summary = summary.strip()
    recommendation.decision_sought = decision_sought.strip()
    recommendation.affected = chosen
    recommendation.updated_at = clock.now()
    runner.flush_or_stale()
    after = chain.snapshot(recommendation, ("title", "summary", "decision_sought"))
    after["affected"] = sorted(o.id for o in recommendation.affected)
    action = "write_draft_recommendation" if recommendation.is_draft else "edit_recommendation"
    chain.record(action, "recommendation", recommendation.id, chain.diff(before, after), actor=user)
    return recommendation


def current_party_list() -> list[Organisation]:
    """The parties to the MoU now, by name."""
    return [o for o in db.session.scalars(select(Organisation).order_by(Organisation.name)) if o.is_party]


def _refuse_correction(ratification: Ratification, user: Any, meeting_date: date | None, reason: str,
                       expected_version: int | None) -> None:
    """Every reason a correction of the Board's recorded decision would be refused (the first of them)."""
    if not ratification.can_record(user):
        raise OperationError("Only this party's Board secretary corrects its Board's decision", clause="10.6")
    if ratification.meeting_date is None:
        raise OperationError("There is no recorded decision to correct yet", clause="10.6")
    runner.check_version(ratification, expected_version, "lock_version")
    problems: list[OperationError] = []
    if not reason.strip():
        problems.append(OperationError("Enter the reason for the correction", clause="10.6", field="reason"))
    if meeting_date is None:
        problems.append(OperationError("Enter the meeting date", clause="10.6", field="meeting_date"))
    else:
        definition = states.ratification_process()
        transition = definition.transitions_for("ratify")[0]
        context = Context(definition, transition, ratification_facts(ratification),
                          ratification_actor(ratification, user), {"meeting_date": meeting_date}, clock.now())
        for rule in transition.rules:
            for problem in rule.check(context):
                problems.append(OperationError(problem.message, clause=problem.clause, field=problem.field))
    if problems:
        raise problems[0]


def check_correction(ratification: Ratification, user: Any, *, meeting_date: date | None, minute_reference: str,
                     reason: str, expected_version: int | None = None) -> None:
    """Everything that would refuse :func:`correct_board_decision`, without correcting (for the page that
    asks the Board secretary to check the correction): raises as it would; changes nothing."""
    _refuse_correction(ratification, user, meeting_date, reason, expected_version)


def correct_board_decision(ratification: Ratification, user: Any, *, meeting_date: date | None,
                           minute_reference: str, reason: str, expected_version: int | None = None) -> Ratification:
    """The Board's secretary corrects the meeting date or minute of a decision already recorded (10.6),
    giving the reason; the agreement's rules for the date (not in the future, not before PDEG agreed the
    decision) apply as when it was recorded. The correction is kept in the audit trail and shown on the
    record."""
    from govern.audit import chain

    _refuse_correction(ratification, user, meeting_date, reason, expected_version)
    assert meeting_date is not None and ratification.meeting_date is not None  # refused above otherwise
    reason = reason.strip()
    minute_reference = single_line(minute_reference)
    before = {"meeting_date": ratification.meeting_date.isoformat(), "minute_reference": ratification.minute_reference}
    ratification.meeting_date = meeting_date
    ratification.minute_reference = minute_reference
    ratification.updated_at = clock.now()
    runner.flush_or_stale()
    after = {"meeting_date": meeting_date.isoformat() if meeting_date else None, "minute_reference": minute_reference}
    changes: dict[str, Any] = dict(chain.diff(before, after))
    changes["reason"] = [None, reason]
    chain.record("correct_board_decision", "ratification", ratification.id, changes, actor=user)
    return ratification


# --- Raising, with the delegation question asked at once (Schedule 4) --------------------------------


def bring_recommendation(user: Any, *, within_delegation: bool = False, delegation_basis: str = "",
                         **fields: Any) -> Recommendation:
    """Raise a recommendation for PDEG or, when a subordinate group decides within its members'
    delegated powers (Schedule 4, "Delegation"), record the decision as such instead.

    A variation of the MoU (17.2) affects every party, whatever the form said.
    """
    if fields.get("is_variation"):
        current = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
        fields["affected"] = [o for o in current if o.is_party]
    recommendation = raise_recommendation(user, **fields)
    if within_delegation:
        runner.act(recommendation, user, "record_within_delegation", {"basis": delegation_basis})
    return recommendation


# --- PDEG meetings: agenda and outcomes (10.5, 10.6) --------------------------------------------------


def schedule_meeting(user: Any, *, meeting_date: Any, title: str, place: str = "") -> PdegMeeting:
    """Schedule a PDEG meeting (PDEG meets at least monthly, 10.5)."""
    from govern.audit import chain

    if not is_pdeg_secretariat(user):
        raise OperationError("Only the PDEG secretariat schedules PDEG meetings", clause="10.5")
    if meeting_date is None:
        raise OperationError("Enter the date of the meeting", clause="10.5", field="meeting_date")
    title = single_line(title)
    if not title:
        raise OperationError("Give the meeting a title", clause="10.5", field="title")
    meeting = PdegMeeting(
        meeting_date=meeting_date, title=title, place=single_line(place), created_by_id=user.id,
        created_at=clock.now(),
    )
    db.session.add(meeting)
    db.session.flush()
    chain.record(
        "schedule_meeting", "pdeg_meeting", meeting.id,
        {"meeting_date": [None, meeting_date.isoformat()], "title": [None, meeting.title],
         "place": [None, meeting.place]}, actor=user,
    )
    return meeting


def add_to_agenda(meeting: PdegMeeting, recommendation: Recommendation, user: Any, *, part: AgendaPart,
                  expected_version: int | None = None) -> AgendaItem:
    """Put a raised recommendation on the agenda of a meeting, in Part One or Part Two (10.5)."""
    from govern.audit import chain

    _may_change(meeting, user)
    if any(item.recommendation_id == recommendation.id for item in meeting.items):
        raise OperationError(
            f"{recommendation.reference} is already on the agenda of this meeting", clause="10.5",
            field="recommendation_id",
        )
    runner.act(
        recommendation, user, "place_on_agenda", {"meeting_date": meeting.meeting_date}, expected_version
    )
    position = 1 + max((item.position for item in meeting.items if item.part is part), default=0)
    item = AgendaItem(meeting_id=meeting.id, recommendation_id=recommendation.id, part=part, position=position)
    db.session.add(item)
    meeting.items.append(item)
    runner.flush_or_stale()
    chain.record(
        "add_to_agenda", "agenda_item", item.id,
        {"meeting_id": [None, meeting.id], "recommendation": [None, recommendation.reference],
         "part": [None, part.value], "position": [None, position]},
        actor=user,
    )
    return item


def _outcome_payload(item: AgendaItem, outcome: AgendaOutcome, minute_reference: str, reasons: str,
                     amendment: str, expected_version: int | None) -> dict[str, object]:
    """The item's own refusals (a cancelled meeting, an outcome already recorded, an older page), then
    what the recommendation's step is given."""
    runner.check_version(item, expected_version, "lock_version")
    if item.meeting.is_cancelled:
        raise OperationError("This meeting was cancelled: no outcome can be recorded at it", clause="10.5")
    if item.outcome is not None:
        raise OperationError(
            f"PDEG's outcome for this item is already recorded: {item.outcome.title.lower()}", clause="10.6"
        )
    payload: dict[str, object] = {"minute_reference": minute_reference, "reasons": reasons}
    if outcome is AgendaOutcome.AMENDED_AND_AGREED:
        payload["amendment"] = amendment
    return payload


def check_outcome(item: AgendaItem, user: Any, *, outcome: AgendaOutcome, minute_reference: str,
                  reasons: str, amendment: str = "", minutes: str = "", expected_version: int | None = None) -> None:
    """Everything that would refuse :func:`record_outcome`, without recording it (for the page that asks
    the secretariat to check its answers): raises as it would; changes nothing."""
    payload = _outcome_payload(item, outcome, minute_reference, reasons, amendment, expected_version)
    runner.check(item.recommendation, user, outcome.trigger, payload)


def record_outcome(item: AgendaItem, user: Any, *, outcome: AgendaOutcome, minute_reference: str,
                   reasons: str, amendment: str = "", minutes: str = "",
                   expected_version: int | None = None) -> Outcome:
    """Record what PDEG decided about an agenda item (10.6): an agreed decision goes at once to the
    Board of every affected party (every party for a variation, 17.2)."""
    from govern.audit import chain

    payload = _outcome_payload(item, outcome, minute_reference, reasons, amendment, expected_version)
    result = runner.act(item.recommendation, user, outcome.trigger, payload)
    now = clock.now()
    item.outcome = outcome
    item.minute_reference = single_line(str(result.values.get("minute_reference") or ""))
    item.reasons = str(result.values.get("reasons") or "")
    item.amendment = str(result.values.get("amendment") or "")
    item.minutes = minutes.strip()
    item.recorded_by_id = user.id
    item.recorded_at = now
    runner.flush_or_stale()
    chain.record(
        "record_outcome", "agenda_item", item.id,
        {"outcome": [None, outcome.value], "minute_reference": [None, item.minute_reference]}, actor=user,
    )
    return result


# --- The meeting record: arrangements, attendance and quorum, interests (10.3, 10.5; Schedule 4) -----


def _may_change(meeting: PdegMeeting, user: Any) -> None:
    """A meeting's arrangements can change until its outcomes are recorded, and not once cancelled."""
    if not meeting.can_manage(user):
        raise OperationError("Only the PDEG secretariat runs PDEG meetings", clause="10.5")
    if meeting.is_cancelled:
        raise OperationError("This meeting was cancelled", clause="10.5")
    if meeting.has_outcomes:
        raise OperationError("PDEG's outcomes are recorded for this meeting: its arrangements can no longer change",
                             clause="10.5")


def edit_meeting(meeting: PdegMeeting, user: Any, *, meeting_date: date | None, title: str,
                 place: str | None = None, expected_version: int | None = None) -> PdegMeeting:
    """Change a meeting's date, title or place (``None``: as it is), until its outcomes are recorded (10.5)."""
    from govern.audit import chain

    _may_change(meeting, user)
    runner.check_version(meeting, expected_version, "lock_version")
    if meeting_date is None:
        raise OperationError("Enter the date of the meeting", clause="10.5", field="meeting_date")
    title = single_line(title)
    if not title:
        raise OperationError("Enter a title for the meeting", clause="10.5", field="title")
    place = meeting.place if place is None else single_line(place)
    before = {"meeting_date": meeting.meeting_date.isoformat(), "title": meeting.title, "place": meeting.place}
    meeting.meeting_date = meeting_date
    meeting.title = title
    meeting.place = place
    for item in meeting.items:  # its recommendations are on the agenda of the meeting as it now is
        item.recommendation.agenda_meeting_date = meeting_date
    runner.flush_or_stale()
    after = {"meeting_date": meeting_date.isoformat(), "title": title, "place": place}
    chain.record("edit_meeting", "pdeg_meeting", meeting.id, chain.diff(before, after), actor=user)
    return meeting


def cancel_meeting(meeting: PdegMeeting, user: Any, *, reason: str, expected_version: int | None = None) -> PdegMeeting:
    """Cancel a meeting, giving the reason, before any outcome is recorded; its agenda must be empty
    (take each item off, or it stays raised for another meeting)."""
    from govern.audit import chain

    _may_change(meeting, user)
    runner.check_version(meeting, expected_version, "lock_version")
    reason = reason.strip()
    if not reason:
        raise OperationError("Enter why the meeting is cancelled", clause="10.5", field="reason")
    if meeting.items:
        raise OperationError(f"Take the {len(meeting.items)} item(s) off its agenda first, so that each can go to "
                             "another meeting", clause="10.5", field="reason")
    meeting.cancelled_at = clock.now()
    meeting.cancel_reason = reason
    runner.flush_or_stale()
    chain.record("cancel_meeting", "pdeg_meeting", meeting.id, {"cancelled": [False, True], "reason": [None, reason]},
                 actor=user)
    return meeting


def take_off_agenda(item: AgendaItem, user: Any, expected_version: int | None = None) -> None:
    """Take an item off a meeting's agenda before PDEG decides it: the recommendation waits for another
    meeting (10.5)."""
    meeting = item.meeting
    _may_change(meeting, user)
    runner.check_version(item, expected_version, "lock_version")
    runner.act(item.recommendation, user, "take_off_agenda", {"meeting_date": meeting.meeting_date})
    item.recommendation.agenda_meeting_date = None
    meeting.items.remove(item)
    db.session.delete(item)
    _renumber(meeting, item.part)
    runner.flush_or_stale()


def _renumber(meeting: PdegMeeting, part: AgendaPart) -> None:
    for position, other in enumerate(sorted(meeting.items_in(part), key=lambda i: (i.position, i.id)), start=1):
        other.position = position


def move_item(item: AgendaItem, user: Any, *, up: bool, expected_version: int | None = None) -> AgendaItem:
    """Move an item up or down its part of the agenda (the order of business), until outcomes are recorded."""
    from govern.audit import chain

    meeting = item.meeting
    _may_change(meeting, user)
    runner.check_version(item, expected_version, "lock_version")
    ordered = sorted(meeting.items_in(item.part), key=lambda i: (i.position, i.id))
    index = ordered.index(item)
    other = index - 1 if up else index + 1
    if other < 0 or other >= len(ordered):
        raise OperationError("It is already " + ("first" if up else "last") + f" in {item.part.title}", clause="10.5")
    ordered[index], ordered[other] = ordered[other], ordered[index]
    before = [i.recommendation.reference for i in sorted(meeting.items_in(item.part), key=lambda i: (i.position, i.id))]
    for position, each in enumerate(ordered, start=1):
        each.position = position
    runner.flush_or_stale()
    chain.record("reorder_agenda", "pdeg_meeting", meeting.id,
                 {"part": [None, item.part.value], "order": [before, [i.recommendation.reference for i in ordered]]},
                 actor=user)
    return item


def pdeg_members() -> list[Organisation]:
    """The parties that are members of PDEG's meetings (Schedule 4, Membership; 10.3)."""
    return [o for o in db.session.scalars(select(Organisation).order_by(Organisation.name))
            if o.pdeg_eligible and (o.is_party or not o.withdrawn_at)]


def record_attendance(meeting: PdegMeeting, user: Any, attendance: Mapping[int, tuple[AttendanceStatus, str]],
                      expected_version: int | None = None) -> PdegMeeting:
    """Record who attended for each member party (its representative or deputy, 10.3), and apologies,
    before the meeting's outcomes are recorded: the quorum is counted from it."""
    from govern.audit import chain

    _may_change(meeting, user)
    runner.check_version(meeting, expected_version, "lock_version")
    members = {o.id: o for o in pdeg_members()}
    missing = [o.name for i, o in members.items() if i not in attendance]
    if missing:
        raise OperationError(f"Say how {missing[0]} attended", clause="10.3", field=f"party-{sorted(members)[0]}")
    existing = {a.organisation_id: a for a in meeting.attendance}
    changes: dict[str, Any] = {}
    for organisation_id, (status, attendee) in attendance.items():
        if organisation_id not in members:
            continue
        attendee = single_line(attendee)
        if status.present and not attendee:
            raise OperationError(f"Enter who attended for {members[organisation_id].name}", clause="10.3",
                                 field=f"attendee-{organisation_id}")
        row = existing.get(organisation_id)
        if row is None:
            row = MeetingAttendance(meeting_id=meeting.id, organisation_id=organisation_id, status=status.value,
                                    attendee=attendee)
            db.session.add(row)
            meeting.attendance.append(row)
            changes[str(organisation_id)] = [None, f"{status.value}: {attendee}"]
        elif (row.status, row.attendee) != (status.value, attendee):
            changes[str(organisation_id)] = [f"{row.status}: {row.attendee}", f"{status.value}: {attendee}"]
            row.status, row.attendee = status.value, attendee
    meeting.attendance_recorded_at = clock.now()
    runner.flush_or_stale()
    chain.record("record_attendance", "pdeg_meeting", meeting.id, changes, actor=user)
    return meeting


def declare_interest(meeting: PdegMeeting, user: Any, *, person: str, interest: str,
                     organisation: Organisation | None = None, item: AgendaItem | None = None) -> InterestDeclaration:
    """Record an interest declared at the start of the meeting, or on one item (before its outcome)."""
    from govern.audit import chain

    if not meeting.can_manage(user) or meeting.is_cancelled:
        raise OperationError("Only the PDEG secretariat records a meeting's declarations", clause="10.5")
    if item is not None and (item.meeting_id != meeting.id or item.outcome is not None):
        raise OperationError("Declare an interest on an item before its outcome is recorded", field="item")
    person = single_line(person)
    if not person:
        raise OperationError("Enter who declared the interest", field="person")
    if not interest.strip():
        raise OperationError("Enter the interest declared", field="interest")
    declaration = InterestDeclaration(
        meeting_id=meeting.id, agenda_item_id=item.id if item else None, person=person,
        organisation_id=organisation.id if organisation else None, interest=interest.strip(),
        recorded_by_id=user.id, recorded_at=clock.now(),
    )
    db.session.add(declaration)
    meeting.declarations.append(declaration)
    db.session.flush()
    chain.record("declare_interest", "pdeg_meeting", meeting.id,
                 {"person": [None, person], "interest": [None, declaration.interest],
                  "item": [None, item.recommendation.reference if item else "start of the meeting"]}, actor=user)
    # Into the standing register of interests (Schedule 4; govern.interests hears it), same transaction.
    signals.interest_declared.send(None, user=user, person=person,
                                   organisation_id=organisation.id if organisation else None,
                                   description=declaration.interest,
                                   recommendation_id=item.recommendation_id if item else None, now=clock.now())
    return declaration


register(CaseType(
    kind=CaseKind.RECOMMENDATION, model=Recommendation, definition=lambda _row: states.recommendation_process(),
    facts=recommendation_facts, actor=recommendation_actor, version_attr="lock_version",
    before=_before_recommendation, apply=_apply_recommendation,
    carry_out=_carry_out_recommendation,
))
register(CaseType(
    kind=CaseKind.RATIFICATION, model=Ratification, definition=lambda _row: states.ratification_process(),
    facts=ratification_facts, actor=ratification_actor, version_attr="lock_version",
    apply=_apply_ratification, carry_out=_carry_out_ratification,
))
