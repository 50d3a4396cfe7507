"""A user's notices; the outbox for administrators (failures visible, failed messages sent again)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, update
from werkzeug.wrappers import Response

from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage, OutboxStatus
from govern.notify.sender import retry_message
from govern.web.access import requires

bp = Blueprint("notify", __name__)

is_admin = requires(lambda user: user.can_manage_accounts())

NOTICES_SHOWN = 100


def unread_count(user_id: int) -> int:
    """How many of the user's notices are unread (for the header)."""
    return db.session.scalar(
        select(func.count()).select_from(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    ) or 0


@bp.get("/notices")
@login_required
def notices() -> str:
    """The user's notices, newest first."""
    rows = db.session.scalars(
        select(Notice).where(Notice.user_id == current_user.id)
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(NOTICES_SHOWN)
    ).all()
    return render_template("notify/notices.html", notices=rows, unread=unread_count(current_user.id))


@bp.post("/notices/read")
@login_required
def mark_read() -> Response:
    """Mark every notice read (a person's own reading state: not audited)."""
    db.session.execute(
        update(Notice).where(Notice.user_id == current_user.id, Notice.read_at.is_(None)).values(read_at=clock.now())
    )
    db.session.commit()
    flash("Notices marked as read.", "success")
    return redirect(url_for("notify.notices"))


@bp.get("/admin/outbox")
@is_admin
def outbox() -> str:
    """Mail that failed or is waiting to be retried, and how much is waiting."""
    counts = dict(
        db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    )
    troubled = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status != OutboxStatus.SENT, OutboxMessage.attempts > 0)
        .order_by(OutboxMessage.status, OutboxMessage.next_attempt_at).limit(200)
    ).all()
    return render_template("notify/outbox.html", counts=counts, messages=troubled, Status=OutboxStatus)


@bp.post("/admin/outbox/<int:message_id>/retry")
@is_admin
def retry(message_id: int) -> Response:
    """Send a failed message again."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    try:
        retry_message(message, current_user)
    except OperationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("notify.outbox"))
    db.session.commit()
    flash(f"The message to {message.to_address} will be sent again.", "success")
    return redirect(url_for("notify.outbox"))
