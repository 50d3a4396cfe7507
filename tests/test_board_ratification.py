"""Ratification that chases itself (10.6): each Board's meeting dates, the forecast, the chasers and the
certificate, through the operations (and the pages where it shows).

The clock starts on Wed 1 Mar 2023 (tests.casework.START); English working days and bank holidays
come from ``workflows.calendar``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from govern.audit.models import AuditEvent
from govern.auth.models import User
from govern.boards import forecast as board_forecast
from govern.boards import operations as board_ops
from govern.boards.certificates import certificate_of
from govern.boards.chasing import chase_board_secretaries
from govern.boards.models import BoardChaser, BoardMeeting, ChaserKind
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage
from govern.partnership.models import Organisation
from govern.pdeg.models import Recommendation
from tests.casework import Cast, audit_actions, audit_count
from tests.test_pdeg_operations import Pdeg
from tests.test_records import pdf_text

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def pdeg(cast: Cast, org: Callable[[str], Organisation]) -> Pdeg:
    return Pdeg(cast, org)


def meeting(pdeg: Pdeg, code: str, on: date, papers: date) -> BoardMeeting:
    """``code``'s Board secretary adds a meeting (committed, as the page does)."""
    added = board_ops.add_board_meeting(pdeg.cast.secretary(code), meeting_date=on, papers_due=papers)
    db.session.commit()
    return added


def at(day: date, hour: int = 9) -> datetime:
    """A moment on ``day`` (London is on GMT in these tests' months, before the clocks change)."""
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    clock.freeze(moment)
    return moment


# --- the Board secretary keeps the meeting dates ------------------------------------------------------


@pytest.mark.parametrize(
    ("meeting_date", "papers_due", "field", "message"),
    [
        (None, date(2023, 3, 6), "meeting_date", "Enter the date of the Board meeting"),
        (date(2023, 2, 28), date(2023, 2, 27), "meeting_date", "The meeting date must be today or later: "
                                                               "Tue 28 Feb 2023 has passed"),
        (date(2023, 3, 9), None, "papers_due", "Enter the date papers are due for the meeting"),
        (date(2023, 3, 9), date(2023, 2, 28), "papers_due", "The date papers are due must be today or later: "
                                                            "Tue 28 Feb 2023 has passed"),
        (date(2023, 3, 9), date(2023, 3, 10), "papers_due", "Papers must be due on or before the meeting "
                                                            "(Thu 9 Mar 2023)"),
    ],
)
def test_a_meeting_with_bad_dates_is_refused_beside_its_field_and_changes_nothing(
    pdeg: Pdeg, meeting_date: date | None, papers_due: date | None, field: str, message: str
) -> None:
    secretary = pdeg.cast.secretary("RDE")
    before = audit_count()

    with pytest.raises(OperationError) as refused:
        board_ops.add_board_meeting(secretary, meeting_date=meeting_date, papers_due=papers_due)

    assert (refused.value.field, refused.value.message, refused.value.clause) == (field, message, "10.6")
    db.session.rollback()
    assert audit_count() == before
    assert db.session.scalar(select(func.count(BoardMeeting.id))) == 0


def test_papers_due_on_the_day_of_the_meeting_and_today_are_allowed(pdeg: Pdeg) -> None:
    added = meeting(pdeg, "RDE", pdeg.today, pdeg.today)
    assert (added.meeting_date, added.papers_due) == (pdeg.today, pdeg.today)


def test_one_meeting_a_day_per_board(pdeg: Pdeg) -> None:
    meeting(pdeg, "RDE", date(2023, 3, 9), date(2023, 3, 6))
    with pytest.raises(OperationError, match="already has a meeting on Thu 9 Mar 2023"):
        board_ops.add_board_meeting(pdeg.cast.secretary("RDE"), meeting_date=date(2023, 3, 9),
                                    papers_due=date(2023, 3, 7))
    db.session.rollback()
    meeting(pdeg, "PCC", date(2023, 3, 9), date(2023, 3, 6))  # another Board may meet that day


