"""Ratification that chases itself, in a real browser: Board secretaries enter their Board's meeting dates,
the register forecasts when the decision will be ratified and who holds it up, and once the last Board
ratifies the certificate is downloaded from the decision's page. axe-core checks every page (conftest.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import BytesIO
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.test_pdeg_journey import (
    MINIMAL_PDF,
    PARTY_NAMES,
    SECRETARIAT,
    _board_records,
    _fill_date,
    _pdeg_agrees,
    _raise,
    _record_attendance,
    _switch_to,
    _today,
)


def _day_words(when: datetime) -> str:
    return f"{when:%a} {when.day} {when:%b %Y}"


def _add_meeting(page: Page, login, code: str, meeting: datetime, papers: datetime) -> None:
    """The Board secretary of ``code`` adds a meeting on their Board's meetings page."""
    _switch_to(page, login, f"secretary.{code}@demo.govern.test")
    page.get_by_role("link", name="Our Board's meetings").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("meetings")
    _fill_date(page, "meeting_date", meeting)
    _fill_date(page, "papers_due", papers)
    with page.expect_navigation():
        page.get_by_role("button", name="Add the meeting").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(f"Meeting on {_day_words(meeting)} added")
    expect(page.locator("#board-meetings")).to_contain_text(_day_words(papers))


def test_secretaries_enter_dates_see_the_forecast_and_download_the_certificate(
    page: Page, visit, login, tab_to,
) -> None:
    reference = _raise(page, visit, login, "Joint community equipment store", ("rde", "dcc"))
    _pdeg_agrees(page, visit, login, tab_to, reference)
    today = _today()

    # A bad date is refused beside its field, and what was typed stays.
    _switch_to(page, login, "secretary.rde@demo.govern.test")
    visit(page, "/boards/meetings")
    _fill_date(page, "meeting_date", today + timedelta(days=14))
    _fill_date(page, "papers_due", today + timedelta(days=15))
    with page.expect_navigation():
        page.get_by_role("button", name="Add the meeting").click()
    expect(page.locator("#papers_due-error")).to_contain_text("Papers must be due on or before the meeting")
    expect(page.locator("#papers_due-day")).to_have_value(str((today + timedelta(days=15)).day))

    _add_meeting(page, login, "rde", today + timedelta(days=14), today + timedelta(days=7))
    page.get_by_role("link", name="Ratification register").click()
    expect(page.locator(f"#forecast-{reference}")).to_contain_text("No Board date known for DCC")
    expect(page.locator(f"#forecast-{reference}")).to_contain_text("Waiting for DCC, RDE")

    last = today + timedelta(days=21)
    _add_meeting(page, login, "dcc", last, today + timedelta(days=10))
    page.get_by_role("link", name="Ratification register").click()
    expect(page.locator(f"#forecast-{reference}")).to_contain_text(f"Forecast: {_day_words(last)}")
    with page.expect_navigation():
        page.get_by_role("link", name=reference).click()
    expect(page.locator("#forecast-summary")).to_contain_text(f"ratified by {_day_words(last)}")
    expect(page.locator("#waiting-DCC")).to_contain_text(_day_words(last))

    _board_records(page, login, tab_to, "rde", reference, "Ratified", keyboard=False)
    _board_records(page, login, tab_to, "dcc", reference, "Ratified", keyboard=False)

    page.get_by_role("link", name="Ratification register").click()
    with page.expect_navigation():
        page.get_by_role("link", name=reference).click()
    link = page.get_by_role("link", name="Download the ratification certificate (PDF)")
    expect(link).to_be_visible()
    response = page.request.get(link.get_attribute("href") or "")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(BytesIO(response.body())).pages).split())
    assert "Ratification certificate" in text and reference in text and "clause 10.6" in text

    # From decision to action: the secretariat adds an action; its owner sees it at home and keeps its status.
    decision_path = page.url
    _switch_to(page, login, "secretariat@demo.govern.test")
    visit(page, decision_path)
    with page.expect_navigation():
        page.get_by_role("link", name="Add an action").click()
    page.get_by_label("What is to be done").fill("Publish the equipment store's opening hours")
    page.get_by_label("Owner's email address").fill("secretary.dcc@demo.govern.test")
    _fill_date(page, "due_date", today + timedelta(days=28))
    with page.expect_navigation():
        page.get_by_role("button", name="Add the action").click()
    expect(page.locator("#follow-up-actions")).to_contain_text("Not started")

    _switch_to(page, login, "secretary.dcc@demo.govern.test")
    expect(page.locator("#my-actions")).to_contain_text("opening hours")
    with page.expect_navigation():
        page.locator("#my-actions a").first.click()
    page.get_by_label("In progress").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save the status").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("in progress")


