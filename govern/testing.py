"""Helpers for tests and browser tests: a fresh schema, a clean database, quick password hashing.

Tests build the schema from the models (``create_all``); the migrations are checked against the
models by their own test. Nothing here is used by the running application.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import create_engine, delete, insert, make_url, text

from govern.audit.models import GENESIS_HASH, AuditHead
from govern.auth import passwords
from govern.extensions import db


def use_fast_password_hashing() -> None:
    """Argon2 with the cheapest parameters: tests create many accounts."""
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("no such account")


def _insert_audit_head() -> None:
    db.session.execute(insert(AuditHead).values(id=1, seq=0, last_hash=GENESIS_HASH))


def create_schema() -> None:
    """Drop and create every table, with the audit chain's head row."""
    db.drop_all()
    db.create_all()
    _insert_audit_head()
    db.session.commit()


def clean_database() -> None:
    """Empty every table fast (TRUNCATE on PostgreSQL) and put back the audit head row."""
    db.session.rollback()
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(delete(table))
    _insert_audit_head()
    db.session.commit()
    # A checkpoint describes the chain just emptied: it goes with it.
    from govern.audit.checkpoints import checkpoint_file

    checkpoint_file().unlink(missing_ok=True)


def prepare_database(app: Flask) -> None:
    """A fresh schema loaded with the demo (for the browser tests' live server)."""
    from govern.partnership.demo import load_demo

    use_fast_password_hashing()
    with app.app_context():
        create_schema()
        load_demo()
        db.session.commit()


def derived_database_url(url: str, suffix: str) -> str:
    """A sibling database for a separate purpose (browser tests, migration tests).

    For PostgreSQL, ``<name>_<suffix>`` on the same server, created if missing. For SQLite,
    ``<file>-<suffix>.sqlite3`` beside the original (or in-memory stays in-memory).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        name = f"{parsed.database}_{suffix}"
        ensure_postgres_database(parsed.set(database=name).render_as_string(hide_password=False))
        return parsed.set(database=name).render_as_string(hide_password=False)
    if not parsed.database or parsed.database == ":memory:":
        return url
    return parsed.set(database=parsed.database.rsplit(".", 1)[0] + f"-{suffix}.sqlite3").render_as_string(
        hide_password=False
    )


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def drop_postgres_database(url: str) -> None:
    """Drop the PostgreSQL database named in ``url`` (used to test migrations from nothing)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def logged_in_client(app: Flask, email: str, password: str) -> Iterator[object]:
    """A test client logged in through the real login page."""
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    if response.status_code != 302:
        raise AssertionError(f"login as {email} failed: {response.status_code}")
    yield client
