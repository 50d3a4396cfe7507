"""Issue 12, defects 1-4: raising checked and editable, Board dates refused and corrected, a refusal
shown everywhere, and the wording of PDEG's pages. Each test failed on the code before the fix."""

from __future__ import annotations

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
from govern.notify.models import Notice
from govern.partnership.models import Organisation
from govern.partnership.operations import withdraw_party
from govern.pdeg import operations, queries
from govern.pdeg.models import AgendaItem, AgendaOutcome, AgendaPart, RaisedBy, Ratification, Recommendation
from govern.records import queries as record_queries
from tests.conftest import Page
from tests.meetings import quorate

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


def _date(prefix: str, value: date) -> dict[str, str]:
    return {f"{prefix}[day]": str(value.day), f"{prefix}[month]": str(value.month), f"{prefix}[year]": str(value.year)}


def _raise(user: User, org: Callable[[str], Organisation], codes: tuple[str, ...] = ("RDE", "DCC")) -> Recommendation:
    rec = operations.raise_recommendation(
        user, title="Shared back office", summary="One finance back office.", decision_sought="Agree.",
        raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org(c) for c in codes], group=user.group,
    )
    db.session.commit()
    return rec


def _agreed(rec: Recommendation, secretariat: User, on: date = TODAY) -> AgendaItem:
    meeting = operations.schedule_meeting(secretariat, meeting_date=on, title="PDEG")
    quorate(meeting, secretariat)
    item = operations.add_to_agenda(meeting, rec, secretariat, part=AgendaPart.ONE)
    operations.record_outcome(item, secretariat, outcome=AgendaOutcome.AGREED, minute_reference="PDEG/1",
                              reasons="Sound plan")
    db.session.commit()
    return item


def _ratification(rec: Recommendation, code: str) -> Ratification:
    db.session.expire_all()
    found = db.session.scalar(select(Ratification).join(Organisation).where(
        Ratification.recommendation_id == rec.id, Organisation.code == code))
    assert found is not None
    return found


RAISE = {"kind": "recommendation", "title": "Shared back office", "summary": "One finance back office.",
         "decision_sought": "Agree to consult.", "within_delegation": "no"}


# --- Defect 1: no pre-ticked boxes; check your answers; edit until PDEG considers it ----------------


def test_raise_a_recommendation_opens_with_no_party_ticked(
    chair: User, client_for: Callable[[User], FlaskClient],
) -> None:
    html = client_for(chair).get("/recommendations/new").get_data(as_text=True)
    boxes = [line for line in html.split("<input") if 'name="affected"' in line]
    assert boxes, "the parties are offered"
    assert not [b for b in boxes if "checked" in b.split(">", 1)[0]]


def test_raising_shows_the_answers_to_check_before_anything_is_sent(
    chair: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    client = client_for(chair)
    chosen = [str(org("RDE").id), str(org("DCC").id), str(org("TC").id)]
    check = client.post("/recommendations/new", data={**RAISE, "affected": chosen})
    assert check.status_code == 200
    page = Page.of(check)
    assert "Check your answers" in (page.text("maincontent") or "")
    answers = page.text("answers") or ""
    for name in ("Royal Devon and Exeter", "Devon County Council", "Torbay Council"):
        assert name in answers
    assert "Plymouth" not in answers
    assert db.session.scalar(select(func.count()).select_from(Recommendation)) == 0  # nothing sent yet

    # Changing an answer keeps everything typed.
    change = client.post("/recommendations/new", data={**RAISE, "affected": chosen, "change": "yes"})
    assert Page.of(change).values["title"] == "Shared back office"

    done = client.post("/recommendations/new", data={**RAISE, "affected": chosen, "confirm": "yes"})
    assert done.status_code == 302
    rec = db.session.scalar(select(Recommendation))
    assert rec is not None and {o.code for o in rec.affected} == {"RDE", "DCC", "TC"}
    confirmation = client.get(done.headers["Location"])
    page = Page.of(confirmation)
    assert rec.reference in (page.text("confirmation") or "")
    assert "Recommendation raised" in (page.text("confirmation") or "")


def test_the_raiser_may_edit_the_parties_until_pdeg_considers_it(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
) -> None:
    rec = _raise(chair, org, ("RDE", "DCC", "PCC", "TC"))
    operations.edit_recommendation(rec, chair, title=rec.title, summary=rec.summary,
                                   decision_sought=rec.decision_sought, affected=[org("RDE"), org("DCC")])
    db.session.commit()
    assert {o.code for o in rec.affected} == {"RDE", "DCC"}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "edit_recommendation")) == 1
    with pytest.raises(OperationError):  # someone else may not
        operations.edit_recommendation(rec, make_user(Role.PARTNER_CEO, "RDE"), title="x", summary="",
                                       decision_sought="", affected=[org("RDE")])
    db.session.rollback()
    _agreed(rec, secretariat)
    assert {r.organisation.code for r in rec.ratifications} == {"RDE", "DCC"}
    with pytest.raises(OperationError):  # PDEG has decided: no more edits
        operations.edit_recommendation(rec, chair, title="Changed", summary="", decision_sought="",
                                       affected=[org("RDE")])


