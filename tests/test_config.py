"""Configuration: defaults, then ``instance/config.py``, then the environment, then the test's own."""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import TEST_CONFIG

ENVIRONMENT = ("DATABASE_URL", "SECRET_KEY", "GOVERN_SERVICE_NAME", "GOVERN_SESSION_COOKIE_SECURE")


@pytest.fixture(autouse=True)
def _clear_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without the settings a developer or CI may have exported."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """An empty instance folder."""
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("SESSION_COOKIE_NAME", "govern_session"),
        ("SESSION_COOKIE_HTTPONLY", True),
        ("SESSION_COOKIE_SECURE", True),
        ("SESSION_COOKIE_SAMESITE", "Lax"),
        ("PERMANENT_SESSION_LIFETIME", timedelta(hours=12)),
        ("PROPAGATE_EXCEPTIONS", False),
        ("PREFERRED_URL_SCHEME", "https"),
        ("SERVICE_NAME", None),  # None: "Govern — " and the partnership's short name from its agreement file
    ],
)
def test_defaults(make_app: Callable[..., Flask], instance: Path, setting: str, expected: object) -> None:
    app = make_app(instance=instance)
    assert app.config[setting] == expected


def test_the_database_is_sqlite_in_the_instance_folder_by_default(
    make_app: Callable[..., Flask], instance: Path
) -> None:
    app = make_app({"SECRET_KEY": "x"}, instance=instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'govern.sqlite3'}"


@pytest.mark.parametrize(
    ("instance_file", "environment", "setting", "expected"),
    [
        # instance/config.py is read
        ('SERVICE_NAME = "Devon test"\n', {}, "SERVICE_NAME", "Devon test"),
        ('SQLALCHEMY_DATABASE_URI = "sqlite:////srv/govern.db"\n', {}, "SQLALCHEMY_DATABASE_URI",
         "sqlite:////srv/govern.db"),
        ('SECRET_KEY = "from-the-instance"\n', {}, "SECRET_KEY", "from-the-instance"),
        # the environment overrides the instance file
        ('SERVICE_NAME = "Devon test"\n', {"GOVERN_SERVICE_NAME": "From env"}, "SERVICE_NAME", "From env"),
        ('SECRET_KEY = "from-the-instance"\n', {"SECRET_KEY": "from-env"}, "SECRET_KEY", "from-env"),
        ("", {"SECRET_KEY": "from-env"}, "SECRET_KEY", "from-env"),
        # GOVERN_<NAME> values are read as JSON where they parse
        ("", {"GOVERN_SESSION_COOKIE_SECURE": "false"}, "SESSION_COOKIE_SECURE", False),
        ("", {"GOVERN_MAX_CONTENT_LENGTH": "1024"}, "MAX_CONTENT_LENGTH", 1024),
        ("", {"GOVERN_ADMIN_EMAILS": '["a@example.nhs.uk"]'}, "ADMIN_EMAILS", ["a@example.nhs.uk"]),
        ("", {"GOVERN_SERVICE_NAME": "not json"}, "SERVICE_NAME", "not json"),
        # DATABASE_URL, with the common PostgreSQL spellings normalised to psycopg 3
        ('SQLALCHEMY_DATABASE_URI = "sqlite:////srv/govern.db"\n', {"DATABASE_URL": "sqlite:////tmp/env.db"},
         "SQLALCHEMY_DATABASE_URI", "sqlite:////tmp/env.db"),
        ("", {"DATABASE_URL": "postgres://u:p@db.example:5432/govern"}, "SQLALCHEMY_DATABASE_URI",
         "postgresql+psycopg://u:p@db.example:5432/govern"),
        ("", {"DATABASE_URL": "postgresql://u@db.example/govern"}, "SQLALCHEMY_DATABASE_URI",
         "postgresql+psycopg://u@db.example/govern"),
        ("", {"DATABASE_URL": "postgresql+psycopg://u@db.example/govern"}, "SQLALCHEMY_DATABASE_URI",
         "postgresql+psycopg://u@db.example/govern"),
        # a URL given in instance/config.py is normalised too
        ('SQLALCHEMY_DATABASE_URI = "postgres://u@db.example/govern"\n', {}, "SQLALCHEMY_DATABASE_URI",
         "postgresql+psycopg://u@db.example/govern"),
    ],
)
def test_instance_file_then_environment(
    make_app: Callable[..., Flask],
    instance: Path,
    monkeypatch: pytest.MonkeyPatch,
    instance_file: str,
    environment: dict[str, str],
    setting: str,
    expected: object,
) -> None:
    (instance / "config.py").write_text(instance_file)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = make_app(instance=instance)
    assert app.config[setting] == expected


def test_the_test_configuration_has_the_last_word(
    make_app: Callable[..., Flask], instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/govern")
    app = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/other.db"}, instance=instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/other.db"


def test_a_secret_key_is_generated_into_the_instance_folder_on_first_run(
    make_app: Callable[..., Flask], instance: Path
) -> None:
    app = make_app(instance=instance)
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == app.config["SECRET_KEY"]
    assert len(app.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_generated_secret_key_is_reused_on_the_next_start(
    make_app: Callable[..., Flask], instance: Path
) -> None:
    first = make_app(instance=instance).config["SECRET_KEY"]
    second = make_app(instance=instance).config["SECRET_KEY"]
    assert second == first


def test_no_key_file_is_written_when_a_secret_key_is_configured(
    make_app: Callable[..., Flask], instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-env")
    make_app(instance=instance)
    assert not (instance / "secret_key").exists()


def test_a_missing_instance_folder_is_created(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    folder = tmp_path / "new" / "instance"
    make_app(instance=folder)
    assert (folder / "secret_key").is_file()


def test_connections_are_checked_before_use_on_a_database_server_not_on_a_sqlite_file(
    make_app: Callable[..., Flask], instance: Path
) -> None:
    server = make_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "postgresql://u@db.example/govern"},
                      instance=instance)
    assert server.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    sqlite_file = make_app({"SECRET_KEY": "x"}, instance=instance)
    assert sqlite_file.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False


@pytest.mark.real_commits  # reads a connection of the app's own engine
def test_a_sqlite_connection_keeps_a_page_cache_large_enough_for_the_lists(app: Flask) -> None:
    from sqlalchemy import text

    from govern.extensions import SQLITE_CACHE_KIB, db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
