"""The one place the application reads the time.

Tests freeze time with :func:`frozen`; nothing else calls ``datetime.now``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """Return the current moment as a timezone-aware UTC datetime."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def freeze(moment: datetime | None) -> None:
    """Freeze the clock at ``moment`` (aware), or unfreeze it with ``None``."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    _frozen = moment.astimezone(UTC) if moment is not None else None


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Context manager: the clock reads ``moment`` inside the block."""
    previous = _frozen
    freeze(moment)
    try:
        yield
    finally:
        freeze(previous)
