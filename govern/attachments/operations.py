"""Attaching a supporting paper to a case. The operation never commits; the request does."""

from __future__ import annotations

import hashlib
from typing import Any

from werkzeug.datastructures import FileStorage

from govern.attachments import access, storage
from govern.attachments.filetypes import ACCEPTED_DESCRIPTION, clean_filename, detect, refusal
from govern.attachments.models import Attachment
from govern.audit import chain
from govern.cases.models import CaseKind
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db

MAX_DESCRIPTION = 500


def accepted_hint() -> str:
    """What the upload form says it takes, e.g. 'A PDF, ... , up to 10 MB.'"""
    text = ACCEPTED_DESCRIPTION[0].upper() + ACCEPTED_DESCRIPTION[1:]
    return f"{text}, up to {storage.human_size(storage.max_bytes())}."


def _read_limited(file_storage: FileStorage, limit: int) -> bytes:
    # One byte more than allowed is enough to know the file is too large, without reading it all.
    file_storage.stream.seek(0)
    return file_storage.stream.read(limit + 1)


def attach_file(
    kind: CaseKind, case_id: int, user: Any, file_storage: FileStorage | None, description: str = ""
) -> Attachment:
    """Check the upload, store it under a server-chosen name, add its row and one audit event.

    Refusals raise :class:`OperationError` (field ``file`` or ``description``) before anything is
    written, saying why. The type is judged from the content, and the file must then prove it by
    being opened as that type (:func:`filetypes.refusal`); the name is only cleaned and given the
    detected type's extension. A user who may not see the case is told there is no such case.
    """
    case = access.load_case(kind, case_id)
    if case is None or not access.can_view(case, user):
        raise OperationError("There is no such case.")
    if not access.can_attach(case, user):
        raise OperationError("You cannot add papers to this case.")
    limit = storage.max_bytes()
    stated = storage.human_size(limit)
    if file_storage is None or not (file_storage.filename or "").strip():
        raise OperationError("Select a file to attach.", field="file")
    description = " ".join((description or "").split())
    if len(description) > MAX_DESCRIPTION:
        raise OperationError(f"The description must be {MAX_DESCRIPTION} characters or fewer.", field="description")
    data = _read_limited(file_storage, limit)
    if not data:
        raise OperationError("The selected file is empty.", field="file")
    if len(data) > limit:
        raise OperationError(f"The selected file must be smaller than {stated}.", field="file")
    file_kind = detect(data, file_storage.filename or "")
    if file_kind is None:
        raise OperationError(
            f"The selected file must be {ACCEPTED_DESCRIPTION}, no larger than {stated}. "
            "Its type is judged from its content, not its name.",
            field="file",
        )
    reason = refusal(data, file_kind)
    if reason is not None:
        raise OperationError(reason, field="file")

    stored_name = storage.save(data)  # deleted again if this transaction rolls back
    attachment = Attachment(
        case_kind=kind,
        case_id=case_id,
        original_filename=clean_filename(file_storage.filename or "", file_kind),
        stored_name=stored_name,
        content_type=file_kind.mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=user.id,
        uploaded_at=clock.now(),
        description=description,
    )
    db.session.add(attachment)
    db.session.flush()
    chain.record(
        "attach_file",
        kind.value,
        case_id,
        {
            "attachment_id": [None, attachment.id],
            "filename": [None, attachment.original_filename],
            "content_type": [None, attachment.content_type],
            "size": [None, attachment.size],
            "sha256": [None, attachment.sha256],
        },
        actor=user,
    )
    return attachment
