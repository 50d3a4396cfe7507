"""Request ids and structured logs.

Every response carries ``X-Request-Id``: the load balancer's id when it sent a plain one, else a new
one, so a user's report, the proxy's log and ours can be matched. With ``LOG_FORMAT = "json"`` the
``govern`` loggers write one JSON object a line (python-json-logger) with the request id, and one line
per request: method, route (the URL rule, never the path, which may hold a calendar feed's secret),
status and duration.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

PLAIN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_MARK = "_govern_json_handler"

request_log = logging.getLogger("govern.request")


def request_id() -> str | None:
    """This request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record logged during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def _start() -> None:
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if PLAIN_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id") or uuid.uuid4().hex
    started = g.get("request_started")
    request_log.info("request", extra={
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule is not None else None,
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
    })
    return response


def configure_logging(app: Flask) -> None:
    """JSON lines on standard error for the ``govern`` loggers when ``LOG_FORMAT`` is ``json``."""
    logger = logging.getLogger("govern")
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
    if app.config.get("LOG_FORMAT") != "json":
        return
    from pythonjsonlogger.json import JsonFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"))
    handler.addFilter(RequestIdFilter())
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def init_app(app: Flask) -> None:
    """Request ids on every request; JSON logs if configured. (A trusted proxy's headers are taken once,
    by ``govern.security.trust_proxies``.)"""
    app.before_request(_start)
    app.after_request(_finish)
    configure_logging(app)
