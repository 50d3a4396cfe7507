"""A user's notices; the outbox for administrators (failures visible, failed messages sent again)."""

from __future__ import annotations

import dataclasses
import functools
import operator
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import bindparam, func, select, update
from werkzeug.wrappers import Response

from govern.core import clock
from govern.extensions import db, read
from govern.notify.models import Notice, OutboxMessage, OutboxStatus
from govern.notify.sender import retry_message
from govern.web import paging
from govern.web.access import requires
from govern.web.actions import run
from govern.web.template_helpers import local_datetime
from govern.web.urls import id_url_for

bp = Blueprint("notify", __name__)

is_admin = requires(lambda user: user.can_manage_accounts())

_UNREAD = select(func.count()).select_from(Notice).where(Notice.user_id == bindparam("user"), Notice.read_at.is_(None))

#: The header counts unread notices up to this many and then says "99+": an STP Leader who never
#: marks notices read has thousands, and every page would count them all.
HEADER_UNREAD_CAP = 99

_UNREAD_CAPPED = select(func.count()).select_from(
    select(Notice.id).where(Notice.user_id == bindparam("user"), Notice.read_at.is_(None))
    .limit(HEADER_UNREAD_CAP + 1).subquery())


def unread_count(user_id: int) -> int:
    """How many of the user's notices are unread (the notices page)."""
    return read(_UNREAD, {"user": user_id}).scalar() or 0


def unread_for_header(user_id: int) -> str:
    """The header's words for the user's unread notices: "" for none, "3", or "99+" (a bounded count)."""
    unread = read(_UNREAD_CAPPED, {"user": user_id}).scalar() or 0
    return f"{HEADER_UNREAD_CAP}+" if unread > HEADER_UNREAD_CAP else str(unread) if unread else ""


@bp.get("/notices")
@login_required
def notices() -> str:
    """The user's notices, newest first, a page at a time."""
    page = paging.keyset(
        select(Notice).where(Notice.user_id == current_user.id), (Notice.created_at, Notice.id),
        lambda n: (n.created_at, n.id), descending=True, cursor=request.args.get("after"),
    )
    return render_template("notify/notices.html", page=page, notices=page.items, unread=unread_count(current_user.id))


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
    """Mail that failed or is waiting to be retried (a page at a time, next attempt first), and how
    much is in each state."""
    counts = dict(
        db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    )
    shown = request.args.get("status", "")
    # The states other than sent, named: ``status IN (...)`` reads the status index, ``!= sent`` every row.
    statuses = [s for s in OutboxStatus if s is not OutboxStatus.SENT]
    if shown in {s.value for s in statuses}:
        statuses = [OutboxStatus(shown)]
    retried = (OutboxMessage.attempts > 0,)
    query = select(OutboxMessage.id, OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.status,
                   OutboxMessage.attempts, OutboxMessage.next_attempt_at, OutboxMessage.last_error
                   ).where(OutboxMessage.status.in_(statuses), *retried)
    page = paging.keyset(query, (OutboxMessage.next_attempt_at, OutboxMessage.id),
                         lambda m: (m.next_attempt_at, m.id), cursor=request.args.get("after"), scalars=False,
                         counted=False)
    # How many in all: a count per state, each a range of the status index, in one statement.
    total = db.session.scalar(select(functools.reduce(operator.add, [
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status, *retried)
        .scalar_subquery() for status in statuses])))
    page = dataclasses.replace(page, total=int(total or 0))
    return render_template("notify/outbox.html", counts=counts, page=page, messages=_outbox_rows(page.items),
                           Status=OutboxStatus, shown=shown)


def _outbox_rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    """What the outbox table shows for each message: (to, subject, attempts, failed, when it is next
    tried as text, last error, the address to send it again); each address built once."""
    again = id_url_for("notify.retry", "message_id")
    return [(row.to_address, row.subject, row.attempts, row.status is OutboxStatus.FAILED,
             "" if row.status is OutboxStatus.FAILED else local_datetime(row.next_attempt_at), row.last_error,
             again(row.id)) for row in rows]


@bp.post("/admin/outbox/<int:message_id>/retry")
@is_admin
def retry(message_id: int) -> Response:
    """Send a failed message again."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if run(None, lambda: retry_message(message, current_user), stale_url=url_for("notify.outbox")).ok:
        flash(f"The message to {message.to_address} will be sent again.", "success")
    return redirect(url_for("notify.outbox"))
