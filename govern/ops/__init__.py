"""Running the service: the tick's heartbeat, health checks for load balancers and monitoring, logs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Request ids and logs, ``/healthz``, and ``tick_status()`` for the ``ops/_tick_status.html`` include."""
    from govern.ops import logs
    from govern.ops.health import tick_status
    from govern.ops.views import bp

    logs.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.globals["tick_status"] = tick_status
