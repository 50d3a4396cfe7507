"""Keeping ``search_document`` current, in the same transaction as every change it reflects.

After each flush, the rows of the searched tables that were added, changed or deleted have their
documents written again (:func:`refresh`), through the flush's own connection: a search never sees a
change that was rolled back, nor misses one that was committed. ``flask --app govern search rebuild``
writes every document again (after an upgrade, or after rows were written in bulk without the ORM).

On SQLite an external-content FTS5 table, ``search_fts`` (title, body; the ``porter`` stemmer), is kept
by triggers on ``search_document``; on PostgreSQL the ``english`` tsvector is stored in
``search_document.search_vector`` under a GIN index. Both are created by the migration for their
dialect, and by ``create_all`` (tests) through the listeners at the end of this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import DDL, Connection, delete, event, insert, select, text
from sqlalchemy.orm import Session

from govern.cases.models import CaseEvent, CaseKind
from govern.disputes.models import Dispute, DisputeMaterial
from govern.partnership.models import Organisation
from govern.pdeg.models import AgendaItem, PdegMeeting, Ratification, Recommendation
from govern.search.models import SearchDocument

#: Highlight marks: private-use characters, removed from every indexed text so only the search puts them.
MARK_START, MARK_END = "\ue000", "\ue001"
_UNSAFE = re.compile(r"[\ue000\ue001\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}([T ][\d:.+\-Z]*)?")

#: SQLite: the FTS5 table over ``search_document`` and the triggers that keep it.
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, body, content='search_document', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_fts",
)
#: SQLite: the triggers alone (a bulk rebuild goes without them, then has FTS5 read the table in one pass).
SQLITE_TRIGGERS = SQLITE_DDL[1:]
SQLITE_DROP_TRIGGERS = SQLITE_DROP[:3]
#: PostgreSQL: the weighted tsvector of a document (title A, body B), in the ``english`` configuration,
#: computed in the INSERT from the row's own values (``vector_title``, ``vector_body``: the same text).
PG_VECTOR = ("setweight(to_tsvector('english'::regconfig, coalesce(CAST(:vector_title AS text), '')), 'A') || "
             "setweight(to_tsvector('english'::regconfig, coalesce(CAST(:vector_body AS text), '')), 'B')")


def is_fts_table(name: str) -> bool:
    """SQLite's FTS5 table and its shadow tables: not in the models, made by the migration."""
    return name == "search_fts" or name.startswith("search_fts_")


def clean(value: str | None) -> str:
    """Text as indexed: without the highlight marks or control characters."""
    return _UNSAFE.sub(" ", value or "")


def _texts(value: Any) -> Iterator[str]:
    """The words in an event's data: its strings, not its dates, numbers or identifiers."""
    if isinstance(value, str):
        if value.strip() and not _ISO_MOMENT.fullmatch(value.strip()):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def _year(moment: date | datetime | None) -> int:
    return moment.year if moment is not None else 0


