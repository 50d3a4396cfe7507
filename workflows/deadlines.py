"""Deadlines computed from recorded events, never stored.

Every due date follows from the events (name -> aware datetime) and the STP Leader's extensions, so
correcting an event's time moves every date that depends on it.  Counting follows DOMAIN.md's
house conventions (see ``workflows.calendar``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from .calendar import ENGLAND, WorkingCalendar
from .definitions import ProcessDefinition, StepDef, Unit
from .facts import Extension, Facts
from .roles import CaseRole

__all__ = [
    "NextStep",
    "StepDeadline",
    "StepStatus",
    "current_due_date",
    "due_with_working",
    "next_steps",
    "schedule",
    "statutory_due_date",
]


class StepStatus(StrEnum):
    """Where a step stands against its deadline."""

    NOT_YET_DUE = "not_yet_due"  # what it runs from has not happened
    DUE = "due"  # running, deadline not passed (or no deadline)
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class StepDeadline:
    """One step's deadline and status, for the UI and the record.

    ``due_date``/``due_at`` are None when the step has no deadline in the MoU or what it runs from
    has not happened yet.  ``deadline_text`` is the MoU's wording of the timescale.
    """

    step: str
    title: str
    clause: str
    roles: tuple[CaseRole, ...]
    due_date: date | None
    due_at: datetime | None
    done_at: datetime | None
    status: StepStatus
    deadline_text: str | None = None
    deadline_clause: str | None = None
    extension_reason: str | None = None
    late_needs_reason: bool = False
    #: How the agreement's due date was counted ("Notified Fri 18 Dec 2026 + 1 week = ...").
    working: str | None = None


@dataclass(frozen=True)
class NextStep:
    """A step waiting for someone: who must act, by when, and whether it is overdue."""

    step: str
    title: str
    clause: str
    roles: tuple[CaseRole, ...]
    due_at: datetime | None
    status: StepStatus


def _latest(events: Mapping[str, datetime], names: tuple[str, ...]) -> datetime | None:
    """The latest of ``names`` ("whichever is the later"), or None if any has not happened."""
    moments = [events.get(n) for n in names]
    if any(m is None for m in moments):
        return None
    return max(moments)  # type: ignore[type-var]


def statutory_due_date(step: StepDef, events: Mapping[str, datetime]) -> date | None:
    """The due date the agreement gives ``step`` from ``events``, ignoring extensions (None if not running)."""
    found = due_with_working(step, events)
    return found[0] if found else None


def day_text(day: date) -> str:
    """A day as people read it in messages: "Tue 1 Dec 2026"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


_day_text = day_text


def _not_working(calendar: WorkingCalendar, day: date) -> str:
    return calendar.holiday_name(day) or f"a {day:%A}"


def due_with_working(step: StepDef, events: Mapping[str, datetime], start_word: str | None = None
                     ) -> tuple[date, str] | None:
    """The due date of ``step`` from ``events`` and how it was counted, in words a person can check:
    "notified Tue 27 Apr 2027 + 10 working days (Early May bank holiday skipped) = Wed 12 May 2027"."""
    rule = step.deadline
    if rule is None:
        return None
    start = _latest(events, rule.after)
    if start is None:
        return None
    calendar = rule.calendar
    day = calendar.local_day(start)
    latest = max(rule.after, key=lambda name: events[name])
    word = start_word or latest.replace("_", " ")
    begin = f"{word[:1].upper()}{word[1:]} {_day_text(day)}"
    if len(rule.after) > 1:
        begin += " (the later of " + " and ".join(a.replace("_", " ") for a in rule.after) + ")"
    match rule.unit:
        case Unit.SAME_DAY:
            return day, f"{begin}: due the same day"
        case Unit.WORKING_DAYS:
            due = calendar.working_days_after(day, rule.amount)
            skipped = [
                name for d in (day + timedelta(days=i) for i in range(1, (due - day).days))
                if (name := calendar.holiday_name(d)) and d.weekday() < 5
            ]
            name = calendar.working_day_name
            unit = name if rule.amount == 1 else f"{name}s"
            extra = f" ({', '.join(skipped)} skipped)" if skipped else ""
            return due, f"{begin} + {rule.amount} {unit}{extra} = {_day_text(due)}"
        case Unit.WEEKS | Unit.CALENDAR_DAYS:
            days = rule.amount * 7 if rule.unit is Unit.WEEKS else rule.amount
            target = day + timedelta(days=days)
            what = ("week" if rule.amount == 1 else "weeks") if rule.unit is Unit.WEEKS else (
                "day" if rule.amount == 1 else "days")
            due = calendar.on_or_next_working_day(target)
            if due == target:
                return due, f"{begin} + {rule.amount} {what} = {_day_text(due)}"
            also = [
                f"{name} ({_day_text(d)})" for d in (target + timedelta(days=i) for i in range(1, (due - target).days))
                if (name := calendar.holiday_name(d)) and d.weekday() < 5
            ]
            after = f" after {', '.join(also)}" if also else ""
            return due, (f"{begin} + {rule.amount} {what} = {_day_text(target)}, {_not_working(calendar, target)}; "
                         f"next {calendar.working_day_name}{after}: {_day_text(due)}")
    raise ValueError(f"unknown unit {rule.unit!r}")  # pragma: no cover


