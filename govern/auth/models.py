"""Accounts and roles.

Every user belongs to an organisation. The STP Leader is not a role but an assignment that
PDEG can move to another person (clause 6.3), so it lives in its own table.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup


class Role(StrEnum):
    """What an account does for its organisation."""

    PARTNER_CEO = "partner_ceo"
    DEPUTY = "deputy"
    BOARD_SECRETARY = "board_secretary"
    PDEG_SECRETARIAT = "pdeg_secretariat"
    GROUP_CHAIR = "group_chair"
    ADMINISTRATOR = "administrator"
    SYSTEM_LEADERSHIP = "system_leadership"

    @property
    def title(self) -> str:
        """Plain-English name of the role, as users see it."""
        return ROLE_TITLES[self]

    @property
    def acts_for_organisation(self) -> bool:
        """Officers who may act for their organisation in a dispute (clause 10.3; Schedule 8
        preamble: parties represent themselves, no legal representation)."""
        return self in (Role.PARTNER_CEO, Role.DEPUTY)


ROLE_TITLES = {
    Role.PARTNER_CEO: "Partner chief executive",
    Role.DEPUTY: "Deputy (clause 10.3)",
    Role.BOARD_SECRETARY: "Board secretary",
    Role.PDEG_SECRETARIAT: "PDEG secretariat",
    Role.GROUP_CHAIR: "Chair of a subordinate group",
    Role.ADMINISTRATOR: "Administrator",
    Role.SYSTEM_LEADERSHIP: "System leadership",
}


class User(UserMixin, db.Model):
    """A person with an account."""

    __tablename__ = "user_account"
    __table_args__ = (Index("ix_user_account_organisation_role", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    job_title: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "user_role"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("subordinate_group.id"), default=None, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Second factor (TOTP, RFC 6238). The secret is set once the person has proved their app works;
    # the last accepted time step stops a code from being used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    totp_last_step: Mapped[int | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    group: Mapped[SubordinateGroup | None] = relationship(lazy="joined")

    # Set by the session loader: the server-side session this request runs under.
    session_token = None  # str | None; not a column

    def get_id(self) -> str | None:
        """Flask-Login stores the server-side session token, not the user id, in the cookie,
        so that logging out or disabling the account ends the session for good."""
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """A disabled account cannot log in."""
        return self.active

    @property
    def is_administrator(self) -> bool:
        """Manages organisations and accounts."""
        return self.role is Role.ADMINISTRATOR

    @property
    def is_stp_leader(self) -> bool:
        """Holds the STP Leader assignment now (clause 6)."""
        return current_stp_leader_id() == self.id

    @property
    def has_password(self) -> bool:
        """False until the person has set one through their invitation link."""
        return bool(self.password_hash)

    @property
    def has_mfa(self) -> bool:
        """The person has set up an authenticator app."""
        return self.totp_secret is not None and self.totp_enabled_at is not None

    @property
    def mfa_required(self) -> bool:
        """Administrators and whoever holds the STP Leader assignment must use a second factor."""
        return self.is_administrator or self.is_stp_leader

    def can_manage_accounts(self) -> bool:
        """Only administrators add, change and disable accounts."""
        return self.is_administrator

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserSession(db.Model):
    """A server-side login session. The cookie only carries its token."""

    __tablename__ = "user_session"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """One attempt to log in, kept to throttle password guessing across every app server."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "attempted_at"),
        Index("ix_login_attempt_ip_at", "ip_address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    succeeded: Mapped[bool]


class TokenPurpose(StrEnum):
    """What an emailed single-use link is for."""

    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password


class AccountToken(db.Model):
    """A single-use, expiring link sent by mail: an invitation to set a first password, or a reset.

    Only a SHA-256 digest of the token is stored, so a copy of the database opens no account.
    """

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column_type(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app, stored as a digest."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RememberedDevice(db.Model):
    """A browser excused from the second factor until ``expires_at`` (or until revoked).

    The browser holds a cookie signed with the app's key naming the user and a random token; only
    the token's digest is stored, and a device counts only while this row is live.
    """

    __tablename__ = "remembered_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class StpLeaderAssignment(db.Model):
    """Who holds the STP Leader role, from when, and on whose authority (clause 6.1, 6.3)."""

    __tablename__ = "stp_leader_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    authority: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)

    user: Mapped[User] = relationship(lazy="joined")


_LEADER_ID = (select(StpLeaderAssignment.user_id).where(StpLeaderAssignment.ended_at.is_(None))
              .order_by(StpLeaderAssignment.started_at.desc()).limit(1))


def current_stp_leader_assignment() -> StpLeaderAssignment | None:
    """The assignment in force now, if any (its user's id is then kept for the request, as
    :func:`current_stp_leader_id` keeps it: one query, not two, when a page asks both)."""
    from flask import g, has_app_context

    if has_app_context() and "stp_leader_assignment" in g:
        kept = g.stp_leader_assignment
        if kept is None or (kept in db.session and not kept.ended_at):
            return kept  # type: ignore[no-any-return]
    assignment = db.session.scalars(
        select(StpLeaderAssignment)
        .where(StpLeaderAssignment.ended_at.is_(None))
        .order_by(StpLeaderAssignment.started_at.desc())
    ).first()
    if has_app_context():
        g.stp_leader_id = assignment.user_id if assignment else None
        g.stp_leader_assignment = assignment
    return assignment


def current_stp_leader_id() -> int | None:
    """The id of the user who is STP Leader now, cached for the request (every page's header asks)."""
    from flask import g, has_app_context

    from govern.extensions import read

    if has_app_context() and "stp_leader_id" in g:
        return g.stp_leader_id
    leader_id = read(_LEADER_ID).scalar()
    if has_app_context():
        g.stp_leader_id = leader_id
    return leader_id