@pytest.mark.parametrize("who", ["ceo", "other secretary", "secretariat"])
def test_only_the_boards_own_secretary_keeps_its_dates(pdeg: Pdeg, who: str) -> None:
    added = meeting(pdeg, "RDE", date(2023, 3, 9), date(2023, 3, 6))
    user = {"ceo": pdeg.cast.ceo("RDE"), "other secretary": pdeg.cast.secretary("PCC"),
            "secretariat": pdeg.cast.secretariat}[who]
    with pytest.raises(OperationError, match="secretary"):
        board_ops.change_board_meeting(added, user, meeting_date=date(2023, 3, 10), papers_due=date(2023, 3, 6))
    with pytest.raises(OperationError, match="secretary"):
        board_ops.remove_board_meeting(added, user)
    if who != "other secretary":
        with pytest.raises(OperationError, match="Only a Board secretary"):
            board_ops.add_board_meeting(user, meeting_date=date(2023, 3, 9), papers_due=date(2023, 3, 6))


def test_each_change_is_one_audit_event(pdeg: Pdeg) -> None:
    secretary = pdeg.cast.secretary("RDE")
    added = meeting(pdeg, "RDE", date(2023, 3, 9), date(2023, 3, 6))
    board_ops.change_board_meeting(added, secretary, meeting_date=date(2023, 3, 16), papers_due=date(2023, 3, 13))
    db.session.commit()
    assert (added.meeting_date, added.papers_due) == (date(2023, 3, 16), date(2023, 3, 13))
    meeting_id = added.id
    board_ops.remove_board_meeting(added, secretary)
    db.session.commit()

    assert audit_actions("board_meeting", meeting_id) == [
        "add_board_meeting", "change_board_meeting", "remove_board_meeting"]
    changed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "change_board_meeting")).one()
    assert changed.changes == {"meeting_date": ["2023-03-09", "2023-03-16"], "papers_due": ["2023-03-06", "2023-03-13"]}


def test_a_meeting_that_has_taken_place_stays_as_it_was(pdeg: Pdeg) -> None:
    added = meeting(pdeg, "RDE", date(2023, 3, 2), date(2023, 3, 1))
    at(date(2023, 3, 3))
    with pytest.raises(OperationError, match="has taken place"):
        board_ops.remove_board_meeting(added, pdeg.cast.secretary("RDE"))


# --- the forecast ----------------------------------------------------------------------------------------


def test_the_forecast_is_the_latest_next_meeting_of_the_boards_still_to_decide(pdeg: Pdeg) -> None:
    rec = pdeg.agreed()  # RDE, NDHT, PCC
    meeting(pdeg, "RDE", date(2023, 3, 9), date(2023, 3, 1))   # papers due today: still ahead
    meeting(pdeg, "RDE", date(2023, 4, 6), date(2023, 3, 30))
    meeting(pdeg, "NDHT", date(2023, 3, 23), date(2023, 3, 14))

    found = board_forecast.for_decision(rec)
    assert found is not None
    assert found.complete_by is None
    assert [o.code for o in found.unknown] == ["PCC"]  # "No Board date known"

    meeting(pdeg, "PCC", date(2023, 3, 16), date(2023, 3, 10))
    found = board_forecast.for_decision(rec)
    assert found is not None and found.complete_by == date(2023, 3, 23)
    assert [o.code for o in found.last] == ["NDHT"]
    assert [(b.organisation.code, b.next_meeting) for b in found.remaining] == [
        ("NDHT", date(2023, 3, 23)), ("PCC", date(2023, 3, 16)), ("RDE", date(2023, 3, 9))]

    # Once RDE's papers deadline has passed, its next meeting is the one in April.
    pdeg.clock.tick(timedelta(days=1))
    found = board_forecast.for_decision(rec)
    assert found is not None and found.complete_by == date(2023, 4, 6)

    # A Board that ratified no longer holds it up.
    pdeg.board(rec, "RDE")
    found = board_forecast.for_decision(rec)
    assert found is not None
    assert [b.organisation.code for b in found.remaining] == ["NDHT", "PCC"]
    assert found.complete_by == date(2023, 3, 23)


