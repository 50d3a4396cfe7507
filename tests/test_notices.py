"""Notices on every transition, to whoever must act next, in the app and by email (the outbox),
written in the same transaction as the transition."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from govern.auth.models import User
from govern.core.errors import OperationError
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage
from govern.partnership.models import Organisation
from tests.casework import Cast, Run, start_run
from tests.conftest import Page
from tests.test_records import agreed_decision


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    cast = Cast(make_user, stp_leader)
    cast.deputy("RDE")
    return cast


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def told(user: User) -> list[str]:
    """The notices ``user`` has, oldest first: subject, then body."""
    return [f"{n.subject} | {n.body}" for n in db.session.scalars(
        select(Notice).where(Notice.user_id == user.id).order_by(Notice.id))]


def mailed(user: User) -> list[str]:
    return list(db.session.scalars(
        select(OutboxMessage.subject).where(OutboxMessage.to_address == user.email).order_by(OutboxMessage.id)))


def reported(run: Run) -> None:
    run.file("RDE", "scenario_2")
    run.run([("RDE", "save", {"principles": ["B3"]}), ("RDE", "save", {}), ("RDE", "submit_report", {})])


def test_filing_tells_the_stp_leader_and_the_other_officer_of_the_party(run: Run, cast: Cast) -> None:
    dispute = run.file("RDE", "scenario_2")

    assert told(cast.leader) == [f"{dispute.reference}: Notified to the STP Leader | "
                                 "A dispute has been notified to you (Schedule 8)."]
    assert [t.split(" | ")[1] for t in told(cast.deputy("RDE"))] == [
        "For you to do: Written report to the STP Leader (Schedule 8, scenario 2, step one), "
        "due by the end of Wednesday 8 March 2023."
    ]
    assert told(cast.ceo("RDE")) == []  # who acted is not told
    assert mailed(cast.leader) == [f"{dispute.reference}: Notified to the STP Leader"]


def test_nominating_the_panel_tells_the_panel_and_the_parties(run: Run, cast: Cast) -> None:
    reported(run)
    before = {who: len(told(who)) for who in (cast.ceo("DCC"), cast.ceo("RDE"), cast.deputy("RDE"), cast.leader)}

    run.do("leader", "nominate_panel", {"organisation_ids": ["DCC"]})

    new = {who: told(who)[before[who]:] for who in before}
    assert [line.split(" | ")[1] for line in new[cast.ceo("DCC")]] == [
        "The panel has been nominated.\n"
        "For you to do: Panel members declare any conflict of interest (16.2)."
    ]
    assert [line.split(" | ")[1] for line in new[cast.ceo("RDE")]] == ["The panel has been nominated."]
    assert len(new[cast.deputy("RDE")]) == 1
    assert new[cast.leader] == []


def test_a_replacement_panel_member_is_told_to_declare(run: Run, cast: Cast) -> None:
    reported(run)
    run.run([("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
             ("DCC", "declare_interest", {"conflict": True, "details": "We commission the service"})])

    run.do("leader", "replace_panel_member", {"replace": run.org("DCC").id, "replacement": run.org("PCC").id,
                                              "reason": "DCC declared a conflict"})

    assert [line.split(" | ")[1] for line in told(cast.ceo("PCC"))] == [
        "Your organisation has been nominated to the panel in place of another. "
        "For you to do: declare any conflict of interest (16.2)."
    ]


def test_a_proposal_tells_the_parties(run: Run, cast: Cast) -> None:
    reported(run)
    run.run([
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
        ("DCC", "declare_interest", {"conflict": False}),
        ("leader", "release_papers", {}),
        ("DCC", "make_recommendation", {"recommendation": "Review the decision", "reasons": "New evidence"}),
    ])
    before = len(told(cast.ceo("RDE")))

    run.do("leader", "propose_solution",
           {"outcome": "decision_stands", "proposal": "Keep the decision", "reasons": "Value"})

    assert "read it and respond" in told(cast.ceo("RDE"))[before]


def test_agreed_at_pdeg_tells_each_boards_secretary(cast: Cast, org: Callable[[str], Organisation]) -> None:
    rde, phnt, tc = cast.secretary("RDE"), cast.secretary("PHNT"), cast.secretary("TC")

    rec = agreed_decision(cast, org, codes=("RDE", "PHNT"))

    expected = [f"For your Board: {rec.reference} Shared back office | PDEG has agreed {rec.reference}, "
                "\"Shared back office\". It needs your Board's ratification (clause 10.6). Record the outcome "
                "under Awaiting our Board."]
    assert told(rde) == told(phnt) == expected  # once each
    assert told(tc) == []


def test_a_refused_action_tells_nobody(run: Run, cast: Cast) -> None:
    reported(run)
    count = db.session.query(Notice).count()

    with pytest.raises(OperationError):
        run.do("RDE", "nominate_panel", {"organisation_ids": ["DCC"]})
    db.session.rollback()

    assert db.session.query(Notice).count() == count


def test_users_see_their_notices_and_the_count_in_the_header(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient]
) -> None:
    dispute = run.file("RDE", "scenario_2")
    client = client_for(cast.leader)

    page = client.get("/notices").get_data(as_text=True)
    assert "Notices (1 unread)" in page
    assert f"{dispute.reference}: Notified to the STP Leader" in page
    assert Page(page).text("unread-count") == "1 unread."

    client.post("/notices/read")
    assert Page.of(client.get("/notices")).text("unread-count") == "Nothing unread."


def test_the_header_counts_unread_notices_up_to_99_and_the_notices_page_counts_them_all(
    cast: Cast, client_for: Callable[[User], FlaskClient]
) -> None:
    """Issue 14: an STP Leader who never marks notices read has thousands; every page's header counted
    them all. The header now says "99+" past 99; the notices page still gives the exact number."""
    from govern.core import clock

    client = client_for(cast.leader)
    db.session.add_all([Notice(user_id=cast.leader.id, subject=f"Notice {n}", created_at=clock.now())
                        for n in range(99)])
    db.session.commit()
    assert "Notices (99 unread)" in client.get("/account").get_data(as_text=True)

    db.session.add(Notice(user_id=cast.leader.id, subject="Notice 100", created_at=clock.now()))
    db.session.commit()
    page = client.get("/notices").get_data(as_text=True)
    assert "Notices (99+ unread)" in page
    assert Page(page).text("unread-count") == "100 unread."
