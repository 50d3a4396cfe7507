"""govern: the governance of a health and care partnership under its MoU."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The application factory: configuration, then one ``register_*`` call per concern."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("GOVERN_INSTANCE_PATH", str(ROOT / "instance")),
        instance_relative_config=True,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    from govern.config import load_config

    load_config(app, test_config)
    register_templates(app)
    register_extensions(app)
    register_security(app)
    register_ops(app)
    register_blueprints(app)
    register_listeners(app)
    register_commands(app)
    return app


def warm_up(app: Flask) -> None:
    """Do once, before a server forks its workers, what each worker would otherwise do on its first
    requests: compile our templates and parse the running agreement. Workers then share it (and a
    worker replaced after ``max_requests`` starts warm). Call :func:`gc.freeze` after it (gunicorn's
    ``on_starting``, ``gunicorn.conf.py``): objects made at start-up are never garbage, and a full
    collection in a worker then looks only at what requests make. Nothing from the database is kept
    but the parsed agreement (named by its text's digest, so never stale); the connections opened are
    closed, so no worker shares one."""
    from govern.web.components import COMPONENTS

    # Our own templates and the NHS.UK components every page draws (not all 95 of NHS.UK's: each
    # compiled costs start-up time, and the others are compiled by the first page that uses them).
    shared = {f"nhsuk/components/{folder}/template.jinja" for folder in COMPONENTS.values()}
    for name in app.jinja_env.list_templates(
        filter_func=lambda n: n in shared or (n.endswith(".html") and not n.startswith("nhsuk/"))
    ):
        app.jinja_env.get_template(name)
    from govern.extensions import db

    try:
        with app.app_context():
            try:
                from govern.agreements import service

                service.current()
            finally:
                db.session.remove()
                db.engine.dispose()
    except Exception:  # a database not reachable yet: workers parse it on their first request
        app.logger.warning("Could not read the running agreement while warming up", exc_info=True)


def register_listeners(app: Flask) -> None:
    """Features that hear of cases through ``govern.cases.signals`` (the runner imports none of them)."""
    from govern.boards import certificates  # noqa: F401  (issues a certificate when a decision is ratified)
    from govern.deadlines import tracking  # noqa: F401  (connects its receivers)
    from govern.interests import hooks  # noqa: F401  (declarations on panels and at meetings into the register)
    from govern.search import index  # noqa: F401  (keeps the search documents with their rows)


def register_templates(app: Flask) -> None:
    """Our templates first, then the NHS.UK frontend Jinja macros."""
    app.jinja_options = {
        "undefined": ChainableUndefined,
        "loader": ChoiceLoader(
            [FileSystemLoader(str(ROOT / "templates")), PackageLoader("nhsuk_frontend_jinja")]
        ),
        "autoescape": True,
    }
    from govern.web import components, template_helpers

    template_helpers.init_app(app)
    components.init_app(app)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions of :mod:`govern.extensions`."""
    from govern import extensions as ext

    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(ROOT / "migrations"), render_as_batch=True)
    ext.csrf.init_app(app)
    ext.login_manager.init_app(app)
    from govern.auth import sessions

    sessions.init_app(app)
    from govern import models  # noqa: F401  (every model registered before Alembic looks)


def register_security(app: Flask) -> None:
    """Security headers, CSP nonce, error pages."""
    from govern import security

    security.init_app(app)
    try:
        from govern import assets

        assets.init_app(app)
    except ImportError:  # pragma: no cover - assets module is optional at start-up
        pass


def register_ops(app: Flask) -> None:
    """Request ids and structured logs, ``/healthz``, the tick's status for the pages that show it."""
    from govern import ops

    ops.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Each feature folder's views."""
    from govern.actions.views import bp as actions_bp
    from govern.admin.views import bp as admin_bp
    from govern.agreements.views import bp as agreement_bp
    from govern.attachments.views import bp as attachments_bp
    from govern.auth.views import bp as auth_bp
    from govern.boards.views import bp as boards_bp
    from govern.deadlines.views import bp as deadlines_bp
    from govern.disputes.views import bp as disputes_bp
    from govern.exports.views import bp as exports_bp
    from govern.interests.views import bp as interests_bp
    from govern.notify.views import bp as notify_bp
    from govern.pdeg.views import bp as pdeg_bp
    from govern.records.views import bp as records_bp
    from govern.search.views import bp as search_bp
    from govern.verify.views import bp as verify_bp
    from govern.web.views import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(attachments_bp)
    app.register_blueprint(pdeg_bp)
    app.register_blueprint(boards_bp)
    app.register_blueprint(interests_bp)
    app.register_blueprint(actions_bp)
    app.register_blueprint(disputes_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(deadlines_bp)
    app.register_blueprint(agreement_bp)
    from govern import api

    api.init_app(app)
    app.register_blueprint(verify_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(exports_bp)


def register_commands(app: Flask) -> None:
    """``flask --app govern seed | demo | users | audit``."""
    from govern import cli

    cli.init_app(app)
