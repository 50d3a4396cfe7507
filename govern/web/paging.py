"""Lists a page at a time, by keyset: "the 50 rows after this one", read from an index.

An offset ("skip 9,950 rows") costs more the further a person reads and shifts when rows are added;
a keyset cursor (the sort values of the last row shown, in the "next page" address) costs the same
on every page and never repeats or skips a row. Counts come from the database (``COUNT(*)``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from flask import request, url_for
from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from govern.extensions import db, read

PAGE_SIZE = 50

T = TypeVar("T")
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, how many rows match in all, and where the next page starts."""

    items: list[T]
    total: int
    next_cursor: str | None
    is_first: bool

    def next_url(self) -> str | None:
        """This page's address with the cursor of the next page (other arguments kept), or None."""
        if self.next_cursor is None:
            return None
        return _here(after=self.next_cursor)

    def first_url(self) -> str | None:
        """The first page's address, unless this is it."""
        return None if self.is_first else _here(after=None)


def _here(**changes: str | None) -> str:
    args = {k: v for k, v in request.args.items() if v}
    args.update(changes)
    args = {k: v for k, v in args.items() if v is not None}
    assert request.endpoint is not None
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def encode(key: Key) -> str:
    """A cursor for the address: the last row's sort values, as URL-safe text."""
    values = [{"d": v.isoformat()} if isinstance(v, datetime) else {"D": v.isoformat()} if isinstance(v, date)
              else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None) -> Key | None:
    """The sort values in a cursor; None for no cursor or one that does not read (then: the first page)."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return tuple(
            datetime.fromisoformat(v["d"]) if isinstance(v, dict) and "d" in v
            else date.fromisoformat(v["D"]) if isinstance(v, dict) and "D" in v else v
            for v in values
        )
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        return None


def count(query: Select[Any]) -> int:
    """How many rows the query (without its order) matches, counted by the database."""
    return int(db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def keyset(
    query: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    key_of: Callable[[Any], Key],
    *,
    descending: bool = False,
    cursor: str | None = None,
    size: int = PAGE_SIZE,
    scalars: bool = True,
    counted: bool = True,
    count_query: Select[Any] | None = None,
) -> Page[Any]:
    """The page of ``query`` after ``cursor``, ordered by ``keys`` (all non-null and unique together;
    the last is usually the id) in one direction. Two queries: the rows (one more than a page, to
    know whether there is a next page) and the count (unless ``counted`` is False): of ``count_query``
    where given, a query matching the same rows more cheaply (without joins that only add columns)."""
    after = decode(cursor)
    paged = query
    if after is not None and len(after) == len(keys):
        # Typed parameters: the columns' own types store the values (UTC datetimes, say).
        row, last = tuple_(*keys), tuple_(*[bindparam(None, v, type_=k.type) for k, v in zip(keys, after, strict=True)])
        paged = paged.where(row < last if descending else row > last)
    order = [k.desc() for k in keys] if descending else list(keys)
    paged = paged.order_by(*order).limit(size + 1)
    result = db.session.execute(paged)
    rows = list(result.scalars() if scalars else result)
    total = count(query if count_query is None else count_query) if counted else min(len(rows), size)
    return _page(rows, total, key_of, size, after is None)


def _page(rows: list[Any], total: int, key_of: Callable[[Any], Key], size: int, first: bool) -> Page[Any]:
    """A page of the rows read (one more than ``size`` if there is a next page)."""
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, total, encode(key_of(rows[-1])) if more and rows else None, first)


@dataclass(frozen=True)
class Statements:
    """A keyset list's statements, built once with placeholders (see :func:`prebuilt`)."""

    first: Select[Any]
    after: Select[Any]
    count: Select[Any]
    width: int
    size: int


def prebuilt(query: Select[Any], keys: Sequence[ColumnElement[Any]], *, descending: bool = False,
             count_query: Select[Any] | None = None, size: int = PAGE_SIZE) -> Statements:
    """:func:`keyset`'s statements for ``query``, built once: its first page, a page after a cursor (the
    cursor's values as the parameters ``keyset_0``, ``keyset_1`` ...) and its count. For a list read on
    every visit whose query takes its values as ``bindparam`` s: building a statement and working out
    its cache key costs more than running a small one (see :func:`govern.extensions.read`). Run with
    :func:`keyset_of`; plain rows, not ORM objects."""
    order = [k.desc() for k in keys] if descending else list(keys)
    row = tuple_(*keys)
    last = tuple_(*[bindparam(f"keyset_{i}", type_=k.type) for i, k in enumerate(keys)])
    return Statements(
        first=query.order_by(*order).limit(size + 1),
        after=query.where(row < last if descending else row > last).order_by(*order).limit(size + 1),
        count=select(func.count()).select_from((query if count_query is None else count_query).subquery()),
        width=len(keys), size=size,
    )


def keyset_of(statements: Statements, params: dict[str, Any], key_of: Callable[[Any], Key],
              cursor: str | None = None) -> Page[Any]:
    """The page after ``cursor`` of a list whose statements were :func:`prebuilt`, with ``params`` for
    their placeholders: what :func:`keyset` gives for the same query, without building it again."""
    after = decode(cursor)
    if after is not None and len(after) == statements.width:
        rows = read(statements.after, {**params, **{f"keyset_{i}": v for i, v in enumerate(after)}}).all()
    else:
        after = None
        rows = read(statements.first, params).all()
    total = int(read(statements.count, params).scalar() or 0)
    return _page(rows, total, key_of, statements.size, after is None)
