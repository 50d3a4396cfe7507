"""A loaded version of an agreement file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govern.core.types import UTCDateTime
from govern.extensions import db


class AgreementVersion(db.Model):
    """The text of one version of an agreement file, exactly as loaded (its SHA-256 is ``digest``).

    Rows are never changed: a case refers to the version it started under for as long as it runs.
    """

    __tablename__ = "agreement_version"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_agreement_version_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None, index=True)
