"""The annual reminder to review one's declarations of interest (run by ``tick``), once a person a year.

Who: the people who sit on PDEG and on panels for their organisation, its chief executives and deputies
(10.3). The ``interest_reminder`` ledger's unique (person, year) makes each go once however often tick runs.
"""

from __future__ import annotations

from sqlalchemy import select

from govern.audit import chain
from govern.auth.models import Role, User
from govern.boards.ledger import insert_once
from govern.core import clock
from govern.extensions import db
from govern.interests.models import InterestReminder
from govern.notify.queue import Message, queue, queue_digests
from workflows.calendar import local_day

#: How many people one sweep reminds at most: a large partnership's reminders spread over a few ticks.
BATCH = 2000


def send_annual_reminders() -> int:
    """Remind each chief executive and deputy, once this year, to review their declarations. Never commits."""
    now = clock.now()
    year = local_day(now).year
    reminded = select(InterestReminder.user_id).where(InterestReminder.year == year)
    people = db.session.execute(
        select(User.id, User.email).where(User.active.is_(True), User.role.in_((Role.PARTNER_CEO, Role.DEPUTY)),
                                          User.id.not_in(reminded))
        .order_by(User.id).limit(BATCH)
    ).all()
    won = insert_once(InterestReminder.__table__,
                      [{"user_id": p.id, "year": year, "sent_at": now} for p in people],
                      "uq_interest_reminder_once", ("user_id",))
    if not won:
        return 0
    emails = {p.id: p.email for p in people}
    messages = [Message(user_id, f"Review your declarations of interest for {year}",
                        "Once a year, check the register of interests: declare any interest you or your organisation "
                        "holds, and say when any has ended. Panels must be neutral and each member declares any "
                        "conflict; PDEG members declare theirs at each meeting.", "/interests",
                        summary=f"Review your declarations of interest for {year}")
                for (user_id,) in won]
    queue(messages, emails, mail=False)
    queue_digests(messages, emails, lambda mine: mine[0].subject)
    chain.record("send_interest_reminders", "sweep", now.isoformat(), {"reminders": [None, len(won)]})
    return len(won)
