"""Supporting papers: what is accepted (judged from the content), how it is stored and served, and who
may see it. Tables of files -> outcome; each upload goes through the real page as a real user.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from govern.attachments import storage
from govern.attachments.filetypes import DOC, DOCX, GIF, JPEG, PDF, PNG, WEBP, XLS, XLSX, clean_filename
from govern.attachments.models import Attachment
from govern.attachments.operations import attach_file
from govern.attachments.queries import attachments_for
from govern.audit.models import AuditEvent
from govern.auth.models import Role, User
from govern.cases.models import CaseKind
from govern.core.errors import OperationError
from govern.disputes import operations as dispute_ops
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import RaisedBy
from tests import papers

# --- tiny real files -------------------------------------------------------------------------------

MINIMAL_PDF = papers.pdf()
OLE2 = papers.OLE2_JUNK  # the signature of a compound file, and nothing inside
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def png() -> bytes:
    """A 1x1 greyscale PNG."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


JPEG_BYTES = papers.image("JPEG")
GIF_BYTES = papers.image("GIF")
WEBP_BYTES = papers.image("WEBP")


def zipped(files: dict[str, str]) -> bytes:
    """A zip holding ``files`` (name -> text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def content_types(part: str, content_type: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
    )


def ooxml(part: str, content_type: str, *, with_part: bool = True, extra: dict[str, str] | None = None) -> bytes:
    """An Office package declaring ``part`` as its main part of ``content_type``."""
    files = {"[Content_Types].xml": content_types(part, content_type)}
    if with_part:
        files[part] = "<document/>"
    return zipped(files | (extra or {}))


DOCX_BYTES = ooxml("word/document.xml", WORD_MAIN)
XLSX_BYTES = ooxml("xl/workbook.xml", EXCEL_MAIN)


# --- the case and the people -----------------------------------------------------------------------


@pytest.fixture
def party(make_user: Callable[..., User]) -> User:
    """Torbay Council's chief executive, who files the dispute."""
    return make_user(Role.PARTNER_CEO, "TC", name="Terry Torbay")


@pytest.fixture
def dispute(party: User) -> Dispute:
    """A Scenario 2 dispute about a PDEG decision, Torbay Council its only party so far."""
    filed = dispute_ops.file_dispute(
        party, process_key="scenario_2", title="Community beds decision", negotiation_attempted=True,
        negotiation_account="We met twice in March.", decision_reference="PDEG minute 1",
    )
    db.session.commit()
    return filed


def upload(client: FlaskClient, dispute: Dispute, name: str | None, data: bytes, **form: str) -> Any:
    """Post a file to the dispute's papers, as the upload form does."""
    payload: dict[str, Any] = dict(form)
    if name is not None:
        payload["file"] = (io.BytesIO(data), name)
    return client.post(f"/attachments/dispute/{dispute.id}", data=payload, content_type="multipart/form-data")


def stored_files(app: Flask) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def flashed(client: FlaskClient) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


# --- accepted: stored, then downloadable by a party --------------------------------------------------

ACCEPTED = [
    # name given              content        stored as (type, name)
    ("Board paper.pdf",       MINIMAL_PDF,   PDF.mime,  "Board paper.pdf"),
    ("Options.docx",          DOCX_BYTES,    DOCX.mime, "Options.docx"),
    ("Budget.xlsx",           XLSX_BYTES,    XLSX.mime, "Budget.xlsx"),
    ("Minutes 2009.doc",      papers.ole2(), DOC.mime,  "Minutes 2009.doc"),
    ("Activity 2009.xls",     papers.ole2("Workbook"), XLS.mime, "Activity 2009.xls"),
    ("Map.png",               png(),         PNG.mime,  "Map.png"),
    ("Site photo.jpeg",       JPEG_BYTES,    JPEG.mime, "Site photo.jpeg"),
    ("Site photo.JPG",        JPEG_BYTES,    JPEG.mime, "Site photo.jpg"),
    ("Chart.gif",             GIF_BYTES,     GIF.mime,  "Chart.gif"),
    ("Chart.webp",            WEBP_BYTES,    WEBP.mime, "Chart.webp"),
    # Content wins over the name: a PDF called .png is a PDF, and is served and named as one.
    ("Scan.png",              MINIMAL_PDF,   PDF.mime,  "Scan.pdf"),
    ("Budget",                XLSX_BYTES,    XLSX.mime, "Budget.xlsx"),
]


