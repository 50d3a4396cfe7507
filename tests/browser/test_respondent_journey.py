"""Both sides of a dispute take part, in a real browser (issue 11); axe-core checks every page.

Scenario 4: NEW Devon CCG files about Torbay Council's change of practice. Torbay Council (the
respondent) finds the dispute on its home page's list, reads it, is told of each step, is not offered
for the panel, sees the outcome as a thing to do with a "For you to do" banner, and accepts it through
the check page and the confirmation page. (Scenario 4 gives the respondent no papers of its own and no
hearing; Scenario 1's hearing notices are tested in ``tests/test_hearing_notices.py``.)

Scenario 1: filing goes through "Check your answers" (changing an answer keeps the rest), then the
confirmation page, which leads to the papers.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_dispute_journeys import (
    LEADER,
    _act,
    _click,
    _declares_no_conflict,
    _done,
    _open,
    _proposes,
    _recommends,
    _release,
    _send,
    _state,
    _switch_to,
    _write,
    ceo,
)

TORBAY = "Torbay Council"


def test_scenario_4_the_respondent_sees_the_dispute_is_told_and_accepts(page: Page, visit, login) -> None:
    _switch_to(page, login, ceo("newd-ccg"))
    visit(page, "/disputes/new/scenario_4")
    page.get_by_label("A short title for the dispute").fill("Torbay's change to discharge to assess")
    page.get_by_role("group", name="The organisation whose change of practice causes the problem").get_by_label(
        TORBAY, exact=True).check()
    page.get_by_label(re.compile("We have tried to resolve this by negotiation")).check()
    page.get_by_label("How you tried to resolve it").fill("The chief executives met twice in October.")
    _click(page, "button", "File the dispute")
    expect(page.locator("#answers")).to_contain_text(TORBAY)
    _click(page, "button", "File the dispute")
    expect(page.locator("#confirmation-title")).to_contain_text(": done")
    _click(page, "link", "Write the papers")
    dispute = re.sub(r"^https?://[^/]+", "", page.url).removesuffix("/papers")
    _write(page, {
        "Background": "Torbay changed its discharge criteria in September.",
        "The action that causes the problem": "Discharges wait for a care package first.",
        "The material impact": "Delayed discharges at the acute trusts doubled.",
        "A suggested remedy": "Return to discharge to assess while a joint plan is made.",
    }, principle="V1")
    _send(page)
    _state(page).to_contain_text("Written report received by the STP Leader")

    # Torbay Council is a party: it finds the dispute from its home page and is told of it.
    _switch_to(page, login, ceo("tc"))
    visit(page, "/")
    expect(page.locator("#open-disputes-list")).to_contain_text("Torbay's change to discharge to assess")
    visit(page, "/notices")
    expect(page.locator("main")).to_contain_text("A dispute naming your organisation as a party has been notified")
    visit(page, dispute)
    expect(page.locator("#parties + dl")).to_contain_text(f"{TORBAY}")
    expect(page.locator("#respond-by")).to_have_count(0)  # nothing is Torbay's to do yet

    # Never on the panel.
    _open(page, visit, login, LEADER, dispute)
    _act(page, "Nominate the panel")
    panel = page.get_by_role("group", name="Organisations on the panel")
    expect(panel.get_by_label(TORBAY, exact=True)).to_have_count(0)
    panel.get_by_label("Plymouth City Council", exact=True).check()
    _done(page, "Nominate the panel")
    _declares_no_conflict(page, visit, login, dispute, "pcc")
    _release(page, visit, login, dispute)
    _recommends(page, visit, login, dispute, "pcc", "Delayed discharges at the acute trusts doubled.")
    _proposes(page, visit, login, dispute, "A solution in the interest of the system")

    # Torbay is told of the proposal, sees it as a thing to do, and accepts it.
    _switch_to(page, login, ceo("tc"))
    visit(page, "/")
    todo = page.locator("#todo")
    expect(todo).to_contain_text("No appeal: each party accepts the proposed solution or is at liberty to withdraw")
    with page.expect_navigation():
        todo.get_by_role("link").first.click()
    expect(page.locator("#respond-by")).to_contain_text("No appeal")
    expect(page.locator("#history")).to_contain_text("The STP Leader proposes a solution")
    _act(page, "Accept the outcome")
    expect(page.locator("#being-accepted")).to_contain_text("A solution in the interest of the system")
    _done(page, "Accept the outcome")
    expect(page.locator("#parties + dl")).to_contain_text(f"{TORBAY} — accepted the outcome")
    expect(page.locator("#respond-by")).to_have_count(0)


def test_scenario_1_filing_is_checked_changed_and_confirmed(page: Page, visit, login) -> None:
    _switch_to(page, login, ceo("phnt"))
    visit(page, "/disputes/new/scenario_1")
    page.get_by_label("A short title for the dispute").fill("Where the vascular hub goes")
    page.get_by_role("group", name="The other organisation bringing the dispute").get_by_label(
        "Livewell Southwest", exact=True).check()
    page.get_by_label(re.compile("We have tried to resolve this by negotiation")).check()
    page.get_by_label("How you tried to resolve it").fill("Met three times in November.")
    _click(page, "button", "File the dispute")
    expect(page.locator("#check-heading")).to_have_text("Check your answers before you file the dispute")
    expect(page.locator("#answers")).to_contain_text("Livewell Southwest")

    _click(page, "button", "Change your answers")  # back to the form with everything kept
    expect(page.get_by_label("A short title for the dispute")).to_have_value("Where the vascular hub goes")
    page.get_by_label("A short title for the dispute").fill("Where the vascular hub should go")
    _click(page, "button", "File the dispute")
    expect(page.locator("#answers")).to_contain_text("Where the vascular hub should go")
    _click(page, "button", "File the dispute")

    expect(page.locator("#confirmation-title")).to_have_text("Notify the STP Leader of the dispute: done")
    expect(page.locator("#confirmation-reference")).to_contain_text(re.compile(r"D\d{4}-\d{4}"))
    expect(page.locator("#what-happens-next")).to_contain_text("A single agreed set of documentation")
    _click(page, "link", "Write the papers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Written material")
    # Scenario 1's pack: agree is offered on the draft; send only once both have agreed.
    expect(page.get_by_role("button", name="Save and agree the documentation as it stands")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Save and submit"))).to_have_count(0)
