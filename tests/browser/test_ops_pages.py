"""The pages this issue adds or changes, in a real browser with axe-core: the Board packs page (and its
error), and the tick's status on the dashboard and the mail page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_a_board_secretary_asks_for_a_pack_and_is_told_what_is_missing(page: Page, visit, login) -> None:
    login(page, "secretary.tc@demo.govern.test")
    visit(page, "/boards/awaiting")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(r"^make the pack for a .* meeting$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Board packs")
    with page.expect_navigation():
        page.get_by_role("button", name="Make the Board pack").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the date of the Board meeting")


def test_the_tick_status_shows_on_the_dashboard_and_the_mail_page(page: Page, visit, login, live_server) -> None:
    """After a sweep (as the tick timer runs it, on the live server's database), both pages say when it ran;
    the state before any sweep ("Never") is tested in tests/test_health.py, since other journeys tick too."""
    with live_server.app.app_context():
        result = live_server.app.test_cli_runner().invoke(args=["tick", "--no-send"])
    assert result.exit_code == 0, result.output
    login(page, "admin@demo.govern.test")
    for path in ("/dashboard", "/admin/outbox"):
        visit(page, path)
        expect(page.locator("#tick-last-sweep")).to_contain_text(re.compile(r"\d{1,2} \w+ \d{4} at "))
        expect(page.locator("#tick-backlog")).to_contain_text("waiting")
        expect(page.get_by_text("No sweep has run")).to_have_count(0)
