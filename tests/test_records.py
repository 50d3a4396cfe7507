"""Decision records as PDFs: what each says (read back with pypdf), who may download them, that
user-written text is escaped and nothing is fetched or embedded, and that they are fit for the record
(A4, page X of Y, title, language, tagged, fonts embedded, a page that is not blank)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import event, select

from govern import cases
from govern.audit.models import AuditEvent
from govern.auth.models import User
from govern.core import clock
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import AgendaOutcome, AgendaPart, RaisedBy, Recommendation
from govern.records import pdf
from tests.casework import Cast, Run, complete_texts, start_run
from tests.meetings import quorate

INJECTED = (
    '<img src="file:///etc/passwd"> '
    '<link rel="attachment" href="file:///etc/passwd"> '
    '<img src="http://127.0.0.1:9/x.png">'
)

NO_CONFLICT = {"conflict": False}


# --- helpers ------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """Every page's text, whitespace collapsed, as a reader would copy it out."""
    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def last_audit(object_type: str, *object_ids: int) -> AuditEvent:
    """The newest audit event about these objects."""
    found = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id.in_([str(i) for i in object_ids]))
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert found is not None
    return found


def download(client: FlaskClient, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/pdf"
    return response.get_data()


# --- fixtures: a closed dispute, a decision on its way through the Boards -------------------------------


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def closed_scenario_2(run: Run, texts: dict[str, str] | None = None) -> Dispute:
    """Scenario 2 run to the end: report (a deadline extended first), panel, recommendation, proposal."""
    dispute = run.file("RDE", "scenario_2", decision_reference="PDEG minute 2023/07")
    material = complete_texts(dispute) | (texts or {})
    run.run([
        ("leader", "extend_deadline", {"step": "report", "due_date": "2023-03-15",
                                       "reason": "The Board meets on 14 March"}),
        ("RDE", "save", {**material, "principles": ["B3"]}),
        ("RDE", "submit_report", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
        ("DCC", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
        ("DCC", "make_recommendation", {"recommendation": "Revisit the bed closures",
                                        "reasons": "The impact on carers was not assessed"}),
        ("leader", "propose_solution", {"outcome": "decision_revisited", "proposal": "PDEG revisits the closures",
                                        "reasons": "New evidence on delayed transfers"}),
        ("RDE", "accept_outcome", {}),
    ])
    return dispute


def closed_scenario_1(run: Run) -> Dispute:
    """Scenario 1 heard and decided: the parties called, the hearing, the decision with its reasons."""
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run([
        ("RDE", "save", {}),
        ("RDE", "agree_pack", {}),
        ("NDHT", "agree_pack", {}),
        ("NDHT", "submit_documentation", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC", "NHSE"]}),
        ("DCC", "declare_interest", NO_CONFLICT),
        ("NHSE", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
        ("DCC", "call_parties", {"called": ["RDE"], "invited": ["NDHT"]}),
        ("DCC", "hold_hearing", {"attended": ["RDE", "NDHT"]}),
        ("NHSE", "present_decision", {"decision": "Exeter", "reasons": "Travel times for most patients"}),
        ("RDE", "accept_outcome", {}),
        ("NDHT", "accept_outcome", {}),
    ])
    return dispute


@pytest.fixture
def secretariat(cast: Cast) -> User:
    return cast.secretariat


def agreed_decision(cast: Cast, org: Callable[[str], Organisation], title: str = "Shared back office",
                    codes: tuple[str, ...] = ("RDE", "PHNT"), summary: str = "One finance back office.",
                    meeting_on: date | None = None) -> Recommendation:
    """A Finance Working Group recommendation agreed at PDEG (minute PDEG/7): it awaits each Board."""
    chair = cast.chair("FWG", "STP")
    rec = pdeg_ops.raise_recommendation(
        chair, title=title, summary=summary, decision_sought="Agree to consult.",
        raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org(c) for c in codes], group=chair.group,
    )
    meeting = pdeg_ops.schedule_meeting(cast.secretariat, meeting_date=meeting_on or clock.now().date() - timedelta(1),
                                        title="PDEG March")
    quorate(meeting, cast.secretariat)
    item = pdeg_ops.add_to_agenda(meeting, rec, cast.secretariat, part=AgendaPart.ONE)
    pdeg_ops.record_outcome(item, cast.secretariat, outcome=AgendaOutcome.AGREED, minute_reference="PDEG/7",
                            reasons="A sound plan")
    db.session.commit()
    return rec


def ratify(cast: Cast, rec: Recommendation, code: str, minute: str, on: date | None = None) -> None:
    ratification = next(r for r in rec.ratifications if r.organisation.code == code)
    cases.act(ratification, cast.secretary(code), "ratify",
                                 {"meeting_date": on or clock.now().date(), "minute_reference": minute})
    db.session.commit()


# --- what each record says ------------------------------------------------------------------------------


DISPUTE_RECORD_SAYS: list[Any] = [
    pytest.param(closed_scenario_2, [
        "Dispute decision record",
        "D2023-0001: Where the hyper-acute stroke unit goes",
        "Royal Devon and Exeter NHS Foundation Trust Notified the dispute",
        "Scenario 2: a system decision leaves a single organisation in a position its Board cannot support",
        "(Schedule 8, scenario 2)",
        "Negotiation before the dispute (clause 16.1) Chief executives met three times in January.",
        "B3: We will demonstrate",
        # The timeline: due, done, on time, and the extension with its reason.
        "Written report to the STP Leader Schedule 8, scenario 2, step one Within one week of notifying the STP Leader "
        "15 March 2023 1 March 2023 at 2:00pm Done on time The Board meets on 14 March",
        "Written report to the STP Leader 15 March 2023 The Board meets on 14 March",
        # The written material under its headings.
        "The decision not supported: reference to the document PDEG minute 2023/07",
        "Impact What we say under Impact",
        # The panel, its declarations; the recommendation and the STP Leader's proposal with reasons.
        "Devon County Council",
        "Declared no conflict of interest",
        "A panel of organisations within the partnership, neutral to the dispute (clause 16.2)",
        "The panel's recommendation to the STP Leader Revisit the bed closures",
        "Its reasons The impact on carers was not assessed",
        "The proposal PDEG revisits the closures The reasons why New evidence on delayed transfers",
        "Royal Devon and Exeter NHS Foundation Trust Accepted the outcome",
        "There is no appeal",
    ], id="scenario-2"),
    pytest.param(closed_scenario_1, [
        "Royal Devon and Exeter NHS Foundation Trust Notified the dispute",
        "Northern Devon Healthcare NHS Trust Party",
        "Schedule 8, scenario 1",
        "Devon County Council",
        "NHS England",
        "Parties called for clarification Royal Devon and Exeter NHS Foundation Trust "
        "(invited to be present: Northern Devon Healthcare NHS Trust)",
        "The panel convened 1 March 2023",
        "The panel's decision Exeter Its reasons Travel times for most patients",
        "Northern Devon Healthcare NHS Trust Accepted the outcome",
    ], id="scenario-1"),
]


@pytest.mark.parametrize(("build", "expected"), DISPUTE_RECORD_SAYS)
def test_the_dispute_record_says_what_happened(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient], build: Callable[[Run], Dispute],
    expected: list[str],
) -> None:
    dispute = build(run)

    text = pdf_text(download(client_for(cast.ceo("RDE")), f"/disputes/{dispute.id}/record.pdf"))

    missing = [phrase for phrase in expected if phrase not in text]
    assert not missing, f"not in the record: {missing}\n\n{text}"


def test_the_dispute_record_prints_its_reference_when_produced_and_the_last_audit_event(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = closed_scenario_2(run)
    audit = last_audit("dispute", dispute.id)

    text = pdf_text(download(client_for(cast.ceo("RDE")), f"/disputes/{dispute.id}/record.pdf"))

    assert f"Record reference {dispute.reference}-A{audit.seq}" in text
    assert "Produced 1 March 2023 at 8:00pm" in text
    assert (f"Last audit event it reflects Event {audit.seq}, recorded 1 March 2023 at 8:00pm "
            f"SHA-256 {audit.hash}") in text


def test_the_ratification_record_says_where_the_decision_came_from_and_each_boards_outcome(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    rec = agreed_decision(cast, org, meeting_on=date(2023, 3, 2))
    ratify(cast, rec, "RDE", "RDE Board 23/41", on=date(2023, 3, 9))
    audit = last_audit("ratification", *(r.id for r in rec.ratifications))  # the newest of the decision's
    assert audit.seq > last_audit("recommendation", rec.id).seq

    text = pdf_text(download(client_for(cast.secretary("PHNT")), f"/recommendations/{rec.id}/record.pdf"))

    for phrase in [
        "Ratification record",
        f"{rec.reference}: Shared back office",
        "Overall status Agreed at PDEG; awaiting ratification (clause 10.6)",
        "Where it came from Finance Working Group",
        "Summary One finance back office.",
        "The decision sought Agree to consult.",
        "PDEG March 2 March 2023 Part One Agreed PDEG/7 A sound plan",
        "Plymouth Hospitals NHS Trust Board Awaiting the Board",
        "Royal Devon and Exeter NHS Foundation Trust Board Ratified 9 March 2023 RDE Board 23/41",
        f"Record reference {rec.reference}-A{audit.seq}",
        audit.hash,
    ]:
        assert phrase in text, f"{phrase!r} not in\n{text}"


def test_the_board_pack_has_a_cover_a_contents_page_and_every_decision_awaiting_the_board(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    decisions = [agreed_decision(cast, org, title=f"Decision number {n}") for n in range(1, 4)]
    ratify(cast, decisions[1], "RDE", "RDE Board 23/50")  # no longer awaiting RDE's Board
    other_board_only = agreed_decision(cast, org, title="Only for Plymouth", codes=("PHNT",))

    data = download(client_for(cast.secretary("RDE")), "/boards/pack.pdf")
    reader = PdfReader(BytesIO(data))
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    text = " ".join(pages)

    assert "Board pack" in pages[0] and "Royal Devon and Exeter NHS Foundation Trust" in pages[0]
    assert "Decisions in this pack 2" in pages[0]
    assert pages[1].startswith("Contents") or "Contents" in pages[1]
    first, third = decisions[0], decisions[2]
    # The contents page gives the page each decision starts on, and that page has it.
    for number, rec in ((1, first), (2, third)):
        found = re.search(rf"{number}\. {rec.reference}: {rec.title} \.*\s*(\d+)", pages[1])
        assert found, pages[1]
        assert f"{number}. {rec.reference}: {rec.title}" in pages[int(found.group(1)) - 1]
    assert decisions[1].reference not in text
    assert other_board_only.reference not in text
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


# --- who may download -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("ceo:RDE", 200),  # a party's officer
        ("secretary:RDE", 404),  # the party's Board secretary: no part in a dispute in Devon
        ("ceo:DCC", 200),  # the panel
        ("leader", 200),
        ("ceo:PHNT", 404),  # neither party nor panel: as if there were no such dispute
        ("secretary:DCC", 404),  # a panel organisation's Board secretary does not sit on the panel
        ("secretary:PHNT", 404),
        ("secretariat", 404),
    ],
)
def test_the_dispute_record_is_for_those_who_may_see_the_dispute(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient], who: str, status: int,
) -> None:
    dispute = closed_scenario_2(run)
    kind, _, code = who.partition(":")
    user = {"ceo": cast.ceo, "secretary": cast.secretary}[kind](code) if code else (
        cast.leader if kind == "leader" else cast.secretariat)

    assert client_for(user).get(f"/disputes/{dispute.id}/record.pdf").status_code == status


def test_a_panel_member_reads_no_papers_in_the_record_until_they_are_released(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_2", decision_reference="PDEG minute 2023/07")
    run.run([
        ("RDE", "save", {**complete_texts(dispute), "background": "Confidential background", "principles": ["B3"]}),
        ("RDE", "submit_report", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
    ])

    panel = pdf_text(download(client_for(cast.ceo("DCC")), f"/disputes/{dispute.id}/record.pdf"))
    party = pdf_text(download(client_for(cast.ceo("RDE")), f"/disputes/{dispute.id}/record.pdf"))

    assert "Confidential background" not in panel
    assert "they are not in this copy of the record" in panel
    assert "Confidential background" in party


def test_a_missing_record_is_not_found(cast: Cast, client_for: Callable[[User], FlaskClient]) -> None:
    client = client_for(cast.leader)
    assert client.get("/disputes/999/record.pdf").status_code == 404
    assert client.get("/recommendations/999/record.pdf").status_code == 404


def test_a_draft_recommendation_has_no_record_for_others(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    chair = cast.chair("FWG", "STP")
    draft = pdeg_ops.draft_recommendation(chair, title="Draft", summary="", decision_sought="",
                                          raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org("RDE")],
                                          group=chair.group)
    db.session.commit()

    assert client_for(cast.secretary("RDE")).get(f"/recommendations/{draft.id}/record.pdf").status_code == 404
    assert client_for(chair).get(f"/recommendations/{draft.id}/record.pdf").status_code == 200


def test_each_board_secretary_gets_their_own_boards_pack_only(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    for_rde = agreed_decision(cast, org, title="For Exeter", codes=("RDE",))
    for_phnt = agreed_decision(cast, org, title="For Plymouth", codes=("PHNT",))

    rde = pdf_text(download(client_for(cast.secretary("RDE")), "/boards/pack.pdf"))
    phnt = pdf_text(download(client_for(cast.secretary("PHNT")), "/boards/pack.pdf"))

    assert (for_rde.reference in rde, for_phnt.reference in rde) == (True, False)
    assert (for_rde.reference in phnt, for_phnt.reference in phnt) == (False, True)
    assert client_for(cast.ceo("RDE")).get("/boards/pack.pdf").status_code == 403


def test_an_empty_board_pack_says_nothing_is_awaiting(cast: Cast, client_for: Callable[[User], FlaskClient]) -> None:
    text = pdf_text(download(client_for(cast.secretary("TC")), "/boards/pack.pdf"))

    assert "Decisions in this pack 0" in text
    assert "Nothing is awaiting the" in text


def test_a_record_is_a_download_no_cache_keeps(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = closed_scenario_2(run)

    response = client_for(cast.ceo("RDE")).get(f"/disputes/{dispute.id}/record.pdf")

    assert response.headers["Content-Disposition"] == f'attachment; filename="{dispute.reference}-decision-record.pdf"'
    assert "no-store" in response.headers["Cache-Control"]


# --- where people find them -----------------------------------------------------------------------------


def test_the_dispute_page_links_to_its_record(run: Run, cast: Cast, client_for: Callable[[User], FlaskClient]) -> None:
    dispute = closed_scenario_2(run)
    page = client_for(cast.ceo("RDE")).get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert f'href="/disputes/{dispute.id}/record.pdf"' in page


def test_the_recommendation_page_and_awaiting_our_board_link_to_the_records(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    rec = agreed_decision(cast, org)
    client = client_for(cast.secretary("RDE"))

    assert f'href="/recommendations/{rec.id}/record.pdf"' in client.get(f"/recommendations/{rec.id}").get_data(
        as_text=True)
    awaiting = client.get("/boards/awaiting").get_data(as_text=True)
    assert 'href="/boards/pack.pdf"' in awaiting
    assert f'href="/recommendations/{rec.id}/record.pdf"' in awaiting


# --- safe rendering: user-written text is escaped; nothing is fetched or embedded -----------------------


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL WeasyPrint asks the fetcher for, whether it is served or refused."""
    asked: list[str] = []
    original = pdf.StaticOnlyFetcher.fetch

    def spy(self: pdf.StaticOnlyFetcher, url: str, headers: Any = None) -> Any:
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.StaticOnlyFetcher, "fetch", spy)
    return asked


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a network connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def embedded_things(data: bytes) -> dict[str, int]:
    """How many attachments, embedded files and images the PDF carries."""
    reader = PdfReader(BytesIO(data))
    names = reader.trailer["/Root"].get("/Names")
    embedded = names.get_object().get("/EmbeddedFiles") if names is not None else None
    images = sum(len(page.images) for page in reader.pages)
    annotations = [a.get_object().get("/Subtype") for page in reader.pages for a in (page.get("/Annots") or [])]
    return {"attachments": len(reader.attachments), "embedded_files": int(embedded is not None),
            "images": images, "file_annotations": annotations.count("/FileAttachment")}


NOTHING_EMBEDDED = {"attachments": 0, "embedded_files": 0, "images": 0, "file_annotations": 0}
STYLESHEET_ONLY = [f"{pdf.BASE_URL}static/css/print.css"]


def _injected_dispute(run: Run, cast: Cast, org: Callable[[str], Organisation]) -> str:
    dispute = closed_scenario_2(run, {"background": f"Our background {INJECTED}", "impact": INJECTED})
    return f"/disputes/{dispute.id}/record.pdf"


def _injected_recommendation(run: Run, cast: Cast, org: Callable[[str], Organisation]) -> str:
    rec = agreed_decision(cast, org, title="Injected <b>title</b>", summary=f"Our summary {INJECTED}")
    return f"/recommendations/{rec.id}/record.pdf"


def _injected_pack(run: Run, cast: Cast, org: Callable[[str], Organisation]) -> str:
    agreed_decision(cast, org, title="Injected <b>title</b>", summary=f"Our summary {INJECTED}")
    return "/boards/pack.pdf"


@pytest.mark.parametrize(
    ("build", "reader"),
    [
        pytest.param(_injected_dispute, "ceo", id="dispute-record"),
        pytest.param(_injected_recommendation, "secretary", id="ratification-record"),
        pytest.param(_injected_pack, "secretary", id="board-pack"),
    ],
)
def test_user_written_markup_is_printed_as_text_and_fetches_and_embeds_nothing(
    run: Run, cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
    fetched: list[str], no_network: None, build: Callable[..., str], reader: str,
) -> None:
    url = build(run, cast, org)
    client = client_for(cast.ceo("RDE") if reader == "ceo" else cast.secretary("RDE"))

    data = download(client, url)
    text = pdf_text(data)

    assert fetched == STYLESHEET_ONLY
    assert embedded_things(data) == NOTHING_EMBEDDED
    assert '<img src="file:///etc/passwd">' in text
    assert '<link rel="attachment" href="file:///etc/passwd">' in text
    assert '<img src="http://127.0.0.1:9/x.png">' in text
    assert "root:" not in text


def test_the_fetcher_itself_refuses_markup_that_was_never_escaped(
    app: Flask, no_network: None, caplog: pytest.LogCaptureFixture,
) -> None:
    """The second wall: even raw HTML with these tags fetches nothing but our stylesheet."""
    fetcher = pdf.StaticOnlyFetcher(app.static_folder or "static")
    html = (
        '<!doctype html><html lang="en-GB"><head><title>Raw</title>'
        '<link rel="stylesheet" href="/static/css/print.css">'
        '<link rel="attachment" href="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        f'</head><body><p>Raw</p>{INJECTED}<img src="/static/../../../etc/passwd">'
        '<img src="data:image/png;base64,iVBORw0KGgo="></body></html>'
    )

    data = pdf.render(html, app.static_folder or "static", fetcher=fetcher)

    assert fetcher.fetched == STYLESHEET_ONLY
    assert set(fetcher.refused) >= {"file:///etc/passwd", "http://127.0.0.1:9/x.png", "http://127.0.0.1:9/x.css"}
    assert embedded_things(data) == NOTHING_EMBEDDED


@pytest.mark.parametrize(
    ("url", "served"),
    [
        (f"{pdf.BASE_URL}static/css/print.css", True),
        ("file:///etc/passwd", False),
        ("http://127.0.0.1:9/x.png", False),
        ("https://127.0.0.1/static/css/print.css", False),  # our path, another host
        ("http://records.govern.invalid/static/css/print.css", False),  # our host, another scheme
        (f"{pdf.BASE_URL}etc/passwd", False),  # not under /static/
        (f"{pdf.BASE_URL}static/../../etc/passwd", False),
        (f"{pdf.BASE_URL}static/%2e%2e/%2e%2e/etc/passwd", False),
        (f"{pdf.BASE_URL}static/css/..%2f..%2fgovern%2f__init__.py", False),
        (f"{pdf.BASE_URL}static/css/", False),  # a folder
        (f"{pdf.BASE_URL}static/css/missing.css", False),
        ("data:text/css,body{}", False),
        ("ftp://example.org/x", False),
    ],
)
def test_the_fetcher_serves_only_the_apps_own_static_files(app: Flask, url: str, served: bool) -> None:
    fetcher = pdf.StaticOnlyFetcher(app.static_folder or "static")
    if served:
        response = fetcher.fetch(url)
        assert response.read() == (Path(app.static_folder or "static") / "css" / "print.css").read_bytes()
        assert response.content_type == "text/css"
    else:
        with pytest.raises(pdf.RefusedURL):
            fetcher.fetch(url)


def test_the_fetcher_follows_no_redirects(app: Flask) -> None:
    """It reads files from disk and opens no connections at all, so there is nothing to redirect; and
    WeasyPrint's own redirect handling is switched off too."""
    from urllib.request import HTTPRedirectHandler

    fetcher = pdf.StaticOnlyFetcher(app.static_folder or "static")
    assert not any(isinstance(handler, HTTPRedirectHandler) for handler in fetcher.handlers)


# --- fit for the record ---------------------------------------------------------------------------------


@pytest.fixture
def one_of_each(run: Run, cast: Cast, org: Callable[[str], Organisation]) -> dict[str, tuple[User, str, str]]:
    """(reader, url, expected title) of a record of each kind."""
    dispute = closed_scenario_2(run)
    rec = agreed_decision(cast, org)
    secretary = cast.secretary("RDE")
    return {
        "dispute": (cast.ceo("RDE"), f"/disputes/{dispute.id}/record.pdf",
                    f"Dispute decision record {dispute.reference}: {dispute.title}"),
        "ratification": (secretary, f"/recommendations/{rec.id}/record.pdf",
                         f"Ratification record {rec.reference}: {rec.title}"),
        "pack": (secretary, "/boards/pack.pdf",
                 "Board pack: decisions awaiting the Board of Royal Devon and Exeter NHS Foundation Trust"),
    }


def fonts_of(reader: PdfReader) -> list[tuple[str, bool]]:
    """(font name, embedded?) for every font the pages use."""
    found = []
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font") or {}
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found.append((str(font.get("/BaseFont")), embedded))
    return found


@pytest.mark.parametrize("kind", ["dispute", "ratification", "pack"])
def test_each_record_is_a4_titled_in_british_english_tagged_with_fonts_embedded(
    one_of_each: dict[str, tuple[User, str, str]], client_for: Callable[[User], FlaskClient], kind: str,
) -> None:
    reader_user, url, title = one_of_each[kind]

    reader = PdfReader(BytesIO(download(client_for(reader_user), url)))
    root = reader.trailer["/Root"]

    assert reader.metadata is not None and reader.metadata.title == title
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert "pdfuaid:part" in root["/Metadata"].get_object().get_data().decode()
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages} == {(595, 842)}
    fonts = fonts_of(reader)
    assert fonts and all(embedded for _name, embedded in fonts), fonts
    assert any("Liberation-Sans" in name for name, _ in fonts)
    pages = len(reader.pages)
    assert [f"Page {n} of {pages}" in (page.extract_text() or "") for n, page in enumerate(reader.pages, 1)] == [
        True] * pages


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils, scripts/install-system)")
def test_a_rendered_page_is_not_blank(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient], tmp_path: Path,
) -> None:
    from PIL import Image

    dispute = closed_scenario_2(run)
    source = tmp_path / "record.pdf"
    source.write_bytes(download(client_for(cast.ceo("RDE")), f"/disputes/{dispute.id}/record.pdf"))

    pdftoppm = shutil.which("pdftoppm") or "pdftoppm"
    subprocess.run([pdftoppm, "-r", "50", "-f", "1", "-l", "1", "-png", "-singlefile", str(source),  # noqa: S603
                    str(tmp_path / "page")], check=True, timeout=60)
    image = Image.open(tmp_path / "page.png").convert("L")

    assert image.size == (414, 585)  # A4 at 50 dots per inch
    dark = sum(image.histogram()[:128])
    assert dark > 0.01 * image.size[0] * image.size[1]  # text and rules cover more than 1% of the page


# --- the Board pack's queries do not grow with its decisions --------------------------------------------


@pytest.fixture
def count_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield statements
    event.remove(db.engine, "before_cursor_execute", count)


def test_the_board_pack_loads_its_decisions_in_a_constant_number_of_queries(
    cast: Cast, org: Callable[[str], Organisation], count_queries: list[str],
) -> None:
    from govern.records import queries

    secretary = cast.secretary("RDE")

    def queries_for_pack() -> tuple[int, int]:
        db.session.expire_all()
        before = len(count_queries)
        pack = queries.board_pack(org("RDE"), secretary)
        for d in pack.decisions:  # everything the template reads
            _ = [(r.organisation.name, r.meeting_date) for r in d.boards]
            _ = [(i.meeting.title, i.outcome) for i in d.agenda]
            _ = [o.name for o in d.recommendation.affected], d.raised_by, d.state_title
        return len(pack.decisions), len(count_queries) - before

    agreed_decision(cast, org, title="First")
    agreed_decision(cast, org, title="Second")
    two = queries_for_pack()
    for n in range(6):
        agreed_decision(cast, org, title=f"More {n}")
    eight = queries_for_pack()

    assert (two[0], eight[0]) == (2, 8)
    assert eight[1] == two[1]


def test_the_dispute_record_carries_the_other_sides_account_with_the_papers(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    """Scenario 4: the organisation whose practice changed says why; the record prints it with the papers
    (for the panel only once they are released)."""
    dispute = run.file("RDE", "scenario_4")
    run.run([
        ("RDE", "save", {**complete_texts(dispute), "principles": ["V1"]}),
        ("RDE", "submit_report", {}),
        ("SDT-CCG", "write_account", {"account": "We were mitigating the risk of readmission"}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
    ])
    before = pdf_text(download(client_for(cast.ceo("DCC")), f"/disputes/{dispute.id}/record.pdf"))
    run.run([("DCC", "declare_interest", {"conflict": False}), ("leader", "release_papers", {})])

    text = pdf_text(download(client_for(cast.ceo("DCC")), f"/disputes/{dispute.id}/record.pdf"))

    assert "readmission" not in before
    assert ("The other side's account South Devon and Torbay CCG Written by" in text
            and "We were mitigating the risk of readmission" in text), text
