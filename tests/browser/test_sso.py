"""Single sign-on in a real browser: a partner's chief executive signs in through their organisation's
OpenID Connect provider (a real one, started by the tests on a loopback port). axe-core checks every
page on the way, the provider's sign-in page included."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

CEO_RDE = "ceo.rde@demo.govern.test"


def test_a_partner_signs_in_through_their_organisations_provider(
    page: Page, live_server, visit, oidc_provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(live_server.app.config, "SSO_PROVIDERS", {"RDE": oidc_provider.settings(name="NHSmail")})
    # Where the provider sends the browser back to: the live server's address.
    monkeypatch.setitem(live_server.app.config, "PUBLIC_BASE_URL", live_server.url)
    oidc_provider.set_user("rita-at-nhsmail", email=CEO_RDE, email_verified=True)

    visit(page, "/login")
    page.get_by_role("button", name="NHSmail (RDE)").click()  # a link styled as a button

    expect(page).to_have_url(re.compile("^" + re.escape(oidc_provider.issuer) + "/oauth2/authorize"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Test identity provider: sign in")
    page.get_by_label("Subject (user id)").fill("rita-at-nhsmail")
    page.get_by_role("button", name="Authorize").click()

    expect(page).to_have_url(live_server.url + "/")
    account = page.get_by_role("navigation", name="Account")
    expect(account).to_contain_text("Signed in as Chief Executive, Royal Devon and Exeter")
    expect(account.get_by_role("button", name="Log out")).to_be_visible()
