"""NHS.UK frontend assets: check they are installed, and give templates a CSP nonce.

The design system's CSS, JavaScript and images are not committed: ``scripts/install-assets``
copies them from npm into ``static/nhsuk/``. Call :func:`init_app` after the Jinja options and
any ``csp_nonce`` global of the application's own are in place.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, g

log = logging.getLogger(__name__)

#: The stylesheet every page links to; if it is missing, so is everything else.
STYLESHEET = Path("nhsuk") / "nhsuk-frontend.min.css"


def csp_nonce() -> str:
    """This request's Content-Security-Policy nonce, created on first use and kept on ``g``."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app: Flask) -> None:
    """Register ``csp_nonce`` for templates unless the app has its own; warn if assets are missing."""
    # The app's own nonce function wins: it is the one its CSP header is built from.
    app.jinja_env.globals.setdefault("csp_nonce", csp_nonce)

    static = Path(app.static_folder or "static")
    if not (static / STYLESHEET).is_file():
        log.warning(
            "NHS.UK frontend assets are missing (%s not found): pages will have no styles or "
            "scripts. Run scripts/install-assets from the repository root.",
            static / STYLESHEET,
        )
