"""Signed checkpoints of the audit chain: how many events it held and the hash of the last one.

The keyed chain (:mod:`govern.audit.chain`) catches every change to the events that remain; it cannot
by itself tell that the newest events were deleted and the head row moved back. A checkpoint can: it
is signed with the Ed25519 checkpoint key (:mod:`govern.audit.keys`), appended to a file outside the
database (``AUDIT_CHECKPOINT_FILE``, by default ``instance/audit_checkpoints.jsonl``) and mailed to the
people named in ``AUDIT_CHECKPOINT_RECIPIENTS``, so a copy survives whatever happens to the server.
``flask --app govern tick`` publishes one when the last is ``AUDIT_CHECKPOINT_HOURS`` (24) old, and
``flask --app govern audit checkpoint`` at once. ``audit verify`` checks the chain against every
checkpoint in the file (or in a mailed copy given with ``--checkpoints``).

What a checkpoint cannot catch: events cut off that were written after the newest checkpoint.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from flask import current_app
from sqlalchemy import insert, select

from govern.audit import chain
from govern.audit.keys import audit_key, key_id, public_key_hex, signing_key, trusted_public_keys
from govern.audit.models import AuditHead
from govern.core import clock
from govern.extensions import db


class CheckpointError(ValueError):
    """A checkpoint line that cannot be trusted: unreadable, or not signed by a known key."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain held ``seq`` events ending in ``hash`` at ``at``, signed by ``public_key``."""

    seq: int
    hash: str
    at: str
    audit_key_id: str
    public_key: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, as canonical JSON."""
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def line(self) -> str:
        """The checkpoint as one line of the checkpoint file."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


def checkpoint_file() -> Path:
    """Where checkpoints are appended: ``AUDIT_CHECKPOINT_FILE``, else ``instance/audit_checkpoints.jsonl``."""
    configured = current_app.config.get("AUDIT_CHECKPOINT_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "audit_checkpoints.jsonl"


def parse(text: str) -> list[Checkpoint]:
    """Checkpoints from a checkpoint file (or a mail quoting its line); each signature is checked
    against the trusted keys. Raises :class:`CheckpointError` naming the first bad line."""
    trusted = trusted_public_keys()
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        raw = raw.strip()
        if not raw.startswith("{"):
            continue  # blank lines, and the prose around a checkpoint quoted in a mail
        try:
            checkpoint = Checkpoint(**json.loads(raw))
            signature = base64.b64decode(checkpoint.signature, validate=True)
        except (ValueError, TypeError) as error:
            raise CheckpointError(f"checkpoint line {number} cannot be read: {error}") from error
        key = trusted.get(checkpoint.public_key)
        if key is None:
            raise CheckpointError(f"checkpoint line {number} is signed by a key this server does not trust")
        try:
            key.verify(signature, checkpoint.signed_bytes())
        except InvalidSignature as error:
            raise CheckpointError(f"checkpoint line {number} has a signature that does not match it") from error
        found.append(checkpoint)
    return found


def load(path: Path | None = None) -> list[Checkpoint]:
    """The checkpoints in ``path`` (by default the checkpoint file); none if there is no file yet."""
    try:
        text = (path or checkpoint_file()).read_text()
    except FileNotFoundError:
        return []
    return parse(text)


def last_published_at(path: Path | None = None) -> datetime | None:
    """When the newest checkpoint in the file was made (its signature is not checked here)."""
    try:
        lines = [line for line in (path or checkpoint_file()).read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        return None
    if not lines:
        return None
    return datetime.fromisoformat(json.loads(lines[-1])["at"])


def is_due() -> bool:
    """Is a checkpoint due: none yet, or the last one is ``AUDIT_CHECKPOINT_HOURS`` old?"""
    last = last_published_at()
    hours = float(current_app.config.get("AUDIT_CHECKPOINT_HOURS", 24))
    return last is None or clock.now() - last >= timedelta(hours=hours)


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def publish_checkpoint() -> Checkpoint:
    """Sign where the chain ends now, append it to the checkpoint file, mail it to the recipients
    (through the outbox, in this transaction) and record one audit event. Never commits.

    The head row is locked first (as :func:`chain.record` does), so the checkpoint names a chain end
    no concurrent writer is still extending."""
    db.session.execute(
        AuditHead.__table__.update().where(AuditHead.id == 1).values(seq=AuditHead.seq)
    )
    head = db.session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).one()
    private = signing_key()
    unsigned = Checkpoint(seq=head.seq, hash=head.last_hash, at=clock.now().isoformat(),
                          audit_key_id=key_id(audit_key()), public_key=public_key_hex(private.public_key()))
    signature = base64.b64encode(private.sign(unsigned.signed_bytes())).decode()
    checkpoint = Checkpoint(**{**asdict(unsigned), "signature": signature})
    _mail(checkpoint)
    chain.record("publish_checkpoint", "audit_chain", head.seq,
                 {"seq": [None, checkpoint.seq], "hash": [None, checkpoint.hash]})
    # Written last: if anything above fails, no checkpoint is claimed that the database did not see.
    _append(checkpoint_file(), checkpoint.line())
    return checkpoint


def _mail(checkpoint: Checkpoint) -> None:
    from govern.notify.models import OutboxMessage, OutboxStatus

    recipients = [str(r) for r in current_app.config.get("AUDIT_CHECKPOINT_RECIPIENTS") or []]
    if not recipients:
        return
    now = clock.now()
    body = (
        f"The audit trail of {current_app.config['SERVICE_NAME']} held {checkpoint.seq} events at "
        f"{checkpoint.at}.\n\nKeep this message. To check the trail has not been cut short since, save the "
        "line below to a file and run:\n\n    flask --app govern audit verify --checkpoints <file>\n\n"
        f"{checkpoint.line()}\n\nSigned with the Ed25519 key {checkpoint.public_key}.\n"
    )
    db.session.execute(insert(OutboxMessage), [
        {"to_address": address, "subject": f"Audit checkpoint: {checkpoint.seq} events", "body": body,
         "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now,
         "last_error": ""}
        for address in recipients
    ])