def test_no_forecast_while_a_board_has_refused(pdeg: Pdeg) -> None:
    rec = pdeg.agreed()
    for code in ("RDE", "NDHT", "PCC"):
        meeting(pdeg, code, date(2023, 3, 9), date(2023, 3, 6))
    pdeg.board(rec, "PCC", "not_ratify", reasons="Unaffordable this year")
    found = board_forecast.for_decision(rec)
    assert found is not None
    assert found.complete_by is None
    assert [o.code for o in found.refusing] == ["PCC"]


def test_there_is_no_forecast_for_a_decision_not_awaiting_ratification(pdeg: Pdeg) -> None:
    assert board_forecast.for_decision(pdeg.raise_()) is None


# --- chasing the secretaries -------------------------------------------------------------------------


def chasers() -> list[tuple[str, str, date]]:
    rows = db.session.execute(
        select(BoardChaser.kind, User.organisation_id, BoardMeeting.papers_due)
        .join(User, User.id == BoardChaser.recipient_id)
        .join(BoardMeeting, BoardMeeting.id == BoardChaser.board_meeting_id)
        .order_by(BoardChaser.id)
    ).all()
    codes = {o.id: o.code for o in db.session.scalars(select(Organisation))}
    return [(ChaserKind(kind).value, codes[org_id], due) for kind, org_id, due in rows]


def sweep(day: date) -> int:
    at(day)
    sent = chase_board_secretaries()
    db.session.commit()
    return sent


def test_secretaries_are_chased_two_working_days_before_papers_are_due_and_when_the_deadline_passes(
    pdeg: Pdeg,
) -> None:
    rec = pdeg.agreed()
    meeting(pdeg, "RDE", date(2023, 3, 9), date(2023, 3, 6))    # papers due Monday
    meeting(pdeg, "NDHT", date(2023, 3, 30), date(2023, 3, 20))

    assert sweep(date(2023, 3, 1)) == 0          # Wed: Monday is three working days away
    assert sweep(date(2023, 3, 2)) == 1          # Thu: two working days before Monday
    assert sweep(date(2023, 3, 2)) == 0          # once, however often tick runs
    assert sweep(date(2023, 3, 6)) == 0          # the deadline day itself: already chased
    assert sweep(date(2023, 3, 7)) == 1          # Tue: the deadline has passed
    assert sweep(date(2023, 3, 8)) == 0
    assert chasers() == [("papers_due_soon", "RDE", date(2023, 3, 6)), ("papers_due_passed", "RDE", date(2023, 3, 6))]

    secretary = pdeg.cast.secretary("RDE")
    notices = db.session.scalars(select(Notice).where(Notice.user_id == secretary.id).order_by(Notice.id)).all()
    assert [n.subject for n in notices][-2:] == [
        f"{rec.reference}: papers for your Board's meeting on Thu 9 Mar 2023 are due Mon 6 Mar 2023",
        f"{rec.reference}: the papers deadline for your Board's meeting on Thu 9 Mar 2023 has passed",
    ]
    assert notices[-1].link == f"/ratifications/{pdeg.ratification(rec, 'RDE').id}"
    mailed = select(func.count(OutboxMessage.id)).where(OutboxMessage.to_address == secretary.email)
    assert db.session.scalar(mailed) >= 2
    assert "chase_board_secretaries" in [e.action for e in db.session.scalars(select(AuditEvent))]


def test_tick_chases(pdeg: Pdeg, app: Flask) -> None:
    pdeg.agreed()
    meeting(pdeg, "RDE", date(2023, 3, 9), date(2023, 3, 6))
    at(date(2023, 3, 2))
    result = app.test_cli_runner().invoke(args=["tick", "--no-send"])
    assert result.exit_code == 0, result.output
    assert chasers() == [("papers_due_soon", "RDE", date(2023, 3, 6))]


