"""The second factor: TOTP (RFC 6238) codes from an authenticator app, single-use recovery codes,
and remembered devices.

Nothing is kept in the process: the secret and the last accepted time step are on the user's row,
recovery codes and remembered devices in their tables (as SHA-256 digests: each is a random value
of 50 bits or more, so a slow hash adds nothing), and a remembered device's cookie is signed with
the app's key and names both the user and a server-side record that can be revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import pyotp
import segno
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from govern.audit import chain
from govern.auth.models import RecoveryCode, RememberedDevice, User
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db

STEP_SECONDS = 30
# One step either side: phones drift, and a code typed as it changes should still work.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# Without 0/O and 1/I/L, so a code read from paper is typed right.
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REMEMBER_COOKIE = "govern_device"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    """A fresh TOTP secret (160 bits, base32), not yet stored: it is kept only once proved."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["MFA_ISSUER"])


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG ``data:`` URI, which the Content-Security-Policy allows (img-src data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=4, light="white")


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _matching_step(secret: str, code: str) -> int | None:
    code = _normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(clock.now().timestamp()) // STEP_SECONDS
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def code_matches(secret: str, code: str) -> bool:
    """True if ``code`` is the app's code for ``secret`` now (give or take one step)."""
    return _matching_step(secret, code) is not None


def accept_code(user: User, code: str) -> str | None:
    """Spend a code: ``"totp"`` or ``"recovery_code"`` if accepted, else None.

    A TOTP code is accepted once only (ASVS 6.5.1): its time step must be later than the last one
    used. A recovery code is marked used by a guarded UPDATE, so it cannot be spent twice at once.
    """
    if not user.has_mfa:
        return None
    step = _matching_step(user.totp_secret or "", code)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return None
        spent = db.session.execute(
            update(User).where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount != 1:
            return None
        user.totp_last_step = step
        return "totp"
    normalised = _normalise(code)
    if len(normalised) != 10:
        return None
    spent = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(normalised),
               RecoveryCode.used_at.is_(None))
        .values(used_at=clock.now())
    )
    return "recovery_code" if spent.rowcount == 1 else None


def _new_recovery_codes(user: User) -> list[str]:
    now = clock.now()
    db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)).values(used_at=now)
    )
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(c), created_at=now) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def unused_recovery_codes(user: User) -> int:
    """How many recovery codes the person has left."""
    return len(db.session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all())


def turn_on(user: User, secret: str, code: str) -> list[str]:
    """Store a proved secret and issue recovery codes; no audit event (the caller's operation writes it)."""
    step = _matching_step(secret, code)
    if step is None:
        raise OperationError("That code is not right. Check the time on your phone is set automatically.",
                             field="code")
    user.totp_secret = secret
    user.totp_enabled_at = clock.now()
    user.totp_last_step = step
    return _new_recovery_codes(user)


def enable_mfa(user: User, secret: str, code: str) -> list[str]:
    """A signed-in person sets up their authenticator app. Returns recovery codes to show once."""
    if user.has_mfa:
        raise OperationError("You have already set up an authenticator app.")
    codes = turn_on(user, secret, code)
    db.session.flush()
    chain.record("enable_mfa", "user", user.id, {"totp_enabled": [False, True]}, actor=user)
    return codes


def disable_mfa(user: User, code: str) -> None:
    """Turn the second factor off, proved by a current code. Not for those who must use one."""
    if user.mfa_required:
        raise OperationError("Administrators and the STP Leader must use an authenticator app.")
    if accept_code(user, code) is None:
        raise OperationError("That code is not right, or it has been used already.", field="code")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
                       .values(used_at=clock.now()))
    revoke_devices(user)
    db.session.flush()
    chain.record("disable_mfa", "user", user.id, {"totp_enabled": [True, False]}, actor=user)


def reset_mfa(user: User, *, actor: User) -> None:
    """An administrator removes a person's authenticator app (a lost phone and no recovery codes left).

    The person sets up a new one at their next sign-in if their role needs one. Their sessions and
    remembered devices end, so whoever has the old phone gains nothing.
    """
    if not user.has_mfa:
        raise OperationError(f"{user.name} has no authenticator app.")
    if user.id == actor.id:
        raise OperationError("Ask another administrator to reset your authenticator app.")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    now = clock.now()
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
                       .values(used_at=now))
    revoke_devices(user)
    from govern.auth.models import UserSession

    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                       .values(ended_at=now))
    db.session.flush()
    chain.record("reset_mfa", "user", user.id, {"totp_enabled": [True, False]}, actor=actor)


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), proved by a current code."""
    if accept_code(user, code) is None:
        raise OperationError("That code is not right, or it has been used already.", field="code")
    codes = _new_recovery_codes(user)
    db.session.flush()
    chain.record("regenerate_recovery_codes", "user", user.id, {}, actor=user)
    return codes


# --- remembered devices -----------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="govern-remembered-device")


def remember_lifetime() -> timedelta:
    """How long a device is excused from the second factor (MFA_REMEMBER_DAYS, 30 at most)."""
    return timedelta(days=min(int(current_app.config["MFA_REMEMBER_DAYS"]), 30))


def remember_device(user: User) -> str:
    """Record a remembered device; returns the signed cookie value for the browser."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(RememberedDevice(user_id=user.id, token_hash=_digest(token), created_at=now,
                                    expires_at=now + remember_lifetime()))
    return _serializer().dumps({"u": user.id, "t": token})


def device_is_remembered(user: User, cookie: str | None) -> bool:
    """True if the cookie is ours, names this user, and its server-side record is live."""
    if not cookie:
        return False
    try:
        payload = _serializer().loads(cookie, max_age=int(remember_lifetime().total_seconds()))
    except BadSignature:
        return False
    if not isinstance(payload, dict) or payload.get("u") != user.id or not isinstance(payload.get("t"), str):
        return False
    row = db.session.scalar(select(RememberedDevice).where(RememberedDevice.token_hash == _digest(payload["t"])))
    return (
        row is not None and row.user_id == user.id and row.revoked_at is None and row.expires_at > clock.now()
    )


def revoke_devices(user: User) -> int:
    """Forget every remembered device of this person (no audit event: the caller writes it)."""
    result = db.session.execute(
        update(RememberedDevice)
        .where(RememberedDevice.user_id == user.id, RememberedDevice.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return result.rowcount or 0


def forget_devices(user: User) -> int:
    """The person forgets every remembered device: each must give a code again."""
    count = revoke_devices(user)
    db.session.flush()
    chain.record("forget_devices", "user", user.id, {"devices_forgotten": count}, actor=user)
    return count
