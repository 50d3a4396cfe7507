"""Logging in and out: server-side sessions, throttling, safe redirects, hashed passwords, CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from govern.auth import operations
from govern.auth.models import LoginAttempt, Role, User, UserSession
from govern.core import clock
from govern.extensions import db
from tests.conftest import PASSWORD, TEST_CONFIG, Auth, Page, complete_second_factor

REFUSED = "Enter a correct email address and password. Disabled accounts cannot log in."
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def location(response: object) -> str:
    """Where a redirect goes, as a path (the test client's host is not part of the answer)."""
    parts = urlsplit(response.headers["Location"])  # type: ignore[attr-defined]
    assert parts.netloc in ("", "localhost"), parts
    return parts.path + (f"?{unquote(parts.query)}" if parts.query else "")


def is_logged_in(client: FlaskClient) -> bool:
    """True if the home page opens rather than sending the client to the login page."""
    response = client.get("/")
    if response.status_code == 302:
        assert location(response).startswith("/login")
        return False
    assert response.status_code == 200
    return True


def attempt(client: FlaskClient, email: str, password: str, address: str = "10.0.0.1") -> object:
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


# --- logging in -------------------------------------------------------------------------------


def test_logging_in_goes_home(client: FlaskClient, auth: Auth, make_user: Callable[..., User]) -> None:
    response = auth.login(make_user())
    assert (response.status_code, location(response)) == (302, "/")
    assert is_logged_in(client)


def test_email_is_matched_without_case_or_spaces(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(email="rita.chief@example.nhs.uk")
    assert attempt(client, "  Rita.Chief@Example.NHS.uk ", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("case", "email", "password"),
    [
        ("wrong password", "known@example.nhs.uk", "not the password at all"),
        ("unknown email", "nobody@example.nhs.uk", PASSWORD),
        ("disabled account", "disabled@example.nhs.uk", PASSWORD),
    ],
)
def test_a_refused_login_says_the_same_whatever_the_reason(
    client: FlaskClient, make_user: Callable[..., User], case: str, email: str, password: str
) -> None:
    make_user(email="known@example.nhs.uk")
    make_user(email="disabled@example.nhs.uk", active=False)
    response = attempt(client, email, password)
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)
    assert not is_logged_in(client)
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


@pytest.mark.parametrize(
    ("email", "password", "field", "message"),
    [
        ("", PASSWORD, "email", "Enter your email address"),
        ("known@example.nhs.uk", "", "password", "Enter your password"),
    ],
)
def test_an_empty_field_is_refused_beside_the_field(
    client: FlaskClient, make_user: Callable[..., User], email: str, password: str, field: str, message: str
) -> None:
    make_user(email="known@example.nhs.uk")
    response = attempt(client, email, password)
    assert response.status_code == 400
    assert message in (Page.of(response).text(f"{field}-error") or "")
    assert not is_logged_in(client)


def test_a_disabled_users_open_session_is_refused_on_its_next_request(
    client: FlaskClient, auth: Auth, make_user: Callable[..., User], admin: User
) -> None:
    user = make_user()
    auth.login(user)
    assert is_logged_in(client)
    operations.set_user_active(user, False, actor=admin)
    db.session.commit()
    assert not is_logged_in(client)


def test_disabling_from_the_admin_page_ends_the_open_session(
    client: FlaskClient, auth: Auth, make_user: Callable[..., User], admin: User,
    client_for: Callable[[User], FlaskClient],
) -> None:
    user = make_user()
    auth.login(user)
    assert is_logged_in(client)
    assert client_for(admin).post(f"/admin/users/{user.id}/disable").status_code == 302
    assert not is_logged_in(client)


def test_re_enabling_does_not_revive_an_ended_session(
    client: FlaskClient, auth: Auth, make_user: Callable[..., User], admin: User
) -> None:
    user = make_user()
    auth.login(user)
    operations.set_user_active(user, False, actor=admin)
    operations.set_user_active(user, True, actor=admin)
    db.session.commit()
    assert not is_logged_in(client)


# --- logging out ------------------------------------------------------------------------------


def test_logging_out_ends_the_session_on_the_server(
    app: Flask, client: FlaskClient, auth: Auth, make_user: Callable[..., User]
) -> None:
    auth.login(make_user())
    cookie = client.get_cookie("govern_session")
    assert cookie is not None
    replay_before = app.test_client()
    replay_before.set_cookie("govern_session", cookie.value)
    assert is_logged_in(replay_before), "the copied cookie should work while the session is open"

    response = auth.logout()
    assert (response.status_code, location(response)) == (302, "/login")

    replay_after = app.test_client()
    replay_after.set_cookie("govern_session", cookie.value)
    assert not is_logged_in(replay_after)
    assert not is_logged_in(client)


def test_logging_out_keeps_other_sessions_of_the_same_person(
    client: FlaskClient, auth: Auth, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient]
) -> None:
    user = make_user()
    other_device = client_for(user)
    auth.login(user)
    auth.logout()
    assert is_logged_in(other_device)


