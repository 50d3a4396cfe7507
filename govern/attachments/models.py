"""A supporting paper attached to a case (a dispute or a PDEG recommendation).

The file itself lives outside the web root under a name the server chose (see
:mod:`govern.attachments.storage`); this row holds what the user sees and what the server needs to
serve it safely: the type detected from the content, never the one the browser claimed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govern.cases.models import CaseKind
from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db

if TYPE_CHECKING:
    from govern.auth.models import User


class Attachment(db.Model):
    """One uploaded file, belonging to one case. Papers share their case's privacy (DOMAIN.md)."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_case", "case_kind", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_kind: Mapped[CaseKind] = mapped_column(enum_column_type(CaseKind, "case_kind"))
    case_id: Mapped[int]
    #: The user's file name, cleaned (no path, no control or bidi characters) and with the extension
    #: of the detected type: shown on the page and used as the download name.
    original_filename: Mapped[str] = mapped_column(String(255))
    #: A random token the server chose; the only thing that ever goes into a path.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    description: Mapped[str] = mapped_column(String(500), default="")

    uploaded_by: Mapped[User] = relationship(lazy="raise")  # the list joins it (attachments_for)

    @property
    def type_label(self) -> str:
        """What kind of paper it is, in words ('PDF', 'Excel spreadsheet')."""
        from govern.attachments.filetypes import ACCEPTED

        return next((kind.label for kind in ACCEPTED if kind.mime == self.content_type), "File")