def test_the_edit_page_is_offered_to_the_raiser_while_raised(
    chair: User, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    rec = _raise(chair, org)
    client = client_for(chair)
    response = client.post(f"/recommendations/{rec.id}/edit", data={
        "title": "Shared back office (revised)", "summary": "S", "decision_sought": "D",
        "affected": [str(org("RDE").id)], "expected_version": str(rec.lock_version)})
    assert response.status_code == 302, Page.of(response).text("maincontent")
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).title == "Shared back office (revised)"  # type: ignore[union-attr]


# --- Defect 2: a Board's date before PDEG agreed is refused; a recorded decision can be corrected ---


def test_a_board_cannot_ratify_before_pdeg_agreed(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "RDE")
    with pytest.raises(OperationError) as refused:
        cases.act(ratification, make_user(Role.BOARD_SECRETARY, "RDE"), "ratify",
                                       {"meeting_date": date(2026, 11, 1), "minute_reference": "B/1"})
    problem = refused.value.problems[0] if hasattr(refused.value, "problems") else refused.value
    assert problem.field == "meeting_date" and problem.clause == "10.6"
    assert "Mon 30 Nov 2026" in problem.message
    db.session.rollback()
    assert _ratification(rec, "RDE").state == "awaiting_board"


def test_a_board_secretary_corrects_a_recorded_decision_with_a_reason(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    secretary = make_user(Role.BOARD_SECRETARY, "RDE")
    ratification = _ratification(rec, "RDE")
    cases.act(ratification, secretary, "ratify",
                                   {"meeting_date": TODAY, "minute_reference": "B/1"})
    db.session.commit()
    clock.freeze(NOW + timedelta(days=3))
    ratification = _ratification(rec, "RDE")
    with pytest.raises(OperationError) as no_reason:
        operations.correct_board_decision(ratification, secretary, meeting_date=TODAY + timedelta(days=1),
                                          minute_reference="B/2", reason="")
    assert no_reason.value.field == "reason"
    db.session.rollback()
    with pytest.raises(OperationError) as too_early:
        operations.correct_board_decision(_ratification(rec, "RDE"), secretary, meeting_date=date(2026, 11, 1),
                                          minute_reference="B/2", reason="Typo")
    assert too_early.value.field == "meeting_date"
    db.session.rollback()
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    operations.correct_board_decision(_ratification(rec, "RDE"), secretary, meeting_date=TODAY + timedelta(days=1),
                                      minute_reference="B/2", reason="The minute gave the wrong date")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
    corrected = _ratification(rec, "RDE")
    assert corrected.meeting_date == TODAY + timedelta(days=1) and corrected.minute_reference == "B/2"
    page = Page.of(client_for(secretary).get(f"/ratifications/{corrected.id}"))
    shown = page.text("corrections") or ""
    assert "The minute gave the wrong date" in shown and "Mon 30 Nov 2026" in shown and "Tue 1 Dec 2026" in shown
    with pytest.raises(OperationError):  # another Board's secretary may not
        operations.correct_board_decision(corrected, make_user(Role.BOARD_SECRETARY, "DCC"),
                                          meeting_date=TODAY, minute_reference="B/3", reason="x")


# --- Defect 3: a refusal shows everywhere -------------------------------------------------------------


def test_a_refusal_shows_everywhere_and_the_chief_executive_is_told(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ceo = make_user(Role.PARTNER_CEO, "DCC")
    secretary = make_user(Role.BOARD_SECRETARY, "DCC")
    cases.act(_ratification(rec, "DCC"), secretary, "not_ratify",
                                   {"meeting_date": TODAY, "minute_reference": "C/9", "reasons": "Cost"})
    db.session.commit()

    title, _ = queries.state_title(db.session.get(Recommendation, rec.id))  # type: ignore[arg-type]
    assert "Not ratified by Devon County Council" in title
    decision = Page.of(client_for(ceo).get(f"/recommendations/{rec.id}"))
    assert "Not ratified by Devon County Council" in (decision.text("decision-state") or "")
    assert "You may open a dispute about this decision" in (decision.text("dispute-offer") or "")
    register = Page.of(client_for(ceo).get("/register"))
    assert "Not ratified by Devon County Council" in (register.text(f"row-{rec.reference}") or "")
    record = record_queries.decision_records([db.session.get(Recommendation, rec.id)], ceo)[0]  # type: ignore[list-item]
    assert "Not ratified by Devon County Council" in record.state_title

    assert queries.awaiting_board_page(org("DCC").id, None).total == 0
    assert db.session.execute(record_queries.awaiting_for_meeting(org("DCC").id, None)).all() == []
    from govern.deadlines.dashboard import build_dashboard
    counts = {bar.label: bar.value for bar in build_dashboard(fresh=True).ratifications}
    assert "Devon County Council" not in counts and counts.get("Royal Devon and Exeter NHS Foundation Trust") == 1

    told = db.session.scalars(select(Notice).where(Notice.user_id == ceo.id)).all()
    assert any(rec.reference in n.subject and "not ratif" in (n.subject + n.body).lower() for n in told)


# --- Defect 4: wording and layout ---------------------------------------------------------------------


def test_ratified_by_every_remaining_party_when_a_withdrawn_partys_ratification_lapsed(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient], admin: User,
) -> None:
    rec = _raise(chair, org, ("RDE", "PHNT"))
    _agreed(rec, secretariat)
    withdraw_party(org("PHNT"), admin)
    operations.lapse_ratifications_of(org("PHNT"), admin)
    cases.act(_ratification(rec, "RDE"), make_user(Role.BOARD_SECRETARY, "RDE"), "ratify",
                                   {"meeting_date": TODAY, "minute_reference": "B/1"})
    db.session.commit()
    page = Page.of(client_for(chair).get(f"/recommendations/{rec.id}"))
    assert "Ratified by every remaining party's Board" in (page.text("decision-state") or "")
    boards = page.text("boards-to-ratify") or ""
    assert "Plymouth Hospitals" not in boards  # a withdrawn party is not among those whose Boards ratify


def test_a_decision_within_delegated_powers_lists_no_boards(
    chair: User, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    rec = operations.bring_recommendation(
        chair, title="Group budget", summary="S", decision_sought="D", raised_by=RaisedBy.SUBORDINATE_GROUP,
        affected=[org("RDE")], group=chair.group, within_delegation=True, delegation_basis="Within budget",
    )
    db.session.commit()
    register = Page.of(client_for(chair).get("/register"))
    assert "Not yet sent" not in (register.text(f"row-{rec.reference}") or "")
    decision = Page.of(client_for(chair).get(f"/recommendations/{rec.id}"))
    assert decision.text("boards-to-ratify") is None


def test_a_cabinet_is_called_a_cabinet_on_its_page(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    secretary = make_user(Role.BOARD_SECRETARY, "DCC")
    html = client_for(secretary).get(f"/ratifications/{_ratification(rec, 'DCC').id}").get_data(as_text=True)
    main = Page(html).text("maincontent") or ""
    assert "Cabinet meeting date" in main and "Board meeting date" not in main
    assert "Awaiting the Cabinet" in main


def test_dates_in_messages_read_as_tue_1_dec_2026(
    secretariat: User, client_for: Callable[[User], FlaskClient],
) -> None:
    response = client_for(secretariat).post("/pdeg/meetings/new", data={
        **_date("meeting_date", date(2026, 12, 1)), "title": "PDEG"}, follow_redirects=True)
    assert "Tue 1 Dec 2026" in response.get_data(as_text=True)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"decision": "not_ratify", "minute_reference": "C/1"}, "reasons", "Enter the reasons"),
    ({"decision": "ratify"}, "minute_reference", "Enter the minute reference"),
])
def test_errors_say_what_to_do(
    data: dict[str, Any], field: str, message: str, chair: User, secretariat: User,
    org: Callable[[str], Organisation], make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    ratification = _ratification(rec, "RDE")
    response = client_for(make_user(Role.BOARD_SECRETARY, "RDE")).post(
        f"/ratifications/{ratification.id}",
        data={**data, **_date("meeting_date", TODAY), "expected_version": str(ratification.lock_version)})
    assert message in (Page.of(response).text(f"{field}-error") or "")
    assert "is required" not in response.get_data(as_text=True)


def test_a_cabinets_words_do_not_leak_to_another_boards_page(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    rec = _raise(chair, org)
    _agreed(rec, secretariat)
    for code, word in (("DCC", "Cabinet"), ("RDE", "Board")):
        ratification = _ratification(rec, code)
        response = client_for(make_user(Role.BOARD_SECRETARY, code)).post(
            f"/ratifications/{ratification.id}", data={"expected_version": str(ratification.lock_version)})
        assert f"Choose what the {word} decided" in (Page.of(response).text("decision-error") or "")
