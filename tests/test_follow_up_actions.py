"""From decision to action: actions after a ratified decision (10.6) or an accepted dispute outcome, their
review date, owner-kept status and reminders, through the operations and the pages where they show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from govern.actions import operations as action_ops
from govern.actions.models import ActionReminder, ActionStatus, FollowUp
from govern.actions.reminders import send_action_reminders
from govern.auth.models import User
from govern.core import clock
from govern.core.errors import OperationError
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.notify.models import Notice
from govern.partnership.models import Organisation
from govern.pdeg.models import Recommendation
from tests.casework import Cast, Run, audit_actions, audit_count, start_run
from tests.test_pdeg_operations import Pdeg
from tests.test_records import closed_scenario_2

pytestmark = pytest.mark.usefixtures("app")

DUE = date(2023, 3, 31)


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def pdeg(cast: Cast, org: Callable[[str], Organisation]) -> Pdeg:
    return Pdeg(cast, org)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def ratified(pdeg: Pdeg) -> Recommendation:
    rec = pdeg.agreed()
    for code in ("RDE", "NDHT", "PCC"):
        pdeg.board(rec, code)
    return rec


def add(subject: Any, user: User, owner: User, **extra: Any) -> FollowUp:
    fields = {"owner_email": owner.email, "description": "Publish the stroke pathway", "due_date": DUE, **extra}
    action = action_ops.add_action(subject, user, **fields)
    db.session.commit()
    return action


# --- who adds actions, and when --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["leader", "secretariat"])
def test_the_stp_leader_or_secretariat_adds_an_action_to_a_ratified_decision(pdeg: Pdeg, who: str) -> None:
    rec = ratified(pdeg)
    user = pdeg.cast.leader if who == "leader" else pdeg.cast.secretariat
    owner = pdeg.cast.ceo("RDE")

    action = add(rec, user, owner)

    assert (action.recommendation_id, action.owner_id, action.status) == (rec.id, owner.id, ActionStatus.NOT_STARTED)
    assert audit_actions("follow_up_action", action.id) == ["add_action"]
    told = db.session.scalars(select(Notice).where(Notice.user_id == owner.id)).all()
    assert [n.link for n in told] == [f"/actions/{action.id}"]


def test_no_action_before_every_board_has_ratified(pdeg: Pdeg) -> None:
    rec = pdeg.agreed()
    with pytest.raises(OperationError, match="once every Board has ratified") as refused:
        action_ops.add_action(rec, pdeg.cast.leader, owner_email=pdeg.cast.ceo("RDE").email,
                              description="x", due_date=DUE)
    assert refused.value.clause == "10.6"


@pytest.mark.parametrize("who", ["ceo", "secretary"])
def test_nobody_else_adds_actions_to_a_decision(pdeg: Pdeg, who: str) -> None:
    rec = ratified(pdeg)
    user = pdeg.cast.ceo("RDE") if who == "ceo" else pdeg.cast.secretary("RDE")
    with pytest.raises(OperationError, match="Only the STP Leader or the PDEG secretariat"):
        action_ops.add_action(rec, user, owner_email=user.email, description="x", due_date=DUE)


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"description": "  "}, "description", "Say what is to be done"),
        ({"owner_email": "nobody@example.nhs.uk"}, "owner_email",
         "Enter the email address of a person with an account"),
        ({"due_date": None}, "due_date", "Enter the due date"),
        ({"due_date": date(2023, 2, 28)}, "due_date",
         "The due date must be today or later: Tue 28 Feb 2023 has passed"),
    ],
)
def test_a_bad_action_is_refused_beside_its_field(pdeg: Pdeg, extra: dict[str, Any], field: str, message: str) -> None:
    rec = ratified(pdeg)
    before = audit_count()
    fields = {"owner_email": pdeg.cast.ceo("RDE").email, "description": "Publish it", "due_date": DUE, **extra}
    with pytest.raises(OperationError) as refused:
        action_ops.add_action(rec, pdeg.cast.leader, **fields)
    assert (refused.value.field, refused.value.message) == (field, message)
    db.session.rollback()
    assert audit_count() == before


def test_the_stp_leader_adds_actions_to_an_accepted_dispute_outcome(run: Run, cast: Cast) -> None:
    dispute = closed_scenario_2(run)
    assert action_ops.outcome_accepted(dispute)
    action = add(dispute, cast.leader, cast.ceo("RDE"))
    assert action.dispute_id == dispute.id
    with pytest.raises(OperationError, match="Only the STP Leader adds actions"):
        action_ops.add_action(dispute, cast.ceo("RDE"), owner_email=cast.ceo("RDE").email, description="x",
                              due_date=DUE)


def test_no_action_on_a_dispute_still_open(run: Run, cast: Cast) -> None:
    dispute = run.file("RDE", "scenario_2", decision_reference="PDEG minute 2023/07")
    with pytest.raises(OperationError, match="once every party has accepted its outcome"):
        action_ops.add_action(dispute, cast.leader, owner_email=cast.ceo("RDE").email, description="x",
                              due_date=DUE)


def test_the_review_date_is_set_and_changed(pdeg: Pdeg) -> None:
    rec = ratified(pdeg)
    review = action_ops.set_review_date(rec, pdeg.cast.leader, review_date=date(2023, 6, 1))
    db.session.commit()
    action_ops.set_review_date(rec, pdeg.cast.secretariat, review_date=date(2023, 7, 1))
    db.session.commit()
    assert review.review_date == date(2023, 7, 1)
    assert audit_actions("follow_up_review", review.id) == ["set_review_date", "set_review_date"]
    with pytest.raises(OperationError, match="review date must be today or later"):
        action_ops.set_review_date(rec, pdeg.cast.leader, review_date=date(2023, 1, 1))


# --- the owner keeps the status --------------------------------------------------------------------------


def test_the_owner_keeps_the_status_and_a_blocked_action_needs_a_note(pdeg: Pdeg) -> None:
    owner = pdeg.cast.ceo("RDE")
    action = add(ratified(pdeg), pdeg.cast.leader, owner)

    with pytest.raises(OperationError, match="Only the action's owner"):
        action_ops.update_status(action, pdeg.cast.leader, status=ActionStatus.DONE, note="")
    with pytest.raises(OperationError, match="Say what is blocking it") as refused:
        action_ops.update_status(action, owner, status=ActionStatus.BLOCKED, note=" ")
    assert refused.value.field == "note"

    action_ops.update_status(action, owner, status=ActionStatus.BLOCKED, note="Waiting for the estates survey")
    db.session.commit()
    action_ops.update_status(action, owner, status=ActionStatus.IN_PROGRESS, note="")
    db.session.commit()
    assert action.status is ActionStatus.IN_PROGRESS
    assert audit_actions("follow_up_action", action.id) == ["add_action", "update_action_status",
                                                            "update_action_status"]


# --- reminders ---------------------------------------------------------------------------------------------


def sweep(day: date) -> int:
    clock.freeze(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
    sent = send_action_reminders()
    db.session.commit()
    return sent


def test_owners_are_reminded_a_week_before_and_on_the_day_once_each(pdeg: Pdeg) -> None:
    owner = pdeg.cast.ceo("RDE")
    action = add(ratified(pdeg), pdeg.cast.leader, owner)  # due Fri 31 Mar 2023

    assert sweep(date(2023, 3, 23)) == 0
    assert sweep(date(2023, 3, 24)) == 1   # a week before
    assert sweep(date(2023, 3, 24)) == 0   # once, however often tick runs
    assert sweep(date(2023, 3, 27)) == 0
    assert sweep(date(2023, 3, 31)) == 1   # on the day
    assert sweep(date(2023, 3, 31)) == 0
    kinds = db.session.scalars(select(ActionReminder.kind).where(ActionReminder.action_id == action.id)
                                .order_by(ActionReminder.id)).all()
    assert [k.value for k in kinds] == ["week_before", "due_day"]
    subjects = [n.subject for n in db.session.scalars(select(Notice).where(Notice.user_id == owner.id)
                                                       .order_by(Notice.id))]
    assert subjects[-2:] == ["Your action is due on Fri 31 Mar 2023", "Your action is due today"]


def test_a_done_action_is_not_reminded(pdeg: Pdeg) -> None:
    owner = pdeg.cast.ceo("RDE")
    action = add(ratified(pdeg), pdeg.cast.leader, owner)
    action_ops.update_status(action, owner, status=ActionStatus.DONE, note="")
    db.session.commit()
    assert sweep(date(2023, 3, 31)) == 0
    assert db.session.scalar(select(func.count(ActionReminder.id))) == 0


# --- the pages ---------------------------------------------------------------------------------------------


def test_actions_show_on_the_decision_the_owners_home_page_and_the_dashboard(
    pdeg: Pdeg, client_for: Callable[[User], Any],
) -> None:
    owner = pdeg.cast.ceo("RDE")
    rec = ratified(pdeg)
    leader = client_for(pdeg.cast.leader)
    page = leader.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert "Add an action" in page

    added = leader.post(f"/recommendations/{rec.id}/follow-up/new", data={
        "description": "Publish the stroke pathway", "owner_email": owner.email,
        "due_date[day]": "31", "due_date[month]": "3", "due_date[year]": "2023"})
    assert added.status_code == 302
    bad = leader.post(f"/recommendations/{rec.id}/follow-up/new", data={
        "description": "Another", "owner_email": owner.email,
        "due_date[day]": "1", "due_date[month]": "1", "due_date[year]": "2023"})
    assert bad.status_code == 400
    assert 'id="due_date-error"' in bad.get_data(as_text=True)

    page = " ".join(leader.get(f"/recommendations/{rec.id}").get_data(as_text=True).split())
    assert "Publish the stroke pathway" in page and "Fri 31 Mar 2023" in page and "Not started" in page
    dashboard = " ".join(leader.get("/dashboard").get_data(as_text=True).split())
    assert "1 action not yet done." in dashboard

    mine = client_for(owner)
    home = " ".join(mine.get("/").get_data(as_text=True).split())
    assert "Your actions" in home and "1 not yet done." in home
    action = db.session.scalars(select(FollowUp)).one()
    saved = mine.post(f"/actions/{action.id}", data={"status": "blocked", "note": "",
                                                      "expected_version": str(action.lock_version)})
    assert saved.status_code == 400 and "Say what is blocking it" in saved.get_data(as_text=True)
    saved = mine.post(f"/actions/{action.id}", data={"status": "done", "note": "",
                                                      "expected_version": str(action.lock_version)})
    assert saved.status_code == 302
    assert "Your actions" not in mine.get("/").get_data(as_text=True)
    assert leader.post(f"/actions/{action.id}", data={"status": "in_progress"}).status_code == 403


def test_a_dispute_page_shows_its_actions_to_those_who_see_it(
    run: Run, cast: Cast, client_for: Callable[[User], Any],
) -> None:
    dispute: Dispute = closed_scenario_2(run)
    add(dispute, cast.leader, cast.ceo("RDE"))
    page = client_for(cast.ceo("RDE")).get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "Actions that follow" in page and "Publish the stroke pathway" in page
    assert client_for(cast.ceo("PCC")).get(f"/disputes/{dispute.id}/follow-up/new").status_code == 404
    assert client_for(cast.ceo("RDE")).get(f"/disputes/{dispute.id}/follow-up/new").status_code == 403
    leader = client_for(cast.leader)
    assert "Add an action" in leader.get(f"/disputes/{dispute.id}/follow-up/new").get_data(as_text=True)
    assert leader.post(f"/disputes/{dispute.id}/follow-up/review", data={
        "review_date[day]": "1", "review_date[month]": "9", "review_date[year]": "2023"}).status_code == 302
    assert "To be reviewed on Fri 1 Sep 2023" in leader.get(f"/disputes/{dispute.id}").get_data(as_text=True)
