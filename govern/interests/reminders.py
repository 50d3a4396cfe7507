"""The annual reminder to review one's declarations of interest (run by ``tick``), once a person a year.

Who: the people who sit on PDEG and on panels for their organisation, its chief executives and deputies
(10.3). When: on each anniversary of their account (a new account has just been set up, with its
declarations to make). The ``interest_reminder`` ledger's unique (person, anniversary) makes each go
once however often tick runs, and two sweeps at once send it once.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import exists, select

from govern.audit import chain
from govern.auth.models import Role, User
from govern.boards.ledger import insert_once
from govern.core import clock
from govern.extensions import db
from govern.interests.models import InterestReminder
from govern.notify.queue import Message, queue, queue_digests
from workflows.calendar import local_day

#: Coarse filters in the query (an account a year old at least, no reminder within the year); the whole
#: years since the account was made decide, and the ledger's unique (person, anniversary) keeps each once.
YEAR = timedelta(days=364)
#: How many people one sweep reminds at most: a large partnership's reminders spread over a few ticks.
BATCH = 2000


def send_annual_reminders() -> int:
    """Remind each chief executive and deputy, once a year, to review their declarations. Never commits."""
    now = clock.now()
    recent = exists().where(InterestReminder.user_id == User.id, InterestReminder.sent_at > now - YEAR)
    people = db.session.execute(
        select(User.id, User.email, User.created_at)
        .where(User.active.is_(True), User.role.in_((Role.PARTNER_CEO, Role.DEPUTY)),
               User.created_at <= now - YEAR, ~recent)
        .order_by(User.id).limit(BATCH)
    ).all()
    today = local_day(now)
    # ``year`` is which anniversary this is: the first, second... year since the account was made.
    due = [{"user_id": p.id, "year": _years_between(local_day(p.created_at), today), "sent_at": now} for p in people]
    won = insert_once(InterestReminder.__table__, [row for row in due if row["year"] >= 1],
                      "uq_interest_reminder_once", ("user_id",))
    if not won:
        return 0
    emails = {p.id: p.email for p in people}
    messages = [Message(user_id, "Review your declarations of interest",
                        "Once a year, check the register of interests: declare any interest you or your organisation "
                        "holds, and say when any has ended. Panels must be neutral and each member declares any "
                        "conflict; PDEG members declare theirs at each meeting.", "/interests",
                        summary="Review your declarations of interest")
                for (user_id,) in won]
    queue(messages, emails, mail=False)
    queue_digests(messages, emails, lambda mine: mine[0].subject)
    chain.record("send_interest_reminders", "sweep", now.isoformat(), {"reminders": [None, len(won)]})
    return len(won)


def _years_between(start: date, end: date) -> int:
    """Whole years from ``start`` to ``end`` (dates)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))
