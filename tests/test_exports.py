"""Exports: the ratification register as CSV (formula injection neutralised) and JSON, streamed, for
whoever may see the register; a whole dispute as a zip (record, papers, events, audit proof) for
whoever may see the dispute, and nobody else."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from govern.attachments.operations import attach_file
from govern.audit import chain
from govern.audit.models import AuditEvent
from govern.auth.models import User
from govern.cases.models import CaseKind
from govern.core import clock
from govern.exports.register import neutralised
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import AgendaOutcome, AgendaPart, RaisedBy, Recommendation
from govern.verify import checks
from govern.verify import operations as verify_ops
from tests.casework import Cast, Clock, Run, complete_texts, start_run
from tests.meetings import quorate
from tests.test_attachments import png
from tests.test_records import agreed_decision, pdf_text, ratify


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def csv_rows(response: Any) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("Plain words", "Plain words"),
    ("a=b", "a=b"), ("", ""), (None, ""),
])
def test_a_cell_a_spreadsheet_would_run_is_neutralised(value: Any, expected: str) -> None:
    assert neutralised(value) == expected


def test_the_register_as_csv_neutralises_formulas_and_says_what_each_board_did(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    Clock(datetime(2023, 3, 1, 10, tzinfo=UTC))
    rec = agreed_decision(cast, org, title='=HYPERLINK("http://evil.example","Click")')
    ratify(cast, rec, "RDE", "@RDE/12")
    plain = agreed_decision(cast, org, title="Shared back office")
    response = client_for(cast.ceo("NDHT")).get("/register.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv" and response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    header, *body = csv_rows(response)
    assert header[:4] == ["Reference", "Title", "Raised by", "Status"]
    by_reference = {row[0]: row for row in body}
    assert set(by_reference) == {rec.reference, plain.reference}
    hostile = by_reference[rec.reference]
    assert hostile[1] == "'=HYPERLINK(\"http://evil.example\",\"Click\")"
    assert hostile[2] == "Finance Working Group"
    assert "RDE: Ratified (2023-03-01, @RDE/12)" in hostile[-1] and "PHNT: Awaiting the Board" in hostile[-1]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in body for cell in row)


def test_the_register_as_json(cast: Cast, org: Callable[[str], Organisation],
                              client_for: Callable[[User], FlaskClient]) -> None:
    Clock(datetime(2023, 3, 1, 10, tzinfo=UTC))
    rec = agreed_decision(cast, org)
    ratify(cast, rec, "RDE", "RDE/12")
    response = client_for(cast.secretary("PHNT")).get("/register.json")
    assert response.status_code == 200 and response.mimetype == "application/json" and response.is_streamed
    document = json.loads(response.get_data(as_text=True))
    [decision] = document["decisions"]
    assert decision["reference"] == rec.reference and decision["status"] == "Agreed at PDEG; awaiting ratification"
    assert decision["clause"] == "10.6" and decision["parties_affected"] == [
        "Plymouth Hospitals NHS Trust", "Royal Devon and Exeter NHS Foundation Trust"]
    boards = {b["code"]: b for b in decision["boards"]}
    assert boards["RDE"] == {"organisation": "Royal Devon and Exeter NHS Foundation Trust", "code": "RDE",
                             "status": "Ratified", "state": "ratified", "meeting_date": "2023-03-01",
                             "minute_reference": "RDE/12"}
    assert boards["PHNT"]["status"] == "Awaiting the Board"


def test_the_register_exports_every_decision_past_a_page_and_keeps_its_filters(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    chair = cast.chair("FWG", "STP")
    for n in range(55):
        pdeg_ops.raise_recommendation(chair, title=f"Decision {n}", summary="A plan.", decision_sought="",
                                      raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org("RDE")], group=chair.group)
    pdeg_ops.draft_recommendation(chair, title="A draft nobody else sees", summary="", decision_sought="",
                                  raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org("RDE")], group=chair.group)
    db.session.commit()
    client = client_for(cast.ceo("NDHT"))
    _header, *body = csv_rows(client.get("/register.csv"))
    assert len(body) == 55 and "A draft nobody else sees" not in {row[1] for row in body}
    assert json.loads(client.get("/register.json").get_data(as_text=True))["decisions"].__len__() == 55
    _header, *filtered = csv_rows(client.get("/register.csv?status=ratified"))
    assert filtered == []


@pytest.mark.parametrize("path", ["/register.csv", "/register.json"])
def test_the_register_export_needs_sign_in_like_the_register(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.location


def closed_dispute(run: Run) -> Any:
    dispute = run.file("RDE", "scenario_2")
    run.run([
        ("RDE", "save", {**complete_texts(dispute), "principles": ["B3"]}),
        ("RDE", "submit_report", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
    ])
    return dispute


def attach(app: Flask, client: FlaskClient, dispute: Any, content: bytes, name: str) -> None:
    response = client.post(f"/attachments/dispute/{dispute.id}", data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302


def test_a_party_downloads_the_whole_case(
    app: Flask, run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = closed_dispute(run)
    client = client_for(run.cast.ceo("RDE"))
    attach(app, client, dispute, png(), "site map.png")
    response = client.get(f"/disputes/{dispute.id}/case.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = set(archive.namelist())
    assert {"README.txt", "record.pdf", "case.json", "events.json", "audit-proof.json", "papers/index.json"} <= names
    assert any(n.startswith("papers/attachments/") and n.endswith("site map.png") for n in names)
    assert any(n.startswith("papers/01 ") and n.endswith(".txt") for n in names)
    # The record in the zip is an issued record: it verifies.
    assert checks.check_file(archive.read("record.pdf"), None).matched
    # The audit proof: every event of the case, with the hashes the audit trail holds.
    proof = json.loads(archive.read("audit-proof.json"))
    stored = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "dispute",
                                                         AuditEvent.object_id == str(dispute.id))
                                .order_by(AuditEvent.seq)).all()
    assert [(p["seq"], p["hash"], p["prev_hash"]) for p in proof] == [(e.seq, e.hash, e.prev_hash) for e in stored]
    assert all(p["canonical"] == chain.event_content(e) for p, e in zip(proof, stored, strict=True))
    assert len(proof) >= 4 and proof[0]["prev_hash"] != proof[0]["hash"]
    events = json.loads(archive.read("events.json"))
    assert events[0]["name"] == "notified"
    assert "flask --app govern audit verify" in archive.read("README.txt").decode()
    assert json.loads(archive.read("case.json"))["reference"] == dispute.reference
    assert chain.verify().ok


def test_the_panel_gets_the_case_without_the_papers_until_they_are_released(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = closed_dispute(run)
    archive = zipfile.ZipFile(io.BytesIO(client_for(run.cast.ceo("DCC")).get(f"/disputes/{dispute.id}/case.zip")
                                         .get_data()))
    assert not any(n.startswith("papers/") for n in archive.namelist())
    assert "record.pdf" in archive.namelist()


@pytest.mark.parametrize("who", ["other_ceo", "board_secretary_of_the_party", "secretariat"])
def test_nobody_outside_the_dispute_gets_its_zip(who: str, run: Run,
                                                  client_for: Callable[[User], FlaskClient]) -> None:
    dispute = closed_dispute(run)
    user = {"other_ceo": lambda: run.cast.ceo("PHNT"),
            "board_secretary_of_the_party": lambda: run.cast.secretary("RDE"),
            "secretariat": lambda: run.cast.secretariat}[who]()
    assert client_for(user).get(f"/disputes/{dispute.id}/case.zip").status_code == 404
    assert client_for(user).get("/disputes/999999/case.zip").status_code == 404


# --- a whole PDEG decision as a zip ---------------------------------------------------------------------


def decision_with_a_paper(cast: Cast, org: Callable[[str], Organisation]) -> Recommendation:
    """A Finance Working Group recommendation with a supporting paper, agreed at PDEG (minute PDEG/7) with
    its reasons: it awaits the Boards of RDE and PHNT."""
    chair = cast.chair("FWG", "STP")
    rec = pdeg_ops.raise_recommendation(
        chair, title="Shared back office", summary="One finance back office.", decision_sought="Agree to consult.",
        raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org("RDE"), org("PHNT")], group=chair.group,
    )
    attach_file(CaseKind.RECOMMENDATION, rec.id, chair, FileStorage(io.BytesIO(png()), "options appraisal.png"))
    meeting = pdeg_ops.schedule_meeting(cast.secretariat, meeting_date=clock.now().date() - timedelta(1),
                                        title="PDEG March")
    quorate(meeting, cast.secretariat)
    item = pdeg_ops.add_to_agenda(meeting, rec, cast.secretariat, part=AgendaPart.ONE)
    pdeg_ops.record_outcome(item, cast.secretariat, outcome=AgendaOutcome.AGREED, minute_reference="PDEG/7",
                            reasons="A sound plan")
    db.session.commit()
    return rec


def decision_zip(client: FlaskClient, rec: Recommendation) -> zipfile.ZipFile:
    response = client.get(f"/recommendations/{rec.id}/case.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f'filename="{rec.reference}-case.zip"' in response.headers["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def test_anyone_signed_in_downloads_a_whole_decision_with_its_certificate_once_ratified(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    Clock(datetime(2023, 3, 1, 10, tzinfo=UTC))
    rec = decision_with_a_paper(cast, org)
    ratify(cast, rec, "RDE", "RDE/12")
    client = client_for(cast.ceo("NDHT"))  # not a party it affects: PDEG decisions are the partnership's
    archive = decision_zip(client, rec)
    names = set(archive.namelist())
    assert {"README.txt", "record.pdf", "case.json", "events.json", "audit-proof.json", "papers/index.json"} <= names
    assert "certificate.pdf" not in names  # PHNT's Board has not ratified yet
    assert any(n.startswith("papers/attachments/") and n.endswith("options appraisal.png") for n in names)
    assert archive.read("papers/01 Summary.txt").decode().endswith("One finance back office.\n")
    # The ratification record in the zip is an issued record: it verifies.
    assert checks.check_file(archive.read("record.pdf"), None).matched
    # The audit proof: every event about the decision, its Boards' ratifications and its PDEG agenda item.
    subjects = {tuple(s) for s in verify_ops.decision_subjects([rec])}
    stored = [e for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
              if (e.object_type, e.object_id) in subjects]
    proof = json.loads(archive.read("audit-proof.json"))
    assert [(p["seq"], p["hash"], p["prev_hash"]) for p in proof] == [(e.seq, e.hash, e.prev_hash) for e in stored]
    assert all(p["canonical"] == chain.event_content(e) for p, e in zip(proof, stored, strict=True))
    assert {p["object"][0] for p in proof} == {"recommendation", "ratification", "agenda_item"}
    # Its events: the decision's and each Board's.
    events = json.loads(archive.read("events.json"))
    assert events[0]["name"] == "raised" and events[0]["case"] == ["recommendation", rec.id]
    assert ("ratification", "board_ratified") in {(e["case"][0], e["name"]) for e in events}
    summary = json.loads(archive.read("case.json"))
    assert summary["reference"] == rec.reference and {b["code"] for b in summary["boards"]} == {"RDE", "PHNT"}

    ratify(cast, rec, "PHNT", "PHNT/3")
    archive = decision_zip(client, rec)
    certificate = archive.read("certificate.pdf")
    assert certificate.startswith(b"%PDF") and f"RC-{rec.reference}" in pdf_text(certificate)
    assert chain.verify().ok


def test_nobody_gets_the_zip_of_a_decision_that_is_not_there(
    cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    # Drafts (a draft born from a dispute is the STP Leader's alone) are in tests/test_access_matrix.py.
    assert client_for(cast.ceo("RDE")).get("/recommendations/999999/case.zip").status_code == 404


def test_the_decision_page_offers_the_whole_decision(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    rec = agreed_decision(cast, org)
    page = client_for(cast.ceo("NDHT")).get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert f'href="/recommendations/{rec.id}/case.zip"' in page