@pytest.mark.parametrize(("name", "data", "content_type", "stored_as"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_an_accepted_file_is_stored_and_a_party_can_download_it(
    app: Flask, dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
    name: str, data: bytes, content_type: str, stored_as: str,
) -> None:
    client = client_for(party)

    response = upload(client, dispute, name, data, description="For the panel")

    assert response.status_code == 302
    assert flashed(client) == [("success", f"{stored_as} has been attached.")]
    [paper] = attachments_for(CaseKind.DISPUTE, dispute.id)
    assert (paper.content_type, paper.original_filename, paper.size) == (content_type, stored_as, len(data))
    assert paper.description == "For the panel"
    assert paper.uploaded_by_id == party.id
    download = client.get(f"/attachments/{paper.id}/download")
    assert download.status_code == 200
    assert download.data == data
    assert download.mimetype == content_type


def test_after_an_upload_the_user_returns_to_the_case_page_or_a_safe_next(
    dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
) -> None:
    client = client_for(party)
    assert upload(client, dispute, "a.pdf", MINIMAL_PDF).headers["Location"] == f"/disputes/{dispute.id}"
    to_papers = client.post(f"/attachments/dispute/{dispute.id}?next=/disputes/{dispute.id}/papers",
                            data={"file": (io.BytesIO(MINIMAL_PDF), "b.pdf")}, content_type="multipart/form-data")
    assert to_papers.headers["Location"] == f"/disputes/{dispute.id}/papers"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example",
                                      "javascript:alert(1)"])
def test_an_unsafe_next_is_ignored(
    dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient], next_url: str,
) -> None:
    response = client_for(party).post(
        f"/attachments/dispute/{dispute.id}?next={quote(next_url)}",
        data={"file": (io.BytesIO(MINIMAL_PDF), "a.pdf")}, content_type="multipart/form-data",
    )
    assert response.headers["Location"] == f"/disputes/{dispute.id}"


def test_an_upload_writes_one_audit_event_on_the_case(
    dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
) -> None:
    client = client_for(party)  # logging in is an event of its own
    before = count(AuditEvent)
    upload(client, dispute, "a.pdf", MINIMAL_PDF)
    [paper] = attachments_for(CaseKind.DISPUTE, dispute.id)
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert count(AuditEvent) == before + 1
    assert event is not None
    assert (event.action, event.object_type, event.object_id, event.actor_id) == (
        "attach_file", "dispute", str(dispute.id), party.id)
    assert event.changes["attachment_id"] == [None, paper.id]
    assert event.changes["sha256"] == [None, paper.sha256]


def test_a_recommendation_takes_papers_too(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    chair = make_user(Role.GROUP_CHAIR, "STP", group_code="FWG")
    recommendation = pdeg_ops.raise_recommendation(
        chair, title="Shared estates plan", summary="One plan", decision_sought="",
        raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org("RDE")], group=chair.group,
    )
    db.session.commit()
    client = client_for(chair)

    response = client.post(f"/attachments/recommendation/{recommendation.id}",
                           data={"file": (io.BytesIO(XLSX_BYTES), "Estates.xlsx")}, content_type="multipart/form-data")

    assert response.headers["Location"] == f"/recommendations/{recommendation.id}"
    [paper] = attachments_for(CaseKind.RECOMMENDATION, recommendation.id)
    assert client.get(f"/attachments/{paper.id}/download").status_code == 200


# --- refused: a clear message, and nothing stored ----------------------------------------------------

