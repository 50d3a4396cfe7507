"""Does a record match what the system issued? Read-only: nothing here changes state.

Two ways in: the PDF itself (its SHA-256 must be one the system registered when it issued the file, so
changing a single byte makes it fail), or the record reference and a hash printed on it (the audit
event's, or the file's own as ``sha256sum`` prints it). Each match is checked against the audit chain:
the event that registered the issue and the event the record reflects must still hold under the audit
key and link to their neighbours.

What is said depends on who asks. Anyone learns whether it matches an issued record, the date it was
issued and whether the case has had events since, nothing more; only someone who may see the case
(the same ``can_view`` the case's pages use) learns what the record reflects and what happened since.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import or_, select, tuple_

from govern.audit import chain
from govern.audit.models import GENESIS_HASH, AuditEvent
from govern.auth.models import User
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.pdeg.models import Recommendation
from govern.verify.models import IssuedRecord
from govern.verify.operations import decision_subjects, dispute_subjects, sha256_of

HEX64 = re.compile(r"[0-9a-f]{64}")
REFERENCE = re.compile(r"(?P<subject>.+)-A(?P<seq>\d{1,12})")
#: How many later events someone who may see the case is shown.
LATER_SHOWN = 20

KIND_TITLES = {
    "dispute": "Dispute decision record",
    "decision": "Ratification record of a PDEG decision",
    "pack": "Board pack",
}


@dataclass(frozen=True)
class LaterEvent:
    """An audit event on the case after the one the record reflects."""

    seq: int
    action: str
    occurred_at: datetime


@dataclass(frozen=True)
class Detail:
    """What the record reflects: only for someone who may see the case."""

    kind_title: str
    reference: str
    subject: str
    subject_url: str
    reflects_seq: int
    reflects_action: str
    reflects_at: datetime | None
    issued_to: str
    later: list[LaterEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    """The answer. ``matched`` and, when it matched, the dates and whether later events exist are for
    anyone; ``detail`` only for someone who may see the case (None otherwise)."""

    matched: bool
    issued_at: datetime | None = None
    #: For a record the system did not register (issued before records were registered): the moment of
    #: the audit event it reflects.
    as_at: datetime | None = None
    has_later_events: bool = False
    detail: Detail | None = None


NO_MATCH = Finding(matched=False)


def normalise_digest(text: str) -> str:
    """A hash as typed or pasted: spaces, line breaks and case do not matter."""
    return re.sub(r"\s+", "", text or "").lower()


def normalise_reference(text: str) -> str:
    """A record reference as typed: surrounding spaces and case do not matter."""
    return re.sub(r"\s+", "", text or "").upper()


def check_file(content: bytes, user: Any) -> Finding:
    """Is this exactly a PDF the system issued?"""
    issued = db.session.scalar(select(IssuedRecord).where(IssuedRecord.sha256 == sha256_of(content)))
    return _finding(issued, user) if issued is not None else NO_MATCH


def check_reference(reference: str, digest: str, user: Any) -> Finding:
    """Does the reference, with the audit event's hash or the file's SHA-256, match an issued record?"""
    reference, digest = normalise_reference(reference), normalise_digest(digest)
    if not reference or not HEX64.fullmatch(digest):
        return NO_MATCH
    issued = db.session.scalars(
        select(IssuedRecord)
        .where(IssuedRecord.reference == reference,
               or_(IssuedRecord.sha256 == digest, IssuedRecord.audit_hash == digest))
        .order_by(IssuedRecord.issued_at, IssuedRecord.id)
    ).first()
    if issued is not None:
        return _finding(issued, user)
    return _unregistered(reference, digest, user)


# --- against the chain ------------------------------------------------------------------------------


def _event(seq: int) -> AuditEvent | None:
    return db.session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))


def _intact(event: AuditEvent | None) -> bool:
    """The event still holds under the audit key, and links to the events either side of it."""
    if event is None or not hmac.compare_digest(chain.event_hash(event), event.hash):
        return False
    before = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == event.seq - 1))
    if event.prev_hash != (before if event.seq > 1 else GENESIS_HASH):
        return False
    after = db.session.scalar(select(AuditEvent.prev_hash).where(AuditEvent.seq == event.seq + 1))
    return after is None or after == event.hash


def _vouched(issued: IssuedRecord) -> bool:
    """The audit event that registered the issue carries this file's SHA-256 and is intact; so is the
    event the record reflects, with the hash printed on it."""
    voucher = _event(issued.vouched_by_seq or 0)
    if voucher is None or not _intact(voucher):
        return False
    changes = voucher.changes or {}
    carried = changes.get("sha256") or (changes.get("issued_record") or {}).get("sha256")
    if not isinstance(carried, str) or not hmac.compare_digest(carried, issued.sha256):
        return False
    if issued.audit_seq:
        reflected = _event(issued.audit_seq)
        return reflected is not None and hmac.compare_digest(reflected.hash, issued.audit_hash) and _intact(reflected)
    return True


def _later(subjects: list[list[str]], after_seq: int, limit: int) -> list[AuditEvent]:
    pairs = [(str(t), str(i)) for t, i in subjects]
    if not pairs:
        return []
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.seq > after_seq, tuple_(AuditEvent.object_type, AuditEvent.object_id).in_(pairs))
        .order_by(AuditEvent.seq).limit(limit)
    ))


# --- who may see what --------------------------------------------------------------------------------


def _subject(subject_type: str, subject_id: int, subjects: list[list[str]], user: Any) -> tuple[str, str] | None:
    """(what the record is about, its page's address) if ``user`` may see the case, else None.
    The same ``can_view`` as the case's own pages decides."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if subject_type == "dispute":
        dispute = db.session.get(Dispute, subject_id)
        if dispute is not None and dispute.can_view(user):
            return f"{dispute.reference}: {dispute.title}", url_for("disputes.show", dispute_id=dispute.id)
        return None
    if subject_type == "recommendation":
        rec = db.session.get(Recommendation, subject_id)
        if rec is not None and rec.can_view(user):
            return f"{rec.reference}: {rec.title}", url_for("pdeg.recommendation", recommendation_id=rec.id)
        return None
    if subject_type == "board_pack":
        ids = [int(i) for t, i in subjects if t == "recommendation"]
        recs = list(db.session.scalars(select(Recommendation).where(Recommendation.id.in_(ids)))) if ids else []
        if len(recs) == len(ids) and all(r.can_view(user) for r in recs):
            from govern.partnership.models import Organisation

            organisation = db.session.get(Organisation, subject_id)
            name = organisation.name if organisation else ""
            return f"The pack of {len(recs)} decisions for {name}", ""
    return None


def _detail(kind: str, reference: str, seen: tuple[str, str], reflected: AuditEvent | None,
            later: list[AuditEvent], issued_to: str) -> Detail:
    subject, url = seen
    return Detail(
        kind_title=KIND_TITLES.get(kind, "Record"), reference=reference, subject=subject,
        subject_url=url,
        reflects_seq=reflected.seq if reflected else 0,
        reflects_action=reflected.action.replace("_", " ") if reflected else "",
        reflects_at=reflected.occurred_at if reflected else None,
        issued_to=issued_to,
        later=[LaterEvent(e.seq, e.action.replace("_", " "), e.occurred_at) for e in later],
    )


def _finding(issued: IssuedRecord, user: Any) -> Finding:
    if not _vouched(issued):
        return NO_MATCH
    later = _later(issued.subjects, issued.audit_seq, LATER_SHOWN)
    seen = _subject(issued.subject_type, issued.subject_id, issued.subjects, user)
    detail = None
    if seen is not None:
        recipient = db.session.get(User, issued.issued_to_id) if issued.issued_to_id else None
        detail = _detail(issued.kind, issued.reference, seen, _event(issued.audit_seq) if issued.audit_seq else None,
                         later, recipient.name if recipient else "the system (made by the scheduled run)")
    return Finding(matched=True, issued_at=issued.issued_at, has_later_events=bool(later), detail=detail)


def _unregistered(reference: str, digest: str, user: Any) -> Finding:
    """A record issued before records were registered: its reference names the case and the audit event
    it reflects; that event must carry the hash and be about the case."""
    parts = REFERENCE.fullmatch(reference)
    if parts is None:
        return NO_MATCH
    subject_ref, seq = parts["subject"], int(parts["seq"])
    dispute = db.session.scalar(select(Dispute).where(Dispute.reference == subject_ref))
    if dispute is not None:
        kind, subject_type, subject_id, subjects = "dispute", "dispute", dispute.id, dispute_subjects(dispute.id)
    else:
        rec = db.session.scalar(select(Recommendation).where(Recommendation.reference == subject_ref))
        if rec is None:
            return NO_MATCH
        kind, subject_type, subject_id, subjects = "decision", "recommendation", rec.id, decision_subjects([rec])
    event = _event(seq)
    if event is None or not hmac.compare_digest(event.hash, digest) or not _intact(event):
        return NO_MATCH
    if [event.object_type, event.object_id] not in subjects:
        return NO_MATCH
    later = _later(subjects, seq, LATER_SHOWN)
    seen = _subject(subject_type, subject_id, subjects, user)
    detail = _detail(kind, reference, seen, event, later, "") if seen is not None else None
    return Finding(matched=True, as_at=event.occurred_at, has_later_events=bool(later), detail=detail)
