"""Security headers, the CSP nonce and error pages that never show a stack trace."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

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
    response.headers["Referrer-Policy"] = "same-origin"
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


def init_app(app: Flask) -> None:
    """Register security headers, the nonce global and the error pages."""
    trust_proxies(app)
    app.after_request(_set_headers)
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
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _render_error(500)
