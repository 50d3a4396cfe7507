"""Personal access tokens in a real browser: made under Your account, shown once, used, revoked; the
pages and the API's documentation page pass axe-core under the Content-Security-Policy."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect

SECRETARY = "secretary.rde@demo.govern.test"


def test_a_secretary_makes_uses_and_revokes_a_token(page: Page, login, visit, live_server) -> None:
    login(page, SECRETARY)
    visit(page, "/account")
    page.get_by_role("link", name="Your personal access tokens").click()
    page.get_by_role("button", name="Make a new token").click()
    page.get_by_label("Name").fill("Board portal (browser)")
    page.get_by_label("Read, and record your Board's decisions").check()
    expiry = date.today() + timedelta(days=30)
    page.get_by_label("Day").fill(str(expiry.day))
    page.get_by_label("Month").fill(str(expiry.month))
    page.get_by_label("Year").fill(str(expiry.year))
    page.get_by_role("button", name="Make the token").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your new token")
    secret = page.locator("#token-secret").inner_text().strip()
    assert secret.startswith("gov_pat_")

    answer = page.request.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()["email"] == SECRETARY

    page.get_by_role("button", name="I have copied my token: continue").click()
    row = page.locator("#tokens tr", has_text="Board portal (browser)")
    expect(row).to_contain_text("Active")
    row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke the token").click()
    expect(page.locator("#tokens tr", has_text="Board portal (browser)")).to_contain_text("Revoked")
    refused = page.request.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401


def test_a_bad_expiry_is_shown_beside_its_field(page: Page, login, visit) -> None:
    login(page, SECRETARY)
    visit(page, "/account/tokens/new")
    page.get_by_label("Name").fill("Intranet")
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill(str(date.today().year + 3))
    page.get_by_role("button", name="Make the token").click()
    expect(page.locator("#expires_on-error")).to_contain_text("a year at most")
    expect(page.get_by_label("Name")).to_have_value("Intranet")


def test_the_api_documentation_page_draws_the_document(page: Page, visit) -> None:
    visit(page, "/api/v1/docs")
    expect(page.get_by_text("/api/v1/ratifications/{ratification_id}/decision")).to_be_visible()
