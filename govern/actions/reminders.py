"""Reminders to action owners: a week before the due date and on the day, each once (run by ``tick``).

Each reminder is a row in the ``action_reminder`` ledger whose unique constraint lets only one sweep
insert it (:mod:`govern.boards.ledger`); a fixed number of queries whatever the number of actions.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from govern.actions.models import ActionReminder, ActionReminderKind, ActionStatus, FollowUp
from govern.audit import chain
from govern.auth.models import User
from govern.boards.dates import day_words
from govern.boards.ledger import insert_once
from govern.core import clock
from govern.extensions import db
from govern.notify.queue import Message, queue, queue_digests
from workflows.calendar import local_day


def send_action_reminders() -> int:
    """Remind owners of actions due in a week or today; return how many reminders went. Never commits."""
    now = clock.now()
    today = local_day(now)
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.description, FollowUp.due_date, FollowUp.owner_id, User.email)
        .join(User, User.id == FollowUp.owner_id)
        .where(FollowUp.status != ActionStatus.DONE, FollowUp.due_date >= today,
               FollowUp.due_date <= today + timedelta(days=7), User.active.is_(True))
        .order_by(FollowUp.id)
    ).all()
    if not rows:
        return 0
    ledger, by_id = [], {}
    for row in rows:
        kind = ActionReminderKind.DUE_DAY if row.due_date == today else ActionReminderKind.WEEK_BEFORE
        by_id[row.id] = (row, kind)
        ledger.append({"action_id": row.id, "due_date": row.due_date, "kind": kind, "recipient_id": row.owner_id,
                       "sent_at": now})
    won = insert_once(ActionReminder.__table__, ledger, "uq_action_reminder_once", ("action_id", "recipient_id"))
    if not won:
        return 0
    messages, emails = [], {}
    for action_id, user_id in won:
        row, kind = by_id[action_id]
        emails[user_id] = row.email
        when = "today" if kind is ActionReminderKind.DUE_DAY else f"on {day_words(row.due_date)}"
        subject = f"Your action is due {when}"
        messages.append(Message(user_id, subject,
                                f"Reminder: your action \"{row.description}\" is due {when}. Update its status "
                                "when it moves on.", f"/actions/{action_id}",
                                summary=f"\"{row.description}\": due {when}"))
    queue(messages, emails, mail=False)
    queue_digests(messages, emails, lambda mine: f"{len(mine)} of your actions are due soon")
    chain.record("send_action_reminders", "sweep", now.isoformat(), {"reminders": [None, len(won)]})
    return len(won)
