"""Your account in a real browser: the pages for passwords and the second factor pass axe-core, and
the QR code (an inline SVG data URI) shows under the Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

ADMIN = "admin@demo.govern.test"
SECRETARY = "secretary.rde@demo.govern.test"


@pytest.mark.parametrize("path", ["/account", "/account/password"])
def test_the_account_pages_of_an_administrator(page: Page, login, visit, path: str) -> None:
    login(page, ADMIN)
    visit(page, path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_setting_up_an_authenticator_shows_a_qr_code(page: Page, login, visit) -> None:
    login(page, SECRETARY)
    visit(page, "/account/authenticator")
    qr = page.get_by_role("img", name="QR code to add Govern to your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code loaded under the CSP"


def test_the_forgotten_password_page(page: Page, visit) -> None:
    visit(page, "/login")
    page.get_by_role("link", name="I have forgotten my password").click()
    page.get_by_label("Email address").fill("nobody@example.nhs.uk")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
