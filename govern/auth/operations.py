"""Operations on accounts and sessions. Each writes its audit event and never commits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import g
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from govern.audit import chain
from govern.auth.models import LoginAttempt, Role, StpLeaderAssignment, User, UserSession
from govern.auth.passwords import MIN_PASSWORD_LENGTH, check_password, hash_password
from govern.core import clock
from govern.core.errors import OperationError
from govern.core.text import single_line
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup

# Throttling: these many failures within the window lock further attempts until it passes.
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
THROTTLE_WINDOW = timedelta(minutes=15)
SESSION_IDLE_LIMIT = timedelta(hours=8)
SESSION_ABSOLUTE_LIMIT = timedelta(hours=12)

USER_FIELDS = ("email", "name", "job_title", "organisation_id", "role", "group_id", "active")


class LoginRefused(OperationError):
    """Wrong email or password, a disabled account, or too many attempts."""


def normalise_email(email: str) -> str:
    """Emails compare without case or surrounding spaces."""
    return email.strip().lower()


def _check_account_fields(
    *, email: str, role: Role, organisation: Organisation | None, group: SubordinateGroup | None,
    user_id: int | None = None,
) -> None:
    if organisation is None:
        raise OperationError("Choose the organisation this person works for.", field="organisation_id")
    if role is Role.GROUP_CHAIR and group is None:
        raise OperationError("Choose the subordinate group this person chairs.", field="group_id")
    existing = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if existing is not None and existing.id != user_id:
        raise OperationError("An account with this email address already exists.", field="email")


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperationError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.", field="password"
        )


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    organisation: Organisation | None,
    role: Role,
    group: SubordinateGroup | None = None,
    job_title: str = "",
    actor: User | None = None,
) -> User:
    """Add an account."""
    email = normalise_email(email)
    _check_account_fields(email=email, role=role, organisation=organisation, group=group)
    _check_password_strength(password)
    user = User(
        email=email,
        name=single_line(name),  # a name goes into calendars and mail headers: one line
        job_title=single_line(job_title),
        password_hash=hash_password(password),
        organisation_id=organisation.id,  # type: ignore[union-attr]
        role=role,
        group_id=group.id if group is not None and role is Role.GROUP_CHAIR else None,
        active=True,
        created_at=clock.now(),
    )
    db.session.add(user)
    db.session.flush()
    chain.record("create_user", "user", user.id, chain.diff({}, chain.snapshot(user, USER_FIELDS)), actor=actor)
    return user


def update_user(
    user: User,
    *,
    email: str,
    name: str,
    job_title: str,
    organisation: Organisation | None,
    role: Role,
    group: SubordinateGroup | None,
    actor: User,
    new_password: str = "",
) -> User:
    """Change an account's details (and optionally set a new password)."""
    email = normalise_email(email)
    _check_account_fields(email=email, role=role, organisation=organisation, group=group, user_id=user.id)
    before = chain.snapshot(user, USER_FIELDS)
    user.email = email
    user.name = single_line(name)
    user.job_title = single_line(job_title)
    user.organisation_id = organisation.id  # type: ignore[union-attr]
    user.role = role
    user.group_id = group.id if group is not None and role is Role.GROUP_CHAIR else None
    changes = chain.diff(before, chain.snapshot(user, USER_FIELDS))
    if new_password:
        _check_password_strength(new_password)
        user.password_hash = hash_password(new_password)
        changes["password"] = ["(unchanged)", "(reset)"]
        _end_sessions(user)
    db.session.flush()
    chain.record("update_user", "user", user.id, changes, actor=actor)
    return user


def set_user_active(user: User, active: bool, *, actor: User) -> User:
    """Disable or re-enable an account. Disabling ends every open session at once."""
    if user.id == actor.id and not active:
        raise OperationError("You cannot disable your own account.")
    if user.active == active:
        return user
    user.active = active
    if not active:
        _end_sessions(user)
    db.session.flush()
    action = "enable_user" if active else "disable_user"
    chain.record(action, "user", user.id, {"active": [not active, active]}, actor=actor)
    return user


def _end_sessions(user: User) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=clock.now())
    )


@dataclass(frozen=True)
class Throttle:
    """Whether a login may be tried now."""

    locked: bool
    retry_after_minutes: int = 0


