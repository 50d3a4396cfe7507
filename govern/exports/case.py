"""A whole dispute as a zip: its decision record (PDF), its papers, its events (JSON) and the audit proof.

What goes in is what the person may see on the case's pages: the papers (written material and attached
files) only when ``can_view_papers`` says so, as on the papers page and in the record itself.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy import select

from govern.attachments import storage
from govern.attachments.queries import attachments_for
from govern.audit import chain
from govern.audit.models import AuditEvent
from govern.cases.models import CaseEvent, CaseKind
from govern.core.types import as_jsonable
from govern.disputes.facts import definition_of
from govern.disputes.models import Dispute
from govern.disputes.presenters import material_headings
from govern.extensions import db
from govern.records.queries import DISPUTE

HOW_TO_CHECK = """How to check this case
=====================

record.pdf
    The decision record as it was issued with this file. Anyone can check it at {verify}: upload the
    PDF, or type its record reference and the SHA-256 printed on its first page. A record changed by
    even one byte does not match.

audit-proof.json
    Every audit event about this case, in order: its number (seq), when, who, what, the changes, the
    hash of the event before it in the whole audit trail (prev_hash) and its own hash. Each hash is an
    HMAC-SHA256, keyed with the audit key held outside the database, over

        prev_hash + "\\n" + canonical

    where "canonical" (given with each event) is the event as JSON with sorted keys and no spaces.
    Events of other cases sit between these in the audit trail, so the chain is checked whole by an
    administrator, who holds the key:

        flask --app govern audit verify

    names the first broken event if anything was edited, inserted, removed or reordered, and signed
    checkpoints (flask --app govern audit public-key) show that none was cut from the end. Compare the
    hash of each event here with the one in the audit trail.

events.json
    What happened in the case, step by step, as recorded (the moments deadlines count from).

papers/
    The written material under its headings and the supporting papers attached to the case, each with
    the SHA-256 it had when it was uploaded (listed in papers/index.json).
"""


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", name).strip(" .") or "file"
    return cleaned[:120]


def _json(value: Any) -> str:
    return json.dumps(value, default=as_jsonable, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def audit_proof(dispute: Dispute) -> list[dict[str, Any]]:
    """The audit events of the case, with what their hashes are computed over."""
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == DISPUTE, AuditEvent.object_id == str(dispute.id))
        .order_by(AuditEvent.seq)
    )
    return [{"seq": e.seq, "occurred_at": e.occurred_at.isoformat(), "actor": e.actor_label, "action": e.action,
             "changes": e.changes, "prev_hash": e.prev_hash, "hash": e.hash, "canonical": chain.event_content(e)}
            for e in events]


def case_events(dispute: Dispute) -> list[dict[str, Any]]:
    """The case's recorded events, in order."""
    rows = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_kind == CaseKind.DISPUTE, CaseEvent.case_id == dispute.id)
        .order_by(CaseEvent.occurred_at, CaseEvent.id)
    )
    return [{"name": e.name, "occurred_at": e.occurred_at.isoformat(), "data": e.data,
             "recorded_at": e.recorded_at.isoformat(),
             "corrected_from": e.corrected_from.isoformat() if e.corrected_from else None,
             "correction_reason": e.correction_reason or None} for e in rows]


def case_zip(dispute: Dispute, user: Any, record_pdf: bytes, record_reference: str, verify_url: str,
             produced_at: datetime) -> bytes:
    """The zip of ``dispute`` as ``user`` may see it (the caller checked ``can_view``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", HOW_TO_CHECK.format(verify=verify_url))
        archive.writestr("record.pdf", record_pdf)
        archive.writestr("case.json", _json({
            "reference": dispute.reference, "title": dispute.title, "process": dispute.process_key,
            "state": dispute.state, "filed_at": dispute.created_at, "closed_at": dispute.closed_at,
            "parties": [{"organisation": p.organisation.name, "code": p.organisation.code, "filed": p.filed,
                         "respondent": p.respondent} for p in dispute.parties],
            "record_reference": record_reference, "exported_at": produced_at,
        }))
        archive.writestr("events.json", _json(case_events(dispute)))
        archive.writestr("audit-proof.json", _json(audit_proof(dispute)))
        if dispute.can_view_papers(user):
            index = []
            texts = {m.key: m.text for m in dispute.material}
            for number, (key, title, _guidance) in enumerate(material_headings(definition_of(dispute), dispute), 1):
                if texts.get(key, "").strip():
                    name = f"papers/{number:02d} {_safe_name(title)}.txt"
                    archive.writestr(name, f"{title}\n\n{texts[key]}\n")
                    index.append({"file": name, "heading": title})
            for attachment in attachments_for(CaseKind.DISPUTE, dispute.id):
                name = f"papers/attachments/{attachment.id} {_safe_name(attachment.original_filename)}"
                archive.write(storage.path_for(attachment.stored_name), name)
                index.append({"file": name, "sha256": attachment.sha256, "uploaded_at": attachment.uploaded_at,
                              "uploaded_by": attachment.uploaded_by.name, "description": attachment.description})
            archive.writestr("papers/index.json", _json(index))
    return out.getvalue()