def test_a_secretary_moves_a_meeting_and_a_chief_executive_declares_an_interest(page: Page, visit, login) -> None:
    today = _today()
    _add_meeting(page, login, "tsdft", today + timedelta(days=30), today + timedelta(days=20))
    with page.expect_navigation():
        page.get_by_role("link", name=f"Change the meeting on {_day_words(today + timedelta(days=30))}").click()
    _fill_date(page, "meeting_date", today + timedelta(days=31))
    with page.expect_navigation():
        page.get_by_role("button", name="Save the change").click()
    expect(page.locator("#board-meetings")).to_contain_text(_day_words(today + timedelta(days=31)))

    _switch_to(page, login, "ceo.tsdft@demo.govern.test")
    page.get_by_role("link", name="Interests").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register of interests")
    with page.expect_navigation():
        page.get_by_role("link", name="Declare an interest").click()
    page.get_by_label("What the interest is").fill("Trustee of a local hospice")
    _fill_date(page, "since", today - timedelta(days=400))
    page.get_by_label("Declare this for my organisation as a whole", exact=False).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Declare the interest").click()
    expect(page.locator("#my-declarations")).to_contain_text("Trustee of a local hospice")
    expect(page.locator("#my-declarations")).to_contain_text("The organisation")


def _notices(page: Page, visit, login, email: str):
    _switch_to(page, login, email)
    visit(page, "/notices")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notices")
    return page.locator("#notices")


def _pdf_text(page: Page, href: str) -> str:
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(BytesIO(response.body())).pages).split())


