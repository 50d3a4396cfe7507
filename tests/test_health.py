"""The tick is watched: the last sweep and the outbox backlog on the dashboard and the mail page,
``/healthz`` for load balancers, ``flask --app govern health`` for monitoring, and JSON logs with a
request id when configured.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from govern.auth.models import User
from govern.core import clock
from govern.extensions import db
from govern.notify.models import OutboxMessage, OutboxStatus
from govern.notify.queue import Message, queue
from tests.conftest import TEST_CONFIG, Page

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def tick(app: Flask, at: datetime) -> None:
    clock.freeze(at)
    result = app.test_cli_runner().invoke(args=["tick", "--no-send"])
    assert result.exit_code == 0, result.output


def waiting_mail(users: list[User], count: int, at: datetime) -> None:
    clock.freeze(at)
    queue([Message(users[0].id, f"Message {n}", "Body") for n in range(count)], {u.id: u.email for u in users})
    db.session.commit()


# --- /healthz -------------------------------------------------------------------------------------------


def test_healthz_answers_200_with_json_when_the_database_answers_and_the_sweep_is_recent(
    app: Flask, client: FlaskClient, make_user: Callable[..., User],
) -> None:
    waiting_mail([make_user()], 4, NOW)
    tick(app, NOW)
    clock.freeze(NOW + timedelta(minutes=4))

    response = client.get("/healthz")

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {
        "status": "ok", "database": "ok", "last_sweep_at": "2026-11-30T10:00:00+00:00",
        "sweep_age_seconds": 240, "outbox_waiting": 4, "outbox_failed": 0,
    }
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("swept_ago", "status", "problem"), [
    (None, 503, "no sweep has run"),
    (timedelta(minutes=14), 200, None),
    (timedelta(minutes=16), 503, "the last sweep was 16 minutes ago"),
])
def test_healthz_is_503_when_the_sweep_is_stale(
    app: Flask, client: FlaskClient, swept_ago: timedelta | None, status: int, problem: str | None,
) -> None:
    if swept_ago is not None:
        tick(app, NOW - swept_ago)
    clock.freeze(NOW)

    response = client.get("/healthz")

    assert response.status_code == status
    assert response.get_json()["status"] == ("ok" if problem is None else "unhealthy")
    assert response.get_json().get("problems", []) == ([problem] if problem else [])


def test_healthz_is_503_when_the_database_cannot_be_reached(
    make_app: Callable[..., Flask], tmp_path: Path,
) -> None:
    unreachable = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"})

    response = unreachable.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "unhealthy", "database": "unreachable",
                                   "problems": ["the database cannot be reached"]}
    assert "sqlite" not in response.get_data(as_text=True)  # no settings, paths or errors leak out


# --- flask --app govern health --------------------------------------------------------------------------


def _fresh(app: Flask, make_user: Callable[..., User]) -> None:
    tick(app, NOW - timedelta(minutes=3))


def _stale(app: Flask, make_user: Callable[..., User]) -> None:
    tick(app, NOW - timedelta(hours=2))


def _failed_mail(app: Flask, make_user: Callable[..., User]) -> None:
    waiting_mail([make_user()], 1, NOW - timedelta(hours=30))
    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.FAILED, attempts=20))
    db.session.commit()
    tick(app, NOW - timedelta(minutes=3))


def _mail_not_leaving(app: Flask, make_user: Callable[..., User]) -> None:
    waiting_mail([make_user()], 3, NOW - timedelta(hours=1))
    tick(app, NOW - timedelta(minutes=3))


@pytest.mark.parametrize(("setup", "exit_code", "says"), [
    (_fresh, 0, "Healthy."),
    (_stale, 1, "the last sweep was 2 hours ago"),
    (_failed_mail, 1, "1 message failed"),
    (_mail_not_leaving, 1, "mail has waited 1 hour"),
])
def test_the_health_command_exits_non_zero_when_the_sweep_is_stale_or_mail_is_failing(
    app: Flask, make_user: Callable[..., User], setup: Callable[..., None], exit_code: int, says: str,
) -> None:
    setup(app, make_user)
    clock.freeze(NOW)

    result = app.test_cli_runner().invoke(args=["health"])

    assert result.exit_code == exit_code, result.output
    assert says in result.output


# --- on the dashboard and the mail page ------------------------------------------------------------------


@pytest.mark.parametrize("page", ["/dashboard", "/admin/outbox"])
def test_the_last_sweep_and_the_backlog_show_on_the_dashboard_and_the_mail_page(
    app: Flask, admin: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], page: str,
) -> None:
    waiting_mail([make_user()], 7, NOW)
    tick(app, NOW)
    clock.freeze(NOW + timedelta(minutes=2))

    shown = Page.of(client_for(admin).get(page))

    assert shown.text("tick-last-sweep") == "30 November 2026 at 10:00am"
    assert shown.text("tick-backlog") == "7 waiting"
    assert shown.text("tick-failed") == "0"


def test_before_any_sweep_the_pages_say_so(
    admin: User, client_for: Callable[[User], FlaskClient],
) -> None:
    shown = Page.of(client_for(admin).get("/dashboard"))
    assert shown.text("tick-last-sweep") == "Never: is the tick timer running?"


# --- structured logs -------------------------------------------------------------------------------------


def test_json_logs_carry_a_request_id_that_is_sent_back(
    make_app: Callable[..., Flask], app: Flask, capsys: pytest.CaptureFixture[str],
) -> None:
    logged = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "LOG_FORMAT": "json"})
    client = logged.test_client()

    given = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a9c"})
    made = client.get("/login")

    assert given.headers["X-Request-Id"] == "lb-7f3a9c"
    assert len(made.headers["X-Request-Id"]) == 32
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("message") == "request"]
    assert [(r["request_id"], r["method"], r["route"]) for r in requests] == [
        ("lb-7f3a9c", "GET", "/healthz"), (made.headers["X-Request-Id"], "GET", "/login")]
    assert all(r["levelname"] == "INFO" and isinstance(r["duration_ms"], float) for r in requests)


def test_a_request_id_that_is_not_plain_is_replaced(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "<script>alert(1)</script>"})
    assert len(response.headers["X-Request-Id"]) == 32 and "<" not in response.headers["X-Request-Id"]


def test_without_the_setting_logs_stay_plain_text(make_app: Callable[..., Flask], app: Flask) -> None:
    make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "LOG_FORMAT": "json"})
    plain = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})

    assert plain.config["LOG_FORMAT"] == "text"
    assert not any(type(h.formatter).__name__ == "JsonFormatter" for h in logging.getLogger("govern").handlers)
