"""The second agreement in a real browser: a Scottish Integration Scheme's dispute ladder, end to end.

``agreements/integration-scheme-clause-14.yaml`` (clause 14 of an Integration Scheme between a Health
Board and a Council) runs on its own live server, seeded from that file alone, with no code of its
own: the Health Board's chief executive raises the issue, the Chief Executives meet and decide to
write, each Party writes its position note and they are exchanged, a mediator is appointed, mediation
fails, the Parties apply jointly to Scottish Ministers and record their directions. Every step is a
click through the same pages as Devon's journeys (tests/browser/test_dispute_journeys.py), each Chief
Executive logging in through /login with a password. axe-core checks every page (conftest.py), and no
page may speak Devon's words (its STP Leader, its Schedule 8).

The clock is frozen at realistic moments so the one timescale (10 working days, Scotland's bank
holidays) is known: decided on Tuesday 27 April 2027, due on Wednesday 12 May 2027, as Monday 3 May
2027 (the May Day bank holiday) is skipped.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, watched_page

REPO = Path(__file__).resolve().parents[2]
SCHEME = REPO / "agreements" / "integration-scheme-clause-14.yaml"
PASSWORD = "scheme-browser-password-2027"
PARTIES = {"HB": "The Health Board", "COUNCIL": "The Council"}
# Devon's words, which no page of the Scheme's installation may use ("stp_leader" too: a role the
# Scheme does not have), and template code left unrendered.
DEVON_WORDS = re.compile(r"(?<![a-z])stp(?![a-z])|Schedule 8|\{\{|\{%", re.IGNORECASE)

FILED = datetime(2027, 4, 27, 9, 0, tzinfo=UTC)  # a Tuesday
DECIDED = datetime(2027, 4, 27, 10, 0, tzinfo=UTC)
WRITTEN = datetime(2027, 5, 10, 11, 0, tzinfo=UTC)  # within the 10 working days
APPOINTED = datetime(2027, 5, 20, 11, 0, tzinfo=UTC)
APPLIED = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)
DIRECTED = datetime(2027, 7, 1, 11, 0, tzinfo=UTC)


def ceo(code: str) -> str:
    return f"ceo.{code.lower()}@scheme.example"


# --------------------------------------------------------------------------- the Scheme's installation


@pytest.fixture(scope="session")
def scheme_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app running the Integration Scheme on 127.0.0.1 (free port), on a database of its own."""
    from sqlalchemy import select
    from werkzeug.serving import make_server

    import govern
    from govern.auth import operations as auth_ops
    from govern.auth.models import Role
    from govern.extensions import db
    from govern.partnership.models import Organisation
    from govern.partnership.seed import seed_partnership
    from govern.testing import create_schema, derived_database_url, use_fast_password_hashing

    tmp = tmp_path_factory.mktemp("scheme-server")
    if os.environ.get("DATABASE_URL"):
        database_url = derived_database_url(os.environ["DATABASE_URL"], "scheme_browser")
    else:
        database_url = f"sqlite:///{tmp / 'scheme.sqlite3'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVERN_INSTANCE_PATH", str(tmp / "instance"))
        app = govern.create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "AGREEMENT_FILE": str(SCHEME),
                "WTF_CSRF_ENABLED": True,
                "SECRET_KEY": "test",
                "SESSION_COOKIE_SECURE": False,
                "PREFERRED_URL_SCHEME": "http",
            }
        )
    use_fast_password_hashing()
    with app.app_context():
        create_schema()
        seed_partnership()
        for code in PARTIES:
            organisation = db.session.scalar(select(Organisation).where(Organisation.code == code))
            assert organisation is not None, f"the Scheme's file did not seed {code}"
            auth_ops.create_user(
                email=ceo(code),
                name=f"Chief Executive, {PARTIES[code]}",
                password=PASSWORD,
                organisation=organisation,
                role=Role.PARTNER_CEO,
            )
        db.session.commit()
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="scheme-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def scheme_page(browser: Browser, scheme_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context and page on the Scheme's server, watched by axe-core like conftest's ``page``."""
    with watched_page(browser, scheme_server.url, request) as new_page:
        yield new_page


@pytest.fixture
def frozen_clock() -> Iterator[Callable[[datetime], None]]:
    """``move(moment)``: the app's clock (read by the live server's thread too) reads ``moment``."""
    from govern.core import clock

    try:
        yield clock.freeze
    finally:
        clock.freeze(None)


# --------------------------------------------------------------------------- the journey's steps


