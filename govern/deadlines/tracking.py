"""Keeping ``case_deadline`` in step with each case, and telling whoever must act next.

:func:`after_transition` hears every transition of every case through the runner's signal
(``govern.cases.signals``), in the same transaction; :func:`refresh` also after a corrected event time. Due moments come
from ``workflows.deadlines.schedule`` over the recorded events and extensions, never from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from govern.cases import signals
from govern.cases.models import CaseKind
from govern.cases.runner import case_events, case_extensions
from govern.deadlines.models import CaseDeadline
from govern.deadlines.recipients import resolve
from govern.extensions import db
from govern.notify.queue import Message, case_link, queue
from workflows import CaseRole
from workflows.deadlines import StepStatus, schedule
from workflows.definitions import ProcessDefinition
from workflows.engine import Outcome

RUNNING = (StepStatus.DUE, StepStatus.OVERDUE)


def refresh(kind: CaseKind, row: Any, definition: ProcessDefinition, now: datetime) -> list[CaseDeadline]:
    """Bring the case's ``case_deadline`` rows up to date; return the steps that have just opened."""
    if not definition.steps:
        return []
    finished = definition.is_terminal(str(getattr(row.state, "value", row.state)))
    steps = schedule(definition, case_events(kind, row.id), case_extensions(kind, row.id), now)
    existing = {
        d.step_key: d
        for d in db.session.scalars(
            select(CaseDeadline).where(CaseDeadline.case_kind == kind, CaseDeadline.case_id == row.id)
        )
    }
    opened: list[CaseDeadline] = []
    current: list[CaseDeadline] = []
    for position, step in enumerate(steps):
        deadline = existing.get(step.step)
        if deadline is None:
            deadline = CaseDeadline(case_kind=kind, case_id=row.id, step_key=step.step, reminded_stage=0)
            db.session.add(deadline)
        current.append(deadline)
        was_open = bool(deadline.open)
        seen = _as_seen(deadline)
        due_at = step.due_at
        if deadline.due_at != due_at:
            deadline.reminded_stage = 0  # a new due moment (extension, corrected time) gets its own reminders
        deadline.reference = str(getattr(row, "reference", "") or "")[:20]
        deadline.process_key = str(getattr(row, "process_key", None) or definition.key)
        deadline.position = position
        deadline.title = step.title[:300]
        deadline.clause = step.clause[:120]
        deadline.roles = [str(r) for r in step.roles]
        deadline.due_at = due_at
        deadline.done_at = step.done_at
        deadline.open = not finished and step.status in RUNNING
        deadline.done_on_time = (
            None if step.done_at is None or step.due_at is None else step.status is StepStatus.DONE_ON_TIME
        )
        if deadline.open and not was_open:
            opened.append(deadline)
        if _as_seen(deadline) != seen:
            deadline.changed_at = now
    db.session.flush()
    if kind is CaseKind.DISPUTE:
        _set_next_due(row, [d.due_at for d in current if d.open and d.due_at is not None])
    return opened


def _as_seen(deadline: CaseDeadline) -> tuple[object, ...]:
    """What a calendar shows of a step: when it changes, the feeds' Last-Modified moves."""
    return (deadline.title, deadline.clause, deadline.due_at, deadline.done_at, deadline.open, deadline.reference)


def _set_next_due(row: Any, due: list[datetime]) -> None:
    """Keep the dispute's copy of its soonest open due moment, for the lists' order and filters.

    A core UPDATE, not an ORM change: the dispute's ``version`` guards what people do to it, and
    this copy is bookkeeping that must not make someone's open page "changed".
    """
    from sqlalchemy.orm.attributes import set_committed_value

    from govern.disputes.models import Dispute

    soonest = min(due, default=None)
    if getattr(row, "next_due_at", None) == soonest:
        return
    db.session.execute(update(Dispute.__table__).where(Dispute.__table__.c.id == row.id).values(next_due_at=soonest))
    set_committed_value(row, "next_due_at", soonest)


