"""The reminder sweep, on a frozen clock: two working days before, on the due day, and overdue
(to the actor and the STP Leader), counted in Europe/London over weekends and bank holidays; each
reminder once however often the sweep runs, and once when two sweeps run at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from govern.auth.models import User
from govern.core import clock
from govern.deadlines.models import CaseDeadline, Reminder
from govern.deadlines.sweep import send_reminders
from govern.disputes import operations as ops
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage
from govern.partnership.models import Organisation
from tests.casework import Cast, Clock, Run


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    cast = Cast(make_user, stp_leader)
    for code in ("RDE", "DCC"):
        cast.ceo(code)
    cast.deputy("RDE")
    return cast


def filed_at(cast: Cast, org: Callable[[str], Organisation], moment: datetime) -> Run:
    """A Scenario 2 dispute filed by RDE at ``moment`` (its report is due a week later)."""
    run = Run(cast, org, Clock(moment - timedelta(hours=1)))
    run.file("RDE", "scenario_2")
    return run


def names(cast: Cast) -> dict[int, str]:
    return {cast.ceo("RDE").id: "RDE ceo", cast.deputy("RDE").id: "RDE deputy", cast.leader.id: "leader",
            cast.ceo("DCC").id: "DCC ceo"}


def sweep_at(moment: datetime) -> int:
    """Run the sweep as ``tick`` does at ``moment``; return how many reminders it sent."""
    clock.freeze(moment)
    sent = send_reminders().reminders
    db.session.commit()
    return sent


def reminders(cast: Cast, step: str = "report") -> list[tuple[str, str]]:
    """(kind, who) of every reminder sent for the dispute's ``step``, sorted."""
    who = names(cast)
    rows = db.session.execute(
        select(Reminder.kind, Reminder.recipient_id).join(CaseDeadline).where(CaseDeadline.step_key == step)
    ).all()
    return sorted((kind.value, who[user_id]) for kind, user_id in rows)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


OFFICERS = ["RDE ceo", "RDE deputy"]

# (filed, swept at, reminders then): the report is due "1 week after notification" (Schedule 8,
# scenario 2, step one), by the end of its due day in London.
REPORT_REMINDERS = [
    # Filed Wed 1 March 2023: due Wed 8 March; two working days before is Mon 6 March.
    pytest.param(utc(2023, 3, 1, 10), utc(2023, 3, 3, 12), [], id="friday-before-nothing-yet"),
    pytest.param(utc(2023, 3, 1, 10), utc(2023, 3, 4, 12), [], id="saturday-nothing-yet"),
    pytest.param(utc(2023, 3, 1, 10), utc(2023, 3, 6, 9), [("two_days_before", w) for w in OFFICERS],
                 id="monday-two-working-days-before"),
    pytest.param(utc(2023, 3, 1, 10), utc(2023, 3, 8, 9), [("due_day", w) for w in OFFICERS], id="due-day"),
    pytest.param(utc(2023, 3, 1, 10), utc(2023, 3, 8, 23, 59, 59), [("due_day", w) for w in OFFICERS],
                 id="due-day-last-second"),
    pytest.param(utc(2023, 3, 1, 10), utc(2023, 3, 9, 0, 0, 30),
                 sorted([("overdue", w) for w in OFFICERS] + [("overdue", "leader")]), id="overdue-to-stp-leader"),
    # Easter 2023 (Good Friday 7, Easter Monday 10 April). Filed Wed 5 April: due Wed 12 April; the
    # second working day before it is Thu 6 April, which starts at 23:00 UTC on the 5th (BST).
    pytest.param(utc(2023, 4, 5, 10), utc(2023, 4, 5, 22, 59), [], id="easter-wednesday-night-london"),
    pytest.param(utc(2023, 4, 5, 10), utc(2023, 4, 5, 23, 30), [("two_days_before", w) for w in OFFICERS],
                 id="easter-thursday-00-30-london"),
    pytest.param(utc(2023, 4, 5, 10), utc(2023, 4, 12, 22, 59), [("due_day", w) for w in OFFICERS],
                 id="easter-due-day-23-59-london"),
    pytest.param(utc(2023, 4, 5, 10), utc(2023, 4, 12, 23, 0, 1),
                 sorted([("overdue", w) for w in OFFICERS] + [("overdue", "leader")]), id="easter-overdue-at-midnight"),
    # Christmas 2022: filed Mon 19 December, a week later is Boxing Day and Tue 27 is the substitute
    # Christmas Day, so the report is due Wed 28 December, and two working days before is Thu 22.
    pytest.param(utc(2022, 12, 19, 10), utc(2022, 12, 21, 12), [], id="christmas-wednesday-nothing-yet"),
    pytest.param(utc(2022, 12, 19, 10), utc(2022, 12, 22, 9), [("two_days_before", w) for w in OFFICERS],
                 id="christmas-thursday-before"),
    pytest.param(utc(2022, 12, 19, 10), utc(2022, 12, 27, 12), [("two_days_before", w) for w in OFFICERS],
                 id="christmas-substitute-day-is-not-the-due-day"),
    pytest.param(utc(2022, 12, 19, 10), utc(2022, 12, 28, 12), [("due_day", w) for w in OFFICERS],
                 id="christmas-due-day"),
    pytest.param(utc(2022, 12, 19, 10), utc(2022, 12, 29, 0, 0, 1),
                 sorted([("overdue", w) for w in OFFICERS] + [("overdue", "leader")]), id="christmas-overdue"),
]


