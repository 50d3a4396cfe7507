"""Searching: ranked, highlighted, filtered by kind and year, a page at a time, and only what the
person may see.

Access is decided by the functions the pages use, never written again here: the database is asked only
for documents outside any dispute or in a dispute :func:`visible_disputes_query` gives the person (the
dispute list's own query), and every candidate is then checked with the model's ``can_view`` (and, for
papers, ``can_view_papers``) before it is shown. Candidates come in rank order, a batch at a time, so a
page costs a bounded number of queries whatever the data.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import bindparam, column, or_, select, table, text
from sqlalchemy.orm import selectinload

from govern.disputes.models import Dispute, DisputeParty, PanelMember
from govern.disputes.presenters import visible_disputes_query
from govern.extensions import db
from govern.pdeg.models import PdegMeeting, Recommendation
from govern.search.index import MARK_END, MARK_START
from govern.search.models import KINDS, SearchDocument

PAGE_SIZE = 20
#: Candidates read per query, and at most how many queries of them a page reads.
BATCH = 60
MAX_BATCHES = 4
#: Candidates checked against the models' rules at a time (those a page needs, but no fewer than this).
CHECK_AT_LEAST = BATCH // 3
MAX_QUERY = 200

#: SQLite's FTS5 table over ``search_document`` (made by the migration; see govern.search.index).
FTS = table("search_fts", column("rowid"))

_WORD = re.compile(r"\w+", re.UNICODE)
_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def fts5_query(query: str) -> str:
    """The person's words as an FTS5 expression, as PostgreSQL's ``websearch_to_tsquery`` reads them:
    words are all required, "quoted words" are a phrase, ``or`` between two terms allows either, and a
    leading ``-`` excludes. Every term is re-quoted from its word characters alone, so nothing typed can
    be FTS5 syntax. '' when nothing is left to search for."""
    groups: list[list[str]] = []
    excluded: list[str] = []
    pending_or = False
    for negate, phrase, bare in _TERM.findall(query[:MAX_QUERY]):
        if bare and bare.lower() == "or":
            pending_or = bool(groups)
            continue
        if bare.startswith("-") and len(bare) > 1:
            negate, bare = "-", bare[1:]
        words = _WORD.findall(phrase if phrase or not bare else bare)
        if not words:
            continue
        term = '"' + " ".join(words) + '"'
        if negate:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    if not groups:
        return ""
    expression = " AND ".join(g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")" for g in groups)
    if excluded:
        expression = f"({expression})" + "".join(f" NOT {t}" for t in excluded)
    return expression


def highlighted(value: str) -> Markup:
    """Escape everything, then turn the search's own marks into ``<mark>``."""
    # Markup.replace escapes its arguments unless they are Markup: only these two literals become tags.
    return escape(value).replace(MARK_START, Markup("<mark>")).replace(MARK_END, Markup("</mark>"))


@dataclass(frozen=True)
class Result:
    """One thing found, as the page shows it."""

    kind: str
    kind_title: str
    heading: str
    url: str
    title: Markup
    snippet: Markup
    year: int


@dataclass(frozen=True)
class Results:
    """A page of results and where the next page starts (an opaque position in the ranked list)."""

    items: list[Result]
    next_cursor: str | None
    is_first: bool


def _decode(cursor: str | None) -> int:
    try:
        return max(0, int(base64.urlsafe_b64decode((cursor or "").encode() + b"==").decode() or 0))
    except (ValueError, UnicodeDecodeError):
        return 0


