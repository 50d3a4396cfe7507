"""The PDEG and ratification pages: the journey from a subordinate group to every Board, and what
each form does with bad input (the error beside the field, nothing typed lost, a second submission
changing nothing, an action no longer allowed saying so)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from govern import cases
from govern.audit.models import AuditEvent
from govern.auth.models import Role, User
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.partnership.models import MouStatus, Organisation, SubordinateGroup
from govern.pdeg import operations
from govern.pdeg.models import (
    AgendaItem,
    AgendaOutcome,
    AgendaPart,
    PdegMeeting,
    RaisedBy,
    Ratification,
    Recommendation,
)
from tests import papers
from tests.conftest import Page
from tests.meetings import quorate

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


def _date(prefix: str, value: date | None) -> dict[str, str]:
    if value is None:
        return {f"{prefix}[day]": "", f"{prefix}[month]": "", f"{prefix}[year]": ""}
    return {f"{prefix}[day]": str(value.day), f"{prefix}[month]": str(value.month), f"{prefix}[year]": str(value.year)}


def _parties(codes: tuple[str, ...], org: Callable[[str], Organisation]) -> list[Organisation]:
    return [org(code) for code in codes]


def _raise(user: User, org: Callable[[str], Organisation], codes: tuple[str, ...] = ("RDE", "PHNT"),
           **overrides: Any) -> Recommendation:
    fields: dict[str, Any] = {
        "title": "Shared back office", "summary": "One finance back office for the system.",
        "decision_sought": "Agree to consult.", "raised_by": RaisedBy.SUBORDINATE_GROUP,
        "affected": _parties(codes, org), "group": user.group,
    }
    fields.update(overrides)
    recommendation = operations.raise_recommendation(user, **fields)
    db.session.commit()
    return recommendation


def _meeting(user: User, on: date = TODAY) -> PdegMeeting:
    meeting = operations.schedule_meeting(user, meeting_date=on, title="PDEG")
    quorate(meeting, user)
    db.session.commit()
    return meeting


def _on_agenda(rec: Recommendation, secretariat: User, on: date = TODAY) -> AgendaItem:
    meeting = _meeting(secretariat, on)
    item = operations.add_to_agenda(meeting, rec, secretariat, part=AgendaPart.ONE)
    db.session.commit()
    return item


def _agreed(rec: Recommendation, secretariat: User) -> AgendaItem:
    item = _on_agenda(rec, secretariat)
    operations.record_outcome(item, secretariat, outcome=AgendaOutcome.AGREED, minute_reference="PDEG/1",
                              reasons="Sound plan")
    db.session.commit()
    return item


def _ratification(rec: Recommendation, code: str) -> Ratification:
    db.session.expire_all()
    found = db.session.scalar(
        select(Ratification).join(Organisation)
        .where(Ratification.recommendation_id == rec.id, Organisation.code == code)
    )
    assert found is not None
    return found


def _state(rec_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Recommendation, rec_id).state  # type: ignore[union-attr]


# --- the whole journey, through the pages -------------------------------------------------------------


def test_a_recommendation_goes_from_a_group_through_pdeg_to_every_board(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    as_chair = client_for(chair)
    assert as_chair.get("/recommendations/new").status_code == 200
    response = as_chair.post("/recommendations/new", data={
        "kind": "recommendation", "title": "Shared back office", "summary": "One finance back office.",
        "decision_sought": "Agree to consult.", "affected": [str(org("RDE").id), str(org("DCC").id)],
        "within_delegation": "no", "confirm": "yes",
    })
    assert response.status_code == 302
    rec = db.session.scalar(select(Recommendation).where(Recommendation.title == "Shared back office"))
    assert rec is not None and rec.state == "raised"
    assert rec.group.code == "FWG"

    as_secretariat = client_for(secretariat)
    response = as_secretariat.post("/pdeg/meetings/new", data={**_date("meeting_date", TODAY), "title": "PDEG"})
    assert response.status_code == 302
    meeting = db.session.scalar(select(PdegMeeting))
    assert meeting is not None
    response = as_secretariat.post(f"/pdeg/meetings/{meeting.id}/agenda",
                                   data={"recommendation_id": str(rec.id), "part": "two"})
    assert response.status_code == 302
    item = db.session.scalar(select(AgendaItem))
    assert item is not None and item.part is AgendaPart.TWO
    assert _state(rec.id) == "on_agenda"
    attendance = {f"party-{o.id}": "representative" for o in operations.pdeg_members()}
    attendance.update({f"attendee-{o.id}": f"CEO of {o.code}" for o in operations.pdeg_members()})
    db.session.expire_all()
    meeting = db.session.get(PdegMeeting, meeting.id)
    response = as_secretariat.post(f"/pdeg/meetings/{meeting.id}/attendance",
                                   data={**attendance, "expected_version": str(meeting.lock_version)})
    assert response.status_code == 302

    response = as_secretariat.post(f"/pdeg/meetings/{meeting.id}/items/{item.id}", data={
        "outcome": "agreed", "minute_reference": "PDEG/12", "reasons": "Agreed unanimously",
        "expected_version": str(item.lock_version), "confirmed": "1",
    })
    assert response.status_code == 302
    assert _state(rec.id) == "awaiting_ratification"

    for code in ("DCC", "RDE"):
        secretary = make_user(Role.BOARD_SECRETARY, code)
        as_secretary = client_for(secretary)
        awaiting = as_secretary.get("/boards/awaiting")
        assert rec.reference in awaiting.get_data(as_text=True)
        ratification = _ratification(rec, code)
        response = as_secretary.post(f"/ratifications/{ratification.id}", data={
            "decision": "ratify", **_date("meeting_date", TODAY), "minute_reference": f"{code}/7",
            "expected_version": str(ratification.lock_version), "confirmed": "1",
        })
        assert response.status_code == 302, Page.of(response).text("maincontent")

    assert _state(rec.id) == "ratified"
    page = Page.of(as_chair.get("/register"))
    assert page.text(f"cell-{rec.reference}-RDE") == "Ratified"
    assert page.text(f"cell-{rec.reference}-PHNT") is None  # not affected: not listed
    journey = Page.of(as_chair.get(f"/recommendations/{rec.id}")).text("maincontent") or ""
    for step in ("Raised for PDEG", "Agreed at PDEG", "Ratified by the Board",
                 "Ratified by every remaining party's Board", "Schedule 4", "10.6", "PDEG/12", "DCC/7"):
        assert step in journey


def test_a_decision_within_delegated_powers_is_recorded_not_sent_to_pdeg(
    chair: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    response = client_for(chair).post("/recommendations/new", data={
        "kind": "recommendation", "title": "Budget template", "summary": "A common template.",
        "affected": [str(org("RDE").id)], "within_delegation": "yes", "delegation_basis": "Members' own budgets",
        "confirm": "yes",
    })
    assert response.status_code == 302
    rec = db.session.scalar(select(Recommendation))
    assert rec is not None and rec.state == "recorded_under_delegation"


def test_a_variation_affects_every_party(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    ceo = make_user(Role.PARTNER_CEO, "RDE")
    response = client_for(ceo).post("/recommendations/new", data={
        "kind": "variation", "title": "Add a party", "summary": "Admit the ambulance trust.",
        "affected": [str(org("RDE").id)], "confirm": "yes",
    })
    assert response.status_code == 302
    rec = db.session.scalar(select(Recommendation))
    assert rec is not None and rec.is_variation and rec.reference.startswith("V")
    parties = db.session.scalar(select(func.count()).select_from(Organisation).where(
        Organisation.mou_status.in_([MouStatus.SIGNED, MouStatus.SIGNED_SUBJECT_TO_RATIFICATION])))
    assert len(rec.affected) == parties
    assert rec.raising_organisation_id == org("RDE").id


def test_the_raise_form_offers_every_party_and_ticks_none(
    chair: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    html = client_for(chair).get("/recommendations/new").get_data(as_text=True)
    assert f'value="{org("RDE").id}"' in html and f'value="{org("NHSE").id}"' in html
    assert f'value="{org("RDE").id}" checked' not in html  # issue 12: nobody is chosen for you
    assert "within the delegated powers" in html


def test_a_ceo_is_not_asked_about_delegated_powers(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> None:
    html = client_for(make_user(Role.PARTNER_CEO, "RDE")).get("/recommendations/new").get_data(as_text=True)
    assert "delegated powers of the group" not in html


# --- bad input: raising -----------------------------------------------------------------------------------


GOOD_RAISE = {"kind": "recommendation", "title": "T", "summary": "S", "decision_sought": "D",
              "within_delegation": "no"}


@pytest.mark.parametrize(
    ("change", "field_id", "message"),
    [
        ({"title": ""}, "title", "Give the recommendation a title"),
        ({"summary": ""}, "summary", "Schedule 4"),
        ({"affected": []}, "affected", "Name the parties"),
        ({"kind": "neither"}, "kind", "Not a valid choice"),
        ({"within_delegation": "yes", "delegation_basis": ""}, "delegation_basis", "Enter why this is within"),
        ({"within_delegation": "yes", "delegation_basis": "x", "kind": "variation"}, None, "17.2"),
        ({"title": "x" * 201}, "title", "200 characters"),
    ],
)
def test_raising_with_bad_input_says_what_is_wrong_beside_the_field(
    change: dict[str, Any], field_id: str | None, message: str, chair: User,
    client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    data = {**GOOD_RAISE, "affected": [str(org("RDE").id)], **change}
    response = client_for(chair).post("/recommendations/new", data=data)
    assert response.status_code == 400
    page = Page.of(response)
    if field_id:
        assert message in (page.text(f"{field_id}-error") or ""), page.text("maincontent")
    else:
        assert message in (page.text("maincontent") or "")
    assert db.session.scalar(select(func.count()).select_from(Recommendation)) == 0
    if data.get("decision_sought"):
        assert "D" in (page.text("decision_sought") or "")  # nothing typed is lost


@pytest.mark.parametrize("role", [Role.BOARD_SECRETARY, Role.PDEG_SECRETARIAT, Role.ADMINISTRATOR])
def test_only_a_chair_a_partner_or_the_stp_leader_raises(
    role: Role, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> None:
    user = make_user(role, "STP" if role is not Role.BOARD_SECRETARY else "RDE")
    assert client_for(user).post("/recommendations/new", data=GOOD_RAISE).status_code == 403


# --- bad input: meetings and agenda ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field_id", "message"),
    [
        ({**_date("meeting_date", None), "title": "PDEG"}, "meeting_date", "Enter the date of the meeting"),
        ({"meeting_date[day]": "31", "meeting_date[month]": "2", "meeting_date[year]": "2026", "title": "PDEG"},
         "meeting_date", "must be a real date"),
        ({"meeting_date[day]": "1", "meeting_date[month]": "2", "meeting_date[year]": "26", "title": "PDEG"},
         "meeting_date", "four figures"),
        ({**_date("meeting_date", TODAY), "title": ""}, "title", "Give the meeting a title"),
    ],
)
def test_scheduling_a_meeting_with_bad_input(
    data: dict[str, str], field_id: str, message: str, secretariat: User,
    client_for: Callable[[User], FlaskClient],
) -> None:
    response = client_for(secretariat).post("/pdeg/meetings/new", data=data)
    assert response.status_code == 400
    page = Page.of(response)
    assert message in (page.text(f"{field_id}-error") or "")
    if data.get("meeting_date[day]"):
        assert page.values["meeting_date[day]"] == data["meeting_date[day]"]  # kept as typed
    assert db.session.scalar(select(func.count()).select_from(PdegMeeting)) == 0


def test_adding_nothing_to_the_agenda_is_refused(secretariat: User, client_for: Callable[[User], FlaskClient]) -> None:
    meeting = _meeting(secretariat)
    response = client_for(secretariat).post(f"/pdeg/meetings/{meeting.id}/agenda", data={"part": "one"})
    assert response.status_code == 400
    assert "Choose a recommendation" in (Page.of(response).text("recommendation_id-error") or "")


def test_adding_a_recommendation_someone_else_placed_first_says_where_it_stands(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _on_agenda(rec, secretariat)
    second = _meeting(secretariat)
    response = client_for(secretariat).post(f"/pdeg/meetings/{second.id}/agenda",
                                            data={"recommendation_id": str(rec.id), "part": "one"})
    assert response.status_code == 400
    assert "now 'on a pdeg agenda'" in (Page.of(response).text("recommendation_id-error") or "")
    assert db.session.scalar(select(func.count()).select_from(AgendaItem)) == 1


# --- bad input: PDEG outcomes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field_id", "message"),
    [
        ({"minute_reference": "M1", "reasons": "R"}, "outcome", "Choose what PDEG decided"),
        ({"outcome": "agreed", "reasons": "R"}, "minute_reference", "Enter the PDEG minute reference"),
        ({"outcome": "not_agreed", "minute_reference": "M1"}, "reasons", "Enter the reasons"),
        ({"outcome": "amended_and_agreed", "minute_reference": "M1", "reasons": "R"}, "amendment",
         "Enter the amendment"),
    ],
)
def test_recording_an_outcome_with_bad_input(
    data: dict[str, str], field_id: str, message: str, chair: User, secretariat: User,
    client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    item = _on_agenda(rec, secretariat)
    response = client_for(secretariat).post(f"/pdeg/meetings/{item.meeting_id}/items/{item.id}",
                                            data={**data, "expected_version": str(item.lock_version)})
    assert response.status_code == 400
    page = Page.of(response)
    assert message in (page.text(f"{field_id}-error") or ""), page.text("maincontent")
    if data.get("minute_reference"):
        assert page.values["minute_reference"] == data["minute_reference"]
    assert _state(rec.id) == "on_agenda"


def test_an_outcome_cannot_be_recorded_before_the_meeting(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    item = _on_agenda(rec, secretariat, on=TODAY + timedelta(days=7))
    response = client_for(secretariat).post(f"/pdeg/meetings/{item.meeting_id}/items/{item.id}", data={
        "outcome": "agreed", "minute_reference": "M1", "reasons": "R", "expected_version": str(item.lock_version)})
    assert response.status_code == 400
    assert "record its outcome after the meeting" in (Page.of(response).text("maincontent") or "")


def test_a_double_submitted_outcome_changes_state_once(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    item = _on_agenda(rec, secretariat)
    client = client_for(secretariat)
    data = {"outcome": "agreed", "minute_reference": "M1", "reasons": "R", "expected_version": str(item.lock_version),
            "confirmed": "1"}
    url = f"/pdeg/meetings/{item.meeting_id}/items/{item.id}"
    assert client.post(url, data=data).status_code == 302
    second = client.post(url, data=data, follow_redirects=True)
    assert "This case has changed since you opened it" in second.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ratification)) == 2
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "record_outcome")) == 1


def test_only_the_secretariat_records_outcomes(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    item = _on_agenda(_raise(chair, org), secretariat)
    url = f"/pdeg/meetings/{item.meeting_id}/items/{item.id}"
    assert client_for(chair).post(url, data={"outcome": "agreed"}).status_code == 403


# --- bad input: Board ratification ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field_id", "message"),
    [
        ({**_date("meeting_date", TODAY), "minute_reference": "B1"}, "decision", "Choose what the Board decided"),
        ({"decision": "ratify", **_date("meeting_date", None), "minute_reference": "B1"}, "meeting_date",
         "Enter the Board meeting date"),
        ({"decision": "ratify", **_date("meeting_date", TODAY + timedelta(days=1)), "minute_reference": "B1"},
         "meeting_date", "cannot be in the future"),
        ({"decision": "ratify", "meeting_date[day]": "40", "meeting_date[month]": "1", "meeting_date[year]": "2026",
          "minute_reference": "B1"}, "meeting_date", "real date"),
        ({"decision": "ratify", **_date("meeting_date", TODAY), "minute_reference": ""}, "minute_reference",
         "Enter the minute reference"),
        ({"decision": "not_ratify", **_date("meeting_date", TODAY), "minute_reference": "B1", "reasons": ""},
         "reasons", "Enter the reasons"),
    ],
)
def test_recording_a_boards_decision_with_bad_input(
    data: dict[str, str], field_id: str, message: str, chair: User, secretariat: User,
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "RDE")
    response = client_for(make_user(Role.BOARD_SECRETARY, "RDE")).post(
        f"/ratifications/{ratification.id}", data={**data, "expected_version": str(ratification.lock_version)})
    assert response.status_code == 400
    page = Page.of(response)
    assert message in (page.text(f"{field_id}-error") or ""), page.text("maincontent")
    if data.get("minute_reference"):
        assert page.values["minute_reference"] == data["minute_reference"]
    assert _ratification(rec, "RDE").state == "awaiting_board"


def test_a_double_submitted_board_decision_changes_state_once(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "RDE")
    client = client_for(make_user(Role.BOARD_SECRETARY, "RDE"))
    data = {"decision": "defer", **_date("meeting_date", TODAY), "minute_reference": "B1",
            "expected_version": str(ratification.lock_version), "confirmed": "1"}
    first = client.post(f"/ratifications/{ratification.id}", data=data)
    assert first.status_code == 302, Page.of(first).text("maincontent")
    second = client.post(f"/ratifications/{ratification.id}", data=data, follow_redirects=True)
    text = second.get_data(as_text=True)
    assert "This case has changed since you opened it" in text
    assert "Deferred" in (Page(text).text("board-status") or "")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "defer")) == 1


def test_another_partys_secretary_cannot_record(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "RDE")
    other = client_for(make_user(Role.BOARD_SECRETARY, "PHNT"))
    assert other.post(f"/ratifications/{ratification.id}", data={"decision": "ratify"}).status_code == 403
    assert "Record your" not in other.get(f"/ratifications/{ratification.id}").get_data(as_text=True)


def test_a_board_that_does_not_ratify_is_offered_scenario_2(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "PHNT")
    client = client_for(make_user(Role.BOARD_SECRETARY, "PHNT"))
    response = client.post(f"/ratifications/{ratification.id}", data={
        "decision": "not_ratify", **_date("meeting_date", TODAY), "minute_reference": "PH/3",
        "reasons": "Unaffordable", "expected_version": str(ratification.lock_version), "confirmed": "1"})
    assert response.status_code == 302
    page = Page.of(client.get(f"/ratifications/{ratification.id}"))
    offer = page.text("scenario-2-offer") or ""
    assert "Your Board cannot support a system decision (Schedule 8, scenario 2)" in offer
    assert rec.reference in (page.text("scenario-2-citation") or "")
    assert "PH/3" in (page.text("scenario-2-citation") or "")
    assert page.text("open-scenario-2") is None  # a Board secretary does not act for the party in a dispute
    ceo = client_for(make_user(Role.PARTNER_CEO, "PHNT"))
    html = ceo.get(f"/ratifications/{ratification.id}").get_data(as_text=True)
    assert Page(html).text("scenario-2-offer") is not None
    assert f'href="/disputes/new/scenario_2?decision={rec.reference}"' in html
    filing = ceo.get(f"/disputes/new/scenario_2?decision={rec.reference}")
    assert Page.of(filing).selected.get("decision_id") == str(rec.id)  # prefilled with the decision
    other = client_for(make_user(Role.PARTNER_CEO, "RDE"))
    assert Page.of(other.get(f"/ratifications/{ratification.id}")).text("scenario-2-offer") is None


# --- the recommendation page's own actions ----------------------------------------------------------------


def test_recording_within_delegation_from_the_page_needs_a_basis(
    chair: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    client = client_for(chair)
    response = client.post(f"/recommendations/{rec.id}/actions/record_within_delegation",
                           data={"record_within_delegation-basis": "",
                                 "record_within_delegation-expected_version": str(rec.lock_version)})
    assert response.status_code == 400
    assert "Enter why this is within" in (Page.of(response).text("record_within_delegation-basis-error") or "")
    assert _state(rec.id) == "raised"


def test_an_action_no_longer_allowed_says_so_and_shows_the_current_state(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    version = rec.lock_version
    _on_agenda(rec, secretariat)
    response = client_for(chair).post(
        f"/recommendations/{rec.id}/actions/record_within_delegation",
        data={"record_within_delegation-basis": "x", "record_within_delegation-expected_version": str(version)},
        follow_redirects=True)
    page = Page(response.get_data(as_text=True))
    assert "no longer possible" in (page.text("flash-errors") or "")
    assert "On a PDEG agenda" in (page.text("decision-state") or "")


def test_a_draft_is_seen_only_by_its_raiser_the_secretariat_and_the_stp_leader(
    stp_leader: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = operations.draft_recommendation(stp_leader, title="Options paper", summary="S", decision_sought="",
                                          raised_by=RaisedBy.STP_LEADER, affected=[org("RDE")])
    db.session.commit()
    assert client_for(stp_leader).get(f"/recommendations/{rec.id}").status_code == 200
    assert client_for(secretariat).get(f"/recommendations/{rec.id}").status_code == 200
    assert client_for(make_user(Role.PARTNER_CEO, "RDE")).get(f"/recommendations/{rec.id}").status_code == 404
    assert rec.reference not in client_for(make_user(Role.PARTNER_CEO, "RDE")).get("/register").get_data(as_text=True)


# --- the register's filters -------------------------------------------------------------------------------


def test_the_register_filters_by_status_party_group_and_date(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    agreed = _raise(chair, org, title="Agreed one")
    _agreed(agreed, secretariat)
    clinical = make_user(Role.GROUP_CHAIR, "STP", group_code="CC")
    waiting = _raise(clinical, org, codes=("DCC",), title="Waiting one", group=clinical.group)
    client = client_for(make_user(Role.PARTNER_CEO, "RDE"))

    def shown(query: str) -> set[str]:
        html = client.get(f"/register?{query}").get_data(as_text=True)
        return {rec.reference for rec in (agreed, waiting) if f"row-{rec.reference}" in html}

    assert shown("") == {agreed.reference, waiting.reference}
    assert shown("status=awaiting_ratification") == {agreed.reference}
    assert shown("status=board:awaiting_board") == {agreed.reference}
    assert shown(f"party={org('DCC').id}") == {waiting.reference}
    cc = db.session.scalar(select(SubordinateGroup.id).where(SubordinateGroup.code == "CC"))
    assert shown(f"group={cc}") == {waiting.reference}
    day = f"date_from[day]={TODAY.day}&date_from[month]={TODAY.month}&date_from[year]={TODAY.year}"
    assert shown(day) == {agreed.reference}


def test_a_bad_date_in_the_register_filter_is_reported(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> None:
    response = client_for(make_user(Role.PARTNER_CEO, "RDE")).get(
        "/register?date_to[day]=32&date_to[month]=1&date_to[year]=2026")
    assert response.status_code == 400
    assert "real date" in (Page.of(response).text("date_to-error") or "")


def test_the_navigation_offers_each_role_its_pages(
    secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> None:
    assert 'href="/pdeg/meetings"' in client_for(secretariat).get("/").get_data(as_text=True)
    html = client_for(make_user(Role.BOARD_SECRETARY, "RDE")).get("/").get_data(as_text=True)
    assert "Awaiting our Board" in html and "Ratification register" in html
    assert "Awaiting our Board" not in client_for(secretariat).get("/").get_data(as_text=True)


def test_the_board_secretaries_are_told_when_pdeg_agrees(
    chair: User, secretariat: User, make_user: Callable[..., User], org: Callable[[str], Organisation],
) -> None:
    from govern.notify.models import Notice

    rde, phnt, dcc = (make_user(Role.BOARD_SECRETARY, code) for code in ("RDE", "PHNT", "DCC"))
    rec = _raise(chair, org, codes=("RDE", "PHNT"))
    _agreed(rec, secretariat)
    told = set(db.session.scalars(select(Notice.user_id).where(Notice.subject.contains(rec.reference))))
    assert told == {rde.id, phnt.id}
    assert dcc.id not in told


def test_the_decision_is_linked_from_the_board_and_outcome_pages(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    item = _on_agenda(rec, secretariat)
    outcome_page = client_for(secretariat).get(f"/pdeg/meetings/{item.meeting_id}/items/{item.id}")
    assert f'<a href="/recommendations/{rec.id}">' in outcome_page.get_data(as_text=True)
    operations.record_outcome(item, secretariat, outcome=AgendaOutcome.AGREED, minute_reference="M", reasons="R")
    db.session.commit()
    board_page = client_for(make_user(Role.BOARD_SECRETARY, "RDE")).get(
        f"/ratifications/{_ratification(rec, 'RDE').id}").get_data(as_text=True)
    assert f'<a href="/recommendations/{rec.id}">' in board_page
    assert "&lt;a href" not in board_page


def test_pdeg_amends_a_decision_from_its_page_and_the_boards_start_again(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org, codes=("RDE",))
    _agreed(rec, secretariat)
    client = client_for(secretariat)
    page = Page.of(client.get(f"/recommendations/{rec.id}"))
    assert "PDEG amends the decision" in (page.text("action-amend") or "")
    response = client.post(f"/recommendations/{rec.id}/actions/amend", data={
        "amend-amendment": "Start in June", "amend-minute_reference": "PDEG/9", "amend-reasons": "Timing",
        "amend-expected_version": page.values["amend-expected_version"]})
    assert response.status_code == 302
    db.session.expire_all()
    states = sorted((r.version, r.state) for r in db.session.get(Recommendation, rec.id).ratifications)
    assert states == [(1, "superseded"), (2, "awaiting_board")]


MINIMAL_PDF = papers.pdf()


def _upload(client: FlaskClient, rec: Recommendation, name: str = "Options paper.pdf",
            data: bytes = MINIMAL_PDF) -> Any:
    return client.post(f"/attachments/recommendation/{rec.id}",
                       data={"file": (io.BytesIO(data), name), "description": "The options"},
                       content_type="multipart/form-data")


def test_the_raiser_adds_supporting_papers_with_the_disputes_upload_rules(
    chair: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    client = client_for(chair)
    response = _upload(client, rec)
    assert response.status_code == 302 and response.headers["Location"] == f"/recommendations/{rec.id}"
    seen = client_for(make_user(Role.PARTNER_CEO, "DCC")).get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert "Options paper.pdf" in seen  # papers are as visible as the recommendation
    refused = _upload(client, rec, "run.exe", b"MZ\x90\x00 not a paper")
    assert refused.status_code == 302
    assert "Options paper.pdf" in client.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert "run.exe" not in client.get(f"/recommendations/{rec.id}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["other_ceo", "after_pdeg"])
def test_papers_are_added_only_by_those_acting_on_it_before_pdeg_decides(
    who: str, chair: User, secretariat: User, make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    if who == "after_pdeg":
        _agreed(rec, secretariat)
        client = client_for(chair)
    else:
        client = client_for(make_user(Role.PARTNER_CEO, "DCC"))
    assert _upload(client, rec).status_code == 403


def test_recording_on_a_superseded_ratification_says_so_and_shows_where_it_stands(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org, codes=("RDE",))
    _agreed(rec, secretariat)
    old = _ratification(rec, "RDE")
    old_id, old_version = old.id, old.lock_version
    cases.act(db.session.get(Recommendation, rec.id), secretariat, "amend",
              {"amendment": "June", "minute_reference": "M2", "reasons": "R"})
    db.session.commit()
    response = client_for(make_user(Role.BOARD_SECRETARY, "RDE")).post(f"/ratifications/{old_id}", data={
        "decision": "ratify", **_date("meeting_date", TODAY), "minute_reference": "B1",
        "expected_version": str(old_version)}, follow_redirects=True)
    page = Page.of(response)
    assert "changed since you opened it" in response.get_data(as_text=True)  # told, beside where it stands now
    assert "Superseded" in (page.text("board-status") or "")
    assert "Record your" not in (page.text("maincontent") or "")  # nothing left to record on this version


def test_recording_without_a_version_on_a_closed_ratification_is_refused_with_the_reason(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org, codes=("RDE",))
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "RDE")
    client = client_for(make_user(Role.BOARD_SECRETARY, "RDE"))
    data = {"decision": "ratify", **_date("meeting_date", TODAY), "minute_reference": "B1"}
    assert client.post(f"/ratifications/{ratification.id}", data={**data, "confirmed": "1"}).status_code == 302
    again = client.post(f"/ratifications/{ratification.id}", data=data)
    assert again.status_code == 400
    page = Page.of(again)
    assert "nothing more can happen" in (page.text("maincontent") or "")
    assert "Ratified" in (page.text("board-status") or "")


# --- check your answers, then a confirmation (issue 11): PDEG's outcome ------------------------------------


def _outcome_form(item: AgendaItem, **overrides: str) -> dict[str, str]:
    return {"outcome": "agreed", "minute_reference": "PDEG/12/3", "reasons": "A safer pathway",
            "minutes": "PDEG weighed three options.", "expected_version": str(item.lock_version), **overrides}


def _audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def test_the_outcome_is_checked_before_it_is_recorded(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org, codes=("RDE", "DCC"))
    item = _on_agenda(rec, secretariat)
    response = client_for(secretariat).post(f"/pdeg/meetings/{item.meeting_id}/items/{item.id}",
                                            data=_outcome_form(item))
    assert response.status_code == 200
    page = Page.of(response)
    assert page.text("check-heading") == "Check your answers before recording PDEG's outcome"
    answers = page.text("answers") or ""
    for shown in (rec.reference, "Agreed", "PDEG/12/3", "A safer pathway", "PDEG weighed three options.",
                  "Royal Devon and Exeter NHS Foundation Trust", "Devon County Council"):
        assert shown in answers
    assert page.values["minute_reference"] == "PDEG/12/3"  # carried, for Confirm and for Change
    assert _state(rec.id) == "on_agenda" and _audits("record_outcome") == 0


def test_confirming_the_outcome_records_it_once_and_says_what_happens_next(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org, codes=("RDE", "DCC"))
    item = _on_agenda(rec, secretariat)
    client = client_for(secretariat)
    url = f"/pdeg/meetings/{item.meeting_id}/items/{item.id}"
    data = {**_outcome_form(item), "confirmed": "1"}
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}/recorded")
    again = client.post(url, data=data, follow_redirects=True)
    assert "This case has changed since you opened it" in again.get_data(as_text=True)
    assert _state(rec.id) == "awaiting_ratification" and _audits("record_outcome") == 1

    page = Page.of(client.get(f"{url}/recorded"))
    assert page.text("confirmation-title") == "PDEG's outcome recorded: agreed"
    assert rec.reference in (page.text("confirmation-reference") or "")
    assert (f"sent to the Boards of {org('DCC').short_name}, {org('RDE').short_name} for ratification (clause 10.6)"
            in (page.text("what-happens-next") or ""))
    assert page.text("record-link") == f"Go to {rec.reference}: {rec.title}"


@pytest.mark.parametrize(("outcome", "next_words"), [
    ("not_agreed", "goes to no Board"),
    ("deferred", "waits for the agenda of a later PDEG meeting (clause 10.5)"),
])
def test_the_confirmation_says_what_follows_an_outcome_that_goes_to_no_board(
    outcome: str, next_words: str, chair: User, secretariat: User, client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    item = _on_agenda(_raise(chair, org), secretariat)
    url = f"/pdeg/meetings/{item.meeting_id}/items/{item.id}"
    client = client_for(secretariat)
    assert client.post(url, data={**_outcome_form(item, outcome=outcome), "confirmed": "1"}).status_code == 302
    assert next_words in (Page.of(client.get(f"{url}/recorded")).text("what-happens-next") or "")


def test_changing_the_answers_keeps_everything_typed(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    item = _on_agenda(_raise(chair, org), secretariat)
    response = client_for(secretariat).post(f"/pdeg/meetings/{item.meeting_id}/items/{item.id}",
                                            data={**_outcome_form(item, outcome="not_agreed"), "change": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page(html)
    assert page.values["minute_reference"] == "PDEG/12/3"
    assert 'value="not_agreed" checked' in html
    assert "PDEG weighed three options." in html and "A safer pathway" in html
    assert page.text("check-heading") is None and _audits("record_outcome") == 0


def test_the_check_page_refuses_in_advance_what_recording_would_refuse(
    chair: User, secretariat: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    meeting = operations.schedule_meeting(secretariat, meeting_date=TODAY, title="PDEG")  # attendance not taken
    item = operations.add_to_agenda(meeting, rec, secretariat, part=AgendaPart.ONE)
    db.session.commit()
    data = _outcome_form(item)
    with pytest.raises(OperationError) as refused:  # the operation's own refusal ...
        operations.check_outcome(item, secretariat, outcome=AgendaOutcome.AGREED, minute_reference="M",
                                 reasons="R")
    db.session.rollback()
    response = client_for(secretariat).post(f"/pdeg/meetings/{item.meeting_id}/items/{item.id}", data=data)
    assert response.status_code == 400  # ... shown on the form, before any check page
    page = Page.of(response)
    assert page.text("check-heading") is None
    assert refused.value.message.split(":")[0] in (page.text("maincontent") or "")
    assert "10.3" in (page.text("maincontent") or "")
    assert page.values["minute_reference"] == "PDEG/12/3"
    assert _state(rec.id) == "on_agenda" and _audits("record_outcome") == 0


# --- check your answers, then a confirmation (issue 11): a Board's decision and its correction --------------


def _board_form(ratification: Ratification, **overrides: str) -> dict[str, str]:
    return {"decision": "ratify", **_date("meeting_date", TODAY), "minute_reference": "B/2026/7",
            "expected_version": str(ratification.lock_version), **overrides}


def test_the_boards_decision_is_checked_before_it_is_recorded(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "PHNT")
    response = client_for(make_user(Role.BOARD_SECRETARY, "PHNT")).post(
        f"/ratifications/{ratification.id}", data=_board_form(ratification, decision="not_ratify", reasons="Too dear"))
    assert response.status_code == 200
    page = Page.of(response)
    assert page.text("check-heading") == "Check your answers before recording the Board's decision"
    answers = page.text("answers") or ""
    for shown in (rec.reference, "Not ratified", "Wed 25 Nov 2026", "B/2026/7", "Too dear"):
        assert shown in answers
    told = page.text("what-it-does") or ""
    assert "chief executive of Plymouth Hospitals NHS Trust and their deputy are told" in told
    assert "Your Board cannot support a system decision (Schedule 8, scenario 2)" in told
    assert page.values["reasons"] == "Too dear"  # carried, for Confirm and for Change
    assert _ratification(rec, "PHNT").state == "awaiting_board" and _audits("not_ratify") == 0


@pytest.mark.parametrize(("code", "decision", "title", "next_words"), [
    ("PHNT", "not_ratify", "Board's decision recorded: not ratified",
     "The chief executive of Plymouth Hospitals NHS Trust and their deputy have been told"),
    ("RDE", "ratify", "Board's decision recorded: ratified", "still waits for the Board of"),
    ("RDE", "defer", "Board's decision recorded: deferred", "waits for the Board's decision at a later"),
])
def test_confirming_the_boards_decision_records_it_once_and_says_what_happens_next(
    code: str, decision: str, title: str, next_words: str, chair: User, secretariat: User,
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, code)
    client = client_for(make_user(Role.BOARD_SECRETARY, code))
    url = f"/ratifications/{ratification.id}"
    data = {**_board_form(ratification, decision=decision, reasons="Too dear"), "confirmed": "1"}
    response = client.post(url, data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{url}/recorded")
    again = client.post(url, data=data, follow_redirects=True)
    assert "This case has changed since you opened it" in again.get_data(as_text=True)
    assert _audits(decision) == 1

    page = Page.of(client.get(f"{url}/recorded"))
    assert (page.text("confirmation-title") or "").lower() == title.lower()
    assert rec.reference in (page.text("confirmation-reference") or "")
    assert next_words in (page.text("what-happens-next") or "")
    if decision == "not_ratify":
        assert "Your Board cannot support a system decision (Schedule 8, scenario 2) is open to them" in (
            page.text("what-happens-next") or "")
    assert page.text("record-link") == f"Go to the record of the Board's decision on {rec.reference}"


def test_changing_the_boards_answers_keeps_everything_typed(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "PHNT")
    response = client_for(make_user(Role.BOARD_SECRETARY, "PHNT")).post(
        f"/ratifications/{ratification.id}",
        data={**_board_form(ratification, decision="not_ratify", reasons="Too dear"), "change": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page(html)
    assert page.values["minute_reference"] == "B/2026/7" and page.values["meeting_date[day]"] == str(TODAY.day)
    assert 'value="not_ratify" checked' in html and "Too dear" in html
    assert page.text("check-heading") is None and _ratification(rec, "PHNT").state == "awaiting_board"


def test_the_boards_check_page_refuses_in_advance_what_recording_would_refuse(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "RDE")
    too_early = TODAY - timedelta(days=30)  # before PDEG agreed it
    secretary = make_user(Role.BOARD_SECRETARY, "RDE")
    with pytest.raises(OperationError) as refused:  # the operation's own refusal ...
        cases.act(ratification, secretary, "ratify", {"meeting_date": too_early, "minute_reference": "B1"})
    db.session.rollback()
    ratification = _ratification(rec, "RDE")
    response = client_for(secretary).post(f"/ratifications/{ratification.id}",
                                          data=_board_form(ratification, **_date("meeting_date", too_early)))
    assert response.status_code == 400  # ... beside its field, before any check page
    page = Page.of(response)
    assert page.text("check-heading") is None
    problem = refused.value.problems[0]  # type: ignore[attr-defined]
    shown = page.text("meeting_date-error") or ""
    assert problem.message in shown and "10.6" in shown
    assert page.values["minute_reference"] == "B/2026/7"
    assert _ratification(rec, "RDE").state == "awaiting_board" and _audits("ratify") == 0


def test_a_correction_is_checked_then_confirmed(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    secretary = make_user(Role.BOARD_SECRETARY, "RDE")
    cases.act(_ratification(rec, "RDE"), secretary, "ratify", {"meeting_date": TODAY, "minute_reference": "B/1"})
    db.session.commit()
    clock.freeze(NOW + timedelta(days=3))
    ratification = _ratification(rec, "RDE")
    client = client_for(secretary)
    url = f"/ratifications/{ratification.id}"
    data = {**{f"correct-{k}": v for k, v in _date("meeting_date", TODAY + timedelta(days=1)).items()},
            "correct-minute_reference": "B/2", "correct-reason": "The minute gave the wrong date",
            "correct-expected_version": str(ratification.lock_version)}

    check = Page.of(client.post(url, data=data))
    assert check.text("check-heading") == "Check your answers before correcting the record of the Board's decision"
    assert "Wed 25 Nov 2026, corrected to Thu 26 Nov 2026" in (check.text("answers") or "")
    assert _audits("correct_board_decision") == 0

    changed = client.post(url, data={**data, "change": "1"})
    assert changed.status_code == 200 and Page.of(changed).values["correct-minute_reference"] == "B/2"
    assert 'id="correct" open' in changed.get_data(as_text=True)

    refused = client.post(url, data={**data, "correct-reason": ""})
    assert refused.status_code == 400 and "Enter the reason" in (Page.of(refused).text("correct-reason-error") or "")

    done = client.post(url, data={**data, "confirmed": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{url}/recorded?corrected=1")
    assert _audits("correct_board_decision") == 1
    page = Page.of(client.get(done.headers["Location"]))
    assert page.text("confirmation-title") == "The record of the Board's decision is corrected"
    assert _ratification(rec, "RDE").minute_reference == "B/2"


def test_the_correction_form_starts_from_the_record_as_it_is(
    chair: User, secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    secretary = make_user(Role.BOARD_SECRETARY, "RDE")
    cases.act(_ratification(rec, "RDE"), secretary, "ratify", {"meeting_date": TODAY, "minute_reference": "B/1"})
    db.session.commit()
    page = Page.of(client_for(secretary).get(f"/ratifications/{_ratification(rec, 'RDE').id}"))
    assert (page.values["correct-meeting_date[day]"], page.values["correct-meeting_date[month]"],
            page.values["correct-meeting_date[year]"]) == (str(TODAY.day), str(TODAY.month), str(TODAY.year))
    assert page.values["correct-minute_reference"] == "B/1"
