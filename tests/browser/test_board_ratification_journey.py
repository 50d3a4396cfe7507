"""Ratification that chases itself, in a real browser: Board secretaries enter their Board's meeting dates,
the register forecasts when the decision will be ratified and who holds it up, and once the last Board
ratifies the certificate is downloaded from the decision's page. axe-core checks every page (conftest.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.test_pdeg_journey import _board_records, _fill_date, _pdeg_agrees, _raise, _switch_to, _today


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
