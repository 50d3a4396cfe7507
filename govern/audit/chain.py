"""Writing and verifying the audit chain.

Each event's hash is an HMAC-SHA256, keyed with the audit key (:mod:`govern.audit.keys`, kept outside
the database), over the previous event's hash and the event's canonical content. Whoever can write
the database but lacks the key cannot edit, insert, reorder or recompute events without
``audit verify`` noticing; cutting off the newest events (and moving the head row back) is caught by
the signed checkpoints (:mod:`govern.audit.checkpoints`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from govern.audit.keys import audit_key, key_id
from govern.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from govern.core import clock
from govern.core.types import as_jsonable
from govern.extensions import db

if TYPE_CHECKING:
    from govern.audit.checkpoints import Checkpoint


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


def chain_hash(prev_hash: str, content: str, key: bytes | None = None) -> str:
    """HMAC-SHA256, keyed with the audit key (or ``key``), over the previous event's hash and this
    event's canonical content."""
    return hmac.new(key if key is not None else audit_key(), f"{prev_hash}\n{content}".encode(),
                    hashlib.sha256).hexdigest()


def unkeyed_chain_hash(prev_hash: str, content: str) -> str:
    """The plain SHA-256 the chain used before it was keyed: only for re-keying an old chain."""
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def event_content(event: Any) -> str:
    """A stored event's canonical content (``event``: a model instance or a row with its fields)."""
    return canonical_content(
        seq=event.seq,
        occurred_at=event.occurred_at.isoformat(),
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        changes=event.changes,
    )


def event_hash(event: AuditEvent, key: bytes | None = None) -> str:
    """Recompute a stored event's hash from its stored fields."""
    return chain_hash(event.prev_hash, event_content(event), key)


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
    key = audit_key()
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
    digest = chain_hash(head.last_hash, content, key)
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
    # The head names the key that keyed the chain (set once), so `audit verify` can say when a server
    # runs with another key rather than report every event as changed.
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(
        last_hash=digest, key_id=func.coalesce(AuditHead.key_id, key_id(key))))
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


def verify(checkpoints: Sequence[Checkpoint] = ()) -> VerifyResult:
    """Walk the chain in order and name the first event that does not hold; then check that every
    signed checkpoint's event is still there, unchanged (so a chain cut short is caught)."""
    key = audit_key()
    head = db.session.get(AuditHead, 1)
    if head is not None and head.key_id and head.key_id != key_id(key):
        reason = (f"the chain was keyed with audit key {head.key_id}, but this server's key is {key_id(key)}: "
                  "configure the audit key the chain was written with (AUDIT_KEY or instance/audit_key)")
        return VerifyResult(False, 0, 1, None, reason)
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    hashes: dict[int, str] = {}
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
        if not hmac.compare_digest(event_hash(event, key), event.hash):
            reason = "its content was changed after it was written, or it was written without the audit key"
            return VerifyResult(False, checked, event.seq, event.id, reason)
        hashes[event.seq] = event.hash
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    if head is not None and (head.seq != checked or head.last_hash != expected_prev):
        reason = f"the chain should hold {head.seq} events ending in {head.last_hash[:12]}…, but holds {checked}"
        # Name the first event that does not fit where the head says the chain ends: the first
        # missing one, the first one added beyond the end, or the last one if it was replaced.
        broken = checked + 1 if checked < head.seq else head.seq + 1 if checked > head.seq else checked
        return VerifyResult(False, broken - 1, broken, None, reason)
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        if checkpoint.seq > checked:
            reason = (f"the checkpoint signed {checkpoint.at} vouches for {checkpoint.seq} events, but the chain "
                      f"holds {checked}: events were cut from its end")
            return VerifyResult(False, checked, checked + 1, None, reason)
        if checkpoint.seq and hashes.get(checkpoint.seq) != checkpoint.hash:
            reason = f"it is not the event the checkpoint signed {checkpoint.at} vouches for"
            return VerifyResult(False, checkpoint.seq - 1, checkpoint.seq, None, reason)
    return VerifyResult(True, checked)


def rechain(rows: Sequence[Any], old_hash: Callable[[str, str], str],
            new_hash: Callable[[str, str], str]) -> list[tuple[int, str, str]]:
    """Re-key a chain: check every row (ordered by ``seq``) with ``old_hash``, then hash it again with
    ``new_hash``. Returns ``(id, prev_hash, hash)`` for every row. Refuses (``ValueError``) a chain
    that does not verify: re-keying it would launder whatever was done to it."""
    prev_old, prev_new, out = GENESIS_HASH, GENESIS_HASH, []
    for number, row in enumerate(rows, start=1):
        content = event_content(row)
        if row.seq != number or row.prev_hash != prev_old or not hmac.compare_digest(
                old_hash(prev_old, content), row.hash):
            raise ValueError(f"the audit chain does not verify at event {row.seq}: investigate it before re-keying "
                             "(`flask --app govern audit verify` on the version it was written with)")
        digest = new_hash(prev_new, content)
        out.append((row.id, prev_new, digest))
        prev_old, prev_new = row.hash, digest
    return out


def latest_hash() -> str:
    """The hash of the newest event (or the genesis hash), to print on records."""
    head = db.session.get(AuditHead, 1)
    return head.last_hash if head else GENESIS_HASH
