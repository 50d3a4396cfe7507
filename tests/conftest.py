"""Shared fixtures: the app on a test database, each test rolled back, users by role, login.

The database is SQLite in a temporary folder unless ``DATABASE_URL`` is set (``.ci/run`` sets it
to PostgreSQL for the second run). The schema is created and the Devon partnership seeded ONCE per
session; each test then runs inside one transaction on one connection that is rolled back at its
end (:class:`govern.testing.RolledBack`). Every session joins that connection: the test's own
``db.session`` and each request's (the test client gives every request its own application context,
and so its own session); their ``commit()`` releases a savepoint, so the code under test commits as
in production and nothing outlives the test. Each test also starts with the clock unfrozen, no audit
checkpoint file and no remembered second-factor devices.

Ids are not reset between tests (PostgreSQL's sequences are never rolled back): a test finds its rows
by what it made, never by a number it assumes.

A test that needs real commits or several connections (threads, a second app or server on the same
database, subprocesses, migrations, the mail sink) is marked ``@pytest.mark.real_commits``: it runs
on the app's own engine, committing for real, and the database is emptied and seeded again after it.
Tests that use the ``make_app``, ``mail_sink`` or ``send_to_sink`` fixtures are marked so
automatically.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from govern import create_app
from govern.auth import operations as auth_ops
from govern.auth.models import Role, User
from govern.core import clock
from govern.extensions import db
from govern.notify.models import OutboxMessage
from govern.partnership.models import Organisation, SubordinateGroup
from govern.testing import (
    RolledBack,
    create_schema,
    derived_database_url,
    forget_checkpoints,
    reset_database,
    use_fast_password_hashing,
)

PASSWORD = "correct horse battery staple"
#: The authenticator secret of every administrator (and of the ``stp_leader`` fixture): they must give a code.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: Remembered-device cookies the login helpers got in this test, by email: TOTP codes cannot be used twice,
#: and tests log the same administrator in many times within one 30-second step.
_REMEMBERED: dict[str, str] = {}

#: The configuration every test app starts from: a fixed key, no CSRF tokens, cookies not Secure-only.
TEST_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "SESSION_COOKIE_SECURE": False,
}


class RequestIsolatingClient(FlaskClient):
    """A test client whose every request runs in its own application context, as in production.

    Flask reuses an application context that is already pushed, and each test runs inside one, so
    without this ``g`` (Flask-Login's loaded user, cached lookups) and the database session would
    carry over from the test and from one request to the next, and a revoked session could never
    be seen to be refused.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


def database_url(tmp_root: Path) -> str:
    """The URL tests run against."""
    if os.environ.get("DATABASE_URL"):
        return derived_database_url(os.environ["DATABASE_URL"], "pytest")
    return f"sqlite:///{tmp_root / 'test.sqlite3'}"


#: Fixtures whose tests commit for real (see the module's docstring): a second app or server, the mail sink.
REAL_COMMIT_FIXTURES = frozenset({"make_app", "mail_sink", "send_to_sink"})


def pytest_configure(config: pytest.Config) -> None:
    # Under pytest-xdist (scripts/test runs two workers) each worker has databases of its own:
    # govern_test_gw0_pytest, govern_test_gw1_browser... on PostgreSQL (SQLite files live in each
    # worker's own temporary folder already).
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = derived_database_url(os.environ["DATABASE_URL"], worker)
    config.addinivalue_line(
        "markers",
        "real_commits: the test commits for real on the app's engine (threads, several connections, "
        "a second app or server, subprocesses); the database is emptied and seeded again after it",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_COMMIT_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_commits)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application, configured for tests, with the schema created and the partnership seeded once."""
    root = tmp_path_factory.mktemp("govern")
    os.environ["GOVERN_INSTANCE_PATH"] = str(root / "instance")
    use_fast_password_hashing()
    application = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url(root)})
    application.test_client_class = RequestIsolatingClient
    with application.app_context():
        if db.engine.dialect.name == "sqlite":
            # The test database is thrown away: no need to wait for the disk on every commit.
            event.listen(db.engine, "connect", lambda conn, _record: conn.execute("PRAGMA synchronous = OFF"))
        create_schema()
        reset_database()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _rolled_back(app: Flask) -> Iterator[RolledBack]:
    """The connection maker for tests rolled back (see :class:`govern.testing.RolledBack`)."""
    rolled_back = RolledBack(app)
    yield rolled_back
    rolled_back.dispose()


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the app starts from the seeded database with a free clock, and leaves it so:
    rolled back, or (``real_commits``) emptied and seeded again."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    real_commits = request.node.get_closest_marker("real_commits") is not None
    with ExitStack() as stack:
        if not real_commits:
            stack.enter_context(request.getfixturevalue("_rolled_back").test())
        ctx = application.app_context()
        ctx.push()
        forget_checkpoints()
        _REMEMBERED.clear()
        try:
            yield
        finally:
            _REMEMBERED.clear()
            clock.freeze(None)
            db.session.remove()
            if real_commits:
                reset_database()
                db.session.remove()
            ctx.pop()


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[Any]:
    """A real OpenID Connect provider on a free loopback port (see :mod:`tests.oidc_provider`)."""
    from tests.oidc_provider import running_provider

    with running_provider() as provider:
        yield provider


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client with no one logged in."""
    return app.test_client()


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Flask]]:
    """Build a separate app (own instance folder) for tests that need other settings than the
    session's: ``make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})``. Engines are disposed after."""
    built: list[Flask] = []

    def build(config: dict[str, Any] | None = None, *, instance: Path | None = None) -> Flask:
        monkeypatch.setenv("GOVERN_INSTANCE_PATH", str(instance or tmp_path / f"instance-{len(built)}"))
        application = create_app(config)
        application.test_client_class = RequestIsolatingClient
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def org(app: Flask) -> Callable[[str], Organisation]:
    """Look up a seeded organisation by its code, e.g. ``org("RDE")``."""

    def lookup(code: str) -> Organisation:
        found = db.session.scalar(select(Organisation).where(Organisation.code == code))
        assert found is not None, code
        return found

    return lookup


