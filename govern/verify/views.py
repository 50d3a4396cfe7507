"""``/verify``: anyone may check a record; who may see the case learns what it reflects.

No sign-in is needed for the check. Checks are counted per address (``VERIFY_MAX_CHECKS`` in
``VERIFY_WINDOW_MINUTES``) and a file is read up to the attachments' size limit and must be a PDF.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from govern.attachments import filetypes, storage
from govern.core import clock
from govern.extensions import db
from govern.verify import checks
from govern.verify.forms import FileForm, ReferenceForm
from govern.verify.models import VerifyCheck
from govern.web.template_helpers import LONDON
from govern.web.urls import public_url_for

bp = Blueprint("verify", __name__)

DEFAULT_MAX_CHECKS = 30
DEFAULT_WINDOW_MINUTES = 10


def said_date(value: date | datetime | None) -> str:
    """'Tue 1 Dec 2026' (a moment as its London date)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value:%a} {value.day} {value:%b %Y}"


def max_bytes() -> int:
    """The largest file checked: ``VERIFY_MAX_BYTES``, or the attachments' limit."""
    return int(current_app.config.get("VERIFY_MAX_BYTES") or storage.max_bytes())


def _source() -> str:
    return (request.remote_addr or "unknown")[:64]


def _throttled() -> int:
    """Minutes to wait if this address has used its checks in the window, else 0."""
    window = timedelta(minutes=int(current_app.config.get("VERIFY_WINDOW_MINUTES", DEFAULT_WINDOW_MINUTES)))
    limit = int(current_app.config.get("VERIFY_MAX_CHECKS", DEFAULT_MAX_CHECKS))
    now = clock.now()
    count, first = db.session.execute(
        select(func.count(), func.min(VerifyCheck.checked_at))
        .where(VerifyCheck.source == _source(), VerifyCheck.checked_at > now - window)
    ).one()
    if count < limit or first is None:
        return 0
    return max(1, -(-int((first + window - now).total_seconds()) // 60))


def _count_check() -> None:
    now = clock.now()
    db.session.add(VerifyCheck(source=_source(), checked_at=now))
    # Old checks are of no further use: keep the table small as it is written.
    db.session.execute(VerifyCheck.__table__.delete().where(VerifyCheck.checked_at < now - timedelta(days=1)))
    db.session.commit()


def _read_pdf(form: FileForm) -> bytes | None:
    """The uploaded bytes if they are a PDF within the size limit; otherwise an error beside the field."""
    upload = form.record.data
    if upload is None or not getattr(upload, "filename", ""):
        form.record.errors = ["Select the PDF record to check"]
        return None
    limit = max_bytes()
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        form.record.errors = [f"The selected file must be smaller than {storage.human_size(limit)}"]
        return None
    if filetypes.detect(content, upload.filename) is not filetypes.PDF:
        form.record.errors = ["The selected file must be a PDF record from this system"]
        return None
    return content


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    if "reference_form" not in context:
        context["reference_form"] = ReferenceForm(prefix="ref")
    if "file_form" not in context:
        context["file_form"] = FileForm(prefix="file")
    return render_template("verify/index.html", said_date=said_date, max_size=storage.human_size(max_bytes()),
                           **context), status


@bp.app_context_processor
def _verify_address() -> dict[str, Any]:
    # Records print where they can be checked, on the public address (never the request's Host).
    return {"verify_address": lambda: public_url_for("verify.index")}


@bp.get("/verify")
def index() -> tuple[str, int]:
    """The two ways to check a record."""
    return _page()


@bp.post("/verify")
def check() -> tuple[str, int]:
    """Check one record: ``check=reference`` (reference and hash) or ``check=file`` (the PDF)."""
    reference_form, file_form = ReferenceForm(prefix="ref"), FileForm(prefix="file")
    forms = {"reference_form": reference_form, "file_form": file_form}
    wait = _throttled()
    if wait:
        return _page(429, wait_minutes=wait, **forms)
    finding = None
    if request.form.get("check") == "file":
        if file_form.validate_on_submit() and (content := _read_pdf(file_form)) is not None:
            finding = checks.check_file(content, current_user)
    elif reference_form.validate_on_submit():
        finding = checks.check_reference(reference_form.reference.data or "", reference_form.digest.data or "",
                                         current_user)
    if finding is None:
        return _page(400, page_has_errors=True, **forms)
    _count_check()
    return _page(finding=finding, checked=request.form.get("check") or "reference", **forms)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A body over the request limit is refused unread: say so beside the file field."""
    file_form = FileForm(prefix="file", formdata=None)
    file_form.record.errors = [f"The selected file must be smaller than {storage.human_size(max_bytes())}"]
    return _page(413, page_has_errors=True, file_form=file_form,
                 reference_form=ReferenceForm(prefix="ref", formdata=None))
