"""``/healthz``: for load balancers and uptime checks. No sign-in, and nothing in it is secret."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from govern.extensions import db
from govern.ops.health import tick_status

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers and the last sweep is recent; 503 otherwise. Mail problems are
    not the load balancer's business (every server shares the one outbox): ``flask health`` reports them."""
    try:
        status = tick_status()
    except SQLAlchemyError:
        db.session.rollback()
        # Say what is wrong, never why: the error would carry the database's address.
        body = {"status": "unhealthy", "database": "unreachable", "problems": ["the database cannot be reached"]}
        return jsonify(body), 503
    body = {
        "status": "unhealthy" if status.sweep_problems else "ok",
        "database": "ok",
        "last_sweep_at": status.last_sweep_at.isoformat() if status.last_sweep_at else None,
        "sweep_age_seconds": status.sweep_age_seconds,
        "outbox_waiting": status.waiting,
        "outbox_failed": status.failed,
    }
    if status.sweep_problems:
        body["problems"] = status.sweep_problems
    return jsonify(body), 503 if status.sweep_problems else 200
