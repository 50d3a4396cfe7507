"""Browser tests: the app in a real Chromium, with axe-core on every page a test visits.

Fixtures
    live_server  (session) the app on 127.0.0.1, a free port, a fresh database, real CSRF.
    browser      (session) Debian's Chromium, headless, through Playwright.
    page         (function) a new page in a new browser context, so no cookie leaks between tests.
    visit, login, axe, tab_to   helpers, as fixtures so tests need no imports:
        visit(page, "/path")                  go to a page; fails at once if it has violations
        login(page, email, password)          log in through the real /login page (and give the
                                              second factor where one is asked, as a person would)
        axe(page)                             scan the page as it is now (after showing a
                                              hidden part, say); fails with the violations
        tab_to(page, "Log in")                press Tab until that element has focus

Accessibility is checked automatically: every document that loads in a test's page is scanned
by axe-core (WCAG 2.0/2.1/2.2 A and AA, and best practice) once it has loaded, and a test fails
if any page had violations, if a page was left before its scan finished, if the browser
reported a Content-Security-Policy violation or a JavaScript error, or if a stylesheet, script,
image or font failed to load.

How: axe-core and a small runner are added to every document with ``add_init_script``. It
goes in through the DevTools protocol, which the app's CSP does not govern, so the CSP stays
on in every test (``add_script_tag`` is refused by ``script-src 'self' 'nonce-…'``, and
``bypass_csp`` would switch the CSP off for the whole page and hide CSP bugs). The runner scans
at ``load`` and reports to Python through an exposed binding. A link click or form submission
made before the scan has finished waits for it in the page, so its results are never lost, and
moves no focus meanwhile (a focused link loses its underline, which axe-core would report).
Navigation made from Python (``page.goto``, ``reload``, ``go_back``) cannot be held like that:
use ``visit()``, which waits for the scan of the page it leaves.

Browser tests are skipped when Chromium is absent, unless ``CI=true``: then they fail.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("GOVERN_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium calls home, and the closed network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
NHSUK_CSS = REPO / "static" / "nhsuk" / "nhsuk-frontend.min.css"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
DEMO_PASSWORD = "demo-password-2026"
# Remembered-device cookies by email: a TOTP code works once, and tests log the demo administrator and
# STP Leader in many times within one 30-second step, each in a fresh browser context.
REMEMBERED: dict[str, str] = {}
# The live server's app, for reading a demo account's authenticator secret (set by ``live_server``).
LIVE: dict[str, Any] = {}
# Subresources that must load; a failing document is the app's answer and a test's business.
CHECKED_RESOURCES = {"stylesheet", "script", "image", "font", "manifest"}

HERE = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI", "").lower() == "true"


# --------------------------------------------------------------------------- collection


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser ``browser``; skip them if there is no Chromium."""
    skip = None
    if not CHROMIUM.exists() and not IN_CI:
        skip = pytest.mark.skip(reason=f"{CHROMIUM} not found: run scripts/install-system (with CI=true this fails)")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if skip:
                item.add_marker(skip)


# --------------------------------------------------------------------------- the app


@dataclass
class LiveServer:
    """The app served on loopback for the browser."""

    app: Any
    url: str

    def __str__(self) -> str:
        return self.url


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app from ``govern.create_app`` on 127.0.0.1 (free port), on a fresh database."""
    from werkzeug.serving import make_server

    import govern
    from govern.testing import derived_database_url, prepare_database

    if not NHSUK_CSS.is_file():
        pytest.fail(f"{NHSUK_CSS.relative_to(REPO)} is missing: run scripts/install-assets")

    tmp = tmp_path_factory.mktemp("live-server")
    if os.environ.get("DATABASE_URL"):  # a database of its own beside it, e.g. govern_test_browser
        database_url = derived_database_url(os.environ["DATABASE_URL"], "browser")
    else:
        database_url = f"sqlite:///{tmp / 'govern.sqlite3'}"
    with pytest.MonkeyPatch.context() as env:
        # Keep a developer's instance/config.py and secret key out of the tests.
        env.setenv("GOVERN_INSTANCE_PATH", str(tmp / "instance"))
        app = govern.create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "WTF_CSRF_ENABLED": True,
                "SECRET_KEY": "test",
                "SESSION_COOKIE_SECURE": False,
                "PREFERRED_URL_SCHEME": "http",
            }
        )
    prepare_database(app)  # a fresh schema and the demo accounts

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    LIVE.update(app=app, url=f"http://127.0.0.1:{server.server_port}")
    try:
        yield LiveServer(app=app, url=LIVE["url"])
    finally:
        LIVE.clear()
        REMEMBERED.clear()
        server.shutdown()
        thread.join(timeout=10)


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless. Playwright's own browser downloads are never used."""
    if not CHROMIUM.exists():  # only reached with CI=true: otherwise the tests were skipped
        pytest.fail(f"CI=true and {CHROMIUM} is missing: run scripts/install-system")
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS.relative_to(REPO)} is missing: run scripts/install-assets")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Scan:
    """One document's axe-core result."""

    url: str
    title: str
    violations: list[dict[str, Any]]
    error: str | None = None


