"""Send each reminder once: a ledger row per reminder, inserted with ON CONFLICT DO NOTHING.

Two sweeps at once (two servers running ``tick``) both try to insert; the table's unique constraint
lets one win, and only the rows a sweep inserted become notices and emails (as ``govern.deadlines.sweep``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from govern.extensions import db


def insert_once(table: Table, rows: list[dict[str, Any]], constraint: str, returning: Sequence[str]) -> list[tuple]:
    """Insert the rows not there yet; return ``returning`` of each row this call inserted."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(constraint=constraint)
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - the app supports PostgreSQL and SQLite
        raise RuntimeError(f"unsupported database {dialect}")
    statement = statement.returning(*(table.c[name] for name in returning))
    won: list[tuple] = []
    for start in range(0, len(rows), 1000):
        won += [tuple(row) for row in db.session.execute(statement, rows[start:start + 1000]).all()]
    return won