class Journey:
    """One browser, the Chief Executives taking turns, and a record of any page in Devon's words."""

    def __init__(
        self, page: Page, visit: Callable[..., object], login: Callable[..., None], move: Callable[[datetime], None]
    ) -> None:
        self.page, self._visit, self._login, self._move = page, visit, login, move
        self.devon_words: dict[str, set[str]] = {}  # page path -> its lines in Devon's words

    def read(self) -> None:
        """Note the page if it says any of Devon's words, or shows template code (visible or for screen
        readers only)."""
        text = self.page.locator("body").text_content() or ""
        lines = {line.strip() for line in text.splitlines() if DEVON_WORDS.search(line)}
        if lines:
            path = re.sub(r"^https?://[^/]+", "", self.page.url)
            self.devon_words.setdefault(path, set()).update(lines)

    def visit(self, path: str) -> None:
        self._visit(self.page, path)
        self.read()

    def as_ceo(self, code: str, when: datetime) -> None:
        """Log out whoever is logged in (the header's button); at ``when``, ``code``'s CEO logs in."""
        log_out = self.page.get_by_role("button", name="Log out")
        if log_out.count():
            with self.page.expect_navigation():
                log_out.click()
            self.read()
        self._move(when)
        self._login(self.page, ceo(code), PASSWORD)
        self.read()

    def click(self, role: str, name: str | re.Pattern[str]) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role(role, name=name, exact=True).click()  # type: ignore[arg-type]
        self.read()

    def act(self, action: str) -> None:
        """Follow one of "What you can do" on the dispute page to its form."""
        actions = self.page.locator("#your-actions + ul")
        expect(actions).to_contain_text(action)
        with self.page.expect_navigation():
            actions.get_by_role("link", name=action, exact=True).click()
        self.read()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(action)

    def done(self, button: str) -> None:
        """Submit the action's form and land back on the dispute, with the confirmation."""
        self.click("button", button)
        expect(self.page.locator(".nhsuk-notification-banner")).to_contain_text("done")

    def fill_date(self, field_id: str, day: date) -> None:
        self.page.locator(f"#{field_id}-day").fill(str(day.day))
        self.page.locator(f"#{field_id}-month").fill(str(day.month))
        self.page.locator(f"#{field_id}-year").fill(str(day.year))

    def state(self) -> object:
        return expect(self.page.locator("#dispute-state"))


def _step_row(page: Page, title: str) -> object:
    return page.locator("#timeline ~ table tbody tr").filter(has_text=title)


# --------------------------------------------------------------------------- the test


