"""Issue 12 in a real browser: the secretariat runs a PDEG meeting as a record a Board secretary trusts.

Attendance with the member parties' deputies (10.3), a declared interest, the agreement's quorum
refusing an outcome until the meeting is quorate, the outcome with its minutes, and the minute extract
each affected Board reads. axe-core checks every page visited (the ``watched_page`` fixture).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.browser.test_pdeg_journey import SECRETARIAT, _fill_date, _raise, _record_attendance, _switch_to, _today


def test_a_pdeg_meeting_from_attendance_to_the_minute_extract(page: Page, visit, login) -> None:
    reference = _raise(page, visit, login, "Shared stroke pathway", ("rde", "dcc", "phnt"))

    _switch_to(page, login, SECRETARIAT)
    visit(page, "/pdeg/meetings/new")
    _fill_date(page, "meeting_date", _today())
    page.get_by_label("Title").fill("PDEG: December")
    with page.expect_navigation():
        page.get_by_role("button", name="Schedule the meeting").click()
    meeting_path = urlsplit(page.url).path
    option = page.locator("#recommendation_id option", has_text=reference).inner_text()
    page.get_by_label("Recommendation").select_option(label=option)
    page.get_by_label("Part One").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add to the agenda").click()
    expect(page.locator("#members")).to_contain_text("Deputy:")  # each member party's deputy (10.3)
    expect(page.locator("#quorum")).to_contain_text("Attendance not recorded")

    # A declaration of interest at the start of the meeting.
    page.get_by_text("Record a declaration of interest").click()
    page.get_by_label("Who declared it").fill("Sam Smith")
    page.get_by_label("The interest declared").fill("Non-executive director of a bidder")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the declaration").click()
    expect(page.locator("#declarations-at-start")).to_contain_text("Sam Smith")

    # Too few present: the outcome is refused, with the agreement's clause.
    _record_attendance(page, present=3)
    expect(page.locator("#quorum")).to_contain_text("Not quorate")
    with page.expect_navigation():
        page.get_by_role("link", name=f"Record the outcome of {reference}").click()
    page.get_by_label("Agreed", exact=True).check()
    page.get_by_label("PDEG minute reference").fill("PDEG/2026/12/3")
    page.get_by_label("Reasons").fill("A safer pathway.")
    page.get_by_label("Minutes of the item").fill("PDEG weighed three options and chose the second.")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    # Refused before any check page, by the rule that would refuse the outcome itself.
    expect(page.locator("#check-heading")).to_have_count(0)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("not quorate: 3 member parties present, 7 needed")
    expect(page.get_by_label("Minutes of the item")).to_have_value("PDEG weighed three options and chose the second.")

    # Quorate: the outcome is recorded.
    visit(page, meeting_path)
    _record_attendance(page, present=8)
    expect(page.locator("#quorum")).to_contain_text("Quorate")
    with page.expect_navigation():
        page.get_by_role("link", name=f"Record the outcome of {reference}").click()
    page.get_by_label("Agreed", exact=True).check()
    page.get_by_label("PDEG minute reference").fill("PDEG/2026/12/3")
    page.get_by_label("Reasons").fill("A safer pathway.")
    page.get_by_label("Minutes of the item").fill("PDEG weighed three options and chose the second.")
    page.get_by_label("Not agreed", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page.locator("#answers")).to_contain_text("Not agreed")
    # A change of mind: back to the form with everything typed, then the right outcome.
    with page.expect_navigation():
        page.get_by_role("button", name="Change your answers").click()
    expect(page.get_by_label("Minutes of the item")).to_have_value("PDEG weighed three options and chose the second.")
    expect(page.get_by_label("PDEG minute reference")).to_have_value("PDEG/2026/12/3")
    page.get_by_label("Agreed", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    answers = page.locator("#answers")
    for text in ("Agreed", "PDEG/2026/12/3", "A safer pathway.", "Royal Devon and Exeter NHS Foundation Trust",
                 "Devon County Council", "Plymouth Hospitals NHS Trust"):
        expect(answers).to_contain_text(text)
    with page.expect_navigation():
        page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator("#confirmation-title")).to_have_text("PDEG's outcome recorded: agreed")
    expect(page.locator("#what-happens-next")).to_contain_text("sent to the Boards of")
    with page.expect_navigation():
        page.locator("#agenda-link").click()

    # The minute extract, as each affected Board reads it.
    with page.expect_navigation():
        page.get_by_role("link", name=f"Minute extract for {reference}").click()
    extract = page.locator("#minute-extract")
    for text in ("Quorate: 8 member parties present, 7 needed", "Sam Smith", "(deputy)",
                 "PDEG weighed three options and chose the second.", "Agreed: A safer pathway.", "PDEG/2026/12/3"):
        expect(extract).to_contain_text(text)
    # Once its outcomes are recorded the meeting can no longer be changed.
    visit(page, meeting_path)
    expect(page.locator("#meeting-actions")).to_have_count(0)