@dataclass
class Watch:
    """What one browser context saw: loads, scans, and the browser's own complaints."""

    loaded: list[str] = field(default_factory=list)
    scans: list[Scan] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reported: int = 0  # scans[:reported] have been checked (by visit() or axe())

    def on_report(self, source: dict[str, Any], payload: dict[str, Any]) -> None:
        if source["frame"].parent_frame is None:
            self.scans.append(
                Scan(payload["url"], payload.get("title", ""), payload.get("violations", []), payload.get("error"))
            )

    def on_page(self, page: Page) -> None:
        page.on("load", lambda: self.loaded.append(page.url) if _is_web(page.url) else None)
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error on {page.url}: {error}"))

    def on_console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP violation on {message.page.url if message.page else '?'}: {message.text}")

    def on_response(self, response: Response) -> None:
        if response.status >= 400 and response.request.resource_type in CHECKED_RESOURCES:
            self.problems.append(f"{response.request.resource_type} {response.url} answered {response.status}")

    def on_request_failed(self, request: Any) -> None:
        failure = request.failure or ""
        # ERR_ABORTED: the page was left while it loaded, which is not the page's fault.
        if request.resource_type in CHECKED_RESOURCES and "ERR_ABORTED" not in failure:
            self.problems.append(f"{request.resource_type} {request.url} failed: {failure}")

    def unscanned(self) -> list[str]:
        # Fragments aside: a skip link or an error summary link may change one mid-scan.
        missing = Counter(url.split("#", 1)[0] for url in self.loaded)
        missing.subtract(Counter(scan.url.split("#", 1)[0] for scan in self.scans))
        return sorted(url for url, count in missing.items() for _ in range(max(count, 0)))


def _is_web(url: str) -> bool:
    return url.startswith(("http://", "https://"))


# Runs in every document before the page's own scripts (after axe-core, in the same script).
# The API documentation's Swagger UI (third-party, drawn from the OpenAPI document after the page has
# loaded) is left out of that page's scan, with the three landmark rules its second <main> trips: it was
# scanned only when it drew before axe-core ran, and it has known violations of its own (the colour
# contrast of its method labels, controls nested in controls, a second main landmark). The rest of the
# page is scanned as every page is. That page links to the OpenAPI document, which reads without the
# widget; the gap is in the README (Tests, "Accessibility: a known gap").
RUNNER_JS = """
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol)) return;
  const options = __OPTIONS__;
  // Whole-document rules the widget's own second <main> trips, whatever is excluded.
  const WIDGET_RULES_OFF = {'landmark-no-duplicate-main': {enabled: false}, 'landmark-main-is-top-level':
    {enabled: false}, 'landmark-unique': {enabled: false}};
  const state = window.__governAxe = {finished: false};
  state.done = new Promise((resolve) => {
    window.addEventListener('load', () => setTimeout(async () => {
      let payload;
      try {
        const widget = location.pathname === '/api/v1/docs';
        const result = widget
          ? await axe.run({exclude: [['#swagger-ui']]}, {...options, rules: WIDGET_RULES_OFF})
          : await axe.run(document, options);
        payload = {url: location.href, title: document.title, violations: result.violations.map((v) => ({
          id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
          nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
        }))};
      } catch (error) {
        payload = {url: location.href, title: document.title, violations: [], error: String(error)};
      }
      try { await window.__governAxeReport(payload); } catch (error) { /* context closing */ }
      state.finished = true;
      resolve(payload);
    }, 0), {once: true});
  });

  // A press made before the scan has finished moves no focus until the scan is done (the click itself
  // still comes, and waits below): NHS.UK's focus style takes a link's underline away, and axe-core
  // would judge the link as it was being clicked.
  document.addEventListener('mousedown', (event) => {
    if (!state.finished) event.preventDefault();
  }, true);

  // A navigation started in the page waits until this document's scan has been reported.
  const leavesDocument = (link) => {
    if (!link || link.target === '_blank' || link.hasAttribute('download')) return false;
    const to = new URL(link.href, location.href);
    return !(to.hash && to.origin + to.pathname + to.search === location.origin + location.pathname + location.search);
  };
  document.addEventListener('click', (event) => {
    if (state.finished || event.defaultPrevented || event.button !== 0) return;
    const link = event.composedPath().find((el) => el instanceof HTMLAnchorElement && el.href);
    if (!leavesDocument(link)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    state.done.then(() => link.click());
  }, true);
  document.addEventListener('submit', (event) => {
    if (state.finished) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const form = event.target, submitter = event.submitter;
    state.done.then(() => form.requestSubmit(submitter && submitter.form === form ? submitter : undefined));
  }, true);
})();
"""