def _words(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _doc(source: str, source_id: int, kind: str, year: int, title: str, body: str, *, label: str = "",
         dispute_id: int | None = None, recommendation_id: int | None = None,
         meeting_id: int | None = None) -> dict[str, Any]:
    return {"source": source, "source_id": source_id, "kind": kind, "year": year, "label": label[:200],
            "title": clean(title), "body": clean(body), "dispute_id": dispute_id,
            "recommendation_id": recommendation_id, "meeting_id": meeting_id}


# --- one builder per source: the documents of these source rows ------------------------------------


@dataclass(frozen=True)
class Span:
    """Source rows by id from ``first`` to ``last`` (a rebuild's batch): one range, not thousands of ids."""

    first: int
    last: int


#: Which source rows: these ids (the rows a flush changed), or a span of them.
Wanted = list[int] | Span


def _where(column: Any, wanted: Wanted) -> Any:
    return column.between(wanted.first, wanted.last) if isinstance(wanted, Span) else column.in_(wanted)


def _disputes(conn: Connection, ids: Wanted) -> list[dict[str, Any]]:
    rows = conn.execute(select(Dispute.id, Dispute.reference, Dispute.title, Dispute.negotiation_account,
                               Dispute.created_at).where(_where(Dispute.id, ids)))
    return [_doc("dispute", r.id, "dispute", _year(r.created_at), f"{r.reference}: {r.title}", r.negotiation_account,
                 dispute_id=r.id) for r in rows]


def _materials(conn: Connection, ids: Wanted) -> list[dict[str, Any]]:
    rows = conn.execute(select(DisputeMaterial.id, DisputeMaterial.dispute_id, DisputeMaterial.key,
                               DisputeMaterial.text, DisputeMaterial.updated_at).where(_where(DisputeMaterial.id, ids)))
    return [_doc("material", r.id, "paper", _year(r.updated_at), _words(r.key), r.text, label=r.key,
                 dispute_id=r.dispute_id) for r in rows if (r.text or "").strip()]


def _case_events(conn: Connection, ids: Wanted) -> list[dict[str, Any]]:
    rows = conn.execute(select(CaseEvent.id, CaseEvent.case_kind, CaseEvent.case_id, CaseEvent.name, CaseEvent.data,
                               CaseEvent.occurred_at)
                        .where(_where(CaseEvent.id, ids),
                               CaseEvent.case_kind.in_([CaseKind.DISPUTE, CaseKind.RATIFICATION]))).all()
    boards = {r.id: r for r in conn.execute(
        select(Ratification.id, Ratification.recommendation_id, Organisation.name)
        .join(Organisation, Organisation.id == Ratification.organisation_id)
        .where(Ratification.id.in_([r.case_id for r in rows if r.case_kind == CaseKind.RATIFICATION])))}
    docs = []
    for r in rows:
        body = "\n".join(_texts(r.data or {}))
        if not body:
            continue
        if r.case_kind == CaseKind.DISPUTE:
            docs.append(_doc("case_event", r.id, "dispute", _year(r.occurred_at), _words(r.name), body, label=r.name,
                             dispute_id=r.case_id))
        elif r.case_id in boards:
            board = boards[r.case_id]
            docs.append(_doc("case_event", r.id, "board", _year(r.occurred_at), f"{board.name}: {_words(r.name)}",
                             body, label=board.name, recommendation_id=board.recommendation_id))
    return docs


def _recommendations(conn: Connection, ids: Wanted) -> list[dict[str, Any]]:
    rows = conn.execute(select(Recommendation.id, Recommendation.reference, Recommendation.title,
                               Recommendation.summary, Recommendation.decision_sought, Recommendation.amendment,
                               Recommendation.created_at).where(_where(Recommendation.id, ids)))
    return [_doc("recommendation", r.id, "decision", _year(r.created_at), f"{r.reference}: {r.title}",
                 "\n".join(t for t in (r.summary, r.decision_sought, r.amendment) if t), recommendation_id=r.id)
            for r in rows]


def _agenda_items(conn: Connection, ids: Wanted) -> list[dict[str, Any]]:
    rows = conn.execute(select(AgendaItem.id, AgendaItem.recommendation_id, AgendaItem.meeting_id,
                               AgendaItem.minute_reference, AgendaItem.reasons, AgendaItem.amendment,
                               PdegMeeting.title, PdegMeeting.meeting_date)
                        .join(PdegMeeting, PdegMeeting.id == AgendaItem.meeting_id).where(_where(AgendaItem.id, ids)))
    return [_doc("agenda_item", r.id, "meeting", _year(r.meeting_date),
                 f"{r.title} minute {r.minute_reference}".strip(), "\n".join(t for t in (r.reasons, r.amendment) if t),
                 label=r.title, recommendation_id=r.recommendation_id, meeting_id=r.meeting_id)
            for r in rows if r.minute_reference or r.reasons or r.amendment]


def _meetings(conn: Connection, ids: Wanted) -> list[dict[str, Any]]:
    rows = conn.execute(select(PdegMeeting.id, PdegMeeting.title, PdegMeeting.meeting_date)
                        .where(_where(PdegMeeting.id, ids)))
    return [_doc("pdeg_meeting", r.id, "meeting", _year(r.meeting_date), r.title, "", meeting_id=r.id) for r in rows]


Builder = Callable[[Connection, Wanted], list[dict[str, Any]]]

#: Each source: its model (whose changes are heard) and its builder.
SOURCES: dict[str, tuple[type, Builder]] = {
    "dispute": (Dispute, _disputes),
    "material": (DisputeMaterial, _materials),
    "case_event": (CaseEvent, _case_events),
    "recommendation": (Recommendation, _recommendations),
    "agenda_item": (AgendaItem, _agenda_items),
    "pdeg_meeting": (PdegMeeting, _meetings),
}
_SOURCE_OF_MODEL = {model: name for name, (model, _builder) in SOURCES.items()}


def _insert(conn: Connection, docs: list[dict[str, Any]]) -> None:
    """Write these documents, many rows to a statement; on PostgreSQL with their tsvector, in the same
    INSERT (on SQLite the FTS5 table follows by its triggers, or by the rebuild's one pass)."""
    if not docs:
        return
    table = SearchDocument.__table__
    if conn.dialect.name == "postgresql":
        conn.execute(insert(table).values(search_vector=text(PG_VECTOR)),
                     [{**d, "vector_title": d["title"], "vector_body": d["body"]} for d in docs])
    else:
        conn.execute(insert(table), docs)


def refresh(conn: Connection, changed: dict[str, set[int]]) -> None:
    """Write again the documents of these source rows (those deleted, or with no text, disappear)."""
    table = SearchDocument.__table__
    for source, ids in changed.items():
        if not ids:
            continue
        wanted = sorted(ids)
        conn.execute(delete(table).where(table.c.source == source, table.c.source_id.in_(wanted)))
        _insert(conn, SOURCES[source][1](conn, wanted))


def rebuild(conn: Connection, batch: int = 5000) -> int:
    """Every document written again from the source tables, in one transaction (the caller commits;
    searches meanwhile see the old documents). Returns how many there are.

    In bulk: each source is read a batch of ids at a time by its builder (the same as for one change)
    and written many rows to a statement. On SQLite the triggers that keep the FTS5 table row by row
    are dropped for the while, and the FTS5 table is rebuilt from the documents in one pass, then the
    triggers are made again (SQLite's schema changes are part of the transaction: if anything fails,
    the triggers are back as they were). On PostgreSQL the tsvector is computed in the INSERT."""
    table = SearchDocument.__table__
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # Python's sqlite3 begins a transaction only before a row is written, and runs schema changes
        # outside one: begin it here (taking the write lock), so the triggers come back on any failure.
        raw = conn.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        for statement in SQLITE_DROP_TRIGGERS:
            conn.exec_driver_sql(statement)
    conn.execute(delete(table))
    for model, builder in SOURCES.values():
        last = 0
        while True:
            ids = list(conn.scalars(select(model.id).where(model.id > last).order_by(model.id).limit(batch)))
            if not ids:
                break
            _insert(conn, builder(conn, Span(ids[0], ids[-1])))
            last = ids[-1]
    if sqlite:
        conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        for statement in SQLITE_TRIGGERS:
            conn.exec_driver_sql(statement)
    return int(conn.scalar(select(text("count(*)")).select_from(table)) or 0)


def _changed_sources(objects: Iterable[object]) -> dict[str, set[int]]:
    changed: dict[str, set[int]] = {}
    for obj in objects:
        source = _SOURCE_OF_MODEL.get(type(obj))
        ident = getattr(obj, "id", None)
        if source is not None and ident is not None:
            changed.setdefault(source, set()).add(int(ident))
    return changed


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    """Documents follow their rows inside the same transaction."""
    changed = _changed_sources([*session.new, *session.dirty, *session.deleted])
    if changed:
        refresh(session.connection(), changed)


# --- the dialect's full-text machinery, made with the table (tests' create_all) ---------------------


for statement in SQLITE_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(statement).execute_if(dialect="sqlite"))
for statement in SQLITE_DROP:
    event.listen(SearchDocument.__table__, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
