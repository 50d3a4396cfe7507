"""A real OpenID Connect provider for the tests: oidc-provider-mock (Authlib's server) on a free
loopback port, in a thread. The app under test talks to it over HTTP exactly as it would to NHSmail
or an Entra tenant: discovery, the authorization redirect, the token endpoint, the signed ID token
and its keys. Only its sign-in page is ours (``tests/oidc_templates``), so axe-core can check it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
import oidc_provider_mock
import requests
from werkzeug.serving import make_server

TEMPLATES = Path(__file__).resolve().parent / "oidc_templates"


@dataclass
class Provider:
    """A running provider: its issuer URL, and a way to define who may sign in and with which claims."""

    issuer: str

    def set_user(self, sub: str, **claims: Any) -> None:
        """Define (or redefine) a user at the provider: ``set_user("a@x", email="a@x", email_verified=True)``."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def settings(self, *, name: str = "NHSmail", local_passwords: bool = True) -> dict[str, Any]:
        """An SSO_PROVIDERS entry pointing at this provider."""
        return {"name": name, "issuer": self.issuer, "client_id": "govern-test", "client_secret": "test-secret",
                "local_passwords": local_passwords}

    def sign_in(self, authorize_url: str, sub: str) -> str:
        """Sign ``sub`` in at the provider's page, as the browser would; returns where it sends the
        browser back to (the app's callback with the code and state)."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]


@contextmanager
def running_provider() -> Iterator[Provider]:
    """Start the provider on 127.0.0.1 (a free port); stop it afterwards. Nonces are required."""
    app = flask.Flask("oidc_test_provider", template_folder=str(TEMPLATES))
    oidc_provider_mock.init_app(app, require_nonce=True)
    app.secret_key = secrets.token_bytes(16)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oidc-provider", daemon=True)
    thread.start()
    try:
        yield Provider(issuer=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