@pytest.mark.parametrize(("filed", "swept", "expected"), REPORT_REMINDERS)
def test_report_reminder(cast: Cast, org: Callable[[str], Organisation], filed: datetime, swept: datetime,
                         expected: list[tuple[str, str]]) -> None:
    filed_at(cast, org, filed)

    sweep_at(swept)

    assert reminders(cast) == expected


def test_a_sweep_every_three_hours_sends_each_reminder_once(cast: Cast, org: Callable[[str], Organisation]) -> None:
    filed_at(cast, org, utc(2023, 4, 5, 10))
    moment = utc(2023, 4, 5, 11)
    while moment < utc(2023, 4, 20):
        sweep_at(moment)
        moment += timedelta(hours=3)

    assert reminders(cast) == sorted(
        [(kind, w) for kind in ("two_days_before", "due_day", "overdue") for w in OFFICERS] + [("overdue", "leader")]
    )


def test_the_panel_nomination_is_the_stp_leaders_and_escalates_to_them_once(
    cast: Cast, org: Callable[[str], Organisation]
) -> None:
    run = filed_at(cast, org, utc(2023, 4, 4, 10))
    run.clock.now = utc(2023, 4, 5, 11) - timedelta(hours=1)
    run.run([("RDE", "save", {"principles": ["B3"]}), ("RDE", "save", {}), ("RDE", "submit_report", {})])
    # Report received Wed 5 April: the panel is due 3 working days later, Wed 12 April (Easter between);
    # the STP Leader's proposal, "1 week after the report is received", falls on the same day.
    assert [sweep_at(m) for m in (utc(2023, 4, 6, 9), utc(2023, 4, 12, 9), utc(2023, 4, 13, 9))] == [2, 2, 2]

    assert reminders(cast, "panel_nomination") == [("due_day", "leader"), ("overdue", "leader"),
                                                   ("two_days_before", "leader")]


def test_an_extension_moves_the_reminders_to_the_new_due_date(cast: Cast, org: Callable[[str], Organisation]) -> None:
    run = filed_at(cast, org, utc(2023, 3, 1, 10))
    sweep_at(utc(2023, 3, 6, 9))
    run.clock.now = utc(2023, 3, 6, 10)
    run.do("leader", "extend_deadline", {"step": "report", "due_date": "2023-03-15", "reason": "Board meets 14th"})

    sweep_at(utc(2023, 3, 8, 9))  # the old due day: nothing, the step is due on the 15th now
    sweep_at(utc(2023, 3, 13, 9))  # two working days before the 15th

    assert reminders(cast) == sorted([("two_days_before", w) for w in OFFICERS] * 2)


def test_a_corrected_event_time_moves_the_due_date(cast: Cast, org: Callable[[str], Organisation]) -> None:
    run = filed_at(cast, org, utc(2023, 3, 1, 10))
    clock.freeze(utc(2023, 3, 2, 9))
    ops.correct_event_time(run.dispute, cast.leader, "notified", utc(2023, 2, 22, 10), "Notified by email first")
    db.session.commit()

    sweep_at(utc(2023, 3, 2, 10))  # due Wed 1 March now: overdue

    assert reminders(cast) == sorted([("overdue", w) for w in OFFICERS] + [("overdue", "leader")])


