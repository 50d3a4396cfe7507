"""The reminder sweep: what is due soon or overdue, found with one indexed query, each reminder once.

Run every few minutes by ``flask --app govern tick`` (cron or a systemd timer). Counting follows
DOMAIN.md: "2 working days before the due date" and "the due day" are local dates in Europe/London.
To whoever must act: a reminder two working days before the due date and one on the due day; once
the step is overdue, to the actor and to the STP Leader (a missed deadline does not stop the process,
"the STP Leader is told").

Each reminder goes once however often the sweep runs, and two sweeps at once on two servers send no
duplicates: a reminder is an INSERT into the ``reminder`` ledger that the unique constraint on
(deadline, due moment, kind, recipient) lets only one transaction make (``ON CONFLICT DO NOTHING``);
only the rows this sweep inserted become notices and emails.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from govern.audit import chain
from govern.core import clock
from govern.deadlines.models import CaseDeadline, Reminder, ReminderKind, open_step
from govern.deadlines.recipients import resolve
from govern.extensions import db
from govern.notify.queue import Message, case_link, queue, queue_digests
from workflows import CaseRole
from workflows.calendar import end_of_day, local_day, working_days_after


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did: deadlines looked at, reminders sent."""

    deadlines: int
    reminders: int


def window(now: datetime) -> tuple[datetime, datetime]:
    """(end of today, end of the day two working days from today), in Europe/London.

    A step is reminded "two working days before" once its due date is no later than the second
    working day after today: on a Thursday before Easter, a step due the Wednesday after.
    """
    today = local_day(now)
    return end_of_day(today), end_of_day(working_days_after(today, 2))


def kind_for(due_at: datetime, now: datetime, end_today: datetime) -> ReminderKind:
    """Which reminder a step due at ``due_at`` gets at ``now``."""
    if due_at < now:
        return ReminderKind.OVERDUE
    if due_at <= end_today:
        return ReminderKind.DUE_DAY
    return ReminderKind.TWO_DAYS_BEFORE


def send_reminders() -> SweepResult:
    """Send the reminders that are due now; never commits (the tick command does)."""
    now = clock.now()
    end_today, horizon = window(now)
    due = CaseDeadline.due_at
    stage = CaseDeadline.reminded_stage
    rows = db.session.execute(
        select(CaseDeadline.id, CaseDeadline.case_kind, CaseDeadline.case_id, CaseDeadline.reference,
               CaseDeadline.title, CaseDeadline.clause, CaseDeadline.roles, CaseDeadline.due_at)
        .where(
            open_step(),
            due.is_not(None),
            due <= horizon,
            or_(
                and_(due < now, stage < ReminderKind.OVERDUE.stage),
                and_(due >= now, due <= end_today, stage < ReminderKind.DUE_DAY.stage),
                and_(due > end_today, stage < ReminderKind.TWO_DAYS_BEFORE.stage),
            ),
        )
        .order_by(CaseDeadline.id)  # one order for every sweep: concurrent sweeps wait, never deadlock
    ).all()
    if not rows:
        return SweepResult(0, 0)
    wanted = {role for row in rows for role in row.roles} | {CaseRole.STP_LEADER}
    audiences = resolve({(row.case_kind, row.case_id) for row in rows}, roles=wanted)
    ledger: list[dict[str, object]] = []
    kinds: dict[int, ReminderKind] = {}
    for row in rows:
        kind = kind_for(row.due_at, now, end_today)
        kinds[row.id] = kind
        recipients = audiences.users((row.case_kind, row.case_id), row.roles)
        if kind is ReminderKind.OVERDUE:
            recipients |= audiences.users((row.case_kind, row.case_id), [CaseRole.STP_LEADER])
        ledger += [
            {"case_deadline_id": row.id, "due_at": row.due_at, "kind": kind, "recipient_id": user_id, "sent_at": now}
            for user_id in sorted(recipients)
        ]
    won = _insert_once(ledger)
    by_id = {row.id: row for row in rows}
    messages = []
    for deadline_id, user_id in won:
        row = by_id[deadline_id]
        subject, body = _wording(kinds[deadline_id], row.reference, row.title, row.clause, row.due_at)
        summary = _summary(kinds[deadline_id], row.reference, row.title, row.clause, row.due_at)
        messages.append(Message(user_id, subject, body, case_link(row.case_kind, row.case_id), row.case_kind,
                                row.case_id, summary))
    # A notice in the app per step; by mail, one digest per person listing every step of this run.
    queue(messages, audiences.emails, mail=False)
    queue_digests(messages, audiences.emails, _digest_subject)
    # The audit chain's lock before the deadline rows' locks: the order a transition takes them in
    # (its audit event, then its deadlines), so a sweep and a transition can never deadlock.
    if won:
        chain.record("send_reminders", "sweep", now.isoformat(), {"reminders": [None, len(won)]})
    by_stage: dict[int, list[int]] = defaultdict(list)
    for deadline_id, kind in kinds.items():
        by_stage[kind.stage].append(deadline_id)
    for value, ids in by_stage.items():
        db.session.execute(
            update(CaseDeadline).where(CaseDeadline.id.in_(ids), CaseDeadline.reminded_stage < value)
            .values(reminded_stage=value).execution_options(synchronize_session=False)
        )
    return SweepResult(len(rows), len(won))


