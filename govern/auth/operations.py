"""Operations on accounts and sessions. Each writes its audit event and never commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import bindparam, func, insert, select, update

from govern.audit import chain
from govern.auth import mfa, sso
from govern.auth.models import (
    AccountToken,
    LoginAttempt,
    Role,
    StpLeaderAssignment,
    TokenPurpose,
    User,
    UserSession,
)
from govern.auth.passwords import check_password, hash_password, password_problem
from govern.core import clock
from govern.core.errors import OperationError
from govern.core.text import single_line
from govern.extensions import db
from govern.notify.models import OutboxMessage, OutboxStatus
from govern.partnership.models import Organisation, SubordinateGroup
from govern.web.urls import public_url

# Throttling (ASVS 6.3.1): failures are counted per account AND source address, and each further
# failure doubles the wait before the next try from that pair. Nothing locks an account: a guesser
# elsewhere slows only himself, and the owner, from their own address, is never kept out.
FREE_FAILURES_PER_PAIR = 3  # then 1 s, 2 s, 4 s ... up to MAX_DELAY
FREE_FAILURES_PER_SOURCE = 20  # one address trying many accounts (credential stuffing)
MAX_DELAY = timedelta(minutes=15)
THROTTLE_WINDOW = timedelta(hours=1)
SESSION_IDLE_LIMIT = timedelta(hours=8)
SESSION_ABSOLUTE_LIMIT = timedelta(hours=12)
# Links sent by mail: an invitation gives a week to act; a reset link an hour (ASVS 6.4.1).
INVITATION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 3

USER_FIELDS = ("email", "name", "job_title", "organisation_id", "role", "group_id", "active")


class LoginRefused(OperationError):
    """Wrong email or password, a disabled account, or too many attempts."""


class SecondFactorRequired(OperationError):
    """The password was right; the person must now give a code (or first set up their app)."""

    def __init__(self, user: User, *, enrol: bool) -> None:
        super().__init__("Enter the code from your authenticator app.")
        self.user = user
        self.enrol = enrol


def normalise_email(email: str) -> str:
    """Emails compare without case or surrounding spaces."""
    return email.strip().lower()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


def check_password_strength(password: str, *, user: User | None = None, field: str = "password") -> None:
    """Refuse a password that is too short or too easy to guess (zxcvbn score under 3)."""
    inputs = (user.name, user.email, user.email.split("@")[0]) if user is not None else ()
    problem = password_problem(password, user_inputs=inputs)
    if problem:
        raise OperationError(problem, field=field)


def _queue_mail(to_address: str, subject: str, body: str) -> None:
    now = clock.now()
    signature = f"\n\n-- \n{current_app.config['SERVICE_NAME']}\n"
    db.session.execute(
        insert(OutboxMessage),
        [{"to_address": to_address, "subject": subject, "body": body + signature,
          "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now,
          "last_error": ""}],
    )


def _issue_token(user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """A new single-use link token; any earlier unused one of the same purpose stops working."""
    now = clock.now()
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_digest(token), created_at=now,
                                expires_at=now + lifetime))
    return token


def _send_invitation(user: User) -> None:
    organisation = db.session.get(Organisation, user.organisation_id)
    provider = sso.provider_for(organisation)
    if provider is not None and not provider.local_passwords:
        _queue_mail(
            user.email, "Your Govern account",
            f"Hello {user.name},\n\nAn account has been made for you in Govern. Sign in with {provider.name} at\n"
            f"{public_url('/login')}",
        )
        return
    token = _issue_token(user, TokenPurpose.INVITATION, INVITATION_LIFETIME)
    _queue_mail(
        user.email, "Set up your Govern account",
        f"Hello {user.name},\n\nAn account has been made for you in Govern. Choose your password here within "
        f"{INVITATION_LIFETIME.days} days (the link works once):\n{public_url('/invitation/' + token)}\n\n"
        "If you did not expect this, ignore this message.",
    )


def invitation_link(user: User) -> str:
    """Issue a fresh invitation and return its link, for ``flask users create --show-link`` when the
    operator sets up the first administrator before mail works. Not offered on any page."""
    return public_url("/invitation/" + _issue_token(user, TokenPurpose.INVITATION, INVITATION_LIFETIME))


def create_user(
    *,
    email: str,
    name: str,
    organisation: Organisation | None,
    role: Role,
    group: SubordinateGroup | None = None,
    job_title: str = "",
    actor: User | None = None,
    password: str | None = None,
) -> User:
    """Add an account and send the person an invitation link by which they set their own password.

    ``password`` is for the published demo accounts and tests only: no page or command passes one,
    so no administrator ever chooses or learns a password.
    """
    email = normalise_email(email)
    _check_account_fields(email=email, role=role, organisation=organisation, group=group)
    user = User(
        email=email,
        name=single_line(name),
        job_title=single_line(job_title),
        password_hash="",
        organisation_id=organisation.id,  # type: ignore[union-attr]
        role=role,
        group_id=group.id if group is not None and role is Role.GROUP_CHAIR else None,
        active=True,
        created_at=clock.now(),
    )
    if password is not None:
        check_password_strength(password, user=user)
        user.password_hash = hash_password(password)
        user.password_changed_at = user.created_at
    db.session.add(user)
    db.session.flush()
    changes = chain.diff({}, chain.snapshot(user, USER_FIELDS))
    if password is None:
        _send_invitation(user)
        changes["invitation"] = [None, "sent"]
    chain.record("create_user", "user", user.id, changes, actor=actor)
    return user


def resend_invitation(user: User, *, actor: User) -> None:
    """Send a new invitation link (the old one stops working) to a person who has not set a password."""
    if user.has_password:
        raise OperationError(f"{user.name} has already set a password; they can reset it from the login page.")
    if not user.active:
        raise OperationError("Enable the account before sending an invitation.")
    _send_invitation(user)
    chain.record("resend_invitation", "user", user.id, {"invitation": [None, "sent"]}, actor=actor)


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
) -> User:
    """Change an account's details. Passwords are the person's own: see :func:`change_password`."""
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


def _end_sessions(user: User, *, keep: str | None = None) -> None:
    condition = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep:
        condition.append(UserSession.token != keep)
    db.session.execute(update(UserSession).where(*condition).values(ended_at=clock.now()))


# --- passwords ----------------------------------------------------------------------------------


def change_password(user: User, *, current: str, new: str) -> None:
    """The person changes their own password, giving the current one. Their other sessions end."""
    if not check_password(user.password_hash, current):
        raise OperationError("Your current password is not right.", field="current_password")
    if check_password(user.password_hash, new):
        raise OperationError("Choose a password different from your current one.", field="new_password")
    check_password_strength(new, user=user, field="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = clock.now()
    _end_sessions(user, keep=user.session_token)
    mfa.revoke_devices(user)
    db.session.flush()
    chain.record("change_password", "user", user.id, {"password": ["(old)", "(changed)"]}, actor=user)


def request_password_reset(email: str) -> None:
    """Mail a single-use reset link if an active account with a password has this address.

    Says nothing either way (the page answers the same), and writes nothing for an unknown address.
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active or not sso.local_passwords_allowed(user.organisation):
        return
    recent = db.session.scalar(
        select(func.count()).select_from(AccountToken).where(
            AccountToken.user_id == user.id, AccountToken.purpose == TokenPurpose.PASSWORD_RESET,
            AccountToken.created_at > clock.now() - RESET_LIFETIME,
        )
    )
    if (recent or 0) >= RESETS_PER_HOUR:
        return  # enough mail for one hour: the page cannot be used to flood someone's inbox
    token = _issue_token(user, TokenPurpose.PASSWORD_RESET, RESET_LIFETIME)
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    _queue_mail(
        user.email, "Reset your Govern password",
        f"Hello {user.name},\n\nSomeone (we hope you) asked to reset your Govern password. Choose a new one here "
        f"within {minutes} minutes (the link works once):\n{public_url('/password/reset/' + token)}\n\n"
        "If it was not you, ignore this message: your password has not changed.",
    )
    db.session.flush()
    chain.record("request_password_reset", "user", user.id, {}, actor=None)


