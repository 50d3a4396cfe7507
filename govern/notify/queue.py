"""Telling people: a notice in the app and an email in the outbox, written in the caller's transaction.

Nothing here sends anything: the outbox is sent by ``flask --app govern tick`` (see
:mod:`govern.notify.sender`), so a message is stored if and only if what caused it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import insert

from govern.cases.models import CaseKind
from govern.core import clock
from govern.core.text import single_line
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage, OutboxStatus
from govern.web.template_helpers import service_name


@dataclass(frozen=True)
class Message:
    """What to tell one user: a subject, a body and the page it is about."""

    user_id: int
    subject: str
    body: str
    link: str = ""
    case_kind: CaseKind | None = None
    case_id: int | None = None
    #: One line saying the same, for a digest mail that lists several messages.
    summary: str = ""


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
    return f"{message.body}{tail}\n\n-- \n{service_name()}\n"


def queue(messages: Iterable[Message], emails: Mapping[int, str], *, mail: bool = True) -> int:
    """Store each message as a notice and, where the user has an address (and ``mail``), an outbox
    email. Two statements however many messages. Returns how many notices were written."""
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
        if mail and emails.get(m.user_id)
    ]
    if mail:
        db.session.execute(insert(OutboxMessage), mail)
    return len(batch)


def queue_digests(messages: Iterable[Message], emails: Mapping[int, str], subject: Callable[[list[Message]], str],
                  ) -> int:
    """One outbox email per user listing all of their ``messages`` (the notices are written by
    :func:`queue`, one per message): a person with fifty steps due gets one mail, not fifty. A user
    with one message gets that message as it is. One statement. Returns how many emails were queued."""
    now = clock.now()
    by_user: dict[int, list[Message]] = defaultdict(list)
    for m in messages:
        if emails.get(m.user_id):
            by_user[m.user_id].append(m)
    base = str(current_app.config.get("PUBLIC_BASE_URL", "")).rstrip("/")
    rows = []
    for user_id, mine in sorted(by_user.items()):
        if len(mine) == 1:
            title, body = mine[0].subject, email_body(mine[0])
        else:
            title = subject(mine)
            items = "\n\n".join(f"- {m.summary or m.subject}" + (f"\n  {base}{m.link}" if m.link else "") for m in mine)
            body = f"{title}.\n\n{items}\n\n-- \n{current_app.config['SERVICE_NAME']}\n"
        rows.append({"to_address": emails[user_id], "subject": title[:300], "body": body,
                     "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now,
                     "last_error": ""})
    if rows:
        db.session.execute(insert(OutboxMessage), rows)
    return len(rows)