def test_the_chase_counts_english_working_days_over_easter(pdeg: Pdeg) -> None:
    at(date(2023, 4, 3))
    pdeg.clock.now = clock.now()
    pdeg.agreed()
    meeting(pdeg, "RDE", date(2023, 4, 13), date(2023, 4, 11))  # Tuesday after Easter Monday

    assert sweep(date(2023, 4, 4)) == 0   # Tue: Tue 11 Apr is three working days away
    # Wed: Thu is one working day before Tue 11 Apr (Good Friday and Easter Monday are bank holidays),
    # so Wed is two: without the holidays, Tue 11 Apr would still be four working days away.
    assert sweep(date(2023, 4, 5)) == 1


def test_a_board_that_has_decided_is_not_chased(pdeg: Pdeg) -> None:
    rec = pdeg.agreed()
    for code in ("RDE", "PCC"):
        meeting(pdeg, code, date(2023, 3, 9), date(2023, 3, 3))
    pdeg.board(rec, "RDE")
    pdeg.board(rec, "PCC", "defer", next_meeting_date=date(2023, 4, 6))  # a deferral is not a decision

    sweep(date(2023, 3, 2))
    assert chasers() == [("papers_due_soon", "PCC", date(2023, 3, 3))]


def test_a_deadline_that_passed_before_the_decision_reached_the_board_is_not_chased(pdeg: Pdeg) -> None:
    meeting(pdeg, "RDE", date(2023, 3, 3), date(2023, 3, 1))
    pdeg.clock.tick(timedelta(days=1))
    pdeg.agreed()
    assert sweep(date(2023, 3, 2)) == 0


# --- the certificate -------------------------------------------------------------------------------------