def _encode(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode().rstrip("=")


def _candidates(user: Any, words: str, kinds: list[str], year: int | None, offset: int, limit: int) -> list[Any]:
    """Matching documents the database may return to ``user``, best first."""
    doc = SearchDocument.__table__
    visible = visible_disputes_query(user).with_only_columns(Dispute.id).order_by(None)
    where = [or_(doc.c.dispute_id.is_(None), doc.c.dispute_id.in_(visible))]
    if kinds:
        where.append(doc.c.kind.in_(kinds))
    if year:
        where.append(doc.c.year == year)
    columns = [doc.c.id, doc.c.kind, doc.c.dispute_id, doc.c.recommendation_id, doc.c.meeting_id, doc.c.label,
               doc.c.year]
    params: dict[str, Any] = {"words": words}
    if db.engine.dialect.name == "postgresql":
        query = (
            select(*columns)
            .where(doc.c.search_vector.op("@@")(text("websearch_to_tsquery('english'::regconfig, :words)")), *where)
            .order_by(text("ts_rank(search_document.search_vector, "
                           "websearch_to_tsquery('english'::regconfig, :words)) DESC"), doc.c.id)
        )
    else:
        params["expression"] = fts5_query(words)
        if not params["expression"]:
            return []
        query = (
            select(*columns).select_from(FTS.join(doc, doc.c.id == FTS.c.rowid))
            .where(text("search_fts MATCH :expression"), *where)
            .order_by(text("bm25(search_fts, 4.0, 1.0)"), doc.c.id)
        )
    return list(db.session.execute(query.offset(offset).limit(limit), params))


def _allowed(rows: list[Any], user: Any) -> dict[int, tuple[Any, Dispute | None, Recommendation | None]]:
    """The candidates ``user`` may see, by the models' own rules (``can_view``, ``can_view_papers``)."""
    dispute_ids = {r.dispute_id for r in rows if r.dispute_id}
    rec_ids = {r.recommendation_id for r in rows if r.recommendation_id}
    meeting_ids = {r.meeting_id for r in rows if r.meeting_id}
    # The rules read the parties' and the panel's organisation ids, not the organisations themselves.
    disputes = {d.id: d for d in db.session.scalars(
        select(Dispute).where(Dispute.id.in_(dispute_ids))
        .options(selectinload(Dispute.parties).lazyload(DisputeParty.organisation),
                 selectinload(Dispute.panel).lazyload(PanelMember.organisation)))} if dispute_ids else {}
    recs = {r.id: r for r in db.session.scalars(
        select(Recommendation).where(Recommendation.id.in_(rec_ids)))} if rec_ids else {}
    meetings = {m.id: m for m in db.session.scalars(
        select(PdegMeeting).where(PdegMeeting.id.in_(meeting_ids)))} if meeting_ids else {}
    allowed = {}
    for row in rows:
        dispute, rec, meeting = disputes.get(row.dispute_id or 0), recs.get(row.recommendation_id or 0), \
            meetings.get(row.meeting_id or 0)
        if row.dispute_id:
            ok = dispute is not None and (dispute.can_view_papers(user) if row.kind == "paper"
                                          else dispute.can_view(user))
        else:
            ok = bool(row.recommendation_id or row.meeting_id)
            if row.recommendation_id:
                ok = ok and rec is not None and rec.can_view(user)
            if row.meeting_id:
                ok = ok and meeting is not None and meeting.can_view(user)
        if ok:
            allowed[row.id] = (row, dispute, rec)
    return allowed


def _highlights(ids: list[int], words: str) -> dict[int, tuple[str, str]]:
    """(title, snippet) of each document with the matching words marked, for the page's rows only."""
    if not ids:
        return {}
    if db.engine.dialect.name == "postgresql":
        options = f"StartSel={MARK_START}, StopSel={MARK_END}"
        rows = db.session.execute(text(
            "SELECT id, ts_headline('english', title, q, :whole), "
            "ts_headline('english', body, q, :parts) "
            "FROM search_document, websearch_to_tsquery('english'::regconfig, :words) AS q WHERE id IN :ids"
        ).bindparams(bindparam("ids", expanding=True)), {
            "words": words, "ids": ids, "whole": f"{options}, HighlightAll=true",
            "parts": f"{options}, MaxFragments=2, MaxWords=30, MinWords=12, FragmentDelimiter= … "})
    else:
        rows = db.session.execute(text(
            "SELECT rowid, highlight(search_fts, 0, :start, :end), snippet(search_fts, 1, :start, :end, ' … ', 30) "
            "FROM search_fts WHERE search_fts MATCH :expression AND rowid IN :ids"
        ).bindparams(bindparam("ids", expanding=True)), {
            "start": MARK_START, "end": MARK_END, "expression": fts5_query(words), "ids": ids})
    return {ident: (title or "", snippet or "") for ident, title, snippet in rows}


def _present(row: Any, dispute: Dispute | None, rec: Recommendation | None, marks: tuple[str, str]) -> Result:
    from flask import url_for

    title, snippet = marks
    heading, url = "", ""
    if dispute is not None:
        heading = f"{dispute.reference}: {dispute.title}"
        url = (url_for("disputes.papers", dispute_id=dispute.id) if row.kind == "paper"
               else url_for("disputes.show", dispute_id=dispute.id))
    elif rec is not None:
        heading = f"{rec.reference}: {rec.title}"
        url = url_for("pdeg.recommendation", recommendation_id=rec.id)
    elif row.meeting_id:
        heading = row.label or "PDEG meeting"
        url = url_for("pdeg.meeting", meeting_id=row.meeting_id)
    return Result(kind=row.kind, kind_title=KINDS.get(row.kind, row.kind), heading=heading, url=url,
                  title=highlighted(title), snippet=highlighted(snippet), year=row.year)


def search(user: Any, words: str, *, kinds: list[str] | None = None, year: int | None = None,
           cursor: str | None = None, size: int = PAGE_SIZE) -> Results:
    """One page of what ``user`` may see that matches ``words``, best first."""
    words = (words or "").strip()[:MAX_QUERY]
    kinds = [k for k in (kinds or []) if k in KINDS]
    start = position = _decode(cursor)
    if not words or not getattr(user, "is_authenticated", False):
        return Results([], None, True)
    found: list[tuple[Any, Dispute | None, Recommendation | None]] = []
    more = True
    full = False
    for _ in range(MAX_BATCHES):
        rows = _candidates(user, words, kinds, year, position, BATCH)
        checked = 0
        while checked < len(rows) and not full:
            # Check only as many candidates as the page still needs (and one more, to know where the next
            # page starts), but at least a third of a batch: at most three checks per batch.
            chunk = rows[checked:checked + max(size + 1 - len(found), CHECK_AT_LEAST)]
            allowed = _allowed(chunk, user)
            for row in chunk:
                if row.id in allowed:
                    if len(found) == size:
                        full = True  # the next page starts at this row
                        break
                    found.append(allowed[row.id])
                position += 1
            checked += len(chunk)
        if full:
            break
        if len(rows) < BATCH:
            more = False
            break
    marks = _highlights([row.id for row, _d, _r in found], words)
    items = [_present(row, dispute, rec, marks.get(row.id, ("", ""))) for row, dispute, rec in found]
    return Results(items, _encode(position) if more else None, start == 0)


def years() -> list[int]:
    """The years that documents fall in, newest first, for the filter."""
    return [y for y in db.session.scalars(select(SearchDocument.year).distinct().order_by(SearchDocument.year.desc()))
            if y]
