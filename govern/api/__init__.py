"""The JSON API (``/api/v1``, token-authenticated, CSRF-exempt) and the pages that make its tokens."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    """Register the API and the token pages; errors under /api/ answer as problem details."""
    from govern.api import pages, views
    from govern.extensions import csrf

    # The API authenticates each request by its bearer token, never by a cookie: no cross-site request
    # can carry one, so CSRF tokens have nothing to protect there. Pages keep sessions and CSRF.
    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(pages.bp)
    app.config.setdefault("API_RATE_LIMIT", 600)
    app.config.setdefault("API_RATE_WINDOW_SECONDS", 60)

    # A path under /api/ that matches no route (or not this method) never reaches the blueprint's own
    # handlers: answer it as JSON too, and leave every other path to the pages' error handler.
    pages_handler = app.error_handler_spec[None][None].get(HTTPException)

    def http_error(error: HTTPException) -> object:
        if request.path.startswith(views.bp.url_prefix or "/api/"):
            return views.http_problem(error)
        return pages_handler(error) if pages_handler else error

    app.register_error_handler(HTTPException, http_error)
