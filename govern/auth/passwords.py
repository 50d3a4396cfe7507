"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash("no such account")

MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored_hash``; spends the same time when there is no hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
