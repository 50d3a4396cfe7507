"""Records anyone can verify (/verify): a downloaded record matches, an edited one does not, and
someone who may not see the case learns only "matches" with the date issued and whether the case
has moved on, never its content or parties."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from govern.audit.models import AuditEvent
from govern.auth.models import User
from govern.core import clock
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.records import packs
from govern.records.models import BoardPack
from govern.verify import checks
from govern.verify.models import IssuedRecord
from tests.casework import Cast, Clock, Run, start_run
from tests.conftest import Page
from tests.test_records import agreed_decision, closed_scenario_2, pdf_text, ratify

TITLE = "Where the hyper-acute stroke unit goes"
PRIVATE = [TITLE, "Royal Devon", "Devon County Council", "Revisit the bed closures", "carers"]


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    return app.test_client()


def printed(record: bytes) -> tuple[str, str]:
    """The record reference and the audit event's SHA-256, as a reader copies them off the record."""
    text = pdf_text(record)
    reference = re.search(r"Record (\S+) · audit event", text)
    digest = re.search(r"SHA-256 ([0-9a-f]{64})", text)
    assert reference and digest, text[:400]
    return reference.group(1), digest.group(1)


def check_file(client: FlaskClient, content: bytes, name: str = "record.pdf") -> Any:
    return client.post("/verify", data={"check": "file", "file-record": (BytesIO(content), name)},
                       content_type="multipart/form-data")


def check_reference(client: FlaskClient, reference: str, digest: str) -> Any:
    return client.post("/verify", data={"check": "reference", "ref-reference": reference, "ref-digest": digest})


def answer(response: Any) -> str:
    return Page.of(response).text("verify-answer") or ""


def edited(content: bytes) -> bytes:
    """One byte changed, well inside the file (its content, not its trailer)."""
    middle = len(content) // 2
    return content[:middle] + bytes([content[middle] ^ 0x01]) + content[middle + 1:]


