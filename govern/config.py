"""Configuration: defaults here, then ``instance/config.py``, then environment variables.

Environment variables: ``DATABASE_URL`` and ``SECRET_KEY`` by their usual names, and any other
setting as ``GOVERN_<NAME>`` (values are read as JSON where they parse, e.g. ``GOVERN_SESSION_COOKIE_SECURE=false``).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask


class Defaults:
    """Settings used when nothing else says otherwise."""

    # pool_pre_ping (a "SELECT 1" before each request's first query, so a connection the database
    # server dropped is replaced, not failed on) is for a database server: load_config turns it off for
    # a SQLite file, which has no connection to lose, and where it was one statement in six of a page.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SESSION_COOKIE_NAME = "govern_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    # Largest attachment, stated to users; below MAX_CONTENT_LENGTH so the clear message wins.
    # UPLOAD_FOLDER defaults to <instance>/uploads (govern.attachments.storage.configure).
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    PREFERRED_URL_SCHEME = "https"
    PROPAGATE_EXCEPTIONS = False
    TRAP_HTTP_EXCEPTIONS = False
    # None: "Govern — " and the partnership's short name from its agreement file.
    SERVICE_NAME: str | None = None
    # Email (govern.notify.sender). With no MAIL_SERVER, mail is written to instance/mail/*.eml
    # (MAIL_BACKEND "files"); set MAIL_SERVER (and MAIL_BACKEND "smtp" if you like) to send it.
    MAIL_BACKEND: str | None = None
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USE_SSL = False  # TLS from the start (usually port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "govern@localhost"
    MAIL_TIMEOUT = 10
    MAIL_MAX_ATTEMPTS = 20  # then the message is marked failed for administrators (about a day of retries)
    MAIL_RETRY_BASE_SECONDS = 60  # first retry after a minute, doubling each time ...
    MAIL_RETRY_MAX_SECONDS = 3600  # ... up to an hour between attempts
    MAIL_BATCH = 500  # messages claimed and sent over one SMTP connection, recorded in one commit
    TICK_MAIL_BUDGET_SECONDS = 240  # tick sends batch after batch until the outbox is empty or this has passed
    # Board packs with more decisions than this are made in the background by tick, never in a request.
    BOARD_PACK_INLINE_MAX = 30
    TICK_PACK_BUDGET_SECONDS = 600  # tick starts no new pack after this
    # Health (govern.ops.health): /healthz answers 503, and `flask health` fails, when the last sweep is
    # older than this (three missed five-minute ticks); `flask health` also when mail waits longer than this.
    HEALTH_SWEEP_MAX_AGE_SECONDS = 900
    HEALTH_MAIL_MAX_DELAY_SECONDS = 1800
    # Logs: "text", or "json" for one JSON object a line with the request id (govern.ops.logs).
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    # The address people reach the app at, for every absolute link: emails, calendar feeds, the OIDC
    # redirect. Never taken from the request's Host header, which the client chooses.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # Flask refuses requests whose Host is not listed (None: any). Set it in production, e.g.
    # ["govern.example.nhs.uk"]. See README, "Security".
    TRUSTED_HOSTS: list[str] | None = None
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (Werkzeug's ProxyFix).
    # 0 (the default): none is trusted, and the client's address is the TCP peer's.
    TRUSTED_PROXIES = 0
    # The second factor: the name authenticator apps show, and how long a device may be remembered
    # (30 days at most, whatever is set).
    MFA_ISSUER = "Govern"
    MFA_REMEMBER_DAYS = 30
    # Single sign-on with OpenID Connect, per organisation code (see govern/auth/sso.py and README).
    SSO_PROVIDERS: dict[str, dict[str, Any]] = {}
    # Say so on a production server (GOVERN_PRODUCTION=true): `flask demo` then refuses to run at all.
    PRODUCTION = False
    # The audit chain (govern.audit): AUDIT_KEY (hex) keys its hashes, else instance/audit_key;
    # AUDIT_SIGNING_KEY (hex Ed25519 seed) signs its checkpoints, else instance/audit_signing_key.
    AUDIT_KEY: str | None = None
    AUDIT_SIGNING_KEY: str | None = None
    AUDIT_CHECKPOINT_FILE: str | None = None  # default instance/audit_checkpoints.jsonl
    AUDIT_CHECKPOINT_RECIPIENTS: list[str] = []  # who receives each checkpoint by mail
    AUDIT_CHECKPOINT_PUBLIC_KEYS: list[str] = []  # further keys whose checkpoints verify accepts
    AUDIT_CHECKPOINT_HOURS = 24


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in order: defaults, instance file, environment, then ``test_config``."""
    app.config.from_object(Defaults)
    instance = Path(app.instance_path)
    _private_folder(instance)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'govern.sqlite3'}"
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("GOVERN")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    _private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])


def _private_folder(path: Path) -> None:
    """Make ``path`` (the instance folder: database, keys, mail) readable by its owner only."""
    created = not path.exists()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if created or (path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid()):
        os.chmod(path, 0o700)


def _private_sqlite_file(url: str) -> None:
    """A SQLite database holds every dispute: create it readable by its owner only (SQLite gives its
    journal and WAL files the database file's permissions), and tighten one made before this rule."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix):] in ("", ":memory:") or "mode=memory" in url:
        return
    path = Path(url[len(prefix):].split("?", 1)[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
            os.chmod(path, 0o600)


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common ``postgres://`` forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(path: Path) -> str:
    """Read the secret key from ``instance/``, generating it on first run (never committed)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        # O_EXCL: if two processes start together, one writes and the other reads its key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key
