"""The tick's heartbeat: when each of its jobs last ran, for the dashboard, ``/healthz`` and ``health``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from govern.core.types import UTCDateTime
from govern.extensions import db


class Heartbeat(db.Model):
    """The last time a periodic job finished (``sweep``), with a few figures about that run."""

    __tablename__ = "heartbeat"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
