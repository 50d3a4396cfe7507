"""Sending the outbox: retries with exponential backoff, so a mail server outage delays mail and loses none.

A worker, not an operation: it works in batches (``MAIL_BATCH``), each claimed in one commit, sent over
one SMTP connection and recorded in one commit, batch after batch until nothing is due or the time
budget (``TICK_MAIL_BUDGET_SECONDS``) has passed, so a backlog of thousands leaves in one run. Senders
on several servers can run at once: a sender claims due messages by moving their ``next_attempt_at`` on
by a lease in one UPDATE (on PostgreSQL the candidates are picked ``FOR UPDATE SKIP LOCKED``), so no two
senders hold the same message, and a message whose sender died is claimed again once its lease runs out
(at least once, never lost).

``MAIL_BACKEND``: ``smtp`` (the settings ``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``,
``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_FROM``) or ``files``, which writes
each message as an ``.eml`` file under ``instance/mail/`` (the default when no ``MAIL_SERVER`` is set:
development and the demo).
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from govern.core import clock
from govern.extensions import db
from govern.notify.models import OutboxMessage, OutboxStatus

LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class DeliveryResult:
    """What one run of the sender did."""

    sent: int
    retrying: int
    failed: int


def mail_backend(config: Any) -> str:
    """``smtp`` or ``files``: as configured, else ``smtp`` only if a mail server is configured."""
    backend = config.get("MAIL_BACKEND")
    if backend:
        return str(backend)
    return "smtp" if config.get("MAIL_SERVER") else "files"


def backoff(attempts: int, config: Any) -> timedelta:
    """How long to wait after the ``attempts``-th failure: doubling from the base, up to the cap."""
    base = float(config.get("MAIL_RETRY_BASE_SECONDS", 60))
    cap = float(config.get("MAIL_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def claim(limit: int) -> list[int]:
    """Claim up to ``limit`` due messages for this sender (commits, so the lease is seen by others)."""
    now = clock.now()
    candidates = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()))
        .values(next_attempt_at=now + LEASE)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return sorted(claimed)


def build_email(message: OutboxMessage, config: Any) -> EmailMessage:
    """The message as an RFC 5322 email."""
    email = EmailMessage()
    sender = str(config.get("MAIL_FROM") or "govern@localhost")
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(f"outbox-{message.id}", domain=sender.rpartition("@")[2] or "localhost")
    email.set_content(message.body)
    return email


class _Transport:
    """Where messages go: one SMTP connection for the batch, or files under ``instance/mail``."""

    def __init__(self, config: Any, instance_path: str) -> None:
        self.config = config
        self.backend = mail_backend(config)
        self.folder = Path(config.get("MAIL_FOLDER") or Path(instance_path) / "mail")
        self.smtp: smtplib.SMTP | None = None
        # Once the server cannot be reached, the rest of this run's messages wait for the next run
        # rather than each waiting out its own connection timeout.
        self.unreachable: BaseException | None = None

    def send(self, message: OutboxMessage, email: EmailMessage) -> None:
        if self.backend == "files":
            # Mail holds case details: only the app's own user may read the folder and its files.
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            target = self.folder / f"{message.id:08d}.eml"
            partial = target.with_suffix(".eml.part")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(bytes(email))
            partial.replace(target)  # a whole file or none
            return
        if self.unreachable is not None:
            raise self.unreachable
        if self.smtp is None:
            try:
                self.smtp = self._connect()
            except (smtplib.SMTPException, OSError) as error:
                self.unreachable = error
                raise
        self.smtp.send_message(email)

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        host, port = str(config["MAIL_SERVER"]), int(config.get("MAIL_PORT") or 25)
        timeout = float(config.get("MAIL_TIMEOUT", 10))
        smtp: smtplib.SMTP
        if config.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp = None


def deliver_outbox(limit: int | None = None, budget_seconds: float | None = None) -> DeliveryResult:
    """Send the messages that are due, batch after batch, until none is due or the time budget
    (``TICK_MAIL_BUDGET_SECONDS``) has passed; a failure is retried later with backoff, and after
    ``MAIL_MAX_ATTEMPTS`` attempts the message is marked failed for administrators to see and retry.

    Each batch (``MAIL_BATCH`` messages, or ``limit``) is claimed, sent over ONE SMTP connection and
    recorded in one commit: a backlog of thousands leaves in one run. A sender that dies mid-batch
    leaves its batch claimed until the lease runs out; it is then sent again (at least once, never lost).
    """
    config = current_app.config
    batch = limit or int(config.get("MAIL_BATCH", 500))
    budget = float(config.get("TICK_MAIL_BUDGET_SECONDS", 240) if budget_seconds is None else budget_seconds)
    deadline = time.monotonic() + budget
    sent = retrying = failed = 0
    while True:
        ids = claim(batch)
        if not ids:
            break
        result, reachable = _deliver_batch(ids, config)
        sent, retrying, failed = sent + result.sent, retrying + result.retrying, failed + result.failed
        # A server that cannot be reached is tried again by the next run, after the backoff.
        if not reachable or time.monotonic() >= deadline:
            break
    return DeliveryResult(sent, retrying, failed)


def _deliver_batch(ids: list[int], config: Any) -> tuple[DeliveryResult, bool]:
    """Send one claimed batch over one connection; record it in one commit. Returns what happened and
    whether the mail server could be reached."""
    max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", 20))
    transport = _Transport(config, current_app.instance_path)
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
    ).all()
    delivered: list[int] = []
    retrying = failed = 0
    try:
        for message in messages:
            try:
                email = build_email(message, config)
            except Exception as error:
                # Retrying cannot help (the stored message itself is bad), and letting it raise would
                # abort the run before its commit and block every later message: fail it, visibly.
                _unbuildable(message, error)
                failed += 1
                db.session.commit()
                continue
            try:
                transport.send(message, email)
            except (smtplib.SMTPException, OSError) as error:
                # This connection may be in any state: the next message opens a fresh one.
                transport.close()
                message.attempts += 1
                _failed(message, error, max_attempts, config)
                failed += message.status is OutboxStatus.FAILED
                retrying += message.status is OutboxStatus.PENDING
            else:
                delivered.append(message.id)
    finally:
        transport.close()
    if delivered:
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(delivered))
            .values(status=OutboxStatus.SENT, sent_at=clock.now(), last_error="", attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return DeliveryResult(len(delivered), retrying, failed), transport.unreachable is None


def _unbuildable(message: OutboxMessage, error: BaseException) -> None:
    """A message that cannot be made into an email (a header with a line break, say) fails at once."""
    message.status = OutboxStatus.FAILED
    message.last_error = f"{clock.now().isoformat()}: could not be built: {type(error).__name__}: {error}"[:2000]
    message.next_attempt_at = clock.now()


def _failed(message: OutboxMessage, error: BaseException, max_attempts: int, config: Any) -> None:
    now: datetime = clock.now()
    message.last_error = f"{now.isoformat()}: {type(error).__name__}: {error}"[:2000]
    if message.attempts >= max_attempts:
        message.status = OutboxStatus.FAILED
    message.next_attempt_at = now + backoff(message.attempts, config)


def retry_message(message: OutboxMessage, user: Any) -> None:
    """An administrator sends a failed message again (after fixing the mail settings). Never commits."""
    from govern.audit import chain
    from govern.core.errors import OperationError

    if message.status is not OutboxStatus.FAILED:
        raise OperationError("Only a message that failed can be sent again.")
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = clock.now()
    message.attempts = 0
    chain.record("retry_message", "outbox_message", message.id, {"status": ["failed", "pending"]}, actor=user)