def test_a_certificate_is_issued_when_the_last_board_ratifies_carrying_its_audit_event(
    pdeg: Pdeg, client_for: Callable[[User], Any],
) -> None:
    rec = pdeg.agreed()
    pdeg.board(rec, "RDE")
    pdeg.board(rec, "NDHT")
    assert certificate_of(rec.id) is None
    reader = client_for(pdeg.cast.ceo("RDE"))
    assert reader.get(f"/recommendations/{rec.id}/certificate.pdf").status_code == 404

    pdeg.board(rec, "PCC")

    assert rec.state == "ratified"
    issued = certificate_of(rec.id)
    assert issued is not None
    concluded = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "conclude_ratification")).one()
    assert (issued.audit_seq, issued.audit_hash) == (concluded.seq, concluded.hash)
    assert issued.reference == f"RC-{rec.reference}"

    response = reader.get(f"/recommendations/{rec.id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.get_data())
    assert "Ratification certificate" in text
    assert "ratified by the Board or equivalent of every remaining party (clause 10.6)" in text
    assert concluded.hash in text.replace(" ", "")
    assert "PCC Board 23/41" in text

    page = reader.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert "Download the ratification certificate (PDF)" in page


def test_a_lapsed_party_does_not_stop_the_certificate(pdeg: Pdeg, org: Callable[[str], Organisation]) -> None:
    from govern.partnership import operations as partnership_ops

    rec = pdeg.agreed()
    pdeg.board(rec, "RDE")
    pdeg.board(rec, "NDHT")
    partnership_ops.withdraw_party(org("PCC"), pdeg.cast.leader, notice="Board resolution 4/2023")
    db.session.commit()
    db.session.refresh(rec)
    assert rec.state == "ratified"
    assert certificate_of(rec.id) is not None


# --- the pages -------------------------------------------------------------------------------------------


def test_the_secretary_adds_a_meeting_and_a_bad_date_is_shown_beside_its_field(
    pdeg: Pdeg, client_for: Callable[[User], Any],
) -> None:
    browser = client_for(pdeg.cast.secretary("RDE"))
    assert browser.get("/boards/meetings").status_code == 200
    bad = browser.post("/boards/meetings", data={
        "meeting_date[day]": "9", "meeting_date[month]": "3", "meeting_date[year]": "2023",
        "papers_due[day]": "10", "papers_due[month]": "3", "papers_due[year]": "2023"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert 'id="papers_due-error"' in html and "Papers must be due on or before the meeting (Thu 9 Mar 2023)" in html
    assert 'value="10"' in html  # what was typed is kept
    good = browser.post("/boards/meetings", data={
        "meeting_date[day]": "9", "meeting_date[month]": "3", "meeting_date[year]": "2023",
        "papers_due[day]": "6", "papers_due[month]": "3", "papers_due[year]": "2023"})
    assert good.status_code == 302
    listed = browser.get("/boards/meetings").get_data(as_text=True)
    assert "Thu 9 Mar 2023" in listed and "Mon 6 Mar 2023" in listed


@pytest.mark.parametrize("who", ["ceo", "secretariat"])
def test_only_board_secretaries_have_the_meetings_page(pdeg: Pdeg, client_for: Callable[[User], Any], who: str) -> None:
    user = pdeg.cast.ceo("RDE") if who == "ceo" else pdeg.cast.secretariat
    assert client_for(user).get("/boards/meetings").status_code == 403


def test_another_boards_meeting_is_not_found(pdeg: Pdeg, client_for: Callable[[User], Any]) -> None:
    added = meeting(pdeg, "RDE", date(2023, 3, 9), date(2023, 3, 6))
    assert client_for(pdeg.cast.secretary("PCC")).get(f"/boards/meetings/{added.id}").status_code == 404


def test_the_decision_page_and_register_show_the_forecast_and_who_holds_it_up(
    pdeg: Pdeg, client_for: Callable[[User], Any],
) -> None:
    rec = pdeg.agreed()
    meeting(pdeg, "RDE", date(2023, 3, 9), date(2023, 3, 6))
    meeting(pdeg, "NDHT", date(2023, 3, 23), date(2023, 3, 14))
    reader = client_for(pdeg.cast.ceo("RDE"))

    page = reader.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert "No forecast: no Board date known for Plymouth City Council." in " ".join(page.split())
    assert "No Board date known" in page

    register = " ".join(reader.get("/register").get_data(as_text=True).split())
    assert "No Board date known for PCC. Waiting for NDHT, PCC, RDE" in register

    meeting(pdeg, "PCC", date(2023, 3, 16), date(2023, 3, 10))
    register = " ".join(reader.get("/register").get_data(as_text=True).split())
    assert "Forecast: Thu 23 Mar 2023. Waiting for NDHT, PCC, RDE" in register
    page = " ".join(reader.get(f"/recommendations/{rec.id}").get_data(as_text=True).split())
    assert "Forecast: ratified by <strong>Thu 23 Mar 2023</strong>" in page


@pytest.fixture
def count_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield statements
    event.remove(db.engine, "before_cursor_execute", count)


def test_the_register_forecast_takes_the_same_queries_at_two_sizes(
    pdeg: Pdeg, client_for: Callable[[User], Any], count_queries: list[str],
) -> None:
    for code in ("RDE", "NDHT", "PCC"):
        meeting(pdeg, code, date(2023, 3, 9), date(2023, 3, 6))

    def queries_for_register() -> int:
        reader = client_for(pdeg.cast.ceo("RDE"))
        reader.get("/register")
        before = len(count_queries)
        body = reader.get("/register").get_data(as_text=True)
        assert "Forecast: Thu 9 Mar 2023" in body
        return len(count_queries) - before

    pdeg.agreed()
    pdeg.agreed()
    two = queries_for_register()
    for _ in range(5):
        pdeg.agreed()
    seven = queries_for_register()
    assert db.session.scalar(select(func.count(Recommendation.id))) == 7
    assert seven == two