TYPE_MESSAGE = ("The selected file must be a PDF, a Word document, an Excel spreadsheet or an image "
                "(PNG, JPEG, GIF or WebP), no larger than 10 MB. Its type is judged from its content, not its name.")
SIZE_MESSAGE = "The selected file must be smaller than 10 MB."

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64)
HTML = b"<!DOCTYPE html><script>alert(1)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
PLAIN_ZIP = zipped({"notes.txt": "hello"})
WITHOUT_MAIN_PART = ooxml("word/document.xml", WORD_MAIN, with_part=False)
MACRO_WORKBOOK = ooxml("xl/workbook.xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
MACROS_IN_DOCX = ooxml("word/document.xml", WORD_MAIN, extra={"word/vbaProject.bin": "x"})
DTD = "<!DOCTYPE x [<!ENTITY a 'b'>]>"
WITH_DTD = zipped({"[Content_Types].xml": DTD + content_types("word/document.xml", WORD_MAIN),
                   "word/document.xml": "<d/>"})
TOO_LARGE = b"%PDF-1.4\n" + bytes(10 * 1024 * 1024)

REFUSED = [
    # why                          name            content            message
    ("a program",                  "setup.exe",    EXE,               TYPE_MESSAGE),
    ("a program called .pdf",      "report.pdf",   EXE,               TYPE_MESSAGE),
    ("a web page",                 "minutes.html", HTML,              TYPE_MESSAGE),
    ("an SVG image",               "chart.svg",    SVG,               TYPE_MESSAGE),
    ("a plain zip",                "papers.zip",   PLAIN_ZIP,         TYPE_MESSAGE),
    ("a plain zip called .docx",   "papers.docx",  PLAIN_ZIP,         TYPE_MESSAGE),
    ("a package missing its part", "fake.docx",    WITHOUT_MAIN_PART, TYPE_MESSAGE),
    ("a macro-enabled workbook",   "budget.xlsm",  MACRO_WORKBOOK,    TYPE_MESSAGE),
    ("macros inside a .docx",      "options.docx", MACROS_IN_DOCX,    TYPE_MESSAGE),
    ("a package with a DTD",       "options.docx", WITH_DTD,          TYPE_MESSAGE),
    ("text called .pdf",           "notes.pdf",    b"Just notes.\n",  TYPE_MESSAGE),
    ("text starting GIF",          "notes.gif",    b"GIF is fun\n",   TYPE_MESSAGE),
    ("an OLE2 file not .doc/.xls", "setup.msi",    OLE2,              TYPE_MESSAGE),
    ("too large",                  "big.pdf",      TOO_LARGE,         SIZE_MESSAGE),
    ("empty",                      "empty.pdf",    b"",               "The selected file is empty."),
    ("no file chosen",             None,           b"",               "Select a file to attach."),
]


@pytest.mark.parametrize(("why", "name", "data", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_file_gets_a_clear_message_and_changes_nothing(
    app: Flask, dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
    why: str, name: str | None, data: bytes, message: str,
) -> None:
    client = client_for(party)
    files_before, events_before = stored_files(app), count(AuditEvent)

    response = upload(client, dispute, name, data)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/disputes/{dispute.id}"
    assert flashed(client) == [("upload_error", message)]
    assert count(Attachment) == 0
    assert count(AuditEvent) == events_before
    assert stored_files(app) == files_before


# --- opened for what they are (issue 13, item 6) ----------------------------------------------------------

JAVASCRIPT = "The selected PDF contains JavaScript. Save or print it to a new PDF without it and try again."
BOMB = "The selected Word document or Excel spreadsheet unpacks to far more than its size: it cannot be accepted."

OPENED_AND_REFUSED = [
    # why                                  name             content (built here)                 the reason given
    ("a PDF with /OpenAction JavaScript",  "minutes.pdf",   papers.pdf_with_open_action_javascript, JAVASCRIPT),
    ("a PDF with JavaScript in a link",    "minutes.pdf",   papers.pdf_with_javascript_in_a_link,   JAVASCRIPT),
    ("a PDF that launches a program",      "minutes.pdf",   papers.pdf_with_launch_action,
     "The selected PDF would start a program when opened. Save or print it to a new PDF and try again."),
    ("a PDF carrying a file",              "minutes.pdf",   papers.pdf_with_embedded_file,
     "The selected PDF has files inside it. Attach those files separately, and the PDF without them."),
    ("a damaged PDF",                      "minutes.pdf",   lambda: b"%PDF-1.4\n%%EOF\n",
     "The selected PDF is damaged: it cannot be opened."),
    ("a .docx of 200 MB of zeros",         "options.docx",  papers.docx_zip_bomb,                   BOMB),
    ("a .docx declaring an ActiveX part",  "options.docx",
     lambda: papers.docx(types_extra='<Override PartName="/word/activeX/activeX1.xml" '
                                    'ContentType="application/vnd.ms-office.activeX+xml"/>'),
     "The selected Word document or Excel spreadsheet contains macros or embedded programs. "
     "Save it without them and try again."),
    ("a PNG with a zip after it",          "map.png",       lambda: papers.image("PNG") + papers.docx(),
     "The selected file is a PNG image with a zip archive hidden in it. Save it again as a plain file."),
    ("a PDF that is also a zip",           "minutes.pdf",   lambda: papers.pdf() + papers.zipped({"a.txt": "x"}),
     "The selected file is a PDF with a zip archive hidden in it. Save it again as a plain file."),
    ("a GIF that is also a PDF",           "chart.gif",     lambda: papers.image("GIF") + b"%PDF-1.4\n",
     "The selected file is a GIF image that is also a PDF. Save it again as a plain file."),
    ("OLE2 junk called .doc",              "minutes.doc",   lambda: papers.OLE2_JUNK,
     "The selected file is not a Word document (older format) that can be opened."),
    ("a compound file with no workbook",   "activity.xls",  lambda: papers.ole2("Contents"),
     "The selected file is not a Excel spreadsheet (older format): it holds no document."),
    ("a JPEG that is only a header",       "photo.jpg",
     lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
     "The selected file is not a JPEG image that can be opened."),
]


@pytest.mark.parametrize(("why", "name", "build", "reason"), OPENED_AND_REFUSED, ids=[r[0] for r in OPENED_AND_REFUSED])
def test_a_file_that_is_not_what_it_claims_once_opened_is_refused_with_the_reason(
    app: Flask, dispute: Dispute, party: User, why: str, name: str, build: Callable[[], bytes], reason: str,
) -> None:
    files_before = stored_files(app)

    with pytest.raises(OperationError) as refused:
        attach_file(CaseKind.DISPUTE, dispute.id, party, FileStorage(io.BytesIO(build()), name))

    assert (refused.value.message, refused.value.field) == (reason, "file")
    assert count(Attachment) == 0
    assert stored_files(app) == files_before


def test_the_reason_for_a_refusal_is_shown_beside_the_file_field(
    dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
) -> None:
    response = client_for(party).post(
        f"/attachments/dispute/{dispute.id}", data={"file": (io.BytesIO(papers.pdf_with_open_action_javascript()),
                                                             "minutes.pdf")},
        content_type="multipart/form-data", follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    beside = re.search(r'<span class="nhsuk-error-message" id="attachment-file-error">(.*?)</span>\s*<input',
                       page, re.S)
    assert beside is not None and "contains JavaScript" in beside.group(1)
    assert 'aria-describedby="attachment-file-hint attachment-file-error"' in page


def test_the_message_shows_on_the_page_the_user_returns_to(
    dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
) -> None:
    response = client_for(party).post(
        f"/attachments/dispute/{dispute.id}?next=/", data={"file": (io.BytesIO(b"MZ"), "x.exe")},
        content_type="multipart/form-data", follow_redirects=True,
    )
    assert "Its type is judged from its content, not its name." in response.get_data(as_text=True)


def test_a_body_over_the_request_limit_gets_the_same_clear_message(
    app: Flask, dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1000)
    client = client_for(party)

    response = upload(client, dispute, "big.pdf", b"%PDF-1.4\n" + bytes(5000))

    assert response.status_code == 302
    assert flashed(client) == [("upload_error", "The selected file must be smaller than 1000 bytes.")]
    assert count(Attachment) == 0


def test_a_description_over_500_characters_is_refused(
    dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
) -> None:
    client = client_for(party)
    upload(client, dispute, "a.pdf", MINIMAL_PDF, description="x" * 501)
    assert flashed(client) == [("error", "The description must be 500 characters or fewer.")]
    assert count(Attachment) == 0


# --- storage ---------------------------------------------------------------------------------------


def test_files_are_stored_outside_static_under_random_names(
    app: Flask, dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
) -> None:
    upload(client_for(party), dispute, "../../static/evil.pdf", MINIMAL_PDF)
    [paper] = attachments_for(CaseKind.DISPUTE, dispute.id)
    folder = Path(app.config["UPLOAD_FOLDER"]).resolve()
    path = folder / paper.stored_name

    assert re.fullmatch(r"[0-9a-f]{64}", paper.stored_name)
    assert path.read_bytes() == MINIMAL_PDF
    assert Path(app.static_folder or "").resolve() not in path.resolve().parents
    assert folder == (Path(app.instance_path) / "uploads").resolve()
    assert paper.original_filename == "evil.pdf"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert not any(name.startswith(".upload-") for name in stored_files(app))


def test_an_upload_folder_under_static_is_refused(make_app: Callable[..., Flask], app: Flask) -> None:
    with pytest.raises(RuntimeError, match="static"):
        make_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                  "UPLOAD_FOLDER": os.path.join(app.static_folder or "", "uploads")})


def test_a_rolled_back_upload_leaves_no_file(app: Flask, dispute: Dispute, party: User) -> None:
    before = stored_files(app)
    paper = attach_file(CaseKind.DISPUTE, dispute.id, party, FileStorage(io.BytesIO(MINIMAL_PDF), "a.pdf"))
    assert paper.stored_name in stored_files(app)

    db.session.rollback()

    assert stored_files(app) == before


def test_a_committed_upload_keeps_its_file(app: Flask, dispute: Dispute, party: User) -> None:
    paper = attach_file(CaseKind.DISPUTE, dispute.id, party, FileStorage(io.BytesIO(MINIMAL_PDF), "a.pdf"))
    stored_name = paper.stored_name
    db.session.commit()
    db.session.close()
    assert stored_name in stored_files(app)


def test_remove_orphans_deletes_only_old_files_no_row_names(app: Flask, dispute: Dispute, party: User) -> None:
    kept = attach_file(CaseKind.DISPUTE, dispute.id, party, FileStorage(io.BytesIO(MINIMAL_PDF), "a.pdf"))
    db.session.commit()
    folder = Path(app.config["UPLOAD_FOLDER"])
    old_orphan, new_orphan, not_ours = folder / ("a" * 64), folder / ("b" * 64), folder / "README"
    for path in (old_orphan, new_orphan, not_ours):
        path.write_bytes(b"x")
    two_hours_ago = (path.stat().st_mtime - 7200,) * 2
    for path in (old_orphan, not_ours, folder / kept.stored_name):
        os.utime(path, two_hours_ago)

    removed = storage.remove_orphans(timedelta(hours=1))

    assert removed == [old_orphan.name]
    assert {kept.stored_name, new_orphan.name, "README"} <= stored_files(app)
    for path in (new_orphan, not_ours):
        path.unlink()


@pytest.mark.parametrize("stored_name", ["../secret_key", "a" * 63, "A" * 64, "/etc/passwd", ""])
def test_only_server_made_names_become_paths(app: Flask, stored_name: str) -> None:
    with pytest.raises(ValueError):
        storage.path_for(stored_name)


# --- names -----------------------------------------------------------------------------------------

NAMES = [
    # given                                  type   cleaned
    ("Board paper.pdf",                      PDF,   "Board paper.pdf"),
    ("C:\\Users\\me\\Desktop\\Paper.pdf",    PDF,   "Paper.pdf"),
    ("../../etc/passwd",                     PDF,   "passwd.pdf"),
    ("Übersicht März.pdf",                   PDF,   "Übersicht März.pdf"),
    ("invoice\u202efdp.exe",                 PDF,   "invoicefdp.exe.pdf"),
    ('say "hi"<script>.pdf',                 PDF,   "say hiscript.pdf"),
    ("tabs\tand\nnewlines.pdf",              PDF,   "tabsandnewlines.pdf"),
    ("   spaced    out   .pdf",              PDF,   "spaced out.pdf"),
    ("photo.png",                            PDF,   "photo.pdf"),
    ("notes.v2",                             PDF,   "notes.v2.pdf"),
    ("...",                                  PNG,   "paper.png"),
    ("",                                     XLS,   "paper.xls"),
    ("x" * 300 + ".pdf",                     PDF,   "x" * 150 + ".pdf"),
]


@pytest.mark.parametrize(("given", "kind", "cleaned"), NAMES, ids=[repr(n[0])[:30] for n in NAMES])
def test_file_names_are_cleaned_and_take_the_extension_of_the_content(given: str, kind: Any, cleaned: str) -> None:
    assert clean_filename(given, kind) == cleaned


# --- download --------------------------------------------------------------------------------------


def test_a_download_is_an_attachment_that_nothing_can_sniff_or_run(
    dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
) -> None:
    client = client_for(party)
    upload(client, dispute, "Übersicht März.pdf", MINIMAL_PDF)
    [paper] = attachments_for(CaseKind.DISPUTE, dispute.id)

    response = client.get(f"/attachments/{paper.id}/download")

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%C3%9Cbersicht%20M%C3%A4rz.pdf" in disposition
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_ascii_name_is_given_plainly(
    dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
) -> None:
    client = client_for(party)
    upload(client, dispute, "Scan.png", MINIMAL_PDF)
    [paper] = attachments_for(CaseKind.DISPUTE, dispute.id)
    response = client.get(f"/attachments/{paper.id}/download")
    assert response.headers["Content-Disposition"] == "attachment; filename=Scan.pdf"
    assert response.headers["Content-Type"] == "application/pdf"


def test_pages_keep_their_own_policy(client: FlaskClient) -> None:
    assert "script-src 'self' 'nonce-" in client.get("/login").headers["Content-Security-Policy"]


# --- privacy: papers are as private as the dispute ---------------------------------------------------

PRIVACY = [
    # who (role, organisation)                    download  upload (parties' officers and the STP Leader add
    #                                                                papers; others who see them may not: 403)
    ("the filing party's chief executive",  Role.PARTNER_CEO,        "TC",  200, 302),
    ("the filing party's deputy",           Role.DEPUTY,             "TC",  200, 302),
    ("the filing party's Board secretary",  Role.BOARD_SECRETARY,    "TC",  404, 404),  # no part in a dispute in Devon
    ("another party's chief executive",     Role.PARTNER_CEO,        "RDE", 404, 404),
    ("another party's Board secretary",     Role.BOARD_SECRETARY,    "RDE", 404, 404),
    ("the PDEG secretariat",                Role.PDEG_SECRETARIAT,   "STP", 404, 404),
    ("a subordinate group's chair",         Role.GROUP_CHAIR,        "STP", 404, 404),
    ("system leadership, not STP Leader",   Role.SYSTEM_LEADERSHIP,  "STP", 404, 404),
    ("an administrator",                    Role.ADMINISTRATOR,      "STP", 200, 403),
]


@pytest.mark.parametrize(("who", "role", "code", "download_status", "upload_status"), PRIVACY,
                         ids=[p[0] for p in PRIVACY])
def test_only_those_who_may_see_the_dispute_see_its_papers(
    app: Flask, dispute: Dispute, party: User, make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
    who: str, role: Role, code: str, download_status: int, upload_status: int,
) -> None:
    upload(client_for(party), dispute, "a.pdf", MINIMAL_PDF)
    [paper] = attachments_for(CaseKind.DISPUTE, dispute.id)
    client = client_for(make_user(role, code))

    assert client.get(f"/attachments/{paper.id}/download").status_code == download_status
    assert upload(client, dispute, "b.pdf", MINIMAL_PDF).status_code == upload_status
    assert count(Attachment) == (2 if upload_status == 302 else 1)


def test_the_stp_leader_sees_and_adds_papers(
    dispute: Dispute, party: User, stp_leader: User, client_for: Callable[[User], FlaskClient],
) -> None:
    upload(client_for(party), dispute, "a.pdf", MINIMAL_PDF)
    [paper] = attachments_for(CaseKind.DISPUTE, dispute.id)
    client = client_for(stp_leader)
    assert client.get(f"/attachments/{paper.id}/download").status_code == 200
    assert upload(client, dispute, "b.pdf", MINIMAL_PDF).status_code == 302


@pytest.mark.parametrize("url", ["/attachments/999999/download", "/attachments/dispute/999999",
                                 "/attachments/ratification/1", "/attachments/nonsense/1"])
def test_what_does_not_exist_is_not_found(
    party: User, client_for: Callable[[User], FlaskClient], url: str,
) -> None:
    client = client_for(party)
    response = client.get(url) if url.endswith("download") else client.post(url)
    assert response.status_code == 404


def test_an_outsider_cannot_attach_through_the_operation_either(
    dispute: Dispute, make_user: Callable[..., User],
) -> None:
    outsider = make_user(Role.PARTNER_CEO, "RDE")
    with pytest.raises(OperationError, match="no such case"):
        attach_file(CaseKind.DISPUTE, dispute.id, outsider, FileStorage(io.BytesIO(MINIMAL_PDF), "a.pdf"))


def test_a_file_missing_from_disk_is_not_found(
    app: Flask, dispute: Dispute, party: User, client_for: Callable[[User], FlaskClient],
) -> None:
    client = client_for(party)
    upload(client, dispute, "a.pdf", MINIMAL_PDF)
    [paper] = attachments_for(CaseKind.DISPUTE, dispute.id)
    (Path(app.config["UPLOAD_FOLDER"]) / paper.stored_name).unlink()
    assert client.get(f"/attachments/{paper.id}/download").status_code == 404


# --- the list and the form -------------------------------------------------------------------------

LIST_TEMPLATE = ('{% from "attachments/_list.html" import attachment_list %}'
                 '{{ attachment_list(rows, can_upload, "/attachments/dispute/1", "/disputes/1") }}')


@pytest.mark.parametrize("can_upload", [True, False])
def test_the_list_shows_each_paper_and_the_form_states_the_limits(
    app: Flask, dispute: Dispute, party: User, can_upload: bool,
) -> None:
    attach_file(CaseKind.DISPUTE, dispute.id, party, FileStorage(io.BytesIO(MINIMAL_PDF), "Board paper.pdf"),
                description="Agreed by both Boards")
    db.session.commit()
    rows = attachments_for(CaseKind.DISPUTE, dispute.id)

    with app.test_request_context():
        html = render_template_string(LIST_TEMPLATE, rows=rows, can_upload=can_upload)

    assert f'href="/attachments/{rows[0].id}/download"' in html
    assert "Board paper.pdf" in html and "Agreed by both Boards" in html
    assert f"PDF, {len(MINIMAL_PDF)} bytes" in html and "Terry Torbay" in html
    assert ('type="file"' in html) is can_upload
    assert ("up to 10 MB." in html) is can_upload
    assert ('action="/attachments/dispute/1?next=%2Fdisputes%2F1"' in html) is can_upload


def test_a_case_without_papers_says_so(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string(LIST_TEMPLATE, rows=[], can_upload=False)
    assert "No papers have been added." in html