def login_throttle(email: str, ip_address: str) -> Throttle:
    """Too many recent failures for this account or this address lock out further tries."""
    since = clock.now() - THROTTLE_WINDOW
    failures = (LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since)
    by_email = db.session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(LoginAttempt.email == email, *failures)
    ).one()
    by_ip = db.session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.ip_address == ip_address, *failures
        )
    ).one()
    for (count, first), limit in ((by_email, FAILURES_PER_ACCOUNT), (by_ip, FAILURES_PER_ADDRESS)):
        if count >= limit:
            wait = first + THROTTLE_WINDOW - clock.now()
            return Throttle(True, max(1, int(wait.total_seconds() // 60) + 1))
    return Throttle(False)


def log_in(email: str, password: str, ip_address: str) -> User:
    """Check the credentials and open a server-side session.

    Returns the user with ``session_token`` set; raises :class:`LoginRefused` with a message that
    does not reveal whether the account exists.
    """
    email = normalise_email(email)
    throttle = login_throttle(email, ip_address)
    if throttle.locked:
        raise LoginRefused(
            "Too many failed attempts to log in. "
            f"Wait {throttle.retry_after_minutes} minutes and try again."
        )
    user = db.session.scalar(select(User).where(User.email == email))
    ok = check_password(user.password_hash if user else None, password) and user is not None and user.active
    db.session.add(LoginAttempt(email=email, ip_address=ip_address, attempted_at=clock.now(), succeeded=ok))
    if not ok or user is None:
        db.session.flush()
        raise LoginRefused("Enter a correct email address and password. Disabled accounts cannot log in.")
    token = secrets.token_urlsafe(32)
    moment = clock.now()
    db.session.add(UserSession(token=token, user_id=user.id, created_at=moment, last_seen_at=moment))
    db.session.flush()
    chain.record("log_in", "user", user.id, {}, actor=user)
    user.session_token = token
    return user


def log_out(user: User) -> None:
    """End the user's current session on the server, so a replayed cookie is refused."""
    if user.session_token:
        db.session.execute(
            update(UserSession).where(UserSession.token == user.session_token).values(ended_at=clock.now())
        )
        chain.record("log_out", "user", user.id, {}, actor=user)


def load_session(token: str) -> User | None:
    """The user behind a live session token, or None if it ended, expired or the account is disabled."""
    row = db.session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token == token, UserSession.ended_at.is_(None))
    ).first()
    if row is None:
        return None
    session_row, user = row
    moment = clock.now()
    if (
        not user.active
        or moment - session_row.last_seen_at > SESSION_IDLE_LIMIT
        or moment - session_row.created_at > SESSION_ABSOLUTE_LIMIT
    ):
        return None
    # Touch at most once a minute: a write on every request would serialise readers on SQLite.
    # In its own short transaction: a request that only reads (a GET) never commits the request's
    # session, so a touch made there would be rolled back and an active user would be logged out
    # 8 hours after logging in.
    if moment - session_row.last_seen_at > timedelta(minutes=1):
        with db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.token == token).values(last_seen_at=moment))
        set_committed_value(session_row, "last_seen_at", moment)
    user.session_token = token
    return user


def assign_stp_leader(user: User, *, authority: str, actor: User) -> StpLeaderAssignment:
    """Move the STP Leader role to ``user`` on the authority of a PDEG process (clause 6.3)."""
    authority = authority.strip()
    if not authority:
        raise OperationError(
            "Give the PDEG authority for the change, for example the minute reference (clause 6.3).",
            clause="6.3",
            field="authority",
        )
    if not user.active:
        raise OperationError("A disabled account cannot be made STP Leader.", field="user_id")
    moment = clock.now()
    current = db.session.scalars(
        select(StpLeaderAssignment).where(StpLeaderAssignment.ended_at.is_(None))
    ).all()
    previous_id = None
    for assignment in current:
        previous_id = assignment.user_id
        assignment.ended_at = moment
    assignment = StpLeaderAssignment(user_id=user.id, authority=authority, started_at=moment)
    db.session.add(assignment)
    db.session.flush()
    g.pop("stp_leader_id", None)
    chain.record(
        "assign_stp_leader",
        "stp_leader_assignment",
        assignment.id,
        {"user_id": [previous_id, user.id], "authority": [None, authority]},
        actor=actor,
    )
    return assignment