def after_transition(
    kind: CaseKind, row: Any, definition: ProcessDefinition, outcome: Outcome, user: Any, now: datetime
) -> None:
    """Refresh the case's deadlines, then tell whoever must act next (issue: "notices on every
    transition"): the STP Leader when a dispute is filed; the panel and the parties when a panel is
    nominated; the parties when a decision or proposal is made; and the actors of every step that has
    just opened. The person who acted is not told. (When PDEG agrees a decision, the Board secretaries
    are told by ``govern.pdeg.operations.tell_board_secretaries``, which links each to their Board's
    ratification, once it exists.)"""
    opened = refresh(kind, row, definition, now)
    case = (kind, row.id)
    panel_override: dict[int, list[int]] = {}
    for event in outcome.events:
        if event.name == "panel_nominated":
            panel_override[row.id] = [int(str(o)) for o in event.data.get("organisation_ids") or ()]  # type: ignore[attr-defined]
    # A replacement panel member's rows are written after the transition: name it from the event.
    replacements = [int(str(e.data["replacement"])) for e in outcome.events if e.name == "panel_member_replaced"]
    wanted_roles: set[str] = {str(role) for notice in outcome.notices for role in notice.roles}
    for deadline in opened:
        wanted_roles |= set(deadline.roles)
    if not wanted_roles:
        return
    audiences = resolve([case], panel_override=panel_override, extra_orgs=replacements, roles=wanted_roles)
    acting = getattr(user, "id", None)
    told: dict[int, list[str]] = {}

    def tell(user_ids: Iterable[int], line: str) -> None:
        for user_id in user_ids:
            if user_id != acting and line not in told.setdefault(user_id, []):
                told[user_id].append(line)

    state_title = definition.state(outcome.state_after).title
    reference = str(getattr(row, "reference", "") or "")
    # Who is told of the transition is the agreement's word (its ``notify``), not this module's.
    actor_org = getattr(getattr(user, "organisation", None), "name", None)
    for notice in outcome.notices:
        if notice.when is not None and outcome.values.get(notice.when) is not True:
            continue
        text = notice_text(notice.text, {"organisation": actor_org, **outcome.values}, definition.calendar)
        if replacements and notice.roles == (CaseRole.PANEL_MEMBER,):
            for organisation_id in replacements:
                tell(audiences.officers.get(organisation_id, set()), text)
            continue
        users = audiences.users(case, list(notice.roles))
        if notice.named_in is not None:
            # Only the organisations the transition names (the party called), of those the roles cover.
            named = _ids(outcome.values.get(notice.named_in))
            users &= set().union(set(), *(audiences.officers.get(o, set()) for o in named))
        tell(users, text)
    for deadline in opened:
        due = f", due by the end of {_day(deadline.due_at)}" if deadline.due_at else ""
        tell(audiences.users(case, deadline.roles), f"For you to do: {deadline.title} ({deadline.clause}){due}.")
    link = case_link(kind, row.id)
    queue(
        [
            Message(user_id, f"{reference}: {state_title}", "\n".join(lines), link, kind, row.id)
            for user_id, lines in sorted(told.items())
        ],
        audiences.emails,
    )


@signals.case_transitioned.connect
def _on_transition(kind: CaseKind, *, row: Any, definition: ProcessDefinition, outcome: Outcome, user: Any,
                   now: datetime) -> None:
    after_transition(kind, row, definition, outcome, user, now)


@signals.case_changed.connect
def _on_change(kind: CaseKind, *, row: Any, definition: ProcessDefinition, now: datetime) -> None:
    refresh(kind, row, definition, now)


def _ids(value: object) -> list[int]:
    if value is None or isinstance(value, str | bytes):
        return []
    if isinstance(value, int):
        return [value]
    return [int(str(v)) for v in value]  # type: ignore[attr-defined]


class _Words(dict):  # type: ignore[type-arg]
    """A transition's values in words for a notice's ``{field}``s; a field not given reads "none given"."""

    def __missing__(self, key: str) -> str:
        return "none given"


def notice_text(text: str, values: Mapping[str, object], calendar: Any = None) -> str:
    """A notice's text with the transition's values filled in: dates as "Mon 6 Mar 2023", organisations
    by name (one query, only when the text names organisations), anything else as given."""
    from workflows.deadlines import day_text

    if "{" not in text:
        return text
    words = _Words()
    org_ids = {i for v in values.values() if isinstance(v, list | tuple | frozenset | set) for i in _ids(v)}
    names: dict[int, str] = {}
    if org_ids:
        from govern.partnership.models import Organisation

        names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(sorted(org_ids)))).all())
    for key, value in values.items():
        if isinstance(value, datetime):
            from workflows.calendar import ENGLAND

            zone = (calendar or ENGLAND).zone
            words[key] = f"{day_text(value.astimezone(zone).date())} at {value.astimezone(zone):%H:%M}"
        elif isinstance(value, date):
            words[key] = day_text(value)
        elif isinstance(value, list | tuple | frozenset | set):
            listed = [names.get(i, f"organisation {i}") for i in _ids(value)]
            words[key] = " and ".join(listed) if listed else "none"
        elif value in (None, ""):
            continue
        else:
            words[key] = str(value).strip()
    try:
        return text.format_map(words)
    except (ValueError, IndexError, KeyError):  # a stray brace in the agreement's text: send it as written
        return text


def _day(moment: datetime | None) -> str:
    from workflows.calendar import local_day

    if moment is None:
        return ""
    day = local_day(moment)
    return f"{day:%A} {day.day} {day:%B %Y}"


def rebuild_all(now: datetime) -> int:
    """Recompute ``case_deadline`` for every dispute (after the table is first created, or to repair
    it): idempotent, sends nothing. Returns how many disputes it looked at. Never commits."""
    from govern.disputes.facts import definition_of
    from govern.disputes.models import Dispute

    count = 0
    for dispute in db.session.scalars(select(Dispute).order_by(Dispute.id)):
        refresh(CaseKind.DISPUTE, dispute, definition_of(dispute), now)
        count += 1
    return count
