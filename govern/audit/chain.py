"""Writing and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from govern.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from govern.core import clock
from govern.core.types import as_jsonable
from govern.extensions import db


def canonical_content(
    *,
    seq: int,
    occurred_at: str,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    changes: Mapping[str, Any],
) -> str:
    """The event's content as one canonical JSON string (sorted keys, no spaces)."""
    return json.dumps(
        {
            "seq": seq,
            "occurred_at": occurred_at,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "changes": changes,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, content: str) -> str:
    """SHA-256 over the previous event's hash and this event's canonical content."""
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def event_hash(event: AuditEvent) -> str:
    """Recompute a stored event's hash from its stored fields."""
    content = canonical_content(
        seq=event.seq,
        occurred_at=event.occurred_at.isoformat(),
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        changes=event.changes,
    )
    return chain_hash(event.prev_hash, content)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as ``{field: [before, after]}`` with JSON-safe values."""
    changed: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = as_jsonable(before.get(key)), as_jsonable(after.get(key))
        if old != new:
            changed[key] = [old, new]
    return changed


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of ``obj``, JSON-safe, for a before/after record."""
    return {name: as_jsonable(getattr(obj, name)) for name in fields}


def record(
    action: str,
    obj_type: str,
    obj_id: object,
    changes: Mapping[str, Any],
    *,
    actor: Any = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction.

    The UPDATE of the head row takes a row lock (PostgreSQL) or the write lock (SQLite) that is
    held until the transaction ends, so two writers can never both extend the same hash.
    """
    result = db.session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
    )
    if result.rowcount == 0:
        raise RuntimeError("audit_head row is missing: run `flask --app govern db upgrade`")
    head = db.session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).one()
    moment = clock.now()
    actor_id = getattr(actor, "id", None)
    actor_label = f"{actor.name} <{actor.email}>" if actor is not None else "system"
    jsonable_changes = json.loads(json.dumps(dict(changes), default=as_jsonable))
    content = canonical_content(
        seq=head.seq,
        occurred_at=moment.isoformat(),
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        changes=jsonable_changes,
    )
    digest = chain_hash(head.last_hash, content)
    event = AuditEvent(
        seq=head.seq,
        occurred_at=moment,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        changes=jsonable_changes,
        prev_hash=head.last_hash,
        hash=digest,
    )
    db.session.add(event)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=digest))
    db.session.flush()
    return event


@dataclass(frozen=True)
class VerifyResult:
    """What ``audit verify`` found: ``ok``, how many events were checked, the first broken one."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""


def verify() -> VerifyResult:
    """Walk the chain in order and name the first event that does not hold."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq, AuditEvent.id)).scalars()
    for event in events:
        if event.seq != expected_seq:
            reason = (
                f"expected event number {expected_seq} but found {event.seq}: "
                "an event is missing or out of order"
            )
            return VerifyResult(False, checked, event.seq, event.id, reason)
        if event.prev_hash != expected_prev:
            reason = "its link to the previous event does not match: an event was removed, moved or inserted"
            return VerifyResult(False, checked, event.seq, event.id, reason)
        if event_hash(event) != event.hash:
            return VerifyResult(False, checked, event.seq, event.id, "its content was changed after it was written")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != expected_prev):
        reason = f"the chain should hold {head.seq} events ending in {head.last_hash[:12]}…, but holds {checked}"
        # Name the first event that does not fit where the head says the chain ends: the first
        # missing one, the first one added beyond the end, or the last one if it was replaced.
        broken = checked + 1 if checked < head.seq else head.seq + 1 if checked > head.seq else checked
        return VerifyResult(False, broken - 1, broken, None, reason)
    return VerifyResult(True, checked)


def latest_hash() -> str:
    """The hash of the newest event (or the genesis hash), to print on records."""
    head = db.session.get(AuditHead, 1)
    return head.last_hash if head else GENESIS_HASH
