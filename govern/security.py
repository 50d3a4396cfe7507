"""Security headers, the CSP nonce and error pages that never show a stack trace."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from govern.extensions import db


def csp_nonce() -> str:
    """The nonce of this response's Content-Security-Policy, for any inline script."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _set_headers(response: Response) -> Response:
    nonce = csp_nonce()
    # A view may set a stricter policy of its own (an attachment download: default-src 'none'; sandbox).
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # setdefault: a view may be stricter (the calendar feed, whose address is its secret: no-referrer).
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        # Pages show private case papers: keep them out of shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


ERROR_TITLES = {
    400: "Something was wrong with that request",
    403: "You do not have permission to do that",
    404: "Page not found",
    405: "That action is not available here",
    409: "This case has changed",
    413: "The file is too large",
    429: "Too many requests",
    500: "Sorry, there is a problem with the service",
}


def _render_error(status: int, description: str | None = None) -> tuple[str, int]:
    title = ERROR_TITLES.get(status, "Sorry, there is a problem")
    return render_template("errors/error.html", status=status, title=title, description=description), status


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and scheme from their
    X-Forwarded-For and X-Forwarded-Proto headers (so HSTS is sent and throttling sees the client).
    Off unless configured: a client could otherwise write those headers itself."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


#: Secrets that travel in a URL path, and what the logs show instead.
_SECRET_PATHS = (re.compile(r"(/calendar/)[^/.\s\"?]+(\.ics)"),)


def redact(text: str) -> str:
    """``text`` with every secret in a URL path (a calendar feed's token) replaced by ``[redacted]``."""
    for pattern in _SECRET_PATHS:
        text = pattern.sub(r"\1[redacted]\2", text)
    return text


class RedactSecrets(logging.Filter):
    """Keeps the calendar tokens out of request logs (Werkzeug's) and the app's own error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without its secrets; never drop a record."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to what a 64-bit id column holds: a larger number is a 404, not a
    database overflow (a 500)."""

    LARGEST = 2**63 - 1

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=self.LARGEST if max is None else max,
                         signed=signed)


def init_app(app: Flask) -> None:
    """Register security headers, the nonce global, the error pages, log redaction and bounded ids."""
    trust_proxies(app)
    app.after_request(_set_headers)
    for name in ("werkzeug", app.logger.name, "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
    # Before any blueprint is registered: rules bind their converters when they are added.
    app.url_map.converters["int"] = BoundedIntConverter
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        if isinstance(error, SecurityError):
            # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page either.
            return "This address is not served here.", 400
        if isinstance(error, CSRFError):
            return _render_error(
                400, "Your form expired or was sent twice. Go back, reload the page and try again."
            )
        return _render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        # Logged in full for the operators; the user sees a plain page without any trace.
        app.logger.exception("Unhandled error on %s %s", request.method, redact(request.path))
        db.session.rollback()
        return _render_error(500)