def test_a_done_step_gets_no_reminder(cast: Cast, org: Callable[[str], Organisation]) -> None:
    run = filed_at(cast, org, utc(2023, 3, 1, 10))
    run.run([("RDE", "save", {"principles": ["B3"]}), ("RDE", "save", {}), ("RDE", "submit_report", {})])

    sweep_at(utc(2023, 3, 9, 9))

    assert reminders(cast) == []


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_running_the_sweep_twice_sends_one_message_each(cast: Cast, org: Callable[[str], Organisation]) -> None:
    filed_at(cast, org, utc(2023, 3, 1, 10))
    before = outbox_count()

    assert sweep_at(utc(2023, 3, 9, 9)) == 3
    assert sweep_at(utc(2023, 3, 9, 9)) == 0

    assert outbox_count() - before == 3
    subjects = db.session.scalars(select(Notice.subject).where(Notice.user_id == cast.leader.id)).all()
    reference = filed_subject(cast)
    assert [s for s in subjects if "overdue" in s] == [f"{reference}: Written report to the STP Leader is overdue"]


def notice_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notice)) or 0


def filed_subject(cast: Cast) -> str:
    return db.session.scalar(select(CaseDeadline.reference).limit(1)) or ""


@pytest.mark.real_commits  # threads, each with its own connection
def test_two_sweeps_at_once_send_one_message_each(
    app: Flask, cast: Cast, org: Callable[[str], Organisation]
) -> None:
    for _ in range(5):
        filed_at(cast, org, utc(2023, 3, 1, 10))
    before, notices_before = outbox_count(), notice_count()
    clock.freeze(utc(2023, 3, 9, 9))
    start = threading.Barrier(2)
    results: list[object] = []

    def sweep() -> None:
        with app.app_context():
            start.wait(timeout=10)
            try:
                results.append(send_reminders().reminders)
                db.session.commit()
            except Exception as error:  # reported below
                db.session.rollback()
                results.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    errors = [r for r in results if isinstance(r, Exception)]
    if db.engine.dialect.name == "sqlite":
        # SQLite has one writer: the loser may be told the database is locked, and the next tick
        # sends anything it would have sent. Either way nothing is sent twice.
        assert all("locked" in str(e) for e in errors), errors
    else:
        assert not errors
    assert sorted(r for r in results if isinstance(r, int)) in ([0, 15], [15])
    db.session.expire_all()
    assert notice_count() - notices_before == 15
    assert outbox_count() - before == 3  # by mail, one digest for each of the three people
    assert sweep_at(utc(2023, 3, 9, 9)) == 0


def test_the_tick_command_sweeps_then_sends_the_mail(
    app: Flask, cast: Cast, org: Callable[[str], Organisation], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    filed_at(cast, org, utc(2023, 3, 1, 10))
    clock.freeze(utc(2023, 3, 9, 9))

    result = app.test_cli_runner().invoke(args=["tick"])

    assert result.exit_code == 0, result.output
    assert "Reminders: 3 sent for 1 deadlines." in result.output
    # Everything in the outbox went: the filing's notices and the three reminders.
    assert len(list(tmp_path.glob("*.eml"))) == outbox_count()
    assert "Reminders: 0 sent" in app.test_cli_runner().invoke(args=["tick", "--no-send"]).output


def test_rebuilding_the_deadlines_restores_what_the_sweep_reads(
    app: Flask, cast: Cast, org: Callable[[str], Organisation]
) -> None:
    filed_at(cast, org, utc(2023, 3, 1, 10))
    kept = db.session.execute(select(CaseDeadline.step_key, CaseDeadline.due_at, CaseDeadline.open)
                              .order_by(CaseDeadline.position)).all()
    db.session.execute(delete(CaseDeadline))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["rebuild-deadlines"])

    assert result.exit_code == 0 and "for 1 disputes" in result.output
    assert db.session.execute(select(CaseDeadline.step_key, CaseDeadline.due_at, CaseDeadline.open)
                              .order_by(CaseDeadline.position)).all() == kept