@contextmanager
def watched_page(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context and page on ``base_url``, watched by axe-core (see the module doc)."""
    context: BrowserContext = browser.new_context(
        base_url=base_url,
        locale="en-GB",
        timezone_id="Europe/London",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    watch = Watch()
    context.add_init_script(
        AXE_JS.read_text(encoding="utf-8") + RUNNER_JS.replace("__OPTIONS__", json.dumps(AXE_OPTIONS))
    )
    context.expose_binding("__governAxeReport", watch.on_report)
    context.on("page", watch.on_page)
    context.on("console", watch.on_console)
    context.on("response", watch.on_response)
    context.on("requestfailed", watch.on_request_failed)
    new_page = context.new_page()
    WATCHES[context] = watch
    request.node.stash[WATCH] = (context, watch)
    try:
        yield new_page
    finally:
        WATCHES.pop(context, None)
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context and page on the live server, watched by axe-core (see the module doc)."""
    with watched_page(browser, live_server.url, request) as new_page:
        yield new_page


WATCH = pytest.StashKey[tuple[BrowserContext, Watch]]()
WATCHES: dict[BrowserContext, Watch] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a browser test passes, fail it if any page it saw failed the checks."""
    result = yield
    watched = item.stash.get(WATCH, None)
    if watched is not None:
        context, watch = watched
        for open_page in context.pages:
            _wait_for_scan(open_page)
        report = _report(watch.scans[watch.reported :], watch.unscanned(), watch.problems)
        if report:
            pytest.fail(report, pytrace=False)
    return result


def _wait_for_scan(page: Page) -> None:
    """Wait until the current document has loaded and its scan has been reported."""
    if page.is_closed() or not _is_web(page.url):
        return
    page.wait_for_load_state("load")
    page.evaluate("async () => { const s = window.__governAxe; if (s) await s.done; }")


def _report(scans: list[Scan], unscanned: list[str], problems: list[str]) -> str:
    """The failures, one block per page, readable in a terminal."""
    lines: list[str] = []
    for scan in scans:
        if scan.error:
            lines.append(f"axe-core could not scan {scan.url}: {scan.error}")
        if scan.violations:
            lines.append(f"Accessibility violations on {scan.url} ({scan.title}):")
            for violation in scan.violations:
                lines.append(
                    f"  - {violation['id']} [{violation['impact']}]: {violation['help']} ({violation['helpUrl']})"
                )
                for node in violation["nodes"][:10]:
                    lines.append(f"      at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
                if len(violation["nodes"]) > 10:
                    lines.append(f"      ... and {len(violation['nodes']) - 10} more")
    if unscanned:
        lines.append(
            "Pages left before axe-core finished scanning them (navigate with visit(), which "
            "waits, rather than page.goto()): " + ", ".join(unscanned)
        )
    lines += problems
    return "\n".join(lines)


# --------------------------------------------------------------------------- helpers
# Plain functions, handed to tests by the fixtures of the same name below.


def visit_page(page: Page, path: str, *, expect_status: int | None = 200) -> Response | None:
    """Go to ``path`` (relative to the live server) and check the page at once.

    Waits for the scan of the page it leaves, then for the new page's; fails straight away if
    the new page has accessibility violations, or if its status is not ``expect_status``.
    """
    _wait_for_scan(page)
    response = page.goto(path)
    _wait_for_scan(page)
    if expect_status is not None and response is not None:
        assert response.status == expect_status, f"GET {path} answered {response.status}"
    _check_new_scans(page)
    return response


def _check_new_scans(page: Page) -> None:
    watch = WATCHES[page.context]
    new = watch.scans[watch.reported :]
    watch.reported = len(watch.scans)
    report = _report(new, [], [])
    if report:
        pytest.fail(report, pytrace=False)


def scan_page(page: Page, *, include: str | None = None) -> None:
    """Scan the page as it is now with axe-core; fail with a readable list of violations.

    The automatic scan sees each page as it loaded: call this after a test changes the page
    without loading a new one (opens a details element, shows an error, toggles the menu).
    ``include``: a CSS selector to limit the scan to part of the page.
    """
    _wait_for_scan(page)
    payload = page.evaluate(
        """async ([options, include]) => {
          const result = await axe.run(include ? {include: [include]} : document, options);
          return {url: location.href, title: document.title, violations: result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
          }))};
        }""",
        [AXE_OPTIONS, include],
    )
    report = _report([Scan(payload["url"], payload["title"], payload["violations"])], [], [])
    if report:
        pytest.fail(report, pytrace=False)


def totp_code(email: str) -> str:
    """The code a person's authenticator app shows now for this account (one not used yet)."""
    import pyotp
    from sqlalchemy import select

    from govern.auth.models import User
    from govern.core import clock
    from govern.extensions import db

    with LIVE["app"].app_context():
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        assert user is not None and user.totp_secret, f"{email} was asked for a code but has no authenticator"
        secret, last_step = user.totp_secret, user.totp_last_step
    now = int(clock.now().timestamp())
    ahead = 0 if last_step is None or last_step < now // 30 else last_step - now // 30 + 1
    return pyotp.TOTP(secret).at(now + 30 * ahead)


