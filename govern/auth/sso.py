"""Single sign-on with OpenID Connect, per organisation (for NHSmail or an organisation's own
Microsoft Entra tenant).

Configuration, not the database, holds each organisation's provider: its client secret is a key
like ``SECRET_KEY`` and belongs with the operator's other secrets (``instance/config.py`` or the
environment), never in a table an administrator's page or a database dump could show. The setting
``SSO_PROVIDERS`` maps an organisation's code to its provider::

    SSO_PROVIDERS = {
        "RDE": {
            "name": "NHSmail",                   # shown on the button: "Sign in with NHSmail"
            "issuer": "https://login.microsoftonline.com/<tenant id>/v2.0",
            "client_id": "...",
            "client_secret": "...",
            "local_passwords": False,            # optional (default True): False switches passwords off
        },
    }

A person is let in only if the provider's signed ID token says their email address is verified
(``email_verified``, or Entra's ``xms_edov`` optional claim) and it is the address of an active
account of THAT organisation: a provider vouches for its own organisation's staff and nobody else.
The OIDC state, nonce and PKCE verifier travel in the signed session cookie (Authlib), so any app
server can complete a sign-in that another started.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import current_app
from sqlalchemy import func, select

from govern.core.errors import OperationError
from govern.extensions import db
from govern.partnership.models import Organisation


@dataclass(frozen=True)
class Provider:
    """One organisation's identity provider."""

    organisation_code: str
    name: str
    issuer: str
    client_id: str
    client_secret: str
    local_passwords: bool = True

    @property
    def metadata_url(self) -> str:
        """OIDC discovery document of the issuer."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def providers() -> list[Provider]:
    """Every configured provider, in organisation-code order."""
    configured: dict[str, dict[str, Any]] = current_app.config.get("SSO_PROVIDERS") or {}
    return [
        Provider(
            organisation_code=code,
            name=str(settings.get("name") or "your organisation's sign-in"),
            issuer=str(settings["issuer"]),
            client_id=str(settings["client_id"]),
            client_secret=str(settings.get("client_secret", "")),
            local_passwords=bool(settings.get("local_passwords", True)),
        )
        for code, settings in sorted(configured.items())
    ]


def provider_by_code(code: str) -> Provider | None:
    """The provider configured for the organisation with this code."""
    return next((p for p in providers() if p.organisation_code == code), None)


def provider_for(organisation: Organisation | None) -> Provider | None:
    """The organisation's provider, if it has one."""
    return provider_by_code(organisation.code) if organisation is not None else None


def local_passwords_allowed(organisation: Organisation | None) -> bool:
    """False when the organisation has switched passwords off in favour of its provider."""
    provider = provider_for(organisation)
    return provider is None or provider.local_passwords


def client(provider: Provider) -> Any:
    """An Authlib OpenID Connect client for the provider, made for this request (no process state)."""
    oauth = OAuth()
    oauth.app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Named per provider: Authlib keys the state it keeps in the session by this name.
    name = f"sso_{provider.organisation_code.lower()}"
    oauth.register(
        name,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.metadata_url,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256", "timeout": 10},
    )
    return oauth.create_client(name)


def _verified(claims: dict[str, Any]) -> bool:
    return claims.get("email_verified") is True or claims.get("xms_edov") is True


def match_user(provider: Provider, claims: dict[str, Any]) -> Any:
    """The active account of the provider's organisation whose address the provider verified.

    Raises :class:`OperationError` with a message for the person otherwise.
    """
    from govern.auth.models import User

    email = str(claims.get("email") or "").strip().lower()
    if not email or not _verified(claims):
        raise OperationError(
            f"{provider.name} did not confirm your email address, so we cannot match you to an account. "
            "Ask your administrator."
        )
    organisation = db.session.scalar(select(Organisation).where(Organisation.code == provider.organisation_code))
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or organisation is None or user.organisation_id != organisation.id or not user.active:
        raise OperationError(
            f"There is no active Govern account for {email} at "
            f"{organisation.short_name if organisation else provider.organisation_code}. Ask your administrator."
        )
    return user
