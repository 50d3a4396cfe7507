"""Absolute addresses, built from the configured PUBLIC_BASE_URL and never from the request.

The Host header is whatever the client sent: echoing it into a calendar address, a mailed link or an
OpenID Connect redirect would let anyone who can reach the app have it hand out links to their site.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def public_url(path: str) -> str:
    """``path`` (starting with ``/``) on the public address of the service."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


def public_url_for(endpoint: str, **values: Any) -> str:
    """Like ``url_for(..., _external=True)``, but on PUBLIC_BASE_URL."""
    return public_url(url_for(endpoint, **values))
