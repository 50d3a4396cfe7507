"""Column types shared by the models."""

from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps the offset itself; SQLite has no timezone support, so we store naive UTC
    and put the UTC tzinfo back when reading. Naive datetimes are refused so local time can never
    be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use govern.core.clock.now()")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column_type(enum_cls: type[Enum], name: str) -> SAEnum:
    """A portable Enum column type: VARCHAR plus a CHECK constraint listing the values."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def as_jsonable(value: Any) -> Any:
    """Turn a column value into something JSON can hold, for audit change records."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class StateText(TypeDecorator[Any]):
    """A case's state as text, checked against its agreement by the engine rather than by a CHECK
    constraint (each agreement has its own states). ``enum_cls``: the app's own Python names for the
    states of a flow it knows, returned where the text is one of them."""

    impl = String(60)
    cache_ok = True

    def __init__(self, enum_cls: type[Enum] | None = None) -> None:
        super().__init__()
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """Store the state's name."""
        return None if value is None else str(getattr(value, "value", value))

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        """Give back the app's name for a state it knows, else the text."""
        if value is None or self.enum_cls is None:
            return value
        try:
            return self.enum_cls(value)
        except ValueError:
            return value
