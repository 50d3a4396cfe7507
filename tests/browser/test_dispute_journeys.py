"""Flow 2 in a real browser: each Schedule 8 scenario from filing to outcome, every actor logging
in through the login page in turn (and out again through the header's "Log out").

axe-core checks every page visited (conftest.py). The journeys use organisations the demo's sample
disputes do not (the CCGs, Devon County Council, Torbay and South Devon), each files its own
dispute and finds it by its own address, so they depend on no demo state. One panel member declares
their interest and one party accepts the outcome with the keyboard only. The party that gives
notice of withdrawal (Scenario 3) is one no other browser test uses.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

LEADER = "stp.leader@demo.govern.test"
NAMES = {
    "rde": "Royal Devon and Exeter NHS Foundation Trust",
    "ndht": "Northern Devon Healthcare NHS Trust",
    "dcc": "Devon County Council",
    "sdt-ccg": "South Devon and Torbay CCG",
    "newd-ccg": "North East and West Devon CCG",
    "tsdft": "Torbay and South Devon NHS Foundation Trust",
    "dpt": "Devon Partnership NHS Trust",
}


def ceo(code: str) -> str:
    return f"ceo.{code}@demo.govern.test"


def _switch_to(page: Page, login, email: str) -> None:
    """Log out whoever is logged in (the header's button), then log in as ``email``."""
    log_out = page.get_by_role("button", name="Log out")
    if log_out.count():
        with page.expect_navigation():
            log_out.click()
    login(page, email)


def _click(page: Page, role: str, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role(role, name=name, exact=True).click()  # type: ignore[arg-type]


def _open(page: Page, visit, login, email: str, dispute: str) -> None:
    """``email`` logs in and opens the dispute at ``dispute``."""
    _switch_to(page, login, email)
    visit(page, dispute)


def _act(page: Page, action: str) -> None:
    """Follow one of "What you can do" on the dispute page."""
    actions = page.locator("#your-actions + ul")
    expect(actions).to_contain_text(action)
    with page.expect_navigation():
        actions.get_by_role("link", name=action, exact=True).click()
    # A step that asks nothing more and cannot be undone opens straight on its check page.
    check = f"Check your answers before you {action[:1].lower()}{action[1:]}"
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(f"^({re.escape(action)}|{re.escape(check)})$"))


def _done(page: Page, button: str) -> None:
    """Submit the action's form and land back on the dispute, with the confirmation (an irreversible
    step: check the answers, confirm, read the confirmation page, go back to the dispute)."""
    if _confirmed(page):  # already on the check page (the step asked nothing more)
        return
    _click(page, "button", button)
    if not _confirmed(page):
        expect(page.locator(".nhsuk-notification-banner")).to_contain_text(": done.")


def _confirmed(page: Page) -> bool:
    """On a check-your-answers page: confirm, see the confirmation page, go back to the dispute."""
    if not page.locator("#check-heading").count():
        return False
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answers before you")
    with page.expect_navigation():
        page.locator("button[name=confirmed]").click()
    expect(page.locator("#confirmation-title")).to_contain_text(": done")
    expect(page.locator("#what-happens-next")).to_be_visible()
    with page.expect_navigation():
        page.locator("#record-link").click()
    return True


def _send(page: Page) -> None:
    """Save the written material and send it: the button says what the agreement's step does; the
    papers are checked on the check page, then confirmed."""
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Save and submit the .* to the STP Leader$")).click()
    _confirmed(page)


def _state(page: Page) -> object:
    return expect(page.locator("#dispute-state"))


def _file(page: Page, visit, login, code: str, scenario: str, title: str, *, other: str | None = None,
          decision: str | None = None, practice: str | None = None) -> str:
    """``code``'s chief executive raises a dispute; returns the dispute's address."""
    _switch_to(page, login, ceo(code))
    visit(page, "/disputes")
    _click(page, "button", "Raise a dispute")
    expect(page.get_by_text("negotiation in good faith").first).to_be_visible()
    _click(page, "link", scenario)
    page.get_by_label("A short title for the dispute").fill(title)
    if other:
        page.get_by_role("group", name="The other organisation bringing the dispute").get_by_label(
            NAMES[other], exact=True).check()
    if decision:
        page.get_by_label("Or the reference of a decision made before this system").fill(decision)
    if practice:
        page.get_by_role("group", name="The organisation whose change of practice causes the problem").get_by_label(
            NAMES[practice], exact=True).check()
    page.get_by_label(re.compile("We have tried to resolve this by negotiation")).check()
    page.get_by_label("How you tried to resolve it").fill("The chief executives met twice in October.")
    _click(page, "button", "File the dispute")
    expect(page.locator("#check-heading")).to_have_text("Check your answers before you file the dispute")
    expect(page.locator("#answers")).to_contain_text(title)
    with page.expect_navigation():
        page.locator("button[name=confirmed]").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("The STP Leader has been notified")
    expect(page.locator("#confirmation-title")).to_have_text("Notify the STP Leader of the dispute: done")
    _click(page, "link", "Write the papers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Written material")
    path = re.sub(r"^https?://[^/]+", "", page.url).removesuffix("/papers")
    assert re.fullmatch(r"/disputes/\d+", path), page.url
    return path


def _write(page: Page, texts: dict[str, str], principle: str | None = None) -> None:
    for label, text in texts.items():
        page.get_by_label(label, exact=True).fill(text)
    if principle:
        page.get_by_role("checkbox", name=re.compile(rf"^{principle}: ")).check()


def _nominate(page: Page, visit, login, dispute: str, *codes: str) -> None:
    """The STP Leader nominates a neutral panel: the parties are not offered."""
    _open(page, visit, login, LEADER, dispute)
    _act(page, "Nominate the panel")
    panel = page.get_by_role("group", name="Organisations on the panel")
    for code in codes:
        panel.get_by_label(NAMES[code], exact=True).check()
    _done(page, "Nominate the panel")
    _state(page).to_contain_text("Panel nominated")


def _declares_no_conflict(page: Page, visit, login, dispute: str, code: str) -> None:
    _open(page, visit, login, ceo(code), dispute)
    expect(page.locator("#papers + p")).to_contain_text("The papers open to the panel once")
    _act(page, "Declare any conflict of interest")
    page.get_by_label("No", exact=True).check()
    _done(page, "Declare any conflict of interest")


def _release(page: Page, visit, login, dispute: str) -> None:
    _open(page, visit, login, LEADER, dispute)
    _act(page, "Send the papers to the panel")
    _done(page, "Send the papers to the panel")
    _state(page).to_have_text(re.compile("^Papers with the panel"))


def _arrange_hearing(page: Page, arrangements: str) -> str:
    """A panel member, on the dispute page, sets the hearing for today; returns the day as notices say it."""
    _act(page, "Set the date the panel convenes")
    today = datetime.now(ZoneInfo("Europe/London")).date()
    hearing = page.get_by_role("group", name="Date of the hearing")
    hearing.get_by_label("Day").fill(str(today.day))
    hearing.get_by_label("Month").fill(str(today.month))
    hearing.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Where and when on the day, and who is asked to attend").fill(arrangements)
    _done(page, "Set the date the panel convenes")
    return f"{today:%a} {today.day} {today:%b %Y}"


def _recommends(page: Page, visit, login, dispute: str, code: str, seen_in_papers: str) -> None:
    """The panel reads the papers, now released to it, and recommends to the STP Leader."""
    _open(page, visit, login, ceo(code), dispute)
    _click(page, "link", "Read the written material")
    expect(page.locator("main")).to_contain_text(seen_in_papers)
    visit(page, dispute)
    _act(page, "Make the panel's recommendation to the STP Leader")
    page.get_by_label("The recommendation", exact=True).fill("The STP Leader should look again at the decision.")
    page.get_by_label("The reasons", exact=True).fill("The report raises a reason not considered before.")
    _done(page, "Make the panel's recommendation to the STP Leader")
    _state(page).to_contain_text("The panel's recommendation is with the STP Leader")


def _proposes(page: Page, visit, login, dispute: str, outcome: str) -> None:
    _open(page, visit, login, LEADER, dispute)
    _act(page, "Propose a solution, setting out the reasons")
    page.get_by_label(outcome, exact=True).check()
    page.get_by_label("The proposed solution").fill("Bring a revised proposal to PDEG next month.")
    page.get_by_label("The reasons why").fill("The panel found a reason that was not considered.")
    _done(page, "Propose a solution, setting out the reasons")
    _state(page).to_contain_text("The STP Leader has proposed a solution")
    expect(page.locator("#outcome ~ dl").first).to_contain_text(outcome)


def _accepts(page: Page, visit, login, dispute: str, code: str) -> None:
    _open(page, visit, login, ceo(code), dispute)
    expect(page.get_by_text("There is no appeal").first).to_be_visible()
    _act(page, "Accept the outcome")
    _done(page, "Accept the outcome")


def _follow_up(page: Page, title: str) -> None:
    """The STP Leader finds the draft recommendation the proposal opened, linked to the dispute, and writes
    what PDEG will read: the draft holds nothing of the dispute's (Schedule 3)."""
    follow_ups = page.locator("#follow-ups + ul")
    expect(follow_ups).to_contain_text(title)
    reference = page.locator(".nhsuk-caption-l").first.inner_text().split()[0]
    with page.expect_navigation():
        follow_ups.get_by_role("link", name=re.compile(re.escape(title))).click()
    expect(page.locator("main")).to_contain_text("Followed from dispute")
    expect(page.locator("main")).to_contain_text(reference)
    _click(page, "link", "Write what PDEG will read")
    expect(page.get_by_role("heading", level=1)).to_have_text("Write the recommendation for PDEG")
    page.get_by_label("Title", exact=True).fill("A revised option for PDEG")
    page.get_by_label("Summary", exact=True).fill("What the STP Leader chooses to tell PDEG.")
    page.get_by_label("Royal Devon and Exeter NHS Foundation Trust", exact=True).check()
    _click(page, "button", "Save the draft")
    expect(page.get_by_role("heading", level=1)).to_have_text("A revised option for PDEG")


def test_scenario_1_two_trusts_agree_a_pack_and_a_panel_hears_and_decides(
    page: Page, visit, login, tab_to,
) -> None:
    dispute = _file(page, visit, login, "rde", "Location of a single-site service", "Where the vascular hub goes",
                    other="ndht")

    # Either party writes; each agrees the pack as it stands; then it goes to the STP Leader.
    _write(page, {
        "Agreed background statement": "One vascular hub for the north and east of Devon.",
        f"Position: {NAMES['rde']}": "In Exeter, beside interventional radiology.",
        f"Proposed solution: {NAMES['rde']}": "Exeter, with a spoke in Barnstaple.",
    })
    _click(page, "button", "Save draft")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Draft saved")

    _open(page, visit, login, ceo("ndht"), dispute)
    _click(page, "link", "Write or read the written material")
    expect(page.get_by_label("Agreed background statement")).to_have_value(
        "One vascular hub for the north and east of Devon.")
    _write(page, {
        f"Position: {NAMES['ndht']}": "In Barnstaple, for travel times from the north.",
        f"Proposed solution: {NAMES['ndht']}": "Barnstaple, with a spoke in Exeter.",
    })
    _click(page, "button", "Save and agree the documentation as it stands")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("agreed the documentation")

    _open(page, visit, login, ceo("rde"), dispute)
    _click(page, "link", "Write or read the written material")
    expect(page.locator("#pack-agreed-by")).to_have_text(f"Agreed so far by: {NAMES['ndht']}.")
    _click(page, "button", "Save and agree the documentation as it stands")
    visit(page, f"{dispute}/papers")
    expect(page.locator("#pack-agreed-by")).to_have_text(f"Agreed so far by: {NAMES['rde']}, {NAMES['ndht']}.")
    _send(page)
    _state(page).to_contain_text("received by the STP Leader")

    # A neutral panel: the parties are not offered.
    _open(page, visit, login, LEADER, dispute)
    _act(page, "Nominate the panel")
    panel = page.get_by_role("group", name="Organisations on the panel")
    expect(panel.get_by_label(NAMES["rde"], exact=True)).to_have_count(0)
    expect(panel.get_by_label(NAMES["ndht"], exact=True)).to_have_count(0)
    panel.get_by_label(NAMES["dcc"], exact=True).check()
    panel.get_by_label(NAMES["sdt-ccg"], exact=True).check()
    _done(page, "Nominate the panel")

    _declares_no_conflict(page, visit, login, dispute, "dcc")

    # The other panel member declares with the keyboard only.
    _open(page, visit, login, ceo("sdt-ccg"), dispute)
    tab_to(page, "Declare any conflict of interest", role="link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "Yes", role="radio")  # a radio group is one tab stop: the arrow keys choose within it
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("No", exact=True)).to_be_checked()
    tab_to(page, "Declare any conflict of interest", role="button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#parties + dl")).to_contain_text(f"{NAMES['sdt-ccg']} — declared no conflict of interest")

    _release(page, visit, login, dispute)

    # The panel calls one party for clarification (the other must be present), convenes and decides.
    _open(page, visit, login, ceo("dcc"), dispute)
    _click(page, "link", "Read the written material")
    expect(page.locator("main")).to_contain_text("In Barnstaple, for travel times from the north.")
    visit(page, dispute)
    _act(page, "Call parties for clarification")
    page.get_by_role("group", name="Parties called for clarification").get_by_label(NAMES["rde"]).check()
    page.get_by_role("group", name="Other parties invited to be present").get_by_label(NAMES["ndht"]).check()
    _done(page, "Call parties for clarification")
    day = _arrange_hearing(page, "10:00, Board room, Exeter")

    # Both organisations are told: the one called, and the other, invited to be present.
    for code in ("rde", "ndht"):
        _open(page, visit, login, ceo(code), "/notices")
        expect(page.locator("main")).to_contain_text(f"The panel convenes on {day}: 10:00, Board room, Exeter")
    expect(page.locator("main")).to_contain_text("Your organisation is invited to be present")
    _open(page, visit, login, ceo("dcc"), dispute)
    _act(page, "Record that the panel has convened")
    present = page.get_by_role("group", name="Parties present")
    present.get_by_label(NAMES["rde"]).check()
    present.get_by_label(NAMES["ndht"]).check()
    _done(page, "Record that the panel has convened")
    _state(page).to_contain_text("The panel has convened")
    _act(page, "Present the panel's decision with its reasons")
    page.get_by_label("The decision", exact=True).fill("The hub goes to Exeter.")
    page.get_by_label("The reasons, as fully as is reasonably practical").fill("Shortest times for most patients.")
    _done(page, "Present the panel's decision with its reasons")
    _state(page).to_contain_text("Decision presented to the parties")
    outcome = page.locator("#outcome ~ dl").first
    expect(outcome).to_contain_text("The hub goes to Exeter.")
    expect(outcome).to_contain_text("Shortest times for most patients.")

    _accepts(page, visit, login, dispute, "rde")

    # The other party accepts with the keyboard only; the dispute closes.
    _open(page, visit, login, ceo("ndht"), dispute)
    tab_to(page, "Accept the outcome", role="link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#check-heading")).to_have_text("Check your answers before you accept the outcome")
    tab_to(page, "Accept the outcome", role="button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#confirmation-title")).to_have_text("Accept the outcome: done")
    tab_to(page, re.compile(r"^Go to dispute "), role="link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _state(page).to_contain_text("Closed")
    expect(page.locator("#parties + dl")).to_contain_text(f"{NAMES['ndht']} — accepted the outcome")


def test_scenario_2_a_board_that_cannot_support_a_decision_sees_it_revisited(page: Page, visit, login) -> None:
    dispute = _file(page, visit, login, "newd-ccg", "Your Board cannot support a system decision",
                    "Closing the minor injuries units", decision="PDEG minute 2026/52")

    # The report first goes without its impact: nothing typed is lost, the problem is beside the heading.
    expect(page.get_by_label("The decision not supported: reference to the document", exact=True)).to_have_value(
        "PDEG minute 2026/52")
    _write(page, {
        "Background": "Our Governing Body commissions the minor injuries units.",
        "The decision not supported": "PDEG agreed to close four minor injuries units.",
        "Why the decision cannot be supported": "Access for rural communities was not weighed.",
        "Suggested remedy/alternative decision": "Close two and keep two with longer hours.",
    }, principle="V1")
    _send(page)
    expect(page.locator("#h_impact-error")).to_contain_text("'Impact' is missing (Schedule 8, scenario 2, step one)")
    expect(page.get_by_label("Background", exact=True)).to_have_value(
        "Our Governing Body commissions the minor injuries units.")
    page.get_by_label("Impact", exact=True).fill("Rural patients travel forty minutes more.")
    _send(page)
    _state(page).to_contain_text("Written report received by the STP Leader")

    _nominate(page, visit, login, dispute, "dcc")
    _declares_no_conflict(page, visit, login, dispute, "dcc")
    _release(page, visit, login, dispute)
    _recommends(page, visit, login, dispute, "dcc", "Rural patients travel forty minutes more.")

    _proposes(page, visit, login, dispute, "The decision is revisited in the light of the reasons raised")
    _follow_up(page, "A decision to revisit (draft: write its title)")

    _accepts(page, visit, login, dispute, "newd-ccg")
    _state(page).to_contain_text("Closed")


def test_scenario_3_a_party_gives_notice_of_withdrawal_after_the_outcome(page: Page, visit, login) -> None:
    dispute = _file(page, visit, login, "tsdft", "Control total missed because of a system decision",
                    "The elective cap and our control total", decision="Finance Working Group minute 2026/9")
    _write(page, {
        "Background": "Our plan assumed the elective income agreed in March.",
        "The decision that causes the problem": "The cap on elective activity at 2019/20 levels.",
        "Why the decision causes the problem": "It moves a deficit onto one organisation.",
        "The material impact": "A shortfall of 4 million pounds.",
        "Suggested remedy": "Share the cost of the cap across the system.",
    }, principle="V1")
    _send(page)

    _nominate(page, visit, login, dispute, "sdt-ccg")
    _declares_no_conflict(page, visit, login, dispute, "sdt-ccg")
    _release(page, visit, login, dispute)
    _recommends(page, visit, login, dispute, "sdt-ccg", "A shortfall of 4 million pounds.")
    _proposes(page, visit, login, dispute, "The decision stands in the interest of the system")

    _open(page, visit, login, ceo("tsdft"), dispute)
    _act(page, "Give notice of withdrawal from the MoU")
    expect(page.get_by_role("heading", name=re.compile("What withdrawal means"))).to_be_visible()
    explained = page.get_by_text(re.compile(r"^Any party may withdraw from the MoU at any time \(clause 15\)"))
    expect(explained).to_contain_text("stop taking part in collective decisions")
    expect(explained).to_contain_text("There is no appeal")
    page.get_by_label("Notice of withdrawal").fill("Our Board has resolved to leave the partnership.")
    _click(page, "button", "Give notice of withdrawal")
    expect(page.locator("button.nhsuk-button--warning")).to_have_text("Give notice of withdrawal from the MoU")
    _confirmed(page)
    _state(page).to_contain_text("Closed")
    expect(page.locator("#parties + dl")).to_contain_text(
        f"{NAMES['tsdft']} — gave notice of withdrawal (clause 15)")


def test_scenario_4_a_change_of_practice_ends_in_an_options_paper_for_pdeg(page: Page, visit, login) -> None:
    dispute = _file(page, visit, login, "dcc", "A unilateral change of practice",
                    "Changed discharge criteria", practice="dpt")
    _write(page, {
        "Background": "Discharge criteria changed without notice in August.",
        "The action that causes the problem": "Discharges to social care without a 7-day plan.",
        "The material impact": "Social care caseloads rose by a fifth.",
        "A suggested remedy": "Reinstate the joint protocol until PDEG agrees a policy.",
    }, principle="V1")
    _send(page)

    # The organisation whose practice changed is not offered for the panel either.
    _open(page, visit, login, LEADER, dispute)
    _act(page, "Nominate the panel")
    panel = page.get_by_role("group", name="Organisations on the panel")
    expect(panel.get_by_label(NAMES["dpt"], exact=True)).to_have_count(0)
    panel.get_by_label(NAMES["newd-ccg"], exact=True).check()
    _done(page, "Nominate the panel")

    _declares_no_conflict(page, visit, login, dispute, "newd-ccg")
    _release(page, visit, login, dispute)
    _recommends(page, visit, login, dispute, "newd-ccg", "Social care caseloads rose by a fifth.")
    _proposes(page, visit, login, dispute, "An options paper to be considered by PDEG")
    _follow_up(page, "Options paper for PDEG (draft: write its title)")

    _accepts(page, visit, login, dispute, "dcc")
    # The organisation whose practice changed is a party too: it sees the outcome and responds to it.
    _accepts(page, visit, login, dispute, "dpt")
    _state(page).to_contain_text("Closed")


def test_a_dispute_no_scenario_fits_gets_its_process_from_the_stp_lead(page: Page, visit, login) -> None:
    """16.2: a partner asks for a bespoke process; the STP Leader chooses its shape and sets its deadlines."""
    dispute = _file(page, visit, login, "sdt-ccg", "None of these fits", "Shared back-office services charging")
    _open(page, visit, login, LEADER, dispute)
    _click(page, "link", "Set out the process for this dispute")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set out the process")
    page.get_by_label("The panel decides").check()
    hearing = page.get_by_role("group", name="The panel convenes (16.2)", exact=True)
    hearing.get_by_label("How many").fill("2")
    _click(page, "button", "Set out the process")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("The process for this dispute is set out")
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.get_by_text("The panel convenes").first).to_be_visible()
