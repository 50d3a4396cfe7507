"""Reading a case's papers."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from govern.attachments.models import Attachment
from govern.cases.models import CaseKind
from govern.extensions import db


def attachments_for(kind: CaseKind, case_id: int) -> Sequence[Attachment]:
    """The case's papers, oldest first, with who uploaded each (one query). The caller has already
    checked that the user may see the case."""
    return db.session.scalars(
        select(Attachment)
        .options(joinedload(Attachment.uploaded_by))
        .where(Attachment.case_kind == kind, Attachment.case_id == case_id)
        .order_by(Attachment.uploaded_at, Attachment.id)
    ).all()
