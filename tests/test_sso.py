"""Single sign-on with OpenID Connect, against a real provider started by the tests (oidc-provider-mock
on a loopback port): discovery, redirect, code exchange, signed ID token, all over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from govern.audit.models import AuditEvent
from govern.auth.models import Role, User, UserSession
from govern.extensions import db
from tests.conftest import PASSWORD, TOTP_SECRET, Page, totp_code
from tests.oidc_provider import Provider

RITA = "rita.chief@rde.example.nhs.uk"


@pytest.fixture
def sso(app: Flask, oidc_provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Provider]:
    """Configure the RD&E's provider: ``sso(local_passwords=False)``."""

    def configure(**settings: Any) -> Provider:
        monkeypatch.setitem(app.config, "SSO_PROVIDERS", {"RDE": oidc_provider.settings(**settings)})
        return oidc_provider

    configure()
    return configure


def sign_in_via_provider(client: FlaskClient, provider: Provider, sub: str) -> Any:
    """Start at the app's SSO button, sign in at the provider, come back: the app's last answer."""
    start = client.get("/login/sso/rde")
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    authorize = start.headers["Location"]
    assert authorize.startswith(provider.issuer)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = urlsplit(provider.sign_in(authorize, sub))
    assert back.path == "/login/sso/rde/callback"
    return client.get(f"{back.path}?{back.query}")


def logged_in_as(client: FlaskClient) -> str | None:
    response = client.get("/account")
    return Page.of(response).text("maincontent") if response.status_code == 200 else None


def sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession)) or 0


def test_a_verified_email_of_the_organisation_signs_in(
    client: FlaskClient, sso: Callable[..., Provider], make_user: Callable[..., User]
) -> None:
    provider = sso()
    user = make_user(Role.PARTNER_CEO, "RDE", email=RITA)
    provider.set_user("rita-sub", email=RITA.upper(), email_verified=True)
    response = sign_in_via_provider(client, provider, "rita-sub")
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    assert RITA in (logged_in_as(client) or "")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "log_in")).one()
    assert (event.actor_id, event.changes) == (user.id, {"method": "sso", "provider": "RDE"})


@pytest.mark.parametrize(
    ("claims", "account_org", "message"),
    [
        ({"email": RITA, "email_verified": False}, "RDE", "did not confirm your email address"),
        ({"email": RITA}, "RDE", "did not confirm your email address"),
        ({"email": RITA, "email_verified": "true"}, "RDE", "did not confirm your email address"),
        ({"email_verified": True}, "RDE", "did not confirm your email address"),
        ({"email": "nobody@rde.example.nhs.uk", "email_verified": True}, "RDE", "no active Govern account"),
        # The RD&E's provider vouches for the RD&E's staff only, not for an account at Plymouth.
        ({"email": RITA, "email_verified": True}, "PHNT", "no active Govern account"),
    ],
    ids=["not verified", "no verified claim", "verified as a string", "no email", "no account", "other org"],
)
def test_no_session_unless_a_verified_email_matches_an_account_of_the_organisation(
    client: FlaskClient, sso: Callable[..., Provider], make_user: Callable[..., User],
    claims: dict[str, Any], account_org: str, message: str,
) -> None:
    provider = sso()
    make_user(Role.PARTNER_CEO, account_org, email=RITA)
    provider.set_user("someone", **claims)
    response = sign_in_via_provider(client, provider, "someone")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert sessions() == 0
    assert logged_in_as(client) is None


def test_a_disabled_account_cannot_sign_in_through_its_provider(
    client: FlaskClient, sso: Callable[..., Provider], make_user: Callable[..., User]
) -> None:
    provider = sso()
    make_user(Role.PARTNER_CEO, "RDE", email=RITA, active=False)
    provider.set_user("rita-sub", email=RITA, email_verified=True)
    assert sign_in_via_provider(client, provider, "rita-sub").status_code == 400
    assert sessions() == 0


def test_a_forged_callback_is_refused(client: FlaskClient, sso: Callable[..., Provider],
                                      make_user: Callable[..., User]) -> None:
    """A code and state from another browser (login CSRF) do not match this browser's state."""
    provider = sso()
    make_user(Role.PARTNER_CEO, "RDE", email=RITA)
    provider.set_user("rita-sub", email=RITA, email_verified=True)
    other_browser = client.application.test_client()
    authorize = other_browser.get("/login/sso/rde").headers["Location"]
    back = urlsplit(provider.sign_in(authorize, "rita-sub"))
    client.get("/login/sso/rde")  # this browser started a sign-in of its own
    assert client.get(f"{back.path}?{back.query}").status_code == 400
    assert sessions() == 0


def test_an_administrator_still_gives_a_code_after_single_sign_on(
    client: FlaskClient, sso: Callable[..., Provider], make_user: Callable[..., User], org: Any
) -> None:
    provider = sso()
    admin = make_user(Role.ADMINISTRATOR, "RDE", email="admin@rde.example.nhs.uk")
    provider.set_user("admin-sub", email=admin.email, email_verified=True)
    response = sign_in_via_provider(client, provider, "admin-sub")
    assert response.headers["Location"] == "/login/code"
    assert sessions() == 0
    done = client.post("/login/code", data={"code": totp_code(TOTP_SECRET)})
    assert done.status_code == 302 and sessions() == 1


def test_an_organisation_can_switch_passwords_off(
    client: FlaskClient, sso: Callable[..., Provider], make_user: Callable[..., User]
) -> None:
    provider = sso(local_passwords=False)
    user = make_user(Role.PARTNER_CEO, "RDE", email=RITA)
    refused = client.post("/login", data={"email": RITA, "password": PASSWORD})
    assert refused.status_code == 400
    assert "signs in with NHSmail" in refused.get_data(as_text=True)
    assert sessions() == 0
    # Nor can a password be reset or changed: there is none to use.
    client.post("/password/forgot", data={"email": RITA})
    assert "/password/reset/" not in " ".join(m.body for m in db.session.scalars(select(_outbox())))
    provider.set_user("rita-sub", email=RITA, email_verified=True)
    assert sign_in_via_provider(client, provider, "rita-sub").status_code == 302
    assert client.get("/account/password").status_code == 404
    assert user.id


def test_other_organisations_keep_their_passwords(
    client: FlaskClient, sso: Callable[..., Provider], make_user: Callable[..., User]
) -> None:
    sso(local_passwords=False)
    user = make_user(Role.PARTNER_CEO, "PHNT")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_the_login_page_offers_each_organisations_provider(client: FlaskClient, sso: Callable[..., Provider]) -> None:
    sso(name="NHSmail")
    page = client.get("/login?next=/disputes").get_data(as_text=True)
    assert "NHSmail (RDE)" in page
    assert "/login/sso/rde?next=/disputes" in page


def test_an_unknown_organisation_has_no_sign_in(client: FlaskClient, sso: Callable[..., Provider]) -> None:
    assert client.get("/login/sso/phnt").status_code == 404


def _outbox() -> Any:
    from govern.notify.models import OutboxMessage

    return OutboxMessage
