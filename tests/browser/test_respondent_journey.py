"""Both sides of a dispute take part, in a real browser (issue 11); axe-core checks every page.

Scenario 4: NEW Devon CCG files about Torbay Council's change of practice. Torbay Council (the
respondent) finds the dispute on its home page's list, reads it, is told of each step, writes its account
of why it changed its practice (which the panel reads with the papers), is not offered for the panel, sees
the outcome as a thing to do with a "For you to do" banner, and accepts it through the check page and the
confirmation page. (Scenario 4 has no hearing.)

A process the STP Leader sets out (16.2, "the panel decides"): the other side, named at filing, writes its
part, is told when and where the panel convenes, and accepts the decision.

Scenario 1: filing goes through "Check your answers" (changing an answer keeps the rest), then the
confirmation page, which leads to the papers.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_dispute_journeys import (
    LEADER,
    _act,
    _arrange_hearing,
    _click,
    _declares_no_conflict,
    _done,
    _nominate,
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
ACCOUNT = "We changed our discharge criteria to mitigate the risk of readmissions without a care package."


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
    expect(page.locator("main")).to_contain_text(
        "you may write your account of why your organisation changed its practice")
    visit(page, dispute)
    expect(page.locator("#parties + dl")).to_contain_text(f"{TORBAY}")
    expect(page.locator("#respond-by")).to_have_count(0)  # its account is optional: never "for you to do"

    # Torbay Council is asked why it changed its practice: it writes its account before the papers go
    # to the panel (optional: the MoU sets no deadline for it), and the STP Leader is told.
    expect(page.locator("#no-account")).to_contain_text("It is optional, with no deadline")
    _act(page, "Write your organisation's account of its change of practice")
    expect(page.locator(".nhsuk-hint").first).to_contain_text("Optional: the MoU sets no deadline for it.")
    page.get_by_label("Why your organisation changed its practice, and what risk it was mitigating").fill(ACCOUNT)
    _done(page, "Write your organisation's account of its change of practice")
    expect(page.locator("#accounts ~ p.govern-prewrap").first).to_have_text(ACCOUNT)
    _open(page, visit, login, LEADER, "/notices")
    expect(page.locator("main")).to_contain_text(f"{TORBAY} has written its account of the change of practice")

    # Never on the panel.
    _open(page, visit, login, LEADER, dispute)
    _act(page, "Nominate the panel")
    panel = page.get_by_role("group", name="Organisations on the panel")
    expect(panel.get_by_label(TORBAY, exact=True)).to_have_count(0)
    panel.get_by_label("Plymouth City Council", exact=True).check()
    _done(page, "Nominate the panel")
    _declares_no_conflict(page, visit, login, dispute, "pcc")
    _release(page, visit, login, dispute)
    _recommends(page, visit, login, dispute, "pcc", ACCOUNT)  # the panel reads Torbay's account with the papers
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


def test_a_process_the_stp_leader_sets_out_the_other_side_writes_its_part_is_told_of_the_hearing_and_accepts(
        page: Page, visit, login) -> None:
    """16.2, "the panel decides": Plymouth City Council names Livewell Southwest as the other side at filing."""
    livewell = "Livewell Southwest"
    part = "We commission the service already: a second contract would pay twice for it."
    _switch_to(page, login, ceo("pcc"))
    visit(page, "/disputes/new/bespoke")
    page.get_by_label("A short title for the dispute").fill("Who pays for the community equipment store")
    page.get_by_role("group", name="The other organisation or organisations in the dispute").get_by_label(
        livewell, exact=True).check()
    page.get_by_label(re.compile("We have tried to resolve this by negotiation")).check()
    page.get_by_label("How you tried to resolve it").fill("The directors met in November.")
    _click(page, "button", "File the dispute")
    _click(page, "button", "File the dispute")
    _click(page, "link", "Write the papers")
    dispute = re.sub(r"^https?://[^/]+", "", page.url).removesuffix("/papers")

    _open(page, visit, login, LEADER, dispute)
    _click(page, "link", "Set out the process for this dispute")
    page.get_by_label("The panel decides").check()
    _click(page, "button", "Set out the process")

    _open(page, visit, login, ceo("pcc"), f"{dispute}/papers")
    _write(page, {
        "Background": "The store serves Plymouth's residents.",
        "What the dispute is": "Which organisation pays for the store.",
        "Suggested remedy": "Share the cost by use.",
    }, principle="V13")
    _send(page)

    # The other side writes its part (optional, before the papers go to the panel).
    _open(page, visit, login, ceo("lsw"), dispute)
    expect(page.locator("#parties + dl")).to_contain_text(f"Party (the other side) {livewell}")
    _act(page, "Write your organisation's part")
    expect(page.locator(".nhsuk-hint").first).to_contain_text("Optional: no deadline is set for it.")
    page.get_by_label("Your organisation's account of the dispute and what it believes to be a reasonable "
                      "solution").fill(part)
    _done(page, "Write your organisation's part")
    expect(page.locator("#accounts ~ p.govern-prewrap").first).to_have_text(part)

    _nominate(page, visit, login, dispute, "dpt")
    _declares_no_conflict(page, visit, login, dispute, "dpt")
    _release(page, visit, login, dispute)

    # The panel reads the other side's part with the papers and arranges the hearing.
    _open(page, visit, login, ceo("dpt"), dispute)
    _click(page, "link", "Read the written material")
    expect(page.locator("#accounts ~ p.govern-prewrap").first).to_have_text(part)
    visit(page, dispute)
    day = _arrange_hearing(page, "14:00, Windsor House, Plymouth")

    # The other side is told when and where the panel convenes.
    _open(page, visit, login, ceo("lsw"), "/notices")
    expect(page.locator("main")).to_contain_text(f"The panel convenes on {day}: 14:00, Windsor House, Plymouth")
    visit(page, dispute)
    expect(page.locator("#outcome ~ dl").first).to_contain_text("14:00, Windsor House, Plymouth")

    _open(page, visit, login, ceo("dpt"), dispute)
    _act(page, "Record that the panel has convened")
    present = page.get_by_role("group", name="Parties present")
    present.get_by_label("Plymouth City Council", exact=True).check()
    present.get_by_label(livewell, exact=True).check()
    _done(page, "Record that the panel has convened")
    _act(page, "Present the panel's decision with its reasons")
    page.get_by_label("The decision", exact=True).fill("Plymouth City Council pays for the store.")
    page.get_by_label("The reasons, as fully as is reasonably practical").fill("Its residents use it.")
    _done(page, "Present the panel's decision with its reasons")

    # The other side responds to the outcome, as the party that filed does.
    _open(page, visit, login, ceo("lsw"), dispute)
    expect(page.locator("#respond-by")).to_contain_text("No appeal")
    _act(page, "Accept the outcome")
    _done(page, "Accept the outcome")
    expect(page.locator("#parties + dl")).to_contain_text(f"{livewell} — accepted the outcome")
    _open(page, visit, login, ceo("pcc"), dispute)
    _act(page, "Accept the outcome")
    _done(page, "Accept the outcome")
    _state(page).to_contain_text("Closed")