def _submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    _wait_for_scan(page)
    _check_new_scans(page)


def log_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the real /login page, as a person would, and wait for the next page.

    Administrators and the STP Leader are then asked for a code: it is typed from the account's
    authenticator secret (the demo's is published in the README), with "remember this device"
    ticked, and the remembered-device cookie is given to later contexts logging in as the same person.
    """
    remembered = REMEMBERED.get(email)
    if remembered:
        page.context.add_cookies([{"name": "govern_device", "value": remembered, "url": LIVE["url"]}])
    visit_page(page, "/login")
    page.get_by_label(re.compile("email", re.IGNORECASE)).fill(email)
    page.get_by_label(re.compile("password", re.IGNORECASE)).fill(password)
    _submit(page, "Log in")
    path = page.url.split("?", 1)[0]
    if path.endswith("/login/set-up-code"):
        import pyotp

        page.get_by_label("Code from your app").fill(pyotp.TOTP(page.locator("#totp-secret").inner_text()).now())
        _submit(page, "Continue")
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("continue")).click()
        _wait_for_scan(page)
        _check_new_scans(page)
    elif path.endswith("/login/code"):
        page.get_by_label("Code", exact=True).fill(totp_code(email))
        page.get_by_label(re.compile("Do not ask for a code")).check()
        _submit(page, "Continue")
        for cookie in page.context.cookies():
            if cookie["name"] == "govern_device":
                REMEMBERED[email] = cookie["value"]
    problem = page.locator(".nhsuk-error-summary")
    if problem.count():
        pytest.fail(f"Could not log in as {email}: {problem.first.inner_text()}", pytrace=False)


_ROLE_AND_NAME = re.compile(r'^- ([\w-]+)(?: "((?:[^"\\]|\\.)*)")?')


def focused_role_and_name(page: Page) -> tuple[str, str]:
    """The role and accessible name of the focused element, as assistive technology gets them."""
    focused = page.locator(":focus")
    if not focused.count():
        return ("", "")
    match = _ROLE_AND_NAME.match(focused.first.aria_snapshot())
    if not match:
        return ("", "")
    return match.group(1), json.loads(f'"{match.group(2) or ""}"')


def tab_to_element(
    page: Page, name: str | re.Pattern[str], *, role: str | None = None, max_presses: int = 60
) -> Locator:
    """Press Tab until the focused element has accessible ``name`` (and ``role``); return it.

    Fails if it is not reached within ``max_presses``: every control must be reachable by
    keyboard. The failure shows where focus went, in order.
    """
    seen: list[str] = []
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        focused_role, focused = focused_role_and_name(page)
        seen.append(f"{focused_role} {focused!r}")
        matches = name.search(focused) if isinstance(name, re.Pattern) else focused == name
        if matches and (role is None or role == focused_role):
            return page.locator(":focus")
    pytest.fail(
        f"Tab did not reach {role or 'an element'} named {name!r} in {max_presses} presses; "
        "focus went: " + " -> ".join(seen),
        pytrace=False,
    )


@pytest.fixture
def visit() -> Callable[..., Response | None]:
    """``visit(page, path, expect_status=200)``: go to a page and check it (see :func:`visit_page`)."""
    return visit_page


@pytest.fixture
def login() -> Callable[..., None]:
    """``login(page, email, password=DEMO_PASSWORD)``: log in through /login (see :func:`log_in`)."""
    return log_in


@pytest.fixture
def axe() -> Callable[..., None]:
    """``axe(page, include=None)``: scan the page as it is now (see :func:`scan_page`)."""
    return scan_page


@pytest.fixture
def tab_to() -> Callable[..., Locator]:
    """``tab_to(page, name, role=None)``: Tab until that element has focus (see :func:`tab_to_element`)."""
    return tab_to_element