# --- throttling -------------------------------------------------------------------------------

A, B = "victim@example.nhs.uk", "bystander@example.nhs.uk"
HOME, ATTACKER = "10.0.0.1", "10.6.6.6"


def failed_before(email: str, address: str, count: int, *, last: datetime = T0) -> None:
    """``count`` failed attempts, one a second, the last at ``last`` (stored as the login page stores them)."""
    for n in range(count):
        moment = last - timedelta(seconds=count - 1 - n)
        db.session.add(LoginAttempt(email=email, ip_address=address, attempted_at=moment, succeeded=False))
    db.session.commit()


@pytest.mark.parametrize(
    ("failures", "then", "after", "waits"),
    [
        # failed attempts (email, address, how many)  ->  the right password for (email, address), seconds later
        ([(A, HOME, 2)], (A, HOME), 0, False),
        ([(A, HOME, 3)], (A, HOME), 0, True),  # the third failure costs a second ...
        ([(A, HOME, 3)], (A, HOME), 1, False),
        ([(A, HOME, 10)], (A, HOME), 127, True),  # ... and each further one doubles the wait
        ([(A, HOME, 10)], (A, HOME), 128, False),
        ([(A, HOME, 40)], (A, HOME), 15 * 60, False),  # never more than 15 minutes
        ([(A, ATTACKER, 40)], (A, HOME), 0, False),  # a guesser elsewhere never keeps the owner out
        ([(A, f"10.9.0.{n}", 5) for n in range(20)], (A, HOME), 0, False),  # nor do many guessers
        ([(A, HOME, 5)], (B, HOME), 0, False),  # another account from the same address
        ([(f"guess{n}@example.nhs.uk", ATTACKER, 1) for n in range(20)], (B, ATTACKER), 0, True),  # one address,
        ([(f"guess{n}@example.nhs.uk", ATTACKER, 1) for n in range(20)], (B, HOME), 0, False),  # many accounts
        ([(f"guess{n}@example.nhs.uk", ATTACKER, 1) for n in range(19)], (B, ATTACKER), 0, False),
    ],
    ids=["2 failures", "3 failures", "3 failures, 1 s later", "10 failures", "10 failures, 128 s later",
         "40 failures, 15 min later", "guesser elsewhere", "many guessers", "other account",
         "20 accounts from one address", "other address", "19 accounts from one address"],
)
def test_failed_logins_slow_down_the_same_account_and_address(
    client: FlaskClient, make_user: Callable[..., User],
    failures: list[tuple[str, str, int]], then: tuple[str, str], after: int, waits: bool,
) -> None:
    make_user(email=A)
    make_user(email=B)
    for email, address, count in failures:
        failed_before(email, address, count)
    clock.freeze(T0 + timedelta(seconds=after))
    assert operations.login_throttle(then[0], then[1]).locked is waits
    response = attempt(client, then[0], PASSWORD, then[1])
    assert response.status_code == (400 if waits else 302)
    assert ("Too many failed attempts" in response.get_data(as_text=True)) is waits