def test_the_integration_scheme_runs_from_raising_the_issue_to_the_directions_of_scottish_ministers(
    scheme_page: Page,
    visit,
    login,
    frozen_clock,
) -> None:
    page = scheme_page
    j = Journey(page, visit, login, frozen_clock)
    title = "Who hosts the joint equipment store"

    # The Health Board's Chief Executive raises the issue: the one process the Scheme offers.
    j.as_ceo("HB", FILED)
    j.visit("/disputes")
    j.click("button", "Raise a dispute")
    offered = page.locator("main h3 a")
    expect(offered).to_have_count(1)
    expect(offered).to_have_text("The Parties fail to agree on an issue related to the Scheme")
    j.click("link", "The Parties fail to agree on an issue related to the Scheme")
    page.get_by_label("A short title for the dispute").fill(title)
    other = page.get_by_role("group", name="The other Party")
    expect(other.get_by_role("radio")).to_have_count(1)  # the IJB is not a party: not offered
    other.get_by_label(PARTIES["COUNCIL"], exact=True).check()
    page.get_by_role("checkbox", name=re.compile("negotiation")).check()
    page.get_by_label("How you tried to resolve it").fill("Officers met twice in March without agreement.")
    j.click("button", "File the dispute")
    expect(page.locator("#check-heading")).to_have_text("Check your answers before you file the dispute")
    j.click("button", "File the dispute")  # confirmed: the confirmation page
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("filed")
    dispute = re.sub(r"^https?://[^/]+", "", page.url).removesuffix("/papers").removesuffix("/confirmed/notify")
    assert re.fullmatch(r"/disputes/\d+", dispute), page.url
    j.visit(dispute)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    j.state().to_contain_text("Raised: the Chief Executives of the Parties meet to resolve the issue")

    # The Council's Chief Executive finds it on its list and on its page, with the Scheme's steps.
    j.as_ceo("COUNCIL", DECIDED)
    j.visit("/disputes")
    listed = page.locator("main table tbody tr").filter(has_text=title)
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Raised: the Chief Executives of the Parties meet to resolve the issue")
    with page.expect_navigation():
        listed.get_by_role("link").click()
    j.read()
    assert page.url.endswith(dispute), page.url
    j.state().to_contain_text("Raised: the Chief Executives of the Parties meet to resolve the issue")
    steps = page.locator("#timeline ~ table tbody")
    for step in (
        "The issue is raised with the other Party",
        "The Chief Executives of the Parties meet to resolve the issue",
        "Each Party prepares a written note of its position and exchanges it with the other",
        "appoint an independent mediator",
        "The matter proceeds to mediation",
        "The Chief Executives and the Chief Officer jointly apply in writing to Scottish Ministers",
        "Scottish Ministers give directions",
    ):
        expect(steps).to_contain_text(step)
    expect(page.locator("#parties + dl")).to_contain_text(PARTIES["HB"])
    expect(page.locator("#parties + dl")).to_contain_text(PARTIES["COUNCIL"])

    # The Chief Executives met and did not resolve it: written notes within 10 working days.
    j.act("Record the decision to proceed to written submissions")
    page.get_by_label("The decision to proceed to written submissions").fill("Agreed at the meeting of 27 April.")
    j.done("Record the decision to proceed to written submissions")
    j.state().to_contain_text("Each Party prepares a written note of its position")
    written = _step_row(page, "Each Party prepares a written note of its position and exchanges it")
    expect(written).to_contain_text("within 10 working days of the date of the decision")
    expect(written).to_contain_text("12 May 2027")
    expect(written).to_contain_text(
        "Written submissions decided Tue 27 Apr 2027 + 10 working days (May Day skipped) = Wed 12 May 2027"
    )
    expect(page.locator("#next + ul")).to_contain_text("by the end of 12 May 2027")

    # Each Party writes its position note on the papers page; the Council's sends them both.
    j.as_ceo("HB", WRITTEN)
    j.visit(dispute)
    j.click("link", "Write or read the written material")
    expect(page.get_by_role("heading", level=1)).to_have_text("Written material")
    note = "Written note of our position on the issue"
    page.get_by_label(f"{note}: {PARTIES['HB']}", exact=True).fill("The Board should host the store.")
    j.click("button", "Save draft")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Draft saved")

    j.as_ceo("COUNCIL", WRITTEN)
    j.visit(dispute)
    actions = page.locator("#your-actions + ul")
    with page.expect_navigation():
        actions.get_by_role("link", name="Exchange the written notes of each Party's position", exact=True).click()
    j.read()
    expect(page.get_by_role("heading", level=1)).to_have_text("Written material")
    expect(page.get_by_label(f"{note}: {PARTIES['HB']}", exact=True)).to_have_value("The Board should host the store.")
    page.get_by_label(f"{note}: {PARTIES['COUNCIL']}", exact=True).fill("The Council should host the store.")
    j.click("button", re.compile("^Save and exchange the written notes"))
    j.state().to_contain_text("Written notes exchanged: the Parties consider them")
    expect(_step_row(page, "Each Party prepares a written note")).to_contain_text("10 May 2027")

    # Unresolved on the notes: the Chief Executives, the Chair and the Leader appoint a mediator.
    j.act("Record that the issue remains unresolved after the written submissions")
    j.done("Record that the issue remains unresolved after the written submissions")
    j.state().to_contain_text("meet to appoint an independent mediator")

    j.as_ceo("HB", APPOINTED)
    j.visit(dispute)
    j.act("Record the appointment of the independent mediator")
    page.get_by_label("The independent mediator (name and organisation)").fill(
        "A. Mediator, an independent mediation service"
    )
    expect(page.get_by_role("group", name="Date of the appointment")).to_be_visible()
    j.fill_date("appointed_on", APPOINTED.date())
    j.done("Record the appointment of the independent mediator")
    j.state().to_contain_text("In mediation with the independent mediator")

    # Mediation leaves it unresolved: a joint application to Scottish Ministers.
    j.as_ceo("COUNCIL", APPLIED)
    j.visit(dispute)
    j.act("Record that the issue remains unresolved after mediation")
    page.get_by_label("The mediator's note, if any").fill("The Parties could not agree who bears the cost.")
    j.done("Record that the issue remains unresolved after mediation")
    j.state().to_contain_text("A joint written application to Scottish Ministers is being made")
    j.act("Record the joint written application to Scottish Ministers")
    page.get_by_label("The issues in dispute, as the application states them").fill("Hosting of the store.")
    j.fill_date("sent_on", APPLIED.date())
    j.done("Record the joint written application to Scottish Ministers")
    j.state().to_contain_text("Awaiting the directions of Scottish Ministers")

    # Their directions end it: nothing is left for anyone to do.
    j.as_ceo("HB", DIRECTED)
    j.visit(dispute)
    j.act("Record the directions of Scottish Ministers")
    page.get_by_label("The directions Scottish Ministers gave").fill("The Health Board hosts the store.")
    j.fill_date("received_on", DIRECTED.date())
    j.done("Record the directions of Scottish Ministers")
    j.state().to_contain_text("Scottish Ministers have given directions")
    expect(page.locator("#your-actions")).to_have_count(0)
    expect(_step_row(page, "Scottish Ministers give directions")).to_contain_text("1 July 2027")

    j.as_ceo("COUNCIL", DIRECTED)
    j.visit(dispute)
    j.state().to_contain_text("Scottish Ministers have given directions")
    expect(page.locator("#your-actions")).to_have_count(0)
    j.visit("/disputes?state=any")
    closed = page.locator("main table tbody tr").filter(has_text=title)
    expect(closed).to_contain_text("Scottish Ministers have given directions")

    assert not j.devon_words, "Pages of the Scheme in Devon's words (or showing template code):\n" + "\n".join(
        f"  {path}: {line!r}" for path, lines in sorted(j.devon_words.items()) for line in sorted(lines)
    )
