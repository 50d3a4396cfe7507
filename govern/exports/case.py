"""A whole case as a zip: a dispute, or a PDEG decision with its Boards' ratifications. Its record (PDF;
a decision's ratification certificate too, once issued), its papers, its events (JSON) and the audit proof.

Each kind says what goes in (:class:`CaseExport`: :func:`dispute_export`, :func:`decision_export`); one
function writes the zip (:func:`case_zip`). What goes in is what the person may see on the case's pages:
the papers (written material and attached files) only when the attachments' own rule says so
(``can_view_papers`` for a dispute, as on its papers page and in the record itself).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from govern.attachments import access, storage
from govern.attachments.queries import attachments_for
from govern.audit import chain
from govern.audit.models import AuditEvent
from govern.cases.models import CaseEvent, CaseKind
from govern.core.types import as_jsonable
from govern.disputes.facts import definition_of
from govern.disputes.models import Dispute
from govern.disputes.presenters import material_headings
from govern.extensions import db
from govern.pdeg.models import Recommendation
from govern.records.queries import DISPUTE
from govern.verify import operations as verify_ops

HOW_TO_CHECK = """How to check this case
=====================

record.pdf
    The decision record (a PDEG decision's: its ratification record) as it was issued with this file.
    Anyone can check it at {verify}: upload the PDF, or type its record reference and the SHA-256
    printed on its first page. A record changed by even one byte does not match.

certificate.pdf
    A PDEG decision's ratification certificate, once every remaining party's Board has ratified it. It
    prints the audit event of the ratification: find that event (its seq and hash) in audit-proof.json.

audit-proof.json
    Every audit event about this case (for a PDEG decision: the decision, each Board's ratification and
    its PDEG agenda items), in order: its number (seq), when, who, what, about which object, the
    changes, the hash of the event before it in the whole audit trail (prev_hash) and its own hash.
    Each hash is an HMAC-SHA256, keyed with the audit key held outside the database, over

        prev_hash + "\\n" + canonical

    where "canonical" (given with each event) is the event as JSON with sorted keys and no spaces.
    Events of other cases sit between these in the audit trail, so the chain is checked whole by an
    administrator, who holds the key:

        flask --app govern audit verify

    names the first broken event if anything was edited, inserted, removed or reordered, and signed
    checkpoints (flask --app govern audit public-key) show that none was cut from the end. Compare the
    hash of each event here with the one in the audit trail.

events.json
    What happened in the case, step by step, as recorded (the moments deadlines count from); for a PDEG
    decision, each Board's steps too (their "case" names the ratification).

papers/
    The written material under its headings (a decision's: the recommendation as PDEG read it) and the
    supporting papers attached to the case, each with the SHA-256 it had when it was uploaded (listed
    in papers/index.json).
"""


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", name).strip(" .") or "file"
    return cleaned[:120]


def _json(value: Any) -> str:
    return json.dumps(value, default=as_jsonable, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@dataclass
class CaseExport:
    """What goes in a case's zip, as one person may see it; the same shape for every kind of case."""

    #: The case's heading facts (case.json).
    summary: dict[str, Any]
    #: The records issued with this file, by name in the zip ("record.pdf" first).
    records: list[tuple[str, bytes]]
    #: The audit objects the case is (object_type, object_id): its proof is every event about them.
    audit_objects: list[tuple[str, str]]
    #: The case events that make up the case: (kind, ids).
    event_cases: list[tuple[CaseKind, list[int]]]
    #: Its written material as (heading, text), and its attached papers; ``None`` when the person may
    #: not see its papers (then the zip has no papers folder).
    written: list[tuple[str, str]] | None
    attachments: Sequence[Any] = field(default_factory=list)


def audit_proof(objects: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The audit events about these objects, in order, with what their hashes are computed over."""
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in objects:
        by_type.setdefault(object_type, []).append(object_id)
    if not by_type:
        return []
    events = db.session.scalars(
        select(AuditEvent).where(or_(*[and_(AuditEvent.object_type == t, AuditEvent.object_id.in_(ids))
                                       for t, ids in by_type.items()]))
        .order_by(AuditEvent.seq)
    )
    return [{"seq": e.seq, "occurred_at": e.occurred_at.isoformat(), "actor": e.actor_label, "action": e.action,
             "object": [e.object_type, e.object_id], "changes": e.changes, "prev_hash": e.prev_hash,
             "hash": e.hash, "canonical": chain.event_content(e)}
            for e in events]


def case_events(cases: Sequence[tuple[CaseKind, list[int]]]) -> list[dict[str, Any]]:
    """The recorded events of these cases, in order."""
    wanted = [and_(CaseEvent.case_kind == kind, CaseEvent.case_id.in_(ids)) for kind, ids in cases if ids]
    if not wanted:
        return []
    rows = db.session.scalars(select(CaseEvent).where(or_(*wanted)).order_by(CaseEvent.occurred_at, CaseEvent.id))
    return [{"case": [e.case_kind.value, e.case_id], "name": e.name, "occurred_at": e.occurred_at.isoformat(),
             "data": e.data, "recorded_at": e.recorded_at.isoformat(),
             "corrected_from": e.corrected_from.isoformat() if e.corrected_from else None,
             "correction_reason": e.correction_reason or None} for e in rows]


def dispute_export(dispute: Dispute, user: Any, record_pdf: bytes, record_reference: str,
                   produced_at: datetime) -> CaseExport:
    """A dispute's zip as ``user`` may see it (the caller checked ``can_view``): its papers only when
    ``can_view_papers`` says so, as on the papers page and in the record itself."""
    papers = access.can_view(dispute, user)
    texts = {m.key: m.text for m in dispute.material}
    return CaseExport(
        summary={
            "reference": dispute.reference, "title": dispute.title, "process": dispute.process_key,
            "state": dispute.state, "filed_at": dispute.created_at, "closed_at": dispute.closed_at,
            "parties": [{"organisation": p.organisation.name, "code": p.organisation.code, "filed": p.filed,
                         "respondent": p.respondent} for p in dispute.parties],
            "record_reference": record_reference, "exported_at": produced_at,
        },
        records=[("record.pdf", record_pdf)],
        audit_objects=[(DISPUTE, str(dispute.id))],
        event_cases=[(CaseKind.DISPUTE, [dispute.id])],
        written=[(title, texts.get(key, "")) for key, title, _guidance
                 in material_headings(definition_of(dispute), dispute)] if papers else None,
        attachments=attachments_for(CaseKind.DISPUTE, dispute.id) if papers else [],
    )


def decision_export(recommendation: Recommendation, user: Any, records: list[tuple[str, bytes]],
                    record_reference: str, produced_at: datetime) -> CaseExport:
    """A PDEG decision's zip (the caller checked ``can_view``): its ratification record (and certificate,
    once issued), its written recommendation and supporting papers, the events of the decision and of each
    Board's ratification, and the audit proof of everything its record reflects (the decision, its
    ratifications and its PDEG agenda items)."""
    papers = access.can_view(recommendation, user)
    ratifications = list(recommendation.ratifications)
    written = [("Summary", recommendation.summary), ("The decision sought", recommendation.decision_sought)]
    if recommendation.amendment:
        written.append((f"As amended by PDEG (version {recommendation.amendment_version})",
                        recommendation.amendment))
    return CaseExport(
        summary={
            "reference": recommendation.reference, "title": recommendation.title,
            "state": str(recommendation.state), "variation": recommendation.is_variation,
            "raised_at": recommendation.created_at,
            "parties_affected": [{"organisation": o.name, "code": o.code} for o in recommendation.affected],
            "boards": [{"organisation": r.organisation.name, "code": r.organisation.code, "state": str(r.state)}
                       for r in ratifications],
            "record_reference": record_reference, "exported_at": produced_at,
        },
        records=records,
        audit_objects=[(str(t), str(i)) for t, i in verify_ops.decision_subjects([recommendation])],
        event_cases=[(CaseKind.RECOMMENDATION, [recommendation.id]),
                     (CaseKind.RATIFICATION, [r.id for r in ratifications])],
        written=[(h, t or "") for h, t in written] if papers else None,
        attachments=attachments_for(CaseKind.RECOMMENDATION, recommendation.id) if papers else [],
    )


def case_zip(export: CaseExport, verify_url: str) -> bytes:
    """The zip of one case: README, its records, case.json, events.json, audit-proof.json and papers/."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", HOW_TO_CHECK.format(verify=verify_url))
        for name, content in export.records:
            archive.writestr(name, content)
        archive.writestr("case.json", _json(export.summary))
        archive.writestr("events.json", _json(case_events(export.event_cases)))
        archive.writestr("audit-proof.json", _json(audit_proof(export.audit_objects)))
        if export.written is not None:
            index: list[dict[str, Any]] = []
            for number, (title, body) in enumerate(export.written, 1):
                if body.strip():
                    name = f"papers/{number:02d} {_safe_name(title)}.txt"
                    archive.writestr(name, f"{title}\n\n{body}\n")
                    index.append({"file": name, "heading": title})
            for attachment in export.attachments:
                name = f"papers/attachments/{attachment.id} {_safe_name(attachment.original_filename)}"
                archive.write(storage.path_for(attachment.stored_name), name)
                index.append({"file": name, "sha256": attachment.sha256, "uploaded_at": attachment.uploaded_at,
                              "uploaded_by": attachment.uploaded_by.name, "description": attachment.description})
            archive.writestr("papers/index.json", _json(index))
    return out.getvalue()