def valid_token(token: str, purpose: TokenPurpose) -> AccountToken | None:
    """The unused, unexpired link token of this purpose for an active account, or None."""
    row = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == _digest(token), AccountToken.purpose == purpose)
    )
    if row is None or row.used_at is not None or row.expires_at <= clock.now() or not row.user.active:
        return None
    return row


def set_password_with_link(token: str, purpose: TokenPurpose, new: str) -> User:
    """Set a password through an invitation or reset link; the link is spent and every session ends."""
    row = valid_token(token, purpose)
    if row is None:
        raise OperationError("This link has expired or has already been used.")
    user = row.user
    check_password_strength(new, user=user, field="new_password")
    now = clock.now()
    # Spent by a guarded UPDATE, so two tabs submitting the same link cannot both succeed.
    spent = db.session.execute(
        update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None)).values(used_at=now)
    )
    if spent.rowcount != 1:
        raise OperationError("This link has expired or has already been used.")
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    _end_sessions(user)
    mfa.revoke_devices(user)
    db.session.flush()
    action = "accept_invitation" if purpose is TokenPurpose.INVITATION else "reset_password"
    chain.record(action, "user", user.id, {"password": ["(old)", "(set)"]}, actor=user)
    return user


# --- throttling -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """Whether a login may be tried now, from this address for this account."""

    locked: bool
    retry_after_seconds: int = 0

    @property
    def wait_text(self) -> str:
        """How long to wait, in words."""
        if self.retry_after_seconds < 60:
            return f"{self.retry_after_seconds} second{'s' if self.retry_after_seconds != 1 else ''}"
        minutes = -(-self.retry_after_seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _delay(failures: int, free: int) -> timedelta:
    if failures < free:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** min(failures - free, 20)))


