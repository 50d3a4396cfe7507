"""The page layout in a real browser: NHS.UK frontend, keyboard use, logging in and out.

axe-core checks every page these tests visit (see conftest.py); these tests check what axe
cannot: what a person sees and can do.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import totp_code as totp_code_for

ADMIN = "admin@demo.govern.test"
STP_LEADER = "stp.leader@demo.govern.test"
TITLE_SUFFIX = " \N{EN DASH} Govern"  # the layout: "<page> <en dash> Govern"


def test_login_page_is_an_nhs_service_page(page: Page, visit) -> None:
    visit(page, "/login")

    expect(page).to_have_title("Log in" + TITLE_SUFFIX)
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    home = page.get_by_role("banner").get_by_role("link", name=re.compile("Govern \N{EM DASH} Devon STP partnership"))
    expect(home).to_have_attribute("href", "/")
    expect(page.get_by_role("contentinfo")).to_be_visible()
    expect(page.get_by_label("Email address")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    # Nobody is signed in: no navigation, no account menu.
    expect(page.get_by_role("navigation", name="Account")).to_have_count(0)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_design_system_styles_and_scripts_run_under_the_csp(page: Page, visit) -> None:
    response = visit(page, "/login")

    assert "nonce-" in response.headers["content-security-policy"]
    # The nonce'd inline script ran, and so did NHS.UK frontend's module script.
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b.*\bnhsuk-frontend-supported\b"))
    expect(page.locator("[data-module=nhsuk-header][data-nhsuk-header-init]")).to_have_count(1)
    # The stylesheet applied: the header is NHS blue.
    header_colour = page.get_by_role("banner").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header_colour == "rgb(0, 94, 184)"


def test_skip_link_is_first_and_moves_focus_to_the_main_content(page: Page, visit) -> None:
    visit(page, "/login")

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to main content")
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#maincontent")).to_be_focused()


def test_a_wrong_password_is_reported_with_an_error_summary(page: Page, visit) -> None:
    visit(page, "/login")
    page.get_by_label("Email address").fill(ADMIN)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # NHS.UK frontend moves focus there for screen readers
    expect(page).to_have_title("Error: Log in" + TITLE_SUFFIX)


def test_keyboard_only_login_and_logout(page: Page, visit, tab_to) -> None:
    visit(page, "/login")

    tab_to(page, "Email address", role="textbox")
    page.keyboard.type(STP_LEADER)
    tab_to(page, "Password", role="textbox")
    page.keyboard.type("demo-password-2026")
    tab_to(page, "Log in", role="button")
    page.keyboard.press("Enter")
    # The STP Leader must give a second factor: the code page works by keyboard too.
    expect(page).to_have_url(re.compile(r"/login/code$"))
    tab_to(page, "Code", role="textbox")
    page.keyboard.type(totp_code_for(STP_LEADER))
    tab_to(page, "Continue", role="button")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Signed in as")
    log_out = tab_to(page, "Log out", role="button")
    expect(log_out).to_be_visible()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_contain_text("You have logged out.")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


@pytest.mark.parametrize("email", [ADMIN, STP_LEADER])
def test_signed_in_header_names_the_user_and_offers_log_out(page: Page, login, email: str) -> None:
    login(page, email)

    account = page.get_by_role("navigation", name="Account")
    expect(account).to_contain_text(re.compile(r"Signed in as \S"))
    expect(account.get_by_role("button", name="Log out")).to_be_visible()
    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")


def test_administrator_sees_the_administration_links(page: Page, login) -> None:
    login(page, ADMIN)

    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Accounts")).to_be_visible()


def test_the_home_page_needs_a_login(page: Page, visit) -> None:
    visit(page, "/", expect_status=None)

    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_page_not_found_uses_the_layout(page: Page, visit) -> None:
    visit(page, "/no-such-page", expect_status=404)

    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page).to_have_title("Page not found" + TITLE_SUFFIX)


def test_flashed_messages_of_each_category(page: Page, live_server, visit) -> None:
    """Success, error and info messages, rendered by the real layout under the real CSP."""
    from flask import flash, render_template_string

    app = live_server.app
    with app.test_request_context("/made-up/flashes"):
        flash("The panel has been nominated.", "success")
        flash("The dispute could not be filed.", "error")
        flash("Papers are due by 5pm on 3 March 2027.", "info")
        body = render_template_string(
            '{% extends "layout.html" %}{% block pageTitle %}Flashes{% endblock %}'
            "{% block content %}<h1>Flashes</h1>{% endblock %}"
        )
        response = app.make_response(body)
        response = app.process_response(response)  # the CSP header, with this render's nonce
    page.route(
        "**/made-up/flashes",
        lambda route: route.fulfill(status=200, headers=dict(response.headers), body=body),
    )

    visit(page, "/made-up/flashes")

    errors = page.locator(".nhsuk-error-summary")
    expect(errors).to_be_focused()  # an error takes focus before the success banner
    expect(errors).to_contain_text("There is a problem")
    expect(errors).to_contain_text("The dispute could not be filed.")
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text("The panel has been nominated.")
    expect(page.get_by_role("region", name="Important")).to_contain_text("Papers are due by 5pm on 3 March 2027.")