def test_the_stp_leaders_account_cannot_be_locked_by_anyone_else(
    client: FlaskClient, stp_leader: User, client_for: Callable[[User], FlaskClient]
) -> None:
    """Defect 4/5 of issue 13: five wrong guesses from anywhere locked any known account."""
    clock.freeze(T0)
    for n in range(25):
        attempt(client, stp_leader.email, "wrong guess", f"10.7.7.{n}")
    assert client_for(stp_leader).get("/dashboard").status_code == 200


def test_the_wait_message_says_how_long(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(email=A)
    failed_before(A, HOME, 9)
    clock.freeze(T0 + timedelta(seconds=10))
    page = attempt(client, A, PASSWORD, HOME).get_data(as_text=True)
    assert "Wait 54 seconds and try again" in page


def test_a_success_starts_the_count_again(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(email=A)
    failed_before(A, HOME, 2, last=T0 - timedelta(seconds=10))
    clock.freeze(T0)
    assert attempt(client, A, PASSWORD, HOME).status_code == 302
    failed_before(A, HOME, 2, last=T0 + timedelta(seconds=2))
    assert not operations.login_throttle(A, HOME).locked


def test_a_throttled_attempt_with_the_right_password_opens_no_session(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email=A)
    failed_before(A, HOME, 8)
    clock.freeze(T0)
    attempt(client, A, PASSWORD, HOME)
    assert not is_logged_in(client)
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_every_attempt_is_recorded(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(email=A)
    attempt(client, A, "wrong guess", "10.1.2.3")
    attempt(client, A, PASSWORD, "10.1.2.3")
    rows = db.session.execute(
        select(LoginAttempt.email, LoginAttempt.ip_address, LoginAttempt.succeeded).order_by(LoginAttempt.id)
    ).all()
    assert [tuple(r) for r in rows] == [(A, "10.1.2.3", False), (A, "10.1.2.3", True)]


# --- where login goes next --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "goes_to"),
    [
        ("/admin/users", "/admin/users"),
        ("/?tab=cases", "/?tab=cases"),
        ("//evil.example", "/"),
        ("//evil.example/login", "/"),
        ("https://evil.example", "/"),
        ("http://localhost/admin/users", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        # Issue 13, defect 5: browsers drop tabs and newlines from an address, so "/\t/evil.test" is
        # "//evil.test" to them; and CR/LF in a Location header gave a 500.
        ("/\t/evil.test", "/"),
        ("/\n/evil.test", "/"),
        ("/\r\nSet-Cookie: evil=1", "/"),
        ("/ /evil.test", "/"),
        ("/disputes/3?tab=open", "/disputes/3?tab=open"),
    ],
)
def test_next_only_allows_same_site_paths(
    client: FlaskClient, make_user: Callable[..., User], next_url: str, goes_to: str
) -> None:
    user = make_user()
    response = client.post("/login", query_string={"next": next_url}, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert location(response) == goes_to
    assert "evil" not in response.headers["Location"]


def test_a_protected_page_sends_you_to_login_and_back(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user(Role.ADMINISTRATOR, "STP")
    to_login = client.get("/admin/users")
    assert location(to_login) == "/login?next=/admin/users"
    response = client.post(to_login.headers["Location"], data={"email": user.email, "password": PASSWORD})
    assert location(complete_second_factor(client, response, user.email)) == "/admin/users"


def test_the_login_page_sends_a_logged_in_user_home(
    client: FlaskClient, auth: Auth, make_user: Callable[..., User]
) -> None:
    auth.login(make_user())
    response = client.get("/login")
    assert (response.status_code, location(response)) == (302, "/")


# --- passwords --------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes(make_user: Callable[..., User]) -> None:
    user = make_user()
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_two_accounts_with_the_same_password_have_different_hashes(make_user: Callable[..., User]) -> None:
    assert make_user().password_hash != make_user().password_hash


# --- session lifetime -------------------------------------------------------------------------


# Real commits: a GET touches the session in its own transaction (``db.engine.begin()``), which must
# outlive the request's session being rolled back; inside a test's one transaction it cannot.
@pytest.mark.real_commits
@pytest.mark.parametrize(
    ("requests_after_login", "still_logged_in"),
    [
        ([timedelta(hours=7, minutes=59)], True),
        ([timedelta(hours=8, minutes=1)], False),  # idle for more than 8 hours
        ([timedelta(hours=6), timedelta(hours=11, minutes=59)], True),  # activity keeps it alive
        ([timedelta(hours=6), timedelta(hours=11), timedelta(hours=12, minutes=1)], False),  # 12 hours at most
    ],
    ids=["idle 7h59", "idle 8h01", "active to 11h59", "active past 12h"],
)
def test_sessions_expire(
    client: FlaskClient, auth: Auth, make_user: Callable[..., User],
    requests_after_login: list[timedelta], still_logged_in: bool,
) -> None:
    clock.freeze(T0)
    auth.login(make_user())
    for offset in requests_after_login[:-1]:
        clock.freeze(T0 + offset)
        assert is_logged_in(client)
    clock.freeze(T0 + requests_after_login[-1])
    assert is_logged_in(client) is still_logged_in


# --- CSRF -------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """The app with CSRF protection on, as in production, on the session's database."""
    return make_app(
        {**TEST_CONFIG, "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )


def csrf_token(client: FlaskClient, path: str) -> str:
    """The token of the first form on the page at ``path``."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def count(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# The test client speaks https (PREFERRED_URL_SCHEME), so Flask-WTF also checks the Referer, as a
# browser sends it under our Referrer-Policy: same-origin.
SAME_SITE = {"Referer": "https://localhost/"}
CROSS_SITE = {"Referer": "https://evil.example/"}


@pytest.mark.parametrize(
    ("token", "headers", "status", "logged_in"),
    [
        (False, SAME_SITE, 400, False),
        (True, SAME_SITE, 302, True),
        (True, CROSS_SITE, 400, False),
        (True, {}, 400, False),
    ],
    ids=["no token", "token", "token from another site", "token without referrer"],
)
def test_login_needs_the_csrf_token(
    csrf_app: Flask, make_user: Callable[..., User], token: bool, headers: dict[str, str], status: int,
    logged_in: bool,
) -> None:
    user = make_user()
    client = csrf_app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    if token:
        data["csrf_token"] = csrf_token(client, "/login")
    response = client.post("/login", data=data, headers=headers)
    assert response.status_code == status
    assert is_logged_in(client) is logged_in
    assert count(UserSession) == int(logged_in)
    if not logged_in:
        assert count(LoginAttempt) == 0, "a refused form must not reach the login operation"


def test_a_missing_csrf_token_is_explained(csrf_app: Flask, make_user: Callable[..., User]) -> None:
    response = csrf_app.test_client().post("/login", data={"email": make_user().email, "password": PASSWORD})
    assert "Your form expired" in response.get_data(as_text=True)


@pytest.mark.parametrize(("token", "status", "logged_in"), [(False, 400, True), (True, 302, False)])
def test_logout_needs_the_csrf_token(
    csrf_app: Flask, make_user: Callable[..., User], token: bool, status: int, logged_in: bool
) -> None:
    user = make_user()
    client = csrf_app.test_client()
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    assert client.post("/login", data=data, headers=SAME_SITE).status_code == 302
    form = {"csrf_token": csrf_token(client, "/")} if token else {}
    response = client.post("/logout", data=form, headers=SAME_SITE)
    assert response.status_code == status
    assert is_logged_in(client) is logged_in
    assert count(UserSession, UserSession.ended_at.is_(None)) == int(logged_in)

