"""Telling people: a notice in the app and an email in the outbox, written in the caller's transaction.

Nothing here sends anything: the outbox is sent by ``flask --app govern tick`` (see
:mod:`govern.notify.sender`), so a message is stored if and only if what caused it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import insert

from govern.cases.models import CaseKind
from govern.core import clock
from govern.core.text import single_line
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Message:
    """What to tell one user: a subject, a body and the page it is about."""

    user_id: int
    subject: str
    body: str
    link: str = ""
    case_kind: CaseKind | None = None
    case_id: int | None = None


def case_link(kind: CaseKind, case_id: int) -> str:
    """The path of a case's page (stored as a path: the sweep runs outside any request)."""
    return {
        CaseKind.DISPUTE: f"/disputes/{case_id}",
        CaseKind.RECOMMENDATION: f"/recommendations/{case_id}",
        CaseKind.RATIFICATION: f"/ratifications/{case_id}",
    }[kind]


def email_body(message: Message) -> str:
    """The email text: the notice, then where to read more."""
    base = str(current_app.config.get("PUBLIC_BASE_URL", "")).rstrip("/")
    tail = f"\n\nOpen it in Govern: {base}{message.link}" if message.link else ""
    return f"{message.body}{tail}\n\n-- \n{current_app.config['SERVICE_NAME']}\n"


def queue(messages: Iterable[Message], emails: Mapping[int, str]) -> int:
    """Store each message as a notice and, where the user has an address, an outbox email. Two
    statements however many messages. Returns how many notices were written."""
    now = clock.now()
    # A subject becomes an email header: a line break in it (from a title, say) would break the email.
    batch = [replace(m, subject=single_line(m.subject)) for m in messages]
    if not batch:
        return 0
    db.session.execute(
        insert(Notice),
        [
            {"user_id": m.user_id, "case_kind": m.case_kind, "case_id": m.case_id, "subject": m.subject[:300],
             "body": m.body, "link": m.link, "created_at": now}
            for m in batch
        ],
    )
    mail = [
        {"to_address": emails[m.user_id], "subject": m.subject[:300], "body": email_body(m),
         "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now, "last_error": ""}
        for m in batch
        if emails.get(m.user_id)
    ]
    if mail:
        db.session.execute(insert(OutboxMessage), mail)
    return len(batch)