def resaved(content: bytes) -> bytes:
    """The record opened and saved again by a PDF program, with a word of its metadata changed."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(BytesIO(content)))
    writer.add_metadata({"/Title": "Dispute decision record (amended)"})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def dispute_record(run: Run, client_for: Callable[[User], FlaskClient]) -> tuple[Any, bytes]:
    dispute = closed_scenario_2(run)
    response = client_for(run.cast.ceo("RDE")).get(f"/disputes/{dispute.id}/record.pdf")
    assert response.status_code == 200
    return dispute, response.get_data()


MATCHES = "It matches a record the system issued"
NO_MATCH = "It does not match any record the system issued"


def test_the_page_needs_no_sign_in(anonymous: FlaskClient) -> None:
    page = anonymous.get("/verify")
    assert page.status_code == 200
    assert "Check a record" in page.get_data(as_text=True)


def test_a_downloaded_record_verifies_and_an_edited_one_does_not(
    anonymous: FlaskClient, dispute_record: tuple[Any, bytes],
) -> None:
    _dispute, content = dispute_record
    assert "Anyone can check this record, or this PDF file, at http" in pdf_text(content)
    good = check_file(anonymous, content)
    assert good.status_code == 200 and answer(good) == MATCHES
    assert "Issued on" in Page.of(good).text("verify-result")

    for changed in (edited(content), content + b"\n", resaved(content)):
        assert changed != content
        assert answer(check_file(anonymous, changed)) == NO_MATCH


def test_the_reference_with_the_printed_hash_or_the_files_own_hash_verifies(
    anonymous: FlaskClient, dispute_record: tuple[Any, bytes],
) -> None:
    _dispute, content = dispute_record
    reference, digest = printed(content)
    assert answer(check_reference(anonymous, reference, digest)) == MATCHES
    # Pasted with spaces and in capitals: the same.
    assert answer(check_reference(anonymous, f" {reference.lower()} ", " ".join(digest.upper()[i:i + 8]
                                                                          for i in range(0, 64, 8)))) == MATCHES
    assert answer(check_reference(anonymous, reference, hashlib.sha256(content).hexdigest())) == MATCHES
    # One character of the hash changed, or another record's reference: no match.
    wrong = ("0" if digest[0] != "0" else "1") + digest[1:]
    assert answer(check_reference(anonymous, reference, wrong)) == NO_MATCH
    other = re.sub(r"-A(\d+)$", lambda m: f"-A{int(m.group(1)) - 1}", reference)
    assert answer(check_reference(anonymous, other, digest)) == NO_MATCH


@pytest.mark.parametrize("who", ["anonymous", "outsider", "board_secretary_of_the_party"])
def test_someone_who_may_not_see_the_dispute_learns_nothing_private(
    who: str, anonymous: FlaskClient, run: Run, client_for: Callable[[User], FlaskClient],
    dispute_record: tuple[Any, bytes],
) -> None:
    dispute, content = dispute_record
    client = {
        "anonymous": lambda: anonymous,
        "outsider": lambda: client_for(run.cast.ceo("PHNT")),
        "board_secretary_of_the_party": lambda: client_for(run.cast.secretary("RDE")),
    }[who]()
    reference, digest = printed(content)
    for response in (check_file(client, content), check_reference(client, reference, digest)):
        assert answer(response) == MATCHES
        html = response.get_data(as_text=True)
        for words in PRIVATE:
            assert words not in html
        assert f"/disputes/{dispute.id}" not in html
        assert Page.of(response).text("verify-detail") is None


def test_someone_who_may_see_the_dispute_learns_what_the_record_reflects(
    run: Run, client_for: Callable[[User], FlaskClient], dispute_record: tuple[Any, bytes],
) -> None:
    dispute, content = dispute_record
    for user in (run.cast.ceo("RDE"), run.cast.ceo("DCC"), run.cast.leader):
        response = check_file(client_for(user), content)
        detail = Page.of(response).text("verify-detail") or ""
        assert f"Dispute decision record {printed(content)[0]}" in detail
        assert f"{dispute.reference}: {TITLE}" in detail
        assert f'href="/disputes/{dispute.id}"' in response.get_data(as_text=True)


def test_later_events_on_the_case_are_announced_without_detail_to_outsiders(
    run: Run, anonymous: FlaskClient, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_2")
    content = client_for(run.cast.ceo("RDE")).get(f"/disputes/{dispute.id}/record.pdf").get_data()
    before = Page.of(check_file(anonymous, content)).text("verify-later") or ""
    assert "Nothing has happened on the case since" in before

    run.do("leader", "nominate_panel", {"organisation_ids": ["DCC"]})

    outside = check_file(anonymous, content)
    assert answer(outside) == MATCHES
    assert "The case has changed since this record was issued" in (Page.of(outside).text("verify-later") or "")
    assert "nominate panel" not in outside.get_data(as_text=True)
    inside = Page.of(check_file(client_for(run.cast.ceo("RDE")), content))
    assert "nominate panel" in (inside.text("verify-later-events") or "")


def test_a_ratification_record_and_a_board_pack_made_by_tick_verify(
    app: Flask, cast: Cast, org: Callable[[str], Organisation], anonymous: FlaskClient,
    client_for: Callable[[User], FlaskClient], monkeypatch: pytest.MonkeyPatch,
) -> None:
    Clock(datetime(2023, 3, 1, 10, tzinfo=UTC))
    rec = agreed_decision(cast, org)
    decision = client_for(cast.secretary("RDE")).get(f"/recommendations/{rec.id}/record.pdf").get_data()
    assert answer(check_file(anonymous, decision)) == MATCHES
    reference, digest = printed(decision)
    assert answer(check_reference(anonymous, reference, digest)) == MATCHES
    ratify(cast, rec, "RDE", "RDE/12")
    assert "changed since" in (Page.of(check_file(anonymous, decision)).text("verify-later") or "")

    monkeypatch.setitem(app.config, "BOARD_PACK_INLINE_MAX", 0)
    secretary = cast.secretary("PHNT")
    clock.freeze(clock.now() + timedelta(days=1))
    packs.request_board_pack(secretary, date(2023, 3, 28))
    db.session.commit()
    assert packs.make_board_packs() == (1, 0)
    pack = db.session.scalars(select(BoardPack)).one()
    stored = client_for(secretary).get(f"/boards/packs/{pack.id}.pdf").get_data()
    assert answer(check_file(anonymous, stored)) == MATCHES
    assert answer(check_file(anonymous, edited(stored))) == NO_MATCH
    detail = Page.of(check_file(client_for(secretary), stored)).text("verify-detail") or ""
    assert "Board pack" in detail


def test_a_registration_changed_in_the_database_does_not_verify(
    anonymous: FlaskClient, dispute_record: tuple[Any, bytes],
) -> None:
    """Whoever can write the database but lacks the audit key cannot make an edited record verify:
    the audit event that registered the issue carries the original file's SHA-256."""
    _dispute, content = dispute_record
    forged = edited(content)
    db.session.execute(update(IssuedRecord).values(sha256=hashlib.sha256(forged).hexdigest()))
    db.session.commit()
    assert answer(check_file(anonymous, forged)) == NO_MATCH
    assert answer(check_file(anonymous, content)) == NO_MATCH


