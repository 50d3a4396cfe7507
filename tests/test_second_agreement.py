"""A second, real agreement of another shape runs end to end with no code of its own.

``agreements/integration-scheme-clause-14.yaml``: a Scottish Integration Scheme's dispute resolution
mechanism between a Health Board and a Council. Either party starts it; there is no STP Leader and no
panel; the Chief Executives meet, then write position notes within 10 working days (Scotland's bank
holidays), then an independent mediator, then a joint application to Scottish Ministers, whose
directions end it. Everything below goes through the same operations, pages and engine as Devon's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from govern import ROOT, cases
from govern.agreements import service
from govern.audit import chain
from govern.audit.models import AuditEvent
from govern.auth import operations as auth_ops
from govern.auth.models import Role, User
from govern.cases.models import CaseKind
from govern.core import clock
from govern.core.errors import OperationError
from govern.disputes import operations as ops
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.notify.models import Notice
from govern.partnership.models import Organisation
from govern.partnership.seed import seed_partnership
from govern.testing import create_schema, derived_database_url, use_fast_password_hashing
from tests.casework import event_names
from tests.conftest import PASSWORD, TEST_CONFIG, Page
from workflows.deadlines import schedule

SCHEME = ROOT / "agreements" / "integration-scheme-clause-14.yaml"
DECIDED = datetime(2027, 4, 27, 10, 0, tzinfo=UTC)  # a Tuesday; Monday 3 May 2027 is a bank holiday in Scotland


@pytest.fixture
def scheme(make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    """An installation that runs the Integration Scheme, seeded from its file, with each Party's CEO."""
    if os.environ.get("DATABASE_URL"):
        url = derived_database_url(os.environ["DATABASE_URL"], "scheme")
    else:
        url = f"sqlite:///{tmp_path / 'scheme.sqlite3'}"
    use_fast_password_hashing()
    app = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "AGREEMENT_FILE": str(SCHEME)})
    with app.app_context():
        create_schema()
        seed_partnership()
        for code in ("HB", "COUNCIL"):
            auth_ops.create_user(email=f"ceo.{code.lower()}@scheme.example", name=f"Chief Executive {code}",
                                 password=PASSWORD, organisation=_org(code), role=Role.PARTNER_CEO)
        db.session.commit()
        yield app
        clock.freeze(None)
        db.session.remove()


def _org(code: str) -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.code == code))
    assert found is not None
    return found


def _ceo(code: str) -> User:
    found = db.session.scalar(select(User).where(User.email == f"ceo.{code.lower()}@scheme.example"))
    assert found is not None
    return found


def _act(dispute: Dispute, code: str, trigger: str, payload: dict[str, object] | None = None) -> None:
    cases.act(dispute, _ceo(code), trigger, payload or {})
    db.session.commit()


def _file() -> Dispute:
    dispute = ops.file_dispute(
        _ceo("HB"), process_key="dispute_resolution", title="Who hosts the joint equipment store",
        negotiation_attempted=True, negotiation_account="Officers met twice in March without agreement.",
        respondents=[_org("COUNCIL")],
    )
    db.session.commit()
    return dispute


def test_the_installation_is_the_schemes_partnership(scheme: Flask) -> None:
    assert service.current().key == "integration-scheme-clause-14"
    assert [o.code for o in db.session.scalars(select(Organisation).order_by(Organisation.code))] == [
        "COUNCIL", "HB", "IJB"]
    assert [o.title for o in __import__("govern.disputes.presenters", fromlist=["x"]).filing_options()] == [
        "The Parties fail to agree on an issue related to the Scheme"]


def test_either_party_starts_it_and_the_other_is_a_party_told_of_it(scheme: Flask) -> None:
    dispute = _file()

    council = _ceo("COUNCIL")
    assert dispute.state == "notified"
    assert [(p.organisation.code, p.filed, p.respondent) for p in dispute.parties] == [
        ("HB", True, False), ("COUNCIL", False, True)]
    assert dispute.can_view(council)
    told = db.session.scalars(select(Notice.body).where(Notice.user_id == council.id)).all()
    assert any("raised an issue under clause 14" in body for body in told)