def current_due_date(step: StepDef, events: Mapping[str, datetime], extensions: Mapping[str, Extension]) -> date | None:
    """The due date in force: the STP Leader's extension if any, else the MoU's."""
    extension = extensions.get(step.key)
    if extension is not None and step.deadline is not None:
        return extension.due_date
    return statutory_due_date(step, events)


def _started(step: StepDef, events: Mapping[str, datetime]) -> bool:
    # A deadline runs from its own events even if an earlier step is still open (e.g. Scenario 1's
    # hearing is due a week after the panel is notified, whenever the papers reach it); a step without
    # a deadline is running once the steps it follows are done.
    names = step.deadline.after if step.deadline else step.follows
    return all(name in events for name in names)


def schedule(
    definition: ProcessDefinition,
    events: Mapping[str, datetime],
    extensions: Mapping[str, Extension],
    now: datetime,
) -> list[StepDeadline]:
    """Each step of ``definition`` with its due moment and status at ``now``, in the process's order."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    rows = []
    for step in definition.steps:
        done_at = events.get(step.done_event)
        due_date = current_due_date(step, events, extensions)
        due_at = (step.deadline.calendar if step.deadline else ENGLAND).end_of_day(due_date) if due_date else None
        started = _started(step, events)
        if done_at is not None:
            late = due_at is not None and started and done_at > due_at
            status = StepStatus.DONE_LATE if late else StepStatus.DONE_ON_TIME
        elif not started:
            status = StepStatus.NOT_YET_DUE
        elif due_at is not None and now > due_at:
            status = StepStatus.OVERDUE
        else:
            status = StepStatus.DUE
        extension = extensions.get(step.key) if step.deadline is not None else None
        counted = due_with_working(step, events)
        rows.append(
            StepDeadline(
                step=step.key,
                title=step.title,
                clause=step.clause,
                roles=step.roles,
                due_date=due_date,
                due_at=due_at,
                done_at=done_at,
                status=status,
                deadline_text=step.deadline.text if step.deadline else None,
                deadline_clause=step.deadline.clause if step.deadline else None,
                extension_reason=extension.reason if extension else None,
                late_needs_reason=bool(step.deadline and step.deadline.late_needs_reason),
                working=counted[1] if counted else None,
            )
        )
    return rows


def next_steps(definition: ProcessDefinition, facts: Facts, now: datetime) -> list[NextStep]:
    """The steps waiting for someone now (running, not done), with who must act: "who acts next"."""
    if definition.is_terminal(facts.state):
        return []
    return [
        NextStep(row.step, row.title, row.clause, row.roles, row.due_at, row.status)
        for row in schedule(definition, facts.events, facts.extensions, now)
        if row.status in (StepStatus.DUE, StepStatus.OVERDUE)
    ]
