"""Uploading a paper to a case, and downloading one.

Both load the case and answer 404 to anyone who may not see it (a private dispute's existence is
not revealed). Bad input is flashed as an error on the case page and changes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.wrappers import Response

from govern.attachments import access, operations, storage
from govern.attachments.models import Attachment
from govern.cases.models import CaseKind
from govern.core.errors import OperationError
from govern.extensions import db

bp = Blueprint("attachments", __name__, url_prefix="/attachments")


@bp.record_once
def _init(state: Any) -> None:
    from govern.attachments import init_app

    init_app(state.app)


def _safe_path(target: str | None) -> str | None:
    """A same-site path, or None: never a scheme, a host, ``//``, a backslash or a control character."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _visible_case_or_404(kind_value: str, case_id: int) -> tuple[CaseKind, Any]:
    kind = access.kind_from(kind_value)
    case = access.visible_case(kind, case_id, current_user) if kind is not None else None
    if kind is None or case is None:
        abort(404)
    return kind, case


def _back_to(kind: CaseKind, case: Any) -> Response:
    # ``next`` rides in the query string, so it is known even when the body was refused unread (413).
    target = _safe_path(request.args.get("next"))
    return redirect(target or access.case_url(kind, case) or url_for("main.home"))


@bp.post("/<kind>/<int:case_id>")
@login_required
def upload(kind: str, case_id: int) -> Response:
    """Attach the uploaded file (field ``file``, optional ``description``) to the case, then go back to
    ``?next=`` (a same-site path) or the case's page."""
    case_kind, case = _visible_case_or_404(kind, case_id)
    if not access.can_attach(case, current_user):
        abort(403)
    try:
        attachment = operations.attach_file(
            case_kind, case_id, current_user, request.files.get("file"), request.form.get("description", "")
        )
    except OperationError as error:
        db.session.rollback()
        # A refusal of the file itself is shown beside the file field (and in the error summary).
        flash(error.message, "upload_error" if error.field == "file" else "error")
    else:
        db.session.commit()
        flash(f"{attachment.original_filename} has been attached.", "success")
    return _back_to(case_kind, case)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Any:
    """A body over the request limit never reaches the view: say so on the case page, as for any
    other file that is too large (or 404 if the user may not see the case)."""
    args = request.view_args or {}
    kind = access.kind_from(str(args.get("kind", "")))
    case = access.visible_case(kind, int(args.get("case_id", 0)), current_user) if kind is not None else None
    if request.endpoint != "attachments.upload" or kind is None or case is None:
        return current_app.handle_http_exception(NotFound())
    flash(f"The selected file must be smaller than {storage.human_size(storage.max_bytes())}.", "upload_error")
    return _back_to(kind, case)


@bp.get("/<int:attachment_id>/download")
@login_required
def download(attachment_id: int) -> Response:
    """The file, always as a download, with the type detected at upload and nothing the browser
    could run or sniff."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or access.visible_case(attachment.case_kind, attachment.case_id, current_user) is None:
        abort(404)
    path = storage.path_for(attachment.stored_name)
    if not path.is_file():
        current_app.logger.error("Attachment %s: its file %s is missing", attachment.id, attachment.stored_name)
        abort(404)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_filename,  # werkzeug adds filename* (RFC 5987) when not ASCII
        conditional=False,
        etag=False,
        max_age=None,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