def login_throttle(email: str, ip_address: str) -> Throttle:
    """How long this (account, address) pair, and this address, must wait before the next try.

    Failures count from the last success of the pair (or the window's start); the wait runs from
    the last failure.
    """
    now = clock.now()
    since = now - THROTTLE_WINDOW
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.email == email, LoginAttempt.ip_address == ip_address, LoginAttempt.succeeded.is_(True),
            LoginAttempt.attempted_at >= since,
        )
    )
    pair = db.session.execute(
        select(func.count(), func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.email == email, LoginAttempt.ip_address == ip_address, LoginAttempt.succeeded.is_(False),
            LoginAttempt.attempted_at >= max(since, last_success or since),
        )
    ).one()
    source = db.session.execute(
        select(func.count(), func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.ip_address == ip_address, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since
        )
    ).one()
    waits: list[datetime] = []
    for (count, last), free in ((pair, FREE_FAILURES_PER_PAIR), (source, FREE_FAILURES_PER_SOURCE)):
        delay = _delay(count, free)
        if delay and last is not None:
            waits.append(last + delay)
    until = max(waits, default=now)
    if until > now:
        return Throttle(True, max(1, int((until - now).total_seconds() + 0.999)))
    return Throttle(False)


def _refuse_if_throttled(email: str, ip_address: str) -> None:
    throttle = login_throttle(email, ip_address)
    if throttle.locked:
        raise LoginRefused(
            f"Too many failed attempts to log in from here. Wait {throttle.wait_text} and try again."
        )


def _record_attempt(email: str, ip_address: str, ok: bool) -> None:
    db.session.add(LoginAttempt(email=email, ip_address=ip_address[:64], attempted_at=clock.now(), succeeded=ok))


# --- logging in -----------------------------------------------------------------------------------


def _open_session(user: User, changes: dict[str, object]) -> User:
    token = secrets.token_urlsafe(32)
    moment = clock.now()
    db.session.add(UserSession(token=token, user_id=user.id, created_at=moment, last_seen_at=moment))
    db.session.flush()
    chain.record("log_in", "user", user.id, changes, actor=user)
    user.session_token = token
    return user


def log_in(email: str, password: str, ip_address: str, *, remembered_device: str | None = None) -> User:
    """Check the password and open a server-side session.

    Returns the user with ``session_token`` set. Raises :class:`LoginRefused` with a message that
    does not reveal whether the account exists, or :class:`SecondFactorRequired` when the password
    was right and a code is needed (no session is opened then). ``remembered_device``: the
    browser's signed remembered-device cookie, which stands in for the code while it is valid.
    """
    email = normalise_email(email)
    _refuse_if_throttled(email, ip_address)
    user = db.session.scalar(select(User).where(User.email == email))
    ok = check_password(user.password_hash if user else None, password) and user is not None and user.active
    if not ok or user is None:
        _record_attempt(email, ip_address, False)
        db.session.flush()
        raise LoginRefused("Enter a correct email address and password. Disabled accounts cannot log in.")
    provider = sso.provider_for(user.organisation)
    if provider is not None and not provider.local_passwords:
        raise LoginRefused(f"{user.organisation.short_name} signs in with {provider.name}: use the button below.")
    if user.has_mfa or user.mfa_required:
        if user.has_mfa and mfa.device_is_remembered(user, remembered_device):
            _record_attempt(email, ip_address, True)
            return _open_session(user, {"method": "password", "second_factor": "remembered_device"})
        # Not a success yet: a success would start the failure count again, and someone who knows the
        # password could then guess codes without ever waiting.
        raise SecondFactorRequired(user, enrol=not user.has_mfa)
    _record_attempt(email, ip_address, True)
    return _open_session(user, {})  # a password alone: nothing more to say


