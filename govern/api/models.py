"""Personal access tokens for the JSON API, and the per-token request counters of its rate limit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govern.auth.models import User
from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db

#: Tokens expire at the end of a local day (the partnership's dates are local dates).
LOCAL = ZoneInfo("Europe/London")


class TokenScope(StrEnum):
    """What a token may do: read, or read and record its Board's decisions (10.6)."""

    READ = "read"
    READ_RECORD = "read+record"

    @property
    def title(self) -> str:
        """The scope as its owner reads it."""
        return SCOPE_TITLES[self]

    @property
    def may_record(self) -> bool:
        """The token may record a Board's decision."""
        return self is TokenScope.READ_RECORD


SCOPE_TITLES = {
    TokenScope.READ: "Read only",
    TokenScope.READ_RECORD: "Read, and record your Board's decisions",
}


class ApiToken(db.Model):
    """A personal access token: only the SHA-256 digest of its secret is kept (the secret is shown once).

    ``prefix`` is the secret's first characters, so its owner can tell tokens apart in a list and in
    their own systems' settings; it is too short to be of use to anyone else."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[TokenScope] = mapped_column(enum_column_type(TokenScope, "api_token_scope"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship()

    @property
    def last_day(self) -> date:
        """The last local day the token works (it expires at the end of it)."""
        return (self.expires_at - timedelta(seconds=1)).astimezone(LOCAL).date()

    def is_usable(self, now: datetime) -> bool:
        """Neither revoked nor expired, and its owner's account is active."""
        return self.revoked_at is None and now < self.expires_at and bool(self.user.active)

    def status(self, now: datetime) -> str:
        """'Active', 'Revoked' or 'Expired', for the owner's list."""
        if self.revoked_at is not None:
            return "Revoked"
        return "Active" if now < self.expires_at else "Expired"

    def can_manage(self, user: Any) -> bool:
        """Only the token's owner sees and revokes it."""
        return bool(user is not None and user.is_authenticated and user.id == self.user_id)


class ApiRateWindow(db.Model):
    """How many requests a token made in one fixed window (the rate limit's shared state: every app
    server counts in the same row, so the limit holds however many servers share the database)."""

    __tablename__ = "api_rate_window"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)
