"""Issue 12, defect 5 and "a PDEG meeting record": meetings edited, cancelled and reordered until their
outcomes are recorded; attendance and the agreement's quorum before any outcome; declarations of
interest; minutes per item; and the minute extract each affected Board reads in its pack."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import func, select

from govern.audit.models import AuditEvent
from govern.auth.models import Role, User
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import operations, queries
from govern.pdeg.models import (
    AgendaItem,
    AgendaOutcome,
    AgendaPart,
    AttendanceStatus,
    PdegMeeting,
    RaisedBy,
    Recommendation,
)
from govern.records import queries as record_queries
from govern.records.packs import BOARD_STATUS_TITLES
from tests.conftest import Page
from workflows import registry

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


def _raise(user: User, org: Callable[[str], Organisation], title: str = "Shared back office",
           codes: tuple[str, ...] = ("RDE", "DCC")) -> Recommendation:
    rec = operations.raise_recommendation(
        user, title=title, summary="S", decision_sought="D", raised_by=RaisedBy.SUBORDINATE_GROUP,
        affected=[org(c) for c in codes], group=user.group)
    db.session.commit()
    return rec


def _meeting(secretariat: User, on: date = TODAY) -> PdegMeeting:
    meeting = operations.schedule_meeting(secretariat, meeting_date=on, title="PDEG")
    db.session.commit()
    return meeting


def _attend(meeting: PdegMeeting, secretariat: User, present: int) -> None:
    members = operations.pdeg_members()
    attendance = {}
    for index, o in enumerate(members):
        if index < present:
            kind = AttendanceStatus.DEPUTY if index == 0 else AttendanceStatus.REPRESENTATIVE
            attendance[o.id] = (kind, f"Person {index}")
        else:
            attendance[o.id] = (AttendanceStatus.APOLOGIES, "")
    operations.record_attendance(meeting, secretariat, attendance)
    db.session.commit()


def _audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def test_the_quorum_is_the_agreements_and_says_the_mou_sets_none() -> None:
    needed, clause = queries.quorum_rule()
    assert needed == 7
    assert "10.3" in clause and "the MoU sets no quorum" in clause
    agree = registry.get("recommendation").transitions_for("agree")[0]
    assert any("member parties" in rule.text for rule in agree.rules)


def test_no_outcome_without_a_quorate_attendance(
    chair: User, secretariat: User, org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    meeting = _meeting(secretariat)
    item = operations.add_to_agenda(meeting, rec, secretariat, part=AgendaPart.ONE)
    db.session.commit()

    def record() -> None:
        operations.record_outcome(item, secretariat, outcome=AgendaOutcome.AGREED, minute_reference="PDEG/1",
                                  reasons="Sound", minutes="Discussed the options.")

    with pytest.raises(OperationError) as unrecorded:
        record()
    assert "Record who attended" in str(unrecorded.value.problems[0].message)  # type: ignore[attr-defined]
    db.session.rollback()
    _attend(meeting, secretariat, present=6)
    with pytest.raises(OperationError) as short:
        record()
    problem = short.value.problems[0]  # type: ignore[attr-defined]
    assert "not quorate: 6 member parties present, 7 needed" in problem.message
    assert "10.3" in problem.clause
    db.session.rollback()
    assert db.session.get(Recommendation, rec.id).state == "on_agenda"  # type: ignore[union-attr]

    _attend(meeting, secretariat, present=7)
    record()
    db.session.commit()
    assert db.session.get(Recommendation, rec.id).state == "awaiting_ratification"  # type: ignore[union-attr]
    assert item.minutes == "Discussed the options."


def test_a_meeting_is_edited_and_reordered_until_its_outcomes_are_recorded(
    chair: User, secretariat: User, org: Callable[[str], Organisation],
) -> None:
    first, second = _raise(chair, org, "First"), _raise(chair, org, "Second")
    meeting = _meeting(secretariat, TODAY - timedelta(days=1))
    a = operations.add_to_agenda(meeting, first, secretariat, part=AgendaPart.ONE)
    b = operations.add_to_agenda(meeting, second, secretariat, part=AgendaPart.ONE)
    db.session.commit()

    operations.edit_meeting(meeting, secretariat, meeting_date=TODAY, title="PDEG (moved)")
    db.session.commit()
    assert meeting.meeting_date == TODAY and first.agenda_meeting_date == TODAY
    assert _audits("edit_meeting") == 1

    operations.move_item(b, secretariat, up=True)
    db.session.commit()
    assert [i.recommendation.title for i in meeting.items_in(AgendaPart.ONE)] == ["Second", "First"]
    assert _audits("reorder_agenda") == 1
    with pytest.raises(OperationError):
        operations.move_item(b, secretariat, up=True)  # already first
    db.session.rollback()

    _attend(meeting, secretariat, present=7)
    operations.record_outcome(a, secretariat, outcome=AgendaOutcome.AGREED, minute_reference="M1", reasons="R")
    db.session.commit()
    for change in (lambda: operations.edit_meeting(meeting, secretariat, meeting_date=TODAY, title="Again"),
                   lambda: operations.move_item(a, secretariat, up=True),
                   lambda: operations.cancel_meeting(meeting, secretariat, reason="No"),
                   lambda: operations.take_off_agenda(b, secretariat)):
        with pytest.raises(OperationError) as refused:
            change()
        assert "outcomes are recorded" in refused.value.message
        db.session.rollback()


def test_a_meeting_is_cancelled_with_a_reason_once_its_agenda_is_empty(
    chair: User, secretariat: User, org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    meeting = _meeting(secretariat)
    item = operations.add_to_agenda(meeting, rec, secretariat, part=AgendaPart.TWO)
    db.session.commit()
    with pytest.raises(OperationError) as has_items:
        operations.cancel_meeting(meeting, secretariat, reason="Chair unwell")
    assert "off its agenda first" in has_items.value.message
    db.session.rollback()
    operations.take_off_agenda(item, secretariat)
    db.session.commit()
    assert db.session.get(Recommendation, rec.id).state == "raised"  # type: ignore[union-attr]
    with pytest.raises(OperationError) as no_reason:
        operations.cancel_meeting(meeting, secretariat, reason=" ")
    assert no_reason.value.field == "reason"
    db.session.rollback()
    operations.cancel_meeting(meeting, secretariat, reason="Chair unwell")
    db.session.commit()
    assert meeting.is_cancelled and _audits("cancel_meeting") == 1
    with pytest.raises(OperationError):
        operations.add_to_agenda(meeting, rec, secretariat, part=AgendaPart.ONE)


def test_the_minute_extract_goes_into_each_affected_boards_pack(
    app: Flask, chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
) -> None:
    rec = _raise(chair, org)
    meeting = _meeting(secretariat)
    item = operations.add_to_agenda(meeting, rec, secretariat, part=AgendaPart.ONE)
    _attend(meeting, secretariat, present=8)
    operations.declare_interest(meeting, secretariat, person="Sam Smith", organisation=org("RDE"),
                                interest="Non-executive of a supplier")
    operations.declare_interest(meeting, secretariat, person="Alex Jones", interest="Spouse works for the bidder",
                                item=item)
    operations.record_outcome(item, secretariat, outcome=AgendaOutcome.AGREED, minute_reference="PDEG/26/9",
                              reasons="Sound plan", minutes="PDEG weighed the three options.")
    db.session.commit()
    assert _audits("declare_interest") == 2 and _audits("record_attendance") == 1

    secretary = make_user(Role.BOARD_SECRETARY, "DCC")
    pack = record_queries.board_pack(org("DCC"), secretary)
    (decision,) = pack.decisions
    (extract,) = decision.extracts
    assert extract.quorum.met and extract.quorum.present == 8
    assert [d.person for d in extract.declarations] == ["Sam Smith", "Alex Jones"]
    with app.test_request_context():
        html = render_template("records/pack.html", pack=pack, board_titles=BOARD_STATUS_TITLES)
    text = " ".join(Page(html).text("minute-extract-" + str(item.id)).split())  # type: ignore[union-attr]
    for expected in ("Extract from the minutes", "PDEG/26/9", "Quorate: 8 member parties present, 7 needed",
                     "Sam Smith (Royal Devon and Exeter NHS Foundation Trust): Non-executive of a supplier "
                     "(at the start of the meeting)", "Alex Jones: Spouse works for the bidder",
                     "PDEG weighed the three options.", "Person 0 (deputy)", "Apologies"):
        assert expected in text, expected


def test_the_meeting_page_shows_members_their_deputies_and_the_quorum(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    make_user(Role.PARTNER_CEO, "RDE", name="Rita Chief")
    make_user(Role.DEPUTY, "RDE", name="Dan Deputy")
    meeting = _meeting(secretariat)
    client = client_for(secretariat)
    page = Page.of(client.get(f"/pdeg/meetings/{meeting.id}"))
    assert "Rita Chief" in (page.text("member-RDE") or "") and "Deputy: Dan Deputy" in (page.text("member-RDE") or "")
    assert "Attendance not recorded" in (page.text("quorum") or "")
    data = {"expected_version": str(meeting.lock_version)}
    for o in operations.pdeg_members():
        data[f"party-{o.id}"] = "representative"
        data[f"attendee-{o.id}"] = f"Rep {o.code}"
    response = client.post(f"/pdeg/meetings/{meeting.id}/attendance", data=data)
    assert response.status_code == 302
    page = Page.of(client.get(f"/pdeg/meetings/{meeting.id}"))
    assert "Quorate" in (page.text("quorum") or "")


def test_the_meeting_page_makes_the_same_number_of_queries_however_long_its_agenda(
    app: Flask, chair: User, secretariat: User, org: Callable[[str], Organisation],
    client_for: Callable[[User], FlaskClient],
) -> None:
    from sqlalchemy import event

    meeting = _meeting(secretariat)
    _attend(meeting, secretariat, present=8)
    client = client_for(secretariat)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    def queries_with(items: int) -> int:
        while len(meeting.items) < items:
            rec = _raise(chair, org, f"Item {len(meeting.items)}")
            item = operations.add_to_agenda(meeting, rec, secretariat, part=AgendaPart.ONE)
            operations.declare_interest(meeting, secretariat, person="P", interest="I", item=item)
            db.session.commit()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/pdeg/meetings/{meeting.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    assert queries_with(1) == queries_with(5)


def test_the_secretariat_changes_reorders_and_cancels_a_meeting_through_its_pages(
    chair: User, secretariat: User, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    first, second = _raise(chair, org, "First"), _raise(chair, org, "Second")
    meeting = _meeting(secretariat)
    operations.add_to_agenda(meeting, first, secretariat, part=AgendaPart.ONE)
    b = operations.add_to_agenda(meeting, second, secretariat, part=AgendaPart.ONE)
    db.session.commit()
    client = client_for(secretariat)
    edit = Page.of(client.get(f"/pdeg/meetings/{meeting.id}/edit"))
    assert edit.values["meeting_date[day]"] == str(TODAY.day) and edit.values["title"] == "PDEG"
    moved = TODAY + timedelta(days=1)
    response = client.post(f"/pdeg/meetings/{meeting.id}/edit", data={
        "meeting_date[day]": str(moved.day), "meeting_date[month]": str(moved.month),
        "meeting_date[year]": str(moved.year), "title": "PDEG (moved)", "expected_version": str(meeting.lock_version)})
    assert response.status_code == 302
    assert "Tue 1 Dec 2026" in client.get(response.headers["Location"]).get_data(as_text=True)

    response = client.post(f"/pdeg/meetings/{meeting.id}/items/{b.id}/move",
                           data={"direction": "up", "expected_version": str(b.lock_version)})
    assert response.status_code == 302
    db.session.expire_all()
    found = db.session.get(PdegMeeting, meeting.id)
    assert [i.recommendation.title for i in found.items_in(AgendaPart.ONE)] == ["Second", "First"]  # type: ignore[union-attr]

    refused = client.post(f"/pdeg/meetings/{meeting.id}/cancel", data={"reason": "Chair unwell"})
    assert refused.status_code == 400
    assert "off its agenda first" in (Page.of(refused).text("maincontent") or "")
    for item_id in [i.id for i in found.items]:  # type: ignore[union-attr]
        db.session.expire_all()
        item = db.session.get(AgendaItem, item_id)
        assert item is not None
        assert client.post(f"/pdeg/meetings/{meeting.id}/items/{item.id}/remove",
                           data={"expected_version": str(item.lock_version)}).status_code == 302
    response = client.post(f"/pdeg/meetings/{meeting.id}/cancel", data={"reason": "Chair unwell"})
    assert response.status_code == 302, Page.of(response).text("maincontent")
    page = Page.of(client.get(f"/pdeg/meetings/{meeting.id}"))
    assert "Cancelled" in (page.text("cancelled") or "") and "Chair unwell" in (page.text("cancelled") or "")
    assert page.text("meeting-actions") is None