def log_in_with_second_factor(
    user: User, code: str, ip_address: str, *, method: str = "password", remember: bool = False
) -> tuple[User, str | None]:
    """The second step: a code from the app (or a recovery code) opens the session.

    Returns the user (session open) and, if ``remember``, the signed cookie value that excuses this
    browser from the code until it expires or is revoked.
    """
    _refuse_if_throttled(user.email, ip_address)
    used = mfa.accept_code(user, code)
    _record_attempt(user.email, ip_address, used is not None)
    if used is None:
        db.session.flush()
        raise LoginRefused("That code is not right, or it has been used already. Try the newest code.",
                           field="code")
    cookie = mfa.remember_device(user) if remember else None
    return _open_session(user, {"method": method, "second_factor": used, "device_remembered": remember}), cookie


def log_in_setting_up_second_factor(
    user: User, secret: str, code: str, ip_address: str, *, method: str = "password"
) -> tuple[User, list[str]]:
    """For a person who must use a second factor and has none yet: prove the new app works, then log
    in. Returns the user (session open) and their new recovery codes, to be shown once."""
    _refuse_if_throttled(user.email, ip_address)
    ok = mfa.code_matches(secret, code)
    _record_attempt(user.email, ip_address, ok)
    if not ok:
        db.session.flush()
        raise LoginRefused("That code is not right. Check the time on your phone is set automatically.", field="code")
    codes = mfa.turn_on(user, secret, code)
    _open_session(user, {"method": method, "second_factor": "totp", "totp_enabled": [False, True]})
    return user, codes


def log_in_with_sso(user: User, ip_address: str, *, provider: str) -> User:
    """Open a session for a person the organisation's identity provider vouched for (see
    :mod:`govern.auth.sso`). A second factor is still asked of those who must use one."""
    if user.mfa_required or user.has_mfa:
        raise SecondFactorRequired(user, enrol=not user.has_mfa)  # not a success yet (see log_in)
    _record_attempt(user.email, ip_address, True)
    return _open_session(user, {"method": "sso", "provider": provider})


def log_out(user: User) -> None:
    """End the user's current session on the server, so a replayed cookie is refused."""
    if user.session_token:
        db.session.execute(
            update(UserSession).where(UserSession.token == user.session_token).values(ended_at=clock.now())
        )
        chain.record("log_out", "user", user.id, {}, actor=user)


#: Every signed-in request's first query (built once: see ``govern.extensions.read``).
_LIVE_SESSION = (select(UserSession.created_at, UserSession.last_seen_at, User)
                 .join(User, User.id == UserSession.user_id)
                 .where(UserSession.token == bindparam("token"), UserSession.ended_at.is_(None)))


def load_session(token: str) -> User | None:
    """The user behind a live session token, or None if it ended, expired or the account is disabled."""
    row = db.session.execute(_LIVE_SESSION, {"token": token}).first()
    if row is None:
        return None
    created_at, last_seen_at, user = row
    moment = clock.now()
    if (
        not user.active
        or moment - last_seen_at > SESSION_IDLE_LIMIT
        or moment - created_at > SESSION_ABSOLUTE_LIMIT
    ):
        return None
    # Touch at most once a minute: a write on every request would serialise readers on SQLite.
    # In its own short transaction: a request that only reads (a GET) never commits the request's
    # session, so a touch made there would be rolled back and an active user would be logged out
    # 8 hours after logging in.
    if moment - last_seen_at > timedelta(minutes=1):
        with db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.token == token).values(last_seen_at=moment))
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
    g.pop("stp_leader_assignment", None)
    chain.record(
        "assign_stp_leader",
        "stp_leader_assignment",
        assignment.id,
        {"user_id": [previous_id, user.id], "authority": [None, authority]},
        actor=actor,
    )
    return assignment
