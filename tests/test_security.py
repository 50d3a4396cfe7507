"""Security headers on every page, the session cookie's flags, and error pages without a trace."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from govern.auth.models import Role, User
from govern.extensions import db
from govern.partnership.models import MouStatus, Organisation, OrganisationKind
from tests.conftest import PASSWORD, TEST_CONFIG, Page

# (who is logged in, path) -> status: one of each kind of page the foundation serves.
PAGES = [
    (None, "/login", 200),
    (Role.PARTNER_CEO, "/", 200),
    (Role.ADMINISTRATOR, "/admin/users", 200),
    (Role.ADMINISTRATOR, "/admin/users/new", 200),
    (Role.ADMINISTRATOR, "/admin/stp-leader", 200),
    (None, "/", 302),
    (Role.PARTNER_CEO, "/admin/users", 403),
    (None, "/no-such-page", 404),
    (None, "/logout", 405),
]


@pytest.fixture
def page(
    client: FlaskClient, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> Callable[[Role | None, str], object]:
    def get(role: Role | None, path: str) -> object:
        return (client_for(make_user(role, "STP")) if role else client).get(path)

    return get


@pytest.mark.parametrize(("role", "path", "status"), PAGES)
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
    ],
)
def test_security_headers_on_every_page(
    page: Callable[..., object], role: Role | None, path: str, status: int, header: str, expected: str
) -> None:
    response = page(role, path)
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers[header] == expected  # type: ignore[attr-defined]


@pytest.mark.parametrize(("role", "path", "status"), PAGES)
def test_content_security_policy_on_every_page(
    page: Callable[..., object], role: Role | None, path: str, status: int
) -> None:
    csp = page(role, path).headers["Content-Security-Policy"]  # type: ignore[attr-defined]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp


@pytest.mark.parametrize(("role", "path", "status"), [p for p in PAGES if p[2] != 302])
def test_the_inline_script_carries_the_csp_nonce(
    page: Callable[..., object], role: Role | None, path: str, status: int
) -> None:
    response = page(role, path)
    csp = response.headers["Content-Security-Policy"]  # type: ignore[attr-defined]
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", csp)
    assert nonce is not None
    inline = [s for s in Page.of(response).scripts if "src" not in s]
    assert inline, "the page has its inline script"
    assert [s.get("nonce") for s in inline] == [nonce.group(1)] * len(inline)


def test_each_response_has_a_new_nonce(client: FlaskClient) -> None:
    nonces = {client.get("/login").headers["Content-Security-Policy"] for _ in range(3)}
    assert len(nonces) == 3


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_by_default(
    app: Flask, make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    config = {k: v for k, v in TEST_CONFIG.items() if k != "SESSION_COOKIE_SECURE"}
    production_like = make_app({**config, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    response = production_like.test_client().post("/login", data={"email": make_user().email, "password": PASSWORD})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("govern_session="))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert "secure" in flags
    assert flags["samesite"] == "SameSite=Lax"


# --- error pages ------------------------------------------------------------------------------


@pytest.fixture
def failing_app(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """The app with one extra page that stores a row, then fails before it can commit."""
    failing = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    seen: dict[str, object] = {}

    def boom() -> str:
        db.session.add(Organisation(
            code="BOOM", name="Half-saved Trust", short_name="Half-saved", kind=OrganisationKind.PROVIDER,
            mou_status=MouStatus.SIGNED,
        ))
        db.session.flush()
        raise RuntimeError("secret internals: password=hunter2")

    def after(response: object) -> object:
        # What the request's own session sees once the error page is made.
        seen["half_saved"] = db.session.scalar(select(Organisation).where(Organisation.code == "BOOM"))
        return response

    failing.add_url_rule("/boom", view_func=boom)
    failing.after_request(after)
    failing.extensions["seen"] = seen
    return failing


def test_an_unexpected_error_shows_the_friendly_page(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text and "hunter2" not in text


def test_an_unexpected_error_rolls_the_database_session_back(failing_app: Flask) -> None:
    failing_app.test_client().get("/boom")
    assert failing_app.extensions["seen"]["half_saved"] is None
    assert db.session.scalar(select(Organisation).where(Organisation.code == "BOOM")) is None


def test_the_app_works_after_an_unexpected_error(failing_app: Flask) -> None:
    client = failing_app.test_client()
    client.get("/boom")
    assert client.get("/login").status_code == 200


def test_the_error_page_still_carries_the_security_headers(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/boom")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "nonce-" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/no-such-page", 404, "Page not found"),
        ("/admin/users/999999", 404, "Page not found"),
        ("/logout", 405, "That action is not available here"),
    ],
)
def test_http_errors_show_a_friendly_page(
    client_for: Callable[[User], FlaskClient], make_user: Callable[..., User], path: str, status: int, title: str
) -> None:
    response = client_for(make_user(Role.ADMINISTRATOR, "STP")).get(path)
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in text
    assert "Traceback" not in text and "werkzeug" not in text.lower()


def test_a_request_too_large_is_refused_plainly(client: FlaskClient, app: Flask) -> None:
    body = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/login", data={"email": "a@example.nhs.uk", "password": body})
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