def _insert_once(ledger: list[dict[str, object]]) -> list[tuple[int, int]]:
    """Insert the ledger rows that are not there yet; return (deadline, recipient) of those inserted."""
    if not ledger:
        return []
    dialect = db.session.get_bind().dialect.name
    table = Reminder.__table__
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(constraint="uq_reminder_once")
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - the app supports PostgreSQL and SQLite
        raise RuntimeError(f"unsupported database {dialect}")
    statement = statement.returning(table.c.case_deadline_id, table.c.recipient_id)
    won: list[tuple[int, int]] = []
    for start in range(0, len(ledger), 1000):
        won += [(a, b) for a, b in db.session.execute(statement, ledger[start:start + 1000]).all()]
    return won


def _wording(kind: ReminderKind, reference: str, title: str, clause: str, due_at: datetime) -> tuple[str, str]:
    day = local_day(due_at)
    when = f"{day:%A} {day.day} {day:%B %Y}"
    match kind:
        case ReminderKind.TWO_DAYS_BEFORE:
            return (f"{reference}: {title}, due {when}",
                    f"Reminder: “{title}” ({clause}) is due by the end of {when}.")
        case ReminderKind.DUE_DAY:
            return (f"{reference}: {title}, due today",
                    f"Reminder: “{title}” ({clause}) is due today, {when}, by the end of the day.")
    return (f"{reference}: {title} is overdue",
            f"Overdue: “{title}” ({clause}) was due by the end of {when}. The process goes on; the lateness "
            "is part of the record, and the STP Leader has been told.")


KIND_WORDS = {ReminderKind.OVERDUE: "overdue", ReminderKind.DUE_DAY: "due today",
              ReminderKind.TWO_DAYS_BEFORE: "due soon"}


def _summary(kind: ReminderKind, reference: str, title: str, clause: str, due_at: datetime) -> str:
    """One line of a digest: the step, whether it is overdue, due today or soon, and its due day."""
    day = local_day(due_at)
    return f"{reference}: {title} ({clause}): {KIND_WORDS[kind]}, due by the end of {day:%A} {day.day} {day:%B %Y}"


def _digest_subject(messages: list[Message]) -> str:
    """'50 steps to act on: 3 overdue, 2 due today, 45 due soon' (the parts that are not zero)."""
    counts = {word: sum(f": {word}, " in m.summary for m in messages) for word in KIND_WORDS.values()}
    parts = ", ".join(f"{n} {word}" for word, n in counts.items() if n)
    return f"{len(messages)} steps to act on: {parts}"
