"""Is the service doing its work? The tick's last sweep and the outbox, read in one query.

The same figures feed the dashboard and the mail page (:func:`tick_status`, through the
``ops/_tick_status.html`` include), ``/healthz`` (for load balancers) and ``flask --app govern health``
(for monitoring, which exits non-zero when the sweep is stale or mail is failing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from govern.core import clock
from govern.extensions import db
from govern.notify.models import OutboxMessage, OutboxStatus
from govern.ops.models import Heartbeat

SWEEP = "sweep"


@dataclass(frozen=True)
class TickStatus:
    """The last sweep, the mail waiting and failed, and what is wrong (empty when all is well)."""

    now: datetime
    last_sweep_at: datetime | None
    waiting: int
    failed: int
    oldest_waiting_at: datetime | None
    sweep_problems: list[str] = field(default_factory=list)
    mail_problems: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Everything wrong: the sweep first, then mail."""
        return self.sweep_problems + self.mail_problems

    @property
    def sweep_age_seconds(self) -> int | None:
        """Seconds since the last sweep finished (None if there never was one)."""
        return None if self.last_sweep_at is None else int((self.now - self.last_sweep_at).total_seconds())


def record_heartbeat(name: str, detail: dict[str, Any]) -> None:
    """Note that the periodic job ``name`` has just run, in the caller's transaction (one upsert,
    so two ticks on two servers never collide)."""
    table = Heartbeat.__table__
    values = {"name": name, "at": clock.now(), "detail": detail}
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(values)
    db.session.execute(statement.on_conflict_do_update(index_elements=[table.c.name],
                                                       set_={"at": values["at"], "detail": detail}))


def age_words(seconds: float) -> str:
    """'40 seconds', '16 minutes', '1 hour', '3 days'."""
    seconds = max(int(seconds), 0)
    for size, unit in ((86400 * 2, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // (size if unit != "day" else 86400)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def tick_status() -> TickStatus:
    """The tick's state now, with its problems judged against ``HEALTH_SWEEP_MAX_AGE_SECONDS`` and
    ``HEALTH_MAIL_MAX_DELAY_SECONDS``."""
    config = current_app.config
    now = clock.now()
    # One statement: the heartbeat's row and three ranges of the outbox's status index.
    pending, failed_state = OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.status == OutboxStatus.FAILED
    last, waiting, failed, oldest = db.session.execute(select(
        select(Heartbeat.at).where(Heartbeat.name == SWEEP).scalar_subquery(),
        select(func.count()).select_from(OutboxMessage).where(pending).scalar_subquery(),
        select(func.count()).select_from(OutboxMessage).where(failed_state).scalar_subquery(),
        select(func.min(OutboxMessage.created_at)).where(pending).scalar_subquery(),
    )).one()
    sweep: list[str] = []
    if last is None:
        sweep.append("no sweep has run")
    elif (now - last).total_seconds() > float(config.get("HEALTH_SWEEP_MAX_AGE_SECONDS", 900)):
        sweep.append(f"the last sweep was {age_words((now - last).total_seconds())} ago")
    mail: list[str] = []
    failed = int(failed or 0)
    if failed:
        mail.append(f"{failed} message{'' if failed == 1 else 's'} failed (see Mail, /admin/outbox)")
    late = float(config.get("HEALTH_MAIL_MAX_DELAY_SECONDS", 1800))
    if oldest is not None and (now - oldest).total_seconds() > late:
        mail.append(f"mail has waited {age_words((now - oldest).total_seconds())} to be sent")
    return TickStatus(now, last, int(waiting or 0), failed, oldest, sweep, mail)
