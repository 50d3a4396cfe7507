"""Issue 13, the data side of defect 5: files only their owner can read, secrets kept out of the logs,
the demo kept off a production database, no 500 for odd input, and the calendar feed's own headers."""

from __future__ import annotations

import logging
import os
import stat
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.serving import make_server

from govern.auth.models import Role, User
from govern.extensions import db
from tests.conftest import PASSWORD, TEST_CONFIG
from tests.test_outbox import queue_mail

HUGE = "99999999999999999999999"  # beyond 64 bits: no row can have this id


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


# --- files only their owner can read ---------------------------------------------------------------------


def test_a_new_sqlite_database_and_its_instance_folder_are_private(
    make_app: Callable[..., Flask], tmp_path: Path,
) -> None:
    instance = tmp_path / "instance"
    database = instance / "govern.sqlite3"
    app = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"}, instance=instance)
    with app.app_context():
        db.create_all()

    assert _private(instance)
    assert database.exists() and _private(database)


def test_an_existing_world_readable_database_is_made_private(
    make_app: Callable[..., Flask], tmp_path: Path,
) -> None:
    database = tmp_path / "old.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)

    make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})

    assert _private(database)


def test_mail_files_are_private(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    from govern.notify.sender import deliver_outbox

    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(folder))
    queue_mail([make_user()], 1)

    assert deliver_outbox().sent == 1

    assert _private(folder)
    assert [_private(f) for f in folder.glob("*.eml")] == [True]


# --- the calendar feed: its secret stays out of the logs, its own headers stay --------------------------


def _feed_path(client: FlaskClient) -> str:
    from tests.conftest import Page

    assert client.post("/calendar/reset").status_code == 302
    address = Page.of(client.get("/calendar")).text("calendar-address") or ""
    return address[address.index("/calendar/"):]


def test_the_calendar_feed_keeps_its_no_referrer_policy(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> None:
    client = client_for(make_user())
    response = client.get(_feed_path(client))

    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_request_log_does_not_show_the_calendar_token(
    app: Flask, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Alembic's logging set-up (run by the migration tests) disables loggers that already exist.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", False)
    client = client_for(make_user())
    path = _feed_path(client)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with (caplog.at_level(logging.INFO, logger="werkzeug"),
              urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}") as answer):
            assert answer.status == 200
    finally:
        server.shutdown()

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/calendar/" in logged
    assert token not in logged


def test_a_newline_in_a_users_name_does_not_break_their_calendar(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> None:
    user = make_user()
    client = client_for(user)
    path = _feed_path(client)
    db.session.execute(update(User).where(User.id == user.id).values(name="Pat\r\nX-INJECTED:1"))
    db.session.commit()

    response = client.get(path)

    assert response.status_code == 200
    assert b"\r\nX-INJECTED" not in response.get_data()


def test_a_name_given_with_a_newline_is_stored_on_one_line(admin: User) -> None:
    from govern.auth import operations
    from govern.partnership.models import Organisation

    organisation = db.session.scalars(db.select(Organisation).where(Organisation.code == "RDE")).one()
    user = operations.create_user(email="two.lines@example.nhs.uk", name="Pat\nSmith", password=PASSWORD,
                                  organisation=organisation, role=Role.PARTNER_CEO, actor=admin)

    assert user.name == "Pat Smith"


# --- ids too large for any row: 404, never 500 -----------------------------------------------------------


def _int_routes(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        ints = [name for name, converter in rule._converters.items()
                if type(converter).__name__.lower().startswith(("integer", "int", "bounded"))]
        if not ints:
            continue
        url = rule.rule
        for name in rule.arguments:
            value = HUGE if name in ints else ("dispute" if name == "kind" else "x")
            url = url.replace(f"<int:{name}>", value).replace(f"<{name}>", value)
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        routes.append((rule.endpoint, method, url))
    return routes


def test_there_are_routes_with_ids_to_check(app: Flask) -> None:
    assert len(_int_routes(app)) >= 10


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, "stp_leader", Role.PDEG_SECRETARIAT, Role.BOARD_SECRETARY])
def test_an_id_beyond_64_bits_is_not_found_on_every_route(
    app: Flask, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    request: pytest.FixtureRequest, role: Role | str,
) -> None:
    user = request.getfixturevalue("stp_leader") if role == "stp_leader" else make_user(role, "RDE")
    client = client_for(user)
    answers = {f"{method} {url}": client.open(url, method=method).status_code
               for _, method, url in _int_routes(app)}

    assert {where: status for where, status in answers.items() if status >= 500} == {}
    assert set(answers.values()) <= {403, 404}


# --- flask demo is for a demo database only --------------------------------------------------------------


def _demo(app: Flask, *args: str) -> tuple[int, str]:
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", *args])
    db.session.rollback()
    return result.exit_code, result.output


def test_demo_loads_on_a_database_with_no_real_accounts(app: Flask) -> None:
    exit_code, output = _demo(app)
    assert exit_code == 0, output
    assert "Demo loaded" in output
    assert _demo(app)[0] == 0  # again on the demo's own database: still fine


def test_demo_refuses_a_database_with_real_accounts(app: Flask, make_user: Callable[..., User]) -> None:
    make_user(Role.PARTNER_CEO, "RDE")

    exit_code, output = _demo(app)

    assert exit_code != 0
    assert "not production" in output
    assert db.session.scalar(db.select(db.func.count()).select_from(User).where(
        User.email.like("%@demo.govern.test"))) == 0


def test_demo_loads_beside_real_accounts_only_when_told_it_is_not_production(
    app: Flask, make_user: Callable[..., User],
) -> None:
    make_user(Role.PARTNER_CEO, "RDE")
    exit_code, output = _demo(app, "--yes-this-is-not-production")
    assert exit_code == 0, output


def test_demo_never_runs_where_the_settings_say_production(
    app: Flask, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "PRODUCTION", True)

    exit_code, output = _demo(app, "--yes-this-is-not-production")

    assert exit_code != 0
    assert "production server" in output


def test_production_can_be_said_in_the_environment(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("GOVERN_PRODUCTION", "true")
    app = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"})
    assert app.config["PRODUCTION"] is True
    assert os.environ["GOVERN_PRODUCTION"] == "true"
