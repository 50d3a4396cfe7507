"""The searchable documents: one row per dispute, paper, decision, meeting item or Board decision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from govern.extensions import db

#: The kinds of document, as the search page names them, in the order it offers them.
KINDS: dict[str, str] = {
    "dispute": "Disputes",
    "paper": "Papers (written material)",
    "decision": "PDEG decisions",
    "meeting": "PDEG meetings and their minutes",
    "board": "Board decisions",
}


class SearchDocument(db.Model):
    """What is searched for one source row (``source``, ``source_id``), and what decides who may see it:
    the dispute it belongs to, or the PDEG decision (recommendation) it is about.

    On PostgreSQL ``search_vector`` holds the weighted ``english`` tsvector of title and body, under a GIN
    index; on SQLite it stays empty and the FTS5 table ``search_fts`` indexes title and body instead
    (kept by triggers on this table, see :mod:`govern.search.index`).
    """

    __tablename__ = "search_document"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_search_document_source"),
        Index("ix_search_document_dispute", "dispute_id"),
        Index("ix_search_document_kind_year", "kind", "year"),
        Index("ix_search_document_vector", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The table the text comes from: dispute, material, case_event, recommendation, agenda_item, pdeg_meeting.
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    dispute_id: Mapped[int | None] = mapped_column(default=None)
    recommendation_id: Mapped[int | None] = mapped_column(default=None, index=True)
    meeting_id: Mapped[int | None] = mapped_column(default=None)
    year: Mapped[int] = mapped_column()
    #: What the text is (a heading of the written material, a step, a Board), shown with the result.
    label: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    search_vector: Mapped[Any] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"), default=None,
                                               nullable=True)
