"""Conflicting transitions: a page showing an old version, two sessions acting at once, a real race.

Every case row carries a version that each change bumps; the operation that loses the race gets
``StaleCase`` ("This case has changed") and nothing it tried to write is stored.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from govern import cases
from govern.audit import chain
from govern.auth.models import User
from govern.cases.models import CaseKind
from govern.core import clock
from govern.core.errors import StaleCase
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import (
    RaisedBy,
    Ratification,
    Recommendation,
)
from tests.casework import Cast, Run, audit_count, event_names, snapshot, start_run


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def _reported(run: Run, by: str = "RDE") -> Dispute:
    """A Scenario 2 dispute whose report is with the STP Leader."""
    dispute = run.file(by, "scenario_2")
    run.run([(by, "save", {"principles": ["B3"]}), (by, "save", {}), (by, "submit_report", {})])
    return dispute


def _nominate(run: Run, dispute: Dispute, version: int | None) -> Any:
    return cases.act(dispute, run.cast.leader, "nominate_panel", {"organisation_ids": run.ids("DCC")}, version)


def test_a_dispute_action_on_an_older_version_is_refused_as_stale(run: Run) -> None:
    dispute = _reported(run)
    shown = dispute.version - 1  # the page the STP Leader acts on was rendered before the report arrived
    before = snapshot(dispute)

    with pytest.raises(StaleCase, match="This case has changed"):
        _nominate(run, dispute, shown)
    db.session.rollback()
    assert snapshot(dispute) == before


def test_a_dispute_action_on_the_current_version_goes_through(run: Run) -> None:
    dispute = _reported(run)
    _nominate(run, dispute, dispute.version)
    db.session.commit()

    assert dispute.state == "panel_nominated"


def _agreed(run: Run) -> Recommendation:
    """A recommendation PDEG agreed today: RDE's and NDHT's Boards are asked to ratify it."""
    secretariat = run.cast.secretariat
    recommendation = pdeg_ops.raise_recommendation(
        run.cast.leader, title="Stroke services", summary="Options and costs", decision_sought="Agree option B",
        raised_by=RaisedBy.STP_LEADER, affected=[run.org("RDE"), run.org("NDHT")],
    )
    cases.act(recommendation, secretariat, "place_on_agenda", {"meeting_date": "2023-03-01"})
    cases.act(recommendation, secretariat, "agree", {"minute_reference": "M", "reasons": "R"})
    db.session.commit()
    return recommendation


def test_a_pdeg_outcome_on_an_older_version_of_the_recommendation_is_refused_as_stale(run: Run) -> None:
    recommendation = _agreed(run)
    state, before = recommendation.state, audit_count()

    with pytest.raises(StaleCase, match="This case has changed"):
        cases.act(recommendation, run.cast.secretariat, "amend",
                                       {"amendment": "A", "minute_reference": "M", "reasons": "R"},
                                       recommendation.lock_version - 1)
    db.session.rollback()
    assert (recommendation.state, recommendation.amendment_version, audit_count()) == (state, 1, before)


def test_a_boards_decision_on_an_older_version_of_its_ratification_is_refused_as_stale(run: Run) -> None:
    recommendation = _agreed(run)
    ratification = db.session.scalars(
        select(Ratification).where(Ratification.organisation_id == run.org("RDE").id)
    ).one()
    secretary = run.cast.secretary("RDE")
    before = audit_count()

    with pytest.raises(StaleCase, match="This case has changed"):
        cases.act(ratification, secretary, "ratify",
                                     {"meeting_date": "2023-03-01", "minute_reference": "B/1"},
                                     ratification.lock_version - 1)
    db.session.rollback()
    assert (ratification.state, recommendation.state, audit_count()) == (
        "awaiting_board", "awaiting_ratification", before
    )


# --- two sessions ------------------------------------------------------------------------------------


@pytest.mark.real_commits  # several connections, threads
def test_of_two_sessions_acting_on_the_same_dispute_only_the_first_to_commit_wins(app: Flask, run: Run) -> None:
    dispute = _reported(run)
    dispute_id, leader_id, filer_id = dispute.id, run.cast.leader.id, run.cast.ceo("RDE").id
    dcc_id = run.org("DCC").id
    db.session.commit()
    loaded_here = db.session.get(Dispute, dispute_id)  # session one opens the case...
    assert loaded_here is not None and loaded_here.state == "report_received"

    with app.app_context():  # ...session two opens it too, acts and commits first
        other = db.session.get(Dispute, dispute_id)
        filer = db.session.get(User, filer_id)
        assert other is not None and filer is not None
        cases.act(other, db.session.get(User, leader_id), "extend_deadline",
                {"step": "proposal", "due_date": "2023-03-31", "reason": "Panel chair on leave"})
        db.session.commit()
        db.session.remove()
    events_after_winner = event_names(CaseKind.DISPUTE, dispute_id)
    audit_after_winner = audit_count()

    with pytest.raises(StaleCase, match="This case has changed"):
        cases.act(loaded_here, run.cast.leader, "nominate_panel", {"organisation_ids": [dcc_id]})
    db.session.rollback()

    db.session.expire_all()
    assert db.session.get(Dispute, dispute_id).state == "report_received"  # type: ignore[union-attr]
    assert event_names(CaseKind.DISPUTE, dispute_id) == events_after_winner
    assert events_after_winner[-1] == "deadline_extended"
    assert audit_count() == audit_after_winner
    assert chain.verify().ok


# --- a real race on PostgreSQL --------------------------------------------------------------------

ROUNDS = 20


def _race(app: Flask, dispute_id: int, contenders: list[tuple[int, str, dict[str, Any]]]) -> list[str]:
    """Each contender (user id, trigger, payload) acts in its own thread, app context and session,
    at the same moment; return how each ended: "won", "stale" or the unexpected error."""
    start = threading.Barrier(len(contenders))
    results: list[str] = [""] * len(contenders)
    moment = clock.now()

    def contender(n: int, user_id: int, trigger: str, payload: dict[str, Any]) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                dispute = db.session.get(Dispute, dispute_id)
                assert dispute is not None and dispute.state == "report_received"
                _ = dispute.version, dispute.parties, dispute.panel, dispute.material
                start.wait(timeout=10)
                cases.act(dispute, user, trigger, payload)
                db.session.commit()
                results[n] = "won"
            except StaleCase:
                db.session.rollback()
                results[n] = "stale"
            except BaseException as error:
                db.session.rollback()
                results[n] = f"{type(error).__name__}: {error}"
            finally:
                db.session.remove()

    with clock.frozen(moment):
        threads = [threading.Thread(target=contender, args=(n, *c)) for n, c in enumerate(contenders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    return results


@pytest.mark.real_commits  # several connections, threads
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql")),
    reason="a real race needs PostgreSQL: run with DATABASE_URL set to it",
)
def test_racing_conflicting_transitions_exactly_one_wins_each_time(app: Flask, run: Run) -> None:
    assert db.engine.dialect.name == "postgresql"
    leader_id, dcc_id, pcc_id = run.cast.leader.id, run.org("DCC").id, run.org("PCC").id
    for round_ in range(ROUNDS):
        dispute = _reported(run)
        dispute_id = dispute.id
        db.session.commit()
        results = _race(app, dispute_id, [
            (leader_id, "nominate_panel", {"organisation_ids": [dcc_id]}),
            (leader_id, "nominate_panel", {"organisation_ids": [pcc_id]}),
        ])
        assert sorted(results) == ["stale", "won"], f"round {round_}: {results}"
        db.session.expire_all()
        stored = db.session.get(Dispute, dispute_id)
        assert stored is not None and stored.state == "panel_nominated"
        assert len(stored.panel) == 1
        assert event_names(CaseKind.DISPUTE, dispute_id).count("panel_nominated") == 1
    result = chain.verify()
    assert result.ok, result.reason