def test_the_event_a_record_reflects_changed_in_the_database_does_not_verify(
    anonymous: FlaskClient, dispute_record: tuple[Any, bytes],
) -> None:
    _dispute, content = dispute_record
    reference, digest = printed(content)
    db.session.execute(update(AuditEvent).where(AuditEvent.hash == digest).values(actor_label="someone else"))
    db.session.commit()
    assert answer(check_file(anonymous, content)) == NO_MATCH
    assert answer(check_reference(anonymous, reference, digest)) == NO_MATCH


def test_a_record_issued_before_records_were_registered_verifies_by_its_reference_and_hash(
    anonymous: FlaskClient, dispute_record: tuple[Any, bytes],
) -> None:
    _dispute, content = dispute_record
    db.session.execute(delete(IssuedRecord))
    db.session.commit()
    reference, digest = printed(content)
    response = check_reference(anonymous, reference, digest)
    assert answer(response) == MATCHES
    assert "It reflects the audit trail as it stood on" in (Page.of(response).text("verify-result") or "")
    assert answer(check_file(anonymous, content)) == NO_MATCH  # the file itself was never registered


@pytest.mark.parametrize(("data", "message"), [
    ({"check": "reference", "ref-reference": "", "ref-digest": "ab" * 32}, "Enter the record reference"),
    ({"check": "reference", "ref-reference": "D2026-0001-A3", "ref-digest": "abc123"}, "Enter all 64 letters"),
    ({"check": "file"}, "Select the PDF record to check"),
    ({"check": "file", "file-record": (BytesIO(b"GIF89a not a record"), "record.pdf")}, "must be a PDF record"),
])
def test_bad_input_is_shown_beside_the_field(anonymous: FlaskClient, data: dict[str, Any], message: str) -> None:
    response = anonymous.post("/verify", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert "<title>Error: Check a record" in response.get_data(as_text=True)


def test_the_file_checked_is_bounded_in_size(
    app: Flask, anonymous: FlaskClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "VERIFY_MAX_BYTES", 1024)
    response = check_file(anonymous, b"%PDF-1.7\n" + b"0" * 2048)
    assert response.status_code == 400
    assert "The selected file must be smaller than" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    response = check_file(anonymous, b"%PDF-1.7\n" + b"0" * 8192)
    assert response.status_code == 413
    assert "The selected file must be smaller than" in response.get_data(as_text=True)


def test_checks_from_one_address_are_limited(
    app: Flask, anonymous: FlaskClient, monkeypatch: pytest.MonkeyPatch, dispute_record: tuple[Any, bytes],
) -> None:
    _dispute, content = dispute_record
    monkeypatch.setitem(app.config, "VERIFY_MAX_CHECKS", 2)
    assert answer(check_file(anonymous, content)) == MATCHES
    assert answer(check_file(anonymous, edited(content))) == NO_MATCH
    refused = check_file(anonymous, content)
    assert refused.status_code == 429
    assert "Too many checks from here" in refused.get_data(as_text=True)
    clock.freeze(clock.now() + timedelta(minutes=11))
    assert answer(check_file(anonymous, content)) == MATCHES


def test_every_issue_is_one_audit_event_and_the_chain_still_verifies(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    from govern.audit import chain

    dispute = run.file("RDE", "scenario_2")
    client = client_for(run.cast.ceo("RDE"))
    before = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    first = client.get(f"/disputes/{dispute.id}/record.pdf").get_data()
    again = client.get(f"/disputes/{dispute.id}/record.pdf").get_data()
    clock.freeze(clock.now() + timedelta(minutes=5))
    later = client.get(f"/disputes/{dispute.id}/record.pdf").get_data()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > before)).all()
    # The same bytes are registered once; a record produced later (it prints when) is a file of its own.
    assert first == again and later != first
    assert [e.action for e in events] == ["issue_record", "issue_record"]
    assert [e.changes["sha256"] for e in events] == [hashlib.sha256(c).hexdigest() for c in (first, later)]
    assert chain.verify().ok
    assert checks.check_reference("", "", None) == checks.NO_MATCH