def test_issue_12_done_when(page: Page, visit, login, live_server) -> None:
    """Issue 12's "Done when", as one journey: a chair raises a recommendation for three parties (checked and
    confirmed); the secretariat holds a quorate PDEG meeting with attendance and a declared interest, and prints
    its agenda with the register extract; the decision goes to exactly those three Boards; each secretary has
    meeting dates and the register shows the forecast; one Board refuses and its chief executive is told and
    offered Scenario 2; the two others ratify after a chaser; every page, PDF and count agrees."""
    today = _today()
    reference = _raise(page, visit, login, "Shared stroke rehabilitation", ("rde", "dcc", "phnt"))
    page.locator("#paper-file").set_input_files(
        files=[{"name": "Part Two options.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}])
    with page.expect_navigation():
        page.get_by_role("button", name="Attach the paper").click()
    expect(page.locator("#attachments")).to_contain_text("Part Two options.pdf")
    decision_path = urlsplit(page.url).path

    # The secretariat schedules the meeting (with its place) and puts the item in Part Two.
    _switch_to(page, login, SECRETARIAT)
    visit(page, "/pdeg/meetings/new")
    _fill_date(page, "meeting_date", today)
    page.get_by_label("Title").fill("PDEG: December")
    page.get_by_label("Where it meets (optional)").fill("Board Room, County Hall, Exeter")
    with page.expect_navigation():
        page.get_by_role("button", name="Schedule the meeting").click()
    meeting_path = urlsplit(page.url).path
    option = page.locator("#recommendation_id option", has_text=reference).inner_text()
    page.get_by_label("Recommendation").select_option(label=option)
    page.get_by_label("Part Two").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add to the agenda").click()
    expect(page.locator("#part-two + table")).to_contain_text(reference)

    # Attendance (quorate), and RDE's chief executive declares an interest on the item.
    _record_attendance(page, present=8)
    expect(page.locator("#quorum")).to_contain_text("Quorate")
    page.get_by_text("Record a declaration of interest").click()
    page.get_by_label("Who declared it").fill("Chief Executive, Royal Devon and Exeter")
    page.get_by_label("For which party (optional)").select_option(label=PARTY_NAMES["rde"])
    page.get_by_label("When").select_option(label=option.replace(f"{reference}: ", f"On {reference}: "))
    page.get_by_label("The interest declared").fill("Spouse is a director of the preferred provider")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the declaration").click()
    expect(page.locator("#part-two + table")).to_contain_text("Spouse is a director of the preferred provider")

    # The agenda prints Part Two with the raising group and the declared interest in its register extract.
    with page.expect_navigation():
        page.get_by_role("link", name="Print the agenda, with the register of interests").click()
    expect(page.locator("#agenda-summary")).to_contain_text(f"{today:%a} {today.day} {today:%B %Y}")
    expect(page.locator("#agenda-summary")).to_contain_text("Board Room, County Hall, Exeter")
    item = page.locator(f"#agenda-item-{reference}")
    for text in ("Part Two, item 1", "Finance Working Group", PARTY_NAMES["phnt"],
                 f"Chief Executive, Royal Devon and Exeter ({PARTY_NAMES['rde']}): "
                 "Spouse is a director of the preferred provider"):
        expect(item).to_contain_text(text)
    agenda_pdf = _pdf_text(page, page.get_by_role("link", name="Download the agenda (PDF)").get_attribute("href") or "")
    for text in ("Part Two, item 1", reference, "Board Room, County Hall, Exeter",
                 "Spouse is a director of the preferred provider"):
        assert text in agenda_pdf, text

    # The declaring chief executive no longer sees the item's Part Two papers, and is told why.
    _switch_to(page, login, "ceo.rde@demo.govern.test")
    visit(page, decision_path)
    expect(page.locator("#papers-withheld")).to_contain_text(
        "You declared an interest in this item, so its Part Two papers are not shown to you (Schedule 4")
    expect(page.get_by_text("Part Two options.pdf")).to_have_count(0)

    # PDEG agrees: the decision goes to exactly the three Boards.
    _switch_to(page, login, SECRETARIAT)
    visit(page, meeting_path)
    with page.expect_navigation():
        page.get_by_role("link", name=f"Record the outcome of {reference}").click()
    page.get_by_label("Agreed", exact=True).check()
    page.get_by_label("PDEG minute reference").fill("PDEG/2026/12/7")
    page.get_by_label("Reasons").fill("Better outcomes for stroke survivors.")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    for board in ("Royal Devon", "Devon County Council", "Plymouth Hospitals"):  # the three, checked
        expect(page.locator("#answers")).to_contain_text(board)
    with page.expect_navigation():
        page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator("#confirmation-title")).to_have_text("PDEG's outcome recorded: agreed")
    expect(page.locator("#what-happens-next")).to_contain_text("for ratification (clause 10.6)")
    visit(page, "/register")
    for code in ("RDE", "DCC", "PHNT"):
        expect(page.locator(f"#cell-{reference}-{code}")).to_contain_text("Awaiting")
    expect(page.locator(f"#row-{reference} [id^='cell-{reference}-']")).to_have_count(3)

    # Each secretary enters their Board's dates; the register forecasts the last of them.
    soon = today + timedelta(days=1)  # within two working days: the chaser is due now
    _add_meeting(page, login, "rde", today + timedelta(days=7), soon)
    _add_meeting(page, login, "dcc", today + timedelta(days=9), soon)
    last = today + timedelta(days=14)
    _add_meeting(page, login, "phnt", last, today + timedelta(days=10))
    page.get_by_role("link", name="Ratification register").click()
    expect(page.locator(f"#forecast-{reference}")).to_contain_text(f"Forecast: {_day_words(last)}")

    # PHNT's Board does not ratify: its chief executive is told and offered Scenario 2.
    _board_records(page, login, None, "phnt", reference, "Not ratified", keyboard=False)
    expect(page.locator("#scenario-2-offer")).to_contain_text("Schedule 8, scenario 2")
    told = _notices(page, visit, login, "ceo.phnt@demo.govern.test")
    expect(told).to_contain_text(f"{reference}: not ratified by your")
    expect(told).to_contain_text("You may bring a dispute about it")
    visit(page, decision_path)
    expect(page.locator("#dispute-offer")).to_contain_text(f"Open a dispute about {reference}")

    # The sweep (tick) chases the two Boards yet to decide; they ratify.
    with live_server.app.app_context():  # as the tick timer runs it, in the live server's own database
        result = live_server.app.test_cli_runner().invoke(args=["tick", "--no-send"])
    assert result.exit_code == 0, result.output
    for code in ("rde", "dcc"):
        expect(_notices(page, visit, login, f"secretary.{code}@demo.govern.test")).to_contain_text(
            f"{reference}: papers for your Board's meeting")
        _board_records(page, login, None, code, reference, "Ratified", keyboard=False)
    expect(_notices(page, visit, login, "secretary.phnt@demo.govern.test")).not_to_contain_text(
        f"{reference}: papers for your Board's meeting")

    # Every page, PDF and count agrees: not ratified by PHNT's Board, ratified by the other two.
    _switch_to(page, login, SECRETARIAT)
    visit(page, "/register")
    expect(page.locator(f"#cell-{reference}-PHNT")).to_contain_text("Not ratified")
    expect(page.locator(f"#cell-{reference}-RDE")).to_have_text("Ratified")
    expect(page.locator(f"#cell-{reference}-DCC")).to_have_text("Ratified")
    row_state = page.locator(f"#row-{reference}").inner_text()
    assert "Not ratified" in row_state and "awaiting ratification" not in row_state.lower()
    visit(page, decision_path)
    state = page.locator("#decision-state").inner_text()
    assert "Not ratified" in state, state
    record = _pdf_text(page, f"{decision_path}/record.pdf")
    assert "Not ratified" in record and "awaiting ratification" not in record.lower()
    assert "PHNT/B/1" in record and "RDE/B/1" in record and "DCC/B/1" in record
    _switch_to(page, login, "secretary.phnt@demo.govern.test")
    home = page.locator("main").inner_text()
    assert reference not in home.split("Decisions awaiting your Board", 1)[1].split("Meetings coming up", 1)[0]
    home_total = re.search(r"All (\d+) awaiting your Board", home)
    page.get_by_role("link", name="Awaiting our Board").click()
    expect(page.locator("#awaiting").get_by_text(reference)).to_have_count(0)  # no longer awaiting PHNT's Board
    if home_total is None:  # the home page's count and the list's agree
        expect(page.locator("#awaiting-none")).to_be_visible()
    else:
        expect(page.locator("#awaiting-count")).to_contain_text(f"{home_total.group(1)} decision")
    expect(page.locator("#refused + p + ul")).to_contain_text(f"{reference}: Shared stroke rehabilitation")
