"""Registering a record as it is issued. One operation, one audit event; never commits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from govern.audit import chain
from govern.core import clock
from govern.extensions import db
from govern.pdeg.models import AgendaItem, Recommendation
from govern.records.queries import AGENDA_ITEM, DISPUTE, RATIFICATION, RECOMMENDATION, AuditMark
from govern.verify.models import IssuedRecord

#: The object type the audit chain records an issued record under.
ISSUED_RECORD = "issued_record"


def sha256_of(content: bytes) -> str:
    """The SHA-256 of a file's bytes, as ``sha256sum`` prints it."""
    return hashlib.sha256(content).hexdigest()


def dispute_subjects(dispute_id: int) -> list[list[str]]:
    """The audit objects a dispute record reflects."""
    return [[DISPUTE, str(dispute_id)]]


def decision_subjects(recommendations: Sequence[Recommendation]) -> list[list[str]]:
    """The audit objects ratification records reflect: each decision, its Boards' ratifications and its
    PDEG agenda items (as :func:`govern.records.queries.decision_records` reads them)."""
    ids = [r.id for r in recommendations]
    found: list[list[str]] = []
    for rec in recommendations:
        found.append([RECOMMENDATION, str(rec.id)])
        found += [[RATIFICATION, str(r.id)] for r in rec.ratifications]
    if ids:
        found += [[AGENDA_ITEM, str(i)] for i in db.session.scalars(
            select(AgendaItem.id).where(AgendaItem.recommendation_id.in_(ids)))]
    return found


def _registration(*, kind: str, reference: str, content: bytes, mark: AuditMark | None,
                  subjects: Iterable[list[str]], subject_type: str, subject_id: int, user: Any) -> IssuedRecord:
    unique = sorted({(str(t), str(i)) for t, i in subjects})
    issued = IssuedRecord(
        kind=kind, reference=reference, sha256=sha256_of(content),
        audit_seq=mark.seq if mark else 0, audit_hash=mark.hash if mark else "",
        subjects=[list(s) for s in unique], subject_type=subject_type, subject_id=subject_id,
        issued_at=clock.now(), issued_to_id=getattr(user, "id", None),
    )
    db.session.add(issued)
    db.session.flush()
    return issued


def _changes(issued: IssuedRecord) -> dict[str, Any]:
    return {"reference": issued.reference, "sha256": issued.sha256, "kind": issued.kind,
            "reflects": [issued.audit_seq, issued.audit_hash]}


def issue_record(*, kind: str, reference: str, content: bytes, mark: AuditMark | None,
                 subjects: Iterable[list[str]], subject_type: str, subject_id: int, user: Any) -> IssuedRecord:
    """Register the PDF ``content`` as issued to ``user`` now, with one audit event that carries its
    SHA-256: from then on ``/verify`` recognises that file, byte for byte, and nothing else. The same bytes
    issued again (the case unchanged, within the minute the record prints) are registered already: no new
    event."""
    already = db.session.scalar(select(IssuedRecord).where(IssuedRecord.sha256 == sha256_of(content)))
    if already is not None:
        return already
    issued = _registration(kind=kind, reference=reference, content=content, mark=mark, subjects=subjects,
                           subject_type=subject_type, subject_id=subject_id, user=user)
    event = chain.record("issue_record", ISSUED_RECORD, issued.id, _changes(issued), actor=user)
    issued.vouched_by_seq = event.seq
    return issued


def register_within(event_changes: dict[str, Any], **fields: Any) -> IssuedRecord:
    """Register a record issued by another operation (a Board pack made by ``tick``), whose own single
    audit event will carry the SHA-256: adds it to ``event_changes``; the caller sets ``vouched_by_seq``."""
    issued = _registration(**fields)
    event_changes["issued_record"] = {"id": issued.id, **_changes(issued)}
    return issued