_counter = itertools.count(1)


@pytest.fixture
def make_user(org: Callable[[str], Organisation]) -> Callable[..., User]:
    """Create an account (committed): ``make_user(Role.PARTNER_CEO, "RDE")``."""

    def make(role: Role = Role.PARTNER_CEO, org_code: str = "RDE", *, group_code: str | None = None,
             email: str | None = None, name: str | None = None, active: bool = True) -> User:
        n = next(_counter)
        group = None
        if role is Role.GROUP_CHAIR:
            group = db.session.scalar(select(SubordinateGroup).where(SubordinateGroup.code == (group_code or "FWG")))
        user = auth_ops.create_user(
            email=email or f"{role.value}.{org_code.lower()}.{n}@example.nhs.uk",
            name=name or f"{role.title} {org_code} {n}",
            password=PASSWORD,
            organisation=org(org_code),
            role=role,
            group=group,
        )
        user.active = active
        if role is Role.ADMINISTRATOR:  # administrators must use a second factor: they have one
            user.totp_secret = TOTP_SECRET
            user.totp_enabled_at = clock.now()
        db.session.commit()
        return user

    return make


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    """The authenticator app's code for ``secret`` at the app's clock (which tests may freeze)."""
    return pyotp.TOTP(secret).at(int(clock.now().timestamp()) + 30 * steps_ahead)


def complete_second_factor(client: FlaskClient, response: Any, email: str) -> Any:
    """If logging in asked for a second factor, give it as a person would: a code from the app
    (the secret read from the set-up page when setting one up), remembering the device so the next
    login in the same test needs no code. Returns the last response (a redirect when it worked)."""
    location = response.headers.get("Location", "") if response.status_code == 302 else ""
    if location.endswith("/login/set-up-code"):
        secret = Page.of(client.get("/login/set-up-code")).text("totp-secret") or ""
        return client.post("/login/set-up-code", data={"code": totp_code(secret)})
    if not location.endswith("/login/code"):
        return response
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    assert user is not None and user.totp_secret, f"{email} was asked for a code but has no authenticator"
    last_step = db.session.scalar(select(User.totp_last_step).where(User.id == user.id))
    now_step = int(clock.now().timestamp()) // 30
    ahead = 0 if last_step is None or last_step < now_step else last_step - now_step + 1
    answer = client.post("/login/code", data={"code": totp_code(user.totp_secret, steps_ahead=ahead), "remember": "y"})
    cookie = client.get_cookie("govern_device")
    if answer.status_code == 302 and cookie is not None:
        _REMEMBERED[user.email] = cookie.value
    return answer


@dataclass
class Auth:
    """Log in and out through the real pages (completing the second factor where one is asked)."""

    client: FlaskClient

    def login(self, user_or_email: User | str, password: str = PASSWORD) -> object:
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        remembered = _REMEMBERED.get(email.strip().lower())
        if remembered:
            self.client.set_cookie("govern_device", remembered)
        response = self.client.post("/login", data={"email": email, "password": password})
        return complete_second_factor(self.client, response, email)

    def logout(self) -> object:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    """Login helper bound to ``client``."""
    return Auth(client)


