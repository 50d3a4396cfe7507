"""Operations on personal access tokens, and the checks every API request passes. None commits
(except :func:`count_request`, whose counter must hold even when the request itself is rolled back).

A token is ``gov_pat_`` followed by 256 random bits: too many to guess, so one SHA-256 digest (no salt,
no slow hash) is enough to keep it unreadable in the database and to find it by an index.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import raiseload

from govern.api.models import LOCAL, ApiRateWindow, ApiToken, TokenScope
from govern.audit import chain
from govern.core import clock
from govern.core.errors import OperationError
from govern.core.text import single_line
from govern.extensions import db
from govern.web import paging

PREFIX = "gov_pat_"
#: The longest a token may live (its owner must choose an expiry date, at most this far ahead).
MAX_LIFETIME = timedelta(days=365)
#: How often a token's "last used" is written: not on every request, to spare the database.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(secret: str) -> str:
    """The SHA-256 of a token's secret, as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just made, with its secret: shown to its owner once, never stored."""

    token: ApiToken
    secret: str


def latest_expiry(today: date) -> date:
    """The last expiry date a token made ``today`` may have."""
    return today + MAX_LIFETIME


def create_token(user: Any, *, name: str, scope: TokenScope, expires_on: date | None) -> NewToken:
    """Make a token for ``user``, valid to the end of ``expires_on`` (local time), at most a year ahead."""
    name = single_line(name)
    if not name:
        raise OperationError("Give the token a name, such as the system that will use it.", field="name")
    if len(name) > 100:
        raise OperationError("The name must be 100 characters or fewer.", field="name")
    now = clock.now()
    today = now.astimezone(LOCAL).date()
    if expires_on is None:
        raise OperationError("Enter the date the token stops working.", field="expires_on")
    if expires_on < today:
        raise OperationError("The expiry date must be today or in the future.", field="expires_on")
    if expires_on > latest_expiry(today):
        last = latest_expiry(today)
        raise OperationError(f"A token can last a year at most: choose a date on or before "
                             f"{last:%a} {last.day} {last:%b %Y}.", field="expires_on")
    secret = PREFIX + secrets.token_urlsafe(32)
    end_of_day = datetime.combine(expires_on + timedelta(days=1), time(0), tzinfo=LOCAL)
    token = ApiToken(user_id=user.id, name=name, scope=scope, digest=digest(secret), prefix=secret[:14],
                     created_at=now, expires_at=end_of_day.astimezone(now.tzinfo))
    db.session.add(token)
    db.session.flush()
    chain.record("create_api_token", "api_token", token.id,
                 {"name": [None, name], "scope": [None, scope.value], "expires_on": [None, expires_on.isoformat()],
                  "user_id": [None, user.id]}, actor=user)
    return NewToken(token, secret)


def revoke_token(token: ApiToken, user: Any) -> ApiToken:
    """Revoke a token at once (its owner only). Revoking one already revoked changes nothing."""
    if not token.can_manage(user):
        raise OperationError("Only the token's owner may revoke it.")
    if token.revoked_at is not None:
        raise OperationError("This token is already revoked.")
    token.revoked_at = clock.now()
    chain.record("revoke_api_token", "api_token", token.id,
                 {"revoked_at": [None, token.revoked_at.isoformat()]}, actor=user)
    return token


def tokens_page(user: Any, cursor: str | None) -> paging.Page[ApiToken]:
    """The user's tokens, newest first, a page at a time."""
    return paging.keyset(select(ApiToken).where(ApiToken.user_id == user.id).options(raiseload("*")),
                         (ApiToken.created_at, ApiToken.id), lambda t: (t.created_at, t.id),
                         descending=True, cursor=cursor)


def token_for(secret: str) -> ApiToken | None:
    """The usable token with this secret, or None (unknown, revoked, expired, or its owner disabled)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == digest(secret)))
    if token is None or not token.is_usable(clock.now()):
        return None
    return token


@dataclass(frozen=True)
class RateCount:
    """Where a token stands against its limit in the current window."""

    count: int
    limit: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        """More requests than the limit in this window."""
        return self.count > self.limit


def count_request(token: ApiToken) -> RateCount:
    """Count one request against ``token``'s fixed window, and note when it was last used.

    On its own connection and transaction, committed at once: the count must hold even if the request
    is rolled back, and the row lock is held only for this one statement. The upsert is atomic on
    PostgreSQL and SQLite alike, so app servers sharing the database never lose a count."""
    seconds = int(current_app.config.get("API_RATE_WINDOW_SECONDS", 60))
    limit = int(current_app.config.get("API_RATE_LIMIT", 600))
    now = clock.now()
    window = int(now.timestamp()) // seconds
    dialect = db.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ApiRateWindow).values(token_id=token.id, window_start=window, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ApiRateWindow.token_id, ApiRateWindow.window_start],
        set_={"count": ApiRateWindow.count + 1},
    ).returning(ApiRateWindow.count)
    with db.engine.begin() as connection:
        count = int(connection.execute(statement).scalar_one())
        if count == 1:  # the first request of a window clears the token's older windows
            connection.execute(delete(ApiRateWindow).where(ApiRateWindow.token_id == token.id,
                                                           ApiRateWindow.window_start < window))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            connection.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    retry_after = max(1, (window + 1) * seconds - int(now.timestamp()))
    return RateCount(count, limit, retry_after)