def test_the_ladder_runs_to_the_directions_of_scottish_ministers(scheme: Flask) -> None:
    clock.freeze(DECIDED.replace(hour=9))
    dispute = _file()
    clock.freeze(DECIDED)
    _act(dispute, "COUNCIL", "proceed_to_written_submissions", {"decision": "Agreed at the meeting of 27 April"})

    # One timescale: 10 working days from the decision, Scotland's May Day bank holiday skipped.
    rows = {r.step: r for r in schedule(dispute.definition, _events(dispute), {}, DECIDED)}
    assert rows["written_submissions"].due_date == date(2027, 5, 12)
    assert rows["written_submissions"].working == (
        "Written submissions decided Tue 27 Apr 2027 + 10 working days (May Day skipped) = Wed 12 May 2027")
    assert rows["meeting"].due_date is None  # the agreement sets no timescale, so nothing is ever overdue

    hb, council = _org("HB").id, _org("COUNCIL").id
    ops.save_written_material(dispute, _ceo("HB"), {f"position_note_{hb}": "The Board should host it."})
    ops.save_written_material(dispute, _ceo("COUNCIL"), {f"position_note_{council}": "The Council should."})
    db.session.commit()
    _act(dispute, "HB", "submit_position_notes")
    _act(dispute, "COUNCIL", "proceed_to_mediation")
    _act(dispute, "HB", "appoint_mediator", {"mediator": "A. Mediator, an independent mediation service",
                                              "appointed_on": "2027-05-20"})
    _act(dispute, "COUNCIL", "record_mediation_unresolved", {})
    _act(dispute, "HB", "make_application", {"issues": "Hosting of the store", "sent_on": "2027-06-01"})
    _act(dispute, "COUNCIL", "record_directions", {"directions": "The Health Board hosts the store.",
                                                    "received_on": "2027-07-01"})

    stored = db.session.get(Dispute, dispute.id)
    assert stored is not None
    assert (stored.state, stored.is_open) == ("directed", False)
    assert event_names(CaseKind.DISPUTE, dispute.id) == [
        "notified", "chief_executives_met", "written_submissions_decided", "position_notes_exchanged",
        "submissions_considered", "mediator_appointed", "mediation_concluded", "mediation_unresolved",
        "application_made", "directions_received",
    ]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "dispute").order_by(AuditEvent.seq)).all()
    assert actions == ["notify", "proceed_to_written_submissions", "save_written_material", "save_written_material",
                       "submit_position_notes", "proceed_to_mediation", "appoint_mediator",
                       "record_mediation_unresolved", "make_application", "record_directions"]
    assert chain.verify().ok


def test_it_can_end_at_any_rung_by_agreement(scheme: Flask) -> None:
    dispute = _file()
    _act(dispute, "COUNCIL", "record_resolution", {"resolution": "The Board hosts it for two years."})

    assert (dispute.state, dispute.is_open) == ("resolved", False)
    assert event_names(CaseKind.DISPUTE, dispute.id) == ["notified", "chief_executives_met", "resolved"]


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ("nominate_panel", "not a step of"),  # no panel in this agreement
        ("submit_position_notes", "not possible while"),  # not before the decision to write them
    ],
)
def test_what_the_agreement_does_not_give_is_refused(scheme: Flask, trigger: str, message: str) -> None:
    dispute = _file()
    with pytest.raises(OperationError, match=message):
        cases.act(dispute, _ceo("HB"), trigger, {})
    db.session.rollback()


def test_the_position_notes_must_both_be_written(scheme: Flask) -> None:
    dispute = _file()
    _act(dispute, "HB", "proceed_to_written_submissions", {})
    ops.save_written_material(dispute, _ceo("HB"), {f"position_note_{_org('HB').id}": "Ours."})
    db.session.commit()
    with pytest.raises(OperationError, match="Written note of our position on the issue' is missing"):
        cases.act(dispute, _ceo("HB"), "submit_position_notes", {})
    db.session.rollback()


def test_the_pages_speak_the_schemes_words(scheme: Flask) -> None:
    dispute = _file()
    client = scheme.test_client()
    assert client.post("/login", data={"email": "ceo.council@scheme.example", "password": PASSWORD}).status_code == 302

    page = Page.of(client.get(f"/disputes/{dispute.id}"))
    assert "Raised: the Chief Executives of the Parties meet to resolve the issue" in (page.text("dispute-state") or "")
    actions = page.text("your-actions") is not None
    assert actions
    html = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "Record the decision to proceed to written submissions" in html
    assert "STP" not in html and "Schedule 8" not in html


def _events(dispute: Dispute) -> dict[str, datetime]:
    from govern.cases.runner import case_events

    return case_events(CaseKind.DISPUTE, dispute.id)
