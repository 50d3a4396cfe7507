"""Flow 1 in a real browser, logging in as each actor: a subordinate group's recommendation through
PDEG to every Board's ratification, and one a Board does not ratify (the Scenario 2 offer).

axe-core checks every page visited (conftest.py); the secretariat's outcome and a Board
secretary's decision are entered with the keyboard only.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests import papers

CHAIR = "chair.fwg@demo.govern.test"
SECRETARIAT = "secretariat@demo.govern.test"
PARTY_NAMES = {
    "rde": "Royal Devon and Exeter NHS Foundation Trust",
    "dcc": "Devon County Council",
    "phnt": "Plymouth Hospitals NHS Trust",
}


def _today() -> datetime:
    return datetime.now(ZoneInfo("Europe/London"))


def _switch_to(page: Page, login, email: str) -> None:
    """Log out whoever is logged in, then log in as ``email``."""
    log_out = page.get_by_role("button", name="Log out")
    if log_out.count():
        with page.expect_navigation():
            log_out.click()
    login(page, email)


def _fill_date(page: Page, field_id: str, when: datetime) -> None:
    page.locator(f"#{field_id}-day").fill(str(when.day))
    page.locator(f"#{field_id}-month").fill(str(when.month))
    page.locator(f"#{field_id}-year").fill(str(when.year))


def _raise(page: Page, visit, login, title: str, parties: tuple[str, ...]) -> str:
    """The Finance Working Group's chair raises a recommendation; returns its reference."""
    _switch_to(page, login, CHAIR)
    visit(page, "/recommendations/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a recommendation")
    expect(page.get_by_text("Schedule 4").first).to_be_visible()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill("Sufficient information for PDEG.")
    page.get_by_label("The decision sought").fill("Agree the proposal.")
    boxes = page.locator("input[name=affected]")
    for index in range(boxes.count()):
        expect(boxes.nth(index)).not_to_be_checked()  # nobody is chosen for you
    for code in parties:
        page.get_by_label(PARTY_NAMES[code], exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before raising the recommendation")
    for code in parties:
        expect(page.locator("#answers")).to_contain_text(PARTY_NAMES[code])
    with page.expect_navigation():
        page.get_by_role("button", name="Raise the recommendation").click()
    expect(page.locator("#confirmation")).to_contain_text("Recommendation raised")
    with page.expect_navigation():
        page.locator("#view-recommendation").click()
    expect(page.locator("#decision-state")).to_contain_text("Raised; awaiting a PDEG agenda")
    caption = page.locator(".nhsuk-caption-l").first.inner_text()
    return re.search(r"R\d{4}-\d{4}", caption).group(0)  # type: ignore[union-attr]


def _pdeg_agrees(page: Page, visit, login, tab_to, reference: str) -> None:
    """The secretariat schedules a meeting, puts the recommendation on its agenda and records
    PDEG's agreement (the outcome by keyboard only), checking the answers before confirming."""
    _switch_to(page, login, SECRETARIAT)
    page.get_by_role("link", name="PDEG", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PDEG meetings")
    with page.expect_navigation():
        page.get_by_role("button", name="Schedule a meeting").click()
    _fill_date(page, "meeting_date", _today())
    with page.expect_navigation():
        page.get_by_role("button", name="Schedule the meeting").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("scheduled")
    option = page.locator("#recommendation_id option", has_text=reference).inner_text()
    page.get_by_label("Recommendation").select_option(label=option)
    page.get_by_label("Part One").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add to the agenda").click()
    expect(page.locator("#part-one + table")).to_contain_text(reference)
    _record_attendance(page, present=9)
    expect(page.locator("#quorum")).to_contain_text("Quorate")

    with page.expect_navigation():
        page.get_by_role("link", name=f"Record the outcome of {reference}").click()
    expect(page.get_by_text("clause 10.6").first).to_be_visible()
    tab_to(page, "Agreed", role="radio")
    page.keyboard.press("Space")
    tab_to(page, "PDEG minute reference", role="textbox")
    page.keyboard.type("PDEG/2026/11")
    tab_to(page, "Reasons", role="textbox")
    page.keyboard.type("Agreed by all members present.")
    tab_to(page, "Continue", role="button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Check the answers (and the Boards it will go to), then confirm.
    expect(page.locator("#check-heading")).to_have_text("Check your answers before recording PDEG's outcome")
    expect(page.locator("#answers")).to_contain_text("PDEG/2026/11")
    tab_to(page, "Record the outcome", role="button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#confirmation-title")).to_have_text("PDEG's outcome recorded: agreed")
    expect(page.locator("#confirmation-reference")).to_contain_text(reference)
    expect(page.locator("#what-happens-next")).to_contain_text("sent to the Boards of")
    expect(page.locator("#what-happens-next")).to_contain_text("for ratification (clause 10.6)")


def _record_attendance(page: Page, present: int) -> None:
    """On the meeting page, the secretariat records the first ``present`` member parties as present (the
    first by its deputy, 10.3) and the others' apologies."""
    rows = page.locator("#members tbody tr")
    for index in range(rows.count()):
        row = rows.nth(index)
        if index < present:
            row.locator("input[type=radio][value=deputy]" if index == 0 else
                        "input[type=radio][value=representative]").check()
            row.locator("input[type=text]").fill(f"Member {index + 1}")
        else:
            row.locator("input[type=radio][value=apologies]").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record the attendance").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Attendance recorded")


def _board_records(page: Page, login, tab_to, code: str, reference: str, decision: str, keyboard: bool) -> None:
    """A Board secretary finds the decision under "Awaiting our Board", records the outcome, checks the
    answers, confirms, and goes from the confirmation to the record of the Board's decision."""
    _switch_to(page, login, f"secretary.{code}@demo.govern.test")
    page.get_by_role("link", name="Awaiting our Board").click()
    expect(page.locator("#awaiting")).to_contain_text(reference)
    with page.expect_navigation():
        page.get_by_role("link", name=f"Record the decision on {reference}").click()
    today = _today()
    if keyboard:
        tab_to(page, decision, role="radio")
        page.keyboard.press("Space")
        tab_to(page, "Day", role="textbox")
        page.keyboard.type(str(today.day))
        page.keyboard.press("Tab")
        page.keyboard.type(str(today.month))
        page.keyboard.press("Tab")
        page.keyboard.type(str(today.year))
        tab_to(page, "Minute reference", role="textbox")
        page.keyboard.type(f"{code.upper()}/B/1")
        tab_to(page, "Continue", role="button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("#answers")).to_contain_text(f"{code.upper()}/B/1")
        tab_to(page, "Record the decision", role="button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        page.get_by_label(decision, exact=True).check()
        if decision == "Not ratified":
            page.get_by_label("Reasons the Board gave").fill("Unaffordable for our population this year.")
        _fill_date(page, "meeting_date", today)
        page.get_by_label("Minute reference").fill(f"{code.upper()}/B/1")
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
        expect(page.locator("#check-heading")).to_contain_text("Check your answers before recording the")
        expect(page.locator("#answers")).to_contain_text(decision)
        with page.expect_navigation():
            page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#confirmation-title")).to_contain_text(f"decision recorded: {decision.lower()}")
    expect(page.locator("#confirmation-reference")).to_contain_text(reference)
    if decision == "Not ratified":
        expect(page.locator("#what-happens-next")).to_contain_text("chief executive")
        expect(page.locator("#what-happens-next")).to_contain_text("is open to them")
    with page.expect_navigation():
        page.locator("#record-link").click()


MINIMAL_PDF = papers.pdf()


def test_a_recommendation_goes_from_a_group_through_pdeg_to_every_board(page: Page, visit, login, tab_to) -> None:
    reference = _raise(page, visit, login, "Shared finance back office", ("rde", "dcc"))
    page.locator("#paper-file").set_input_files(
        files=[{"name": "Options appraisal.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}])
    with page.expect_navigation():
        page.get_by_role("button", name="Attach the paper").click()
    expect(page.locator("#attachments")).to_contain_text("Options appraisal.pdf")
    _pdeg_agrees(page, visit, login, tab_to, reference)

    _board_records(page, login, tab_to, "rde", reference, "Ratified", keyboard=True)
    expect(page.locator("#board-status")).to_contain_text("Ratified")
    # The minute was mistyped: the secretary corrects it, checking the correction before confirming it.
    page.get_by_text("Correct the record of the Board's decision").click()
    page.get_by_label("Minute reference").fill("RDE/B/2")
    page.get_by_label("Why the record is corrected").fill("The minute number was mistyped")
    with page.expect_navigation():
        page.get_by_role("button", name="Check the correction").click()
    expect(page.locator("#answers")).to_contain_text("RDE/B/1, corrected to RDE/B/2")
    expect(page.locator("#answers")).to_contain_text("(unchanged)")
    with page.expect_navigation():
        page.get_by_role("button", name="Correct the record").click()
    expect(page.locator("#confirmation-title")).to_have_text("The record of the Board's decision is corrected")
    with page.expect_navigation():
        page.locator("#record-link").click()
    expect(page.locator("#corrections")).to_contain_text("The minute number was mistyped")
    _board_records(page, login, tab_to, "dcc", reference, "Ratified", keyboard=False)

    page.get_by_role("link", name="Ratification register").click()
    expect(page.locator(f"#cell-{reference}-RDE")).to_have_text("Ratified")
    expect(page.locator(f"#cell-{reference}-DCC")).to_have_text("Ratified")
    expect(page.locator(f"#cell-{reference}-PHNT")).to_have_count(0)  # not affected: not listed
    expect(page.locator(f"#row-{reference}")).to_contain_text("Ratified by every remaining party's Board")

    with page.expect_navigation():
        page.get_by_role("link", name=reference).click()
    journey = page.locator("#journey + table")
    for step in ("Raised for PDEG", "Placed on the agenda", "Agreed at PDEG", "Ratified by the Board",
                 "Ratified by every remaining party's Board", "Schedule 4", "10.5", "10.6", "PDEG/2026/11"):
        expect(journey).to_contain_text(step)


def test_a_board_that_does_not_ratify_is_offered_scenario_2(page: Page, visit, login, tab_to) -> None:
    reference = _raise(page, visit, login, "Single pathology service", ("phnt",))
    _pdeg_agrees(page, visit, login, tab_to, reference)

    _board_records(page, login, tab_to, "phnt", reference, "Not ratified", keyboard=False)

    expect(page.locator("#board-status")).to_contain_text("Not ratified")
    offer = page.locator("#scenario-2-offer")
    expect(offer).to_contain_text("Your Board cannot support a system decision (Schedule 8, scenario 2)")
    expect(page.locator("#scenario-2-citation")).to_contain_text(reference)
    expect(page.locator("#scenario-2-citation")).to_contain_text("PHNT/B/1")
    ratification_path = urlsplit(page.url).path

    page.get_by_role("link", name="Ratification register").click()
    expect(page.locator(f"#cell-{reference}-PHNT")).to_contain_text("Not ratified")

    # The party's chief executive opens the dispute from the offer, with the decision filled in.
    _switch_to(page, login, "ceo.phnt@demo.govern.test")
    visit(page, ratification_path)
    with page.expect_navigation():
        page.get_by_role("link", name=f"Open a dispute about {reference}: Your Board cannot support a system decision"
                         ).click()
    selected = page.locator("#decision_id option:checked")
    expect(selected).to_contain_text(reference)


def test_bad_input_is_reported_beside_the_field_and_nothing_typed_is_lost(page: Page, visit, login) -> None:
    _switch_to(page, login, CHAIR)
    visit(page, "/recommendations/new")
    page.get_by_label("Title").fill("Keep this title")
    page.get_by_label("Summary").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Give sufficient information")
    expect(page.locator("#summary-error")).to_contain_text("Schedule 4")
    expect(page.get_by_label("Title")).to_have_value("Keep this title")
    summary.get_by_role("link", name=re.compile("Give sufficient information")).click()
    expect(page.get_by_label("Summary")).to_be_focused()

    _switch_to(page, login, SECRETARIAT)
    visit(page, "/pdeg/meetings/new")
    page.locator("#meeting_date-day").fill("31")
    page.locator("#meeting_date-month").fill("2")
    page.locator("#meeting_date-year").fill("2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Schedule the meeting").click()
    expect(page.locator("#meeting_date-error")).to_contain_text("must be a real date")
    expect(page.locator("#meeting_date-day")).to_have_value("31")

    visit(page, "/register?date_to[day]=40&date_to[month]=1&date_to[year]=2026", expect_status=400)
    expect(page.locator("#date_to-error")).to_contain_text("real date")


def test_the_register_fits_a_phone_and_a_laptop(page: Page, visit, login) -> None:
    """Issue 12, defect 4: the register was 1,675 px wide in a 1,280 px window. Each party's Board is now
    listed inside its decision's row, so nothing scrolls sideways at 320 px or 1,280 px."""
    reference = _raise(page, visit, login, "Register width check", ("rde", "dcc", "phnt"))
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        visit(page, "/register")
        expect(page.locator(f"#row-{reference}")).to_be_visible()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the register overflows by {overflow}px at {width}px"
        box = page.locator(f"#row-{reference}").bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
