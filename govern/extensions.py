"""Unbound Flask extensions, bound to the app in :func:`govern.create_app`."""

import sqlite3
from typing import Any

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


#: SQLite's page cache per connection, in KiB (its default is 2 MB). Pooled connections live across
#: requests: with the default, a list or count over a large table read most pages from the operating
#: system again on every request (half of a calendar poll's time at 10,000 disputes). Grows only as used.
SQLITE_CACHE_KIB = 64 * 1024


@event.listens_for(Engine, "connect")
def _sqlite_cache(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def read(statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a read-only Core statement on the request's own connection and transaction, after flushing
    what the session holds (as the session's own ``execute`` would), and return the result.

    For the statements every page runs (the header's, a list's): built once at import with
    ``bindparam`` placeholders, so a request neither builds them again nor works out their cache key,
    and past the ORM layer they do not need (plain rows, no objects). On this machine a small query
    costs about 60 microseconds this way against 370 built afresh through the session; a page runs
    eight of them. A statement that must load ORM objects still goes through ``db.session``.

    Take many rows with ``.all()`` (one fetch): iterating the result fetches a row at a time, which for
    the register's 400 cells cost more than the query."""
    session = db.session()
    session._autoflush()  # what Session.execute does first (none inside no_autoflush or a flush)
    return session.connection().execute(statement, params or {})


def include_for(dialect: str) -> Any:
    """An Alembic ``include_object`` hook that leaves out a model's schema item declared for another
    database only (``Index(...).ddl_if(dialect=...)``, as ``ix_case_deadline_open_due`` is): without
    it, autogenerate would compare one database's index with the other's declaration."""

    def include(obj: Any, _name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
        only = getattr(obj, "_ddl_if", None)  # SQLAlchemy keeps ddl_if's condition here
        return reflected or type_ != "index" or only is None or only.dialect in (None, dialect)

    return include
