"""Helpers for tests and browser tests: a fresh schema, a seeded database, a test rolled back, quick
password hashing.

Tests build the schema from the models (``create_all``); the migrations are checked against the
models by their own test. Nothing here is used by the running application.

Most tests run inside :class:`RolledBack`: the schema and the partnership are seeded once, and each
test runs in one transaction on one connection that is rolled back at its end; the app's and the
views' commits release savepoints inside it. :func:`reset_database` (empty and re-seed, committed)
is for the tests that need real commits or several connections.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, cast

from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, make_url, text

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
    forget_checkpoints()  # a checkpoint describes the chain just emptied: it goes with it


def reset_database() -> None:
    """Empty every table and seed the partnership again, committed: the state every test starts from."""
    from govern.partnership.seed import seed_partnership

    clean_database()
    with db.session.no_autoflush:  # codes are unique: one flush at the end is enough, and fast
        seed_partnership()
    db.session.commit()


def forget_checkpoints() -> None:
    """Remove the audit checkpoint file: a checkpoint describes a chain a test has since rolled back."""
    from govern.audit.checkpoints import checkpoint_file

    checkpoint_file().unlink(missing_ok=True)


class RolledBack:
    """Run tests against ``app``'s database inside a transaction rolled back at the end of each.

    SQLAlchemy's "joining a session into an external transaction" recipe, adapted to Flask-SQLAlchemy 3,
    which gives each application context its own session and chooses the bind from ``db.engines``:
    for the test, ``db.engines[None]`` *is* the test's connection (with its outer transaction begun),
    so every session (the test's, and each request's in its own application context) joins it, and
    with ``join_transaction_mode="create_savepoint"`` a session's ``commit()`` releases a savepoint
    and its ``rollback()`` or ``close()`` rolls back to one: the code under test behaves as it does in
    production, and nothing it does outlives the test. ``with db.engine.begin() as connection:`` (the
    app's own short transactions) becomes a savepoint on the same connection.

    The connection comes from an engine of its own: on SQLite, pysqlite's own transaction handling
    (Python < 3.12) emits no BEGIN before a SELECT and breaks SAVEPOINT, so, as SQLAlchemy's pysqlite
    documentation says, this engine turns it off (``isolation_level = None``) and emits ``BEGIN``
    itself; the app's engine, used by the tests that commit for real, keeps the driver's behaviour.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context():
            db.session.configure(join_transaction_mode="create_savepoint")
            self.engines = cast(MutableMapping[str | None, Any], db.engines)
            self.app_engine: Engine = db.engine
        sqlite = self.app_engine.dialect.name == "sqlite"
        # A server thread in a test (answering the test, one request at a time) may use the connection.
        self.engine = create_engine(self.app_engine.url, connect_args={"check_same_thread": False} if sqlite else {})
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_without_driver_transactions)
            event.listen(self.engine, "begin", _sqlite_begin)
        # In production a session's transaction is the connection's own and emits no SAVEPOINT: these
        # go straight to the driver, so tests that count a page's queries count the same ones.
        dialect: Any = self.engine.dialect
        dialect.do_savepoint = lambda connection, name: _driver_sql(connection, f"SAVEPOINT {name}")
        dialect.do_release_savepoint = lambda connection, name: _driver_sql(connection, f"RELEASE SAVEPOINT {name}")
        dialect.do_rollback_to_savepoint = lambda connection, name: _driver_sql(
            connection, f"ROLLBACK TO SAVEPOINT {name}"
        )

    @contextmanager
    def test(self) -> Iterator[Connection]:
        """One test: its connection, its outer transaction begun, as the app's database; rolled back after."""
        connection = self.engine.connect()
        outer = connection.begin()
        connection.begin = _savepoint_as_transaction(connection)  # type: ignore[method-assign]
        self.engines[None] = connection
        try:
            yield connection
        finally:
            self.engines[None] = self.app_engine
            del connection.begin
            try:
                outer.rollback()
            finally:
                connection.close()

    def dispose(self) -> None:
        """Close the pool of test connections."""
        self.engine.dispose()


def _sqlite_without_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    _driver_sql(connection, "BEGIN")


def _driver_sql(connection: Connection, statement: str) -> None:
    """Run a transaction-control statement on the driver's connection, unseen by SQLAlchemy's events."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _savepoint_as_transaction(connection: Connection) -> Any:
    """``connection.begin`` for code that calls ``db.engine.begin()``: a savepoint, yielding the connection."""

    @contextmanager
    def begin() -> Iterator[Connection]:
        savepoint = connection.begin_nested()
        try:
            yield connection
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()

    return begin


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
