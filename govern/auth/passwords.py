"""Password hashing with Argon2id (argon2-cffi's recommended parameters), and password strength.

Strength is judged by zxcvbn (an estimate of how many guesses a password would take, which knows
common passwords, names, keyboard patterns and repeats) plus a minimum length: ASVS 5.0 asks for
at least 8 characters; we ask for 12, and a zxcvbn score of 3 or more ("safely unguessable").
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()

# Verified against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash("no such account")

MIN_PASSWORD_LENGTH = 12
MIN_STRENGTH_SCORE = 3
# zxcvbn's cost grows with length; nobody needs more, and a huge input would only slow us down.
MAX_PASSWORD_LENGTH = 200


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored_hash``; spends the same time when there is no hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, user_inputs: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why ``password`` is not good enough, in plain English, or None if it will do.

    ``user_inputs``: the person's name and email, which zxcvbn treats as easy guesses.
    """
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        return (
            f"Your password must be at least {MIN_PASSWORD_LENGTH} characters long, "
            "not counting spaces at either end."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Your password must be {MAX_PASSWORD_LENGTH} characters or fewer."
    result = zxcvbn(password, user_inputs=[part for part in user_inputs if part])
    if result["score"] < MIN_STRENGTH_SCORE:
        feedback = result.get("feedback") or {}
        hints = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
        advice = " ".join(hint.rstrip(".") + "." for hint in hints if hint)
        return (
            "Your password is too easy to guess. "
            + (advice + " " if advice else "")
            + "A few unrelated words, like a short sentence only you would think of, work well."
        )
    return None
