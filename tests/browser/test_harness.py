"""The browser-test harness checks what it claims to: these pages are made up to fail.

Each made-up page is served by Playwright on the live server's origin, under the app's own
Content-Security-Policy, so the harness sees it as it would see an app page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import WATCHES, scan_page, visit_page

CSP = (
    "default-src 'self'; script-src 'self' 'nonce-abc'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
GOOD = (
    '<!DOCTYPE html><html lang="en-GB"><head><title>{title}</title></head>'
    "<body><main><h1>{title}</h1>{body}</main></body></html>"
)


def serve(page: Page, path: str, title: str, body: str = "") -> None:
    """Answer ``path`` with a small page, under the app's CSP."""

    def fulfil(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": CSP},
            body=GOOD.format(title=title, body=body),
        )

    page.route(re.compile(re.escape(path) + r"(\?.*)?$"), fulfil)


def forget_checks(page: Page) -> None:
    """The made-up failures were the point: don't fail this test for them afterwards."""
    watch = WATCHES[page.context]
    watch.loaded.clear()
    watch.scans.clear()
    watch.reported = 0
    watch.problems.clear()


def test_visit_fails_on_a_page_with_violations(page: Page) -> None:
    serve(page, "/made-up/bad", "Bad", '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">')

    with pytest.raises(pytest.fail.Exception) as failure:
        visit_page(page, "/made-up/bad")

    assert "image-alt [critical]" in str(failure.value)
    assert "/made-up/bad" in str(failure.value)
    forget_checks(page)


def test_axe_fails_on_violations_shown_after_load(page: Page) -> None:
    serve(page, "/made-up/good", "Good")
    visit_page(page, "/made-up/good")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<button></button>')")

    with pytest.raises(pytest.fail.Exception) as failure:
        scan_page(page)

    assert "button-name" in str(failure.value)
    forget_checks(page)


def test_pages_left_at_once_are_still_scanned(page: Page) -> None:
    serve(page, "/made-up/first", "First", '<a href="/made-up/second">Second</a><img src="data:,">')
    serve(page, "/made-up/second", "Second", '<form action="/made-up/third"><button>Go</button></form><img src="">')
    serve(page, "/made-up/third", "Third")

    page.goto("/made-up/first")
    page.get_by_role("link", name="Second").click()  # straight away: the click waits for the scan
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading")).to_have_text("Third")
    page.wait_for_load_state()

    watch = WATCHES[page.context]
    scanned = [scan.url.rsplit("/", 1)[-1] for scan in watch.scans]
    assert scanned[:2] == ["first", "second"]
    assert all("image-alt" in {v["id"] for v in scan.violations} for scan in watch.scans[:2])
    forget_checks(page)


def test_csp_violations_are_caught(page: Page) -> None:
    serve(page, "/made-up/inline", "Inline", "<script>document.title = 'ran'</script>")

    visit_page(page, "/made-up/inline")

    expect(page).to_have_title("Inline")  # the inline script without the nonce was refused
    problems = WATCHES[page.context].problems
    assert any("CSP violation" in problem for problem in problems), problems
    forget_checks(page)