@pytest.fixture
def client_for(app: Flask) -> Callable[[User], FlaskClient]:
    """A new client, logged in as ``user`` through the real login page."""

    def login(user: User) -> FlaskClient:
        new_client = app.test_client()
        response = Auth(new_client).login(user)
        assert response.status_code == 302, f"could not log in as {user.email}"
        return new_client

    return login


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    """An administrator at the STP programme office."""
    return make_user(Role.ADMINISTRATOR, "STP", name="Alex Admin")


@pytest.fixture
def chair(make_user: Callable[..., User]) -> User:
    """The chair of the Finance Working Group, who raises recommendations to PDEG."""
    return make_user(Role.GROUP_CHAIR, "STP", group_code="FWG", name="Fran Finance")


@pytest.fixture
def secretariat(make_user: Callable[..., User]) -> User:
    """The PDEG secretariat, who keeps the meetings and records PDEG's outcomes."""
    return make_user(Role.PDEG_SECRETARIAT, "STP", name="Pat Secretariat")


@pytest.fixture
def stp_leader(make_user: Callable[..., User]) -> User:
    """A user holding the STP Leader assignment (clause 6)."""
    leader = make_user(Role.SYSTEM_LEADERSHIP, "STP", name="Sam Leader")
    admin = make_user(Role.ADMINISTRATOR, "STP")
    auth_ops.assign_stp_leader(leader, authority="PDEG minute 1/2026", actor=admin)
    leader.totp_secret = TOTP_SECRET  # the STP Leader must use a second factor
    leader.totp_enabled_at = clock.now()
    db.session.commit()
    return leader


def mailed_link(to_address: str, path: str) -> str:
    """The path of the newest link starting with ``path`` mailed to ``to_address`` (through the outbox)."""
    bodies = db.session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.to_address == to_address).order_by(OutboxMessage.id.desc())
    ).all()
    for body in bodies:
        found = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\S+)", body)
        if found:
            return found.group(1)
    raise AssertionError(f"no link to {path} mailed to {to_address}")


class Page(HTMLParser):
    """A rendered page, read the way a user reads it: text by element id, form values by name."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self._open: list[tuple[str, str | None]] = []
        self._texts: dict[str, list[str]] = {}
        self.values: dict[str, str] = {}
        self.selected: dict[str, str] = {}
        self._select: str | None = None
        self.scripts: list[dict[str, str | None]] = []
        self.feed(html)

    @classmethod
    def of(cls, response: Any) -> Page:
        """Parse a test client's response."""
        return cls(response.get_data(as_text=True))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name"):
            self.values[attributes["name"] or ""] = attributes.get("value") or ""
        elif tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select and "selected" in attributes:
            self.selected[self._select] = attributes.get("value") or ""
        elif tag == "script":
            self.scripts.append(attributes)
        if tag not in self.VOID:
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self._texts.setdefault(attributes["id"] or "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for _tag, element_id in self._open:
            if element_id:
                self._texts[element_id].append(data)

    def text(self, element_id: str) -> str | None:
        """The text inside the element with this id, whitespace collapsed (None if absent)."""
        if element_id not in self._texts:
            return None
        return " ".join("".join(self._texts[element_id]).split())


@dataclass
class MailSink:
    """A real SMTP server on a free loopback port (aiosmtpd) that keeps every message it accepts and
    counts the connections that delivered them."""

    port: int
    messages: list[tuple[list[str], bytes]]
    sessions: set[int]

    @property
    def connections(self) -> int:
        """How many SMTP connections delivered at least one message."""
        return len(self.sessions)

    def subjects(self) -> list[str]:
        """Each received message's subject, in the order they arrived."""
        from email import message_from_bytes

        return [str(message_from_bytes(data)["Subject"]) for _to, data in self.messages]


@pytest.fixture
def mail_sink() -> Iterator[MailSink]:
    """Start an SMTP sink for the test; stopped after it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    sink = MailSink(port, [], set())
    kept_sessions: list[Any] = []  # kept alive so no two connections share an id()

    class Handler:
        async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
            kept_sessions.append(session)
            sink.sessions.add(id(session))
            sink.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or b"")))
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def send_to_sink(app: Flask, mail_sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> MailSink:
    """The session's app sends its mail by SMTP to :func:`mail_sink`."""
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mail_sink.port,
                       "MAIL_TIMEOUT": 10, "MAIL_FROM": "govern@devon-stp.test"}.items():
        monkeypatch.setitem(app.config, key, value)
    return mail_sink
