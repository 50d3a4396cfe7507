"""Mail that keeps up: one SMTP connection per batch, ``tick`` sends until the outbox is empty or its time
budget has passed, and the reminders one person gets in one run are one digest mail (the notices in the
app stay one per step). The guarantees stay: each reminder once, retries with backoff, failures visible.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from flask import Flask
from sqlalchemy import func, select

from govern.auth.models import User
from govern.core import clock
from govern.deadlines.models import CaseDeadline, Reminder
from govern.deadlines.sweep import send_reminders
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage, OutboxStatus
from govern.notify.queue import Message, queue
from govern.notify.sender import deliver_outbox
from govern.partnership.models import Organisation
from tests.casework import Cast, Clock, Run
from tests.conftest import MailSink
from workflows.calendar import local_day

START = datetime(2023, 3, 1, 10, tzinfo=UTC)


def backlog(users: list[User], count: int) -> None:
    """``count`` messages waiting in the outbox, spread over ``users``."""
    clock.freeze(START)
    queue([Message(users[n % len(users)].id, f"Message {n}", "Body") for n in range(count)],
          {u.id: u.email for u in users})
    db.session.commit()
    clock.freeze(None)


def by_status() -> dict[OutboxStatus, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


def test_a_backlog_of_twelve_thousand_messages_leaves_in_one_tick_one_connection_per_batch(
    app: Flask, make_user: Callable[..., User], send_to_sink: MailSink,
) -> None:
    backlog([make_user(), make_user(), make_user()], 12_000)

    result = app.test_cli_runner().invoke(args=["tick"])

    assert result.exit_code == 0, result.output
    assert "Mail: 12000 sent, 0 to retry, 0 failed." in result.output
    assert by_status() == {OutboxStatus.SENT: 12_000}
    assert len(send_to_sink.messages) == 12_000
    assert len(set(send_to_sink.subjects())) == 12_000  # each message once
    assert send_to_sink.connections == math.ceil(12_000 / app.config["MAIL_BATCH"])


def test_tick_stops_sending_when_its_time_budget_has_passed(
    app: Flask, make_user: Callable[..., User], send_to_sink: MailSink, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_BATCH", 10)
    monkeypatch.setitem(app.config, "TICK_MAIL_BUDGET_SECONDS", 0)
    backlog([make_user()], 35)

    first = deliver_outbox()  # the budget is spent after the first batch: the rest waits for the next tick

    assert (first.sent, by_status()) == (10, {OutboxStatus.SENT: 10, OutboxStatus.PENDING: 25})
    monkeypatch.setitem(app.config, "TICK_MAIL_BUDGET_SECONDS", 240)
    assert deliver_outbox().sent == 25
    assert send_to_sink.connections == 1 + 3


def test_a_refused_recipient_is_retried_later_and_the_rest_of_the_batch_goes(
    app: Flask, make_user: Callable[..., User], send_to_sink: MailSink, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from govern.notify import sender

    good, bad = make_user(), make_user()
    backlog([good, bad], 6)
    real = sender.smtplib.SMTP.send_message

    def refuse_bad(smtp: object, email: object, *args: object, **kwargs: object) -> object:
        if email["To"] == bad.email:  # type: ignore[index]
            raise sender.smtplib.SMTPRecipientsRefused({bad.email: (550, b"no such mailbox")})
        return real(smtp, email, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sender.smtplib.SMTP, "send_message", refuse_bad)
    result = deliver_outbox()

    assert (result.sent, result.retrying, result.failed) == (3, 3, 0)
    retrying = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)).all()
    assert {m.to_address for m in retrying} == {bad.email}
    assert all(m.attempts == 1 and m.next_attempt_at > clock.now() and "550" in m.last_error for m in retrying)


# --- reminders: one digest per person per run ------------------------------------------------------------


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    cast = Cast(make_user, stp_leader)
    cast.ceo("RDE")
    cast.deputy("RDE")
    return cast


def test_a_person_with_fifty_steps_due_gets_one_digest_mail_and_fifty_notices(
    app: Flask, cast: Cast, org: Callable[[str], Organisation], send_to_sink: MailSink,
) -> None:
    run = Run(cast, org, Clock(START))
    references = [run.file("RDE", "scenario_2").reference for _ in range(50)]
    deliver_outbox()  # the filings' own notices go first
    send_to_sink.messages.clear()
    ceo = cast.ceo("RDE")

    clock.freeze(datetime(2023, 3, 20, 9, tzinfo=UTC))  # every report (due 8 March) is overdue
    swept = send_reminders()
    db.session.commit()
    deliver_outbox()

    assert swept.reminders == 150  # the chief executive, the deputy and the STP Leader, 50 steps each
    to_ceo = [message_from_bytes(data, policy=policy.default)
              for to, data in send_to_sink.messages if to == [ceo.email]]
    assert len(to_ceo) == 1
    assert len(send_to_sink.messages) == 3  # one digest each
    digest = to_ceo[0]
    assert digest["Subject"] == "50 steps to act on: 50 overdue"
    body = digest.get_content()
    due = dict(db.session.execute(select(CaseDeadline.reference, CaseDeadline.due_at)
                                  .where(CaseDeadline.step_key == "report")).all())
    assert sorted(due) == sorted(references)
    for reference in references:
        day = local_day(due[reference])
        assert f"{reference}: Written report to the STP Leader (Schedule 8, scenario 2, step one): overdue, " \
               f"due by the end of {day:%A} {day.day} {day:%B %Y}" in body
    notices = db.session.scalar(select(func.count()).select_from(Notice).where(
        Notice.user_id == ceo.id, Notice.subject.like("%overdue")))
    assert notices == 50


def test_a_single_reminder_is_still_a_mail_about_that_step(
    app: Flask, cast: Cast, org: Callable[[str], Organisation],
) -> None:
    run = Run(cast, org, Clock(START))
    dispute = run.file("RDE", "scenario_2")
    before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0

    clock.freeze(datetime(2023, 3, 8, 9, tzinfo=UTC))
    send_reminders()
    db.session.commit()

    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > before)
                              .where(OutboxMessage.to_address == cast.ceo("RDE").email)).all()
    assert [m.subject for m in mail] == [f"{dispute.reference}: Written report to the STP Leader, due today"]


def test_digests_keep_each_reminder_once_over_many_runs(
    app: Flask, cast: Cast, org: Callable[[str], Organisation],
) -> None:
    run = Run(cast, org, Clock(START))
    for _ in range(3):
        run.file("RDE", "scenario_2")
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    for hours in (0, 3, 6):
        clock.freeze(datetime(2023, 3, 9, 9, tzinfo=UTC) + timedelta(hours=hours))
        send_reminders()
        db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 9
    assert (db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0) - before == 3
