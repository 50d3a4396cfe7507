"""Email that is never lost: every message goes through the outbox; a mail server outage delays
mail and loses none; failures are visible to administrators; in development mail goes to files.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from govern.auth.models import User
from govern.core import clock
from govern.extensions import db
from govern.notify.models import OutboxMessage, OutboxStatus
from govern.notify.queue import Message, queue
from govern.notify.sender import backoff, deliver_outbox
from tests.conftest import Page

START = datetime(2023, 3, 1, 10, tzinfo=UTC)


class SmtpSink(socketserver.ThreadingTCPServer):
    """A minimal SMTP server on the loopback interface that keeps what it receives."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        super().__init__(("127.0.0.1", port), SmtpHandler)


class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    timeout = 10

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        server: SmtpSink = self.server  # type: ignore[assignment]
        recipients: list[str] = []
        self.reply("220 sink ready")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 sink")
            elif command.startswith("MAIL FROM"):
                recipients = []
                self.reply("250 OK")
            elif command.startswith("RCPT TO"):
                recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                server.received.append((recipients, data))
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """The app sends by SMTP to a loopback port where (so far) nothing listens."""
    port = free_port()
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
                       "MAIL_TIMEOUT": 5, "MAIL_FROM": "govern@devon-stp.test"}.items():
        monkeypatch.setitem(app.config, key, value)
    return port


@pytest.fixture
def sink_on() -> Iterator[Callable[[int], SmtpSink]]:
    servers: list[SmtpSink] = []

    def start(port: int) -> SmtpSink:
        server = SmtpSink(port)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def queue_mail(users: list[User], count: int) -> None:
    clock.freeze(START)
    queue([Message(u.id, f"Message {n} for {u.name}", "Body") for n in range(count) for u in users],
          {u.id: u.email for u in users})
    db.session.commit()


def statuses() -> list[tuple[OutboxStatus, int]]:
    db.session.expire_all()
    return [(m.status, m.attempts) for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_mail_server_down_then_back_delivers_every_message(
    make_user: Callable[..., User], smtp_port: int, sink_on: Callable[[int], SmtpSink]
) -> None:
    users = [make_user(), make_user()]
    queue_mail(users, 3)

    down = deliver_outbox()
    again_at_once = deliver_outbox()  # nothing is due before the backoff has passed

    assert (down.sent, down.retrying, again_at_once.sent + again_at_once.retrying) == (0, 6, 0)
    assert statuses() == [(OutboxStatus.PENDING, 1)] * 6
    assert all("Connection refused" in m.last_error or "Errno" in m.last_error
               for m in db.session.scalars(select(OutboxMessage)))

    sink = sink_on(smtp_port)
    clock.freeze(START + backoff(1, {}) + timedelta(seconds=1))
    back = deliver_outbox()

    assert back.sent == 6
    assert statuses() == [(OutboxStatus.SENT, 2)] * 6
    received = sorted((to[0], message_from_bytes(data)["Subject"]) for to, data in sink.received)
    assert received == sorted((u.email, f"Message {n} for {u.name}") for n in range(3) for u in users)


def test_backoff_doubles_up_to_the_cap() -> None:
    config = {"MAIL_RETRY_BASE_SECONDS": 60, "MAIL_RETRY_MAX_SECONDS": 3600}
    assert [backoff(n, config).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [60, 120, 240, 1920, 3600, 3600]


def test_after_the_last_attempt_a_message_is_failed_visible_and_can_be_sent_again(
    app: Flask, make_user: Callable[..., User], smtp_port: int, sink_on: Callable[[int], SmtpSink],
    admin: User, client_for: Callable[[User], FlaskClient], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    queue_mail([make_user(name="Pat Recipient")], 1)
    deliver_outbox()
    clock.freeze(START + timedelta(hours=2))
    deliver_outbox()
    assert statuses() == [(OutboxStatus.FAILED, 2)]

    admin_client = client_for(admin)
    page = Page.of(admin_client.get("/admin/outbox"))
    assert page.text("outbox-failed") == "1"
    assert "Message 0 for Pat Recipient" in (page.text("outbox-problems") or "")

    message_id = db.session.scalar(select(OutboxMessage.id))
    assert admin_client.post(f"/admin/outbox/{message_id}/retry").status_code == 302
    sink = sink_on(smtp_port)
    assert deliver_outbox().sent == 1
    assert len(sink.received) == 1


def test_the_outbox_lists_what_failed_and_what_is_being_retried_with_its_next_try(
    make_user: Callable[..., User], admin: User, client_for: Callable[[User], FlaskClient],
) -> None:
    queue_mail([make_user(name="Pat Recipient")], 3)
    failed, retrying, _waiting = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    failed.status, failed.attempts, failed.last_error = OutboxStatus.FAILED, 5, "550 no such mailbox"
    retrying.attempts, retrying.next_attempt_at = 1, datetime(2023, 3, 1, 12, 30, tzinfo=UTC)
    db.session.commit()
    client = client_for(admin)

    everything = Page.of(client.get("/admin/outbox")).text("outbox-problems") or ""
    only_failed = Page.of(client.get("/admin/outbox?status=failed")).text("outbox-problems") or ""
    only_retrying = Page.of(client.get("/admin/outbox?status=pending")).text("outbox-problems") or ""

    assert "Messages that failed or are being retried: 2 messages" in everything
    assert "Message 1 for Pat Recipient 1next try 1 March 2023 at 12:30pm" in everything  # 1<br>next try
    assert "Message 0 for Pat Recipient 5 Failed 550 no such mailbox Send again" in everything
    assert "Message 2" not in everything  # never tried yet: not a problem
    assert "1 message" in only_failed and "Message 1" not in only_failed
    assert "1 message" in only_retrying and "Message 0" not in only_retrying


def test_two_senders_never_claim_the_same_message(app: Flask, make_user: Callable[..., User]) -> None:
    from govern.notify.sender import claim

    queue_mail([make_user()], 10)
    first = claim(6)
    second = claim(6)

    assert len(first) == 6 and len(second) == 4 and not set(first) & set(second)


def test_in_development_mail_is_written_to_files_under_instance(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path / "mail"))
    assert app.config["MAIL_SERVER"] is None  # no server configured: the files backend
    user = make_user(name="Dev Reader")
    queue_mail([user], 2)

    assert deliver_outbox().sent == 2

    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    email = message_from_bytes(files[0].read_bytes())
    assert (email["To"], email["Subject"]) == (user.email, "Message 0 for Dev Reader")


def test_the_files_backend_defaults_to_the_instance_folder(app: Flask) -> None:
    from govern.notify.sender import _Transport, mail_backend

    assert mail_backend({}) == "files"
    assert mail_backend({"MAIL_SERVER": "smtp.nhs.net"}) == "smtp"
    assert _Transport({}, app.instance_path).folder == Path(app.instance_path) / "mail"


# --- a message that cannot be built fails alone, visibly (issue 13, defect 2) ---------------------------


def _insert_unbuildable(to: str) -> int:
    """An outbox row whose subject holds CR/LF, as stored before subjects were folded (or written by
    anything else that skips ``queue``): ``build_email`` cannot make a header of it."""
    row = OutboxMessage(to_address=to, subject="Agreed: stroke\r\nBcc: everyone@example.test", body="Body",
                        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=START, created_at=START)
    db.session.add(row)
    db.session.commit()
    return row.id


def test_a_message_that_cannot_be_built_fails_alone_and_the_rest_are_sent(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    admin: User, client_for: Callable[[User], FlaskClient],
) -> None:
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path / "mail"))
    user = make_user(name="Kim Reader")
    clock.freeze(START)
    broken = _insert_unbuildable(user.email)
    queue_mail([user], 2)

    result = deliver_outbox()

    assert (result.sent, result.failed) == (2, 1)
    db.session.expire_all()
    message = db.session.get(OutboxMessage, broken)
    assert message is not None and message.status is OutboxStatus.FAILED
    assert "could not be built" in message.last_error
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2
    page = Page.of(client_for(admin).get("/admin/outbox"))
    assert page.text("outbox-failed") == "1"


def test_queue_folds_newlines_out_of_the_subject(make_user: Callable[..., User]) -> None:
    user = make_user()
    clock.freeze(START)
    queue([Message(user.id, "For your Board:\r\nR2026-0001\nStroke", "Body")], {user.id: user.email})
    db.session.commit()

    assert db.session.scalar(select(OutboxMessage.subject)) == "For your Board: R2026-0001 Stroke"


def test_a_recommendation_title_posted_with_a_newline_is_stored_on_one_line(
    make_user: Callable[..., User], org: Callable[[str], object], client_for: Callable[[User], FlaskClient],
) -> None:
    from govern.auth.models import Role
    from govern.pdeg.models import Recommendation

    chair = make_user(Role.GROUP_CHAIR, "STP", group_code="FWG")
    response = client_for(chair).post("/recommendations/new", data={
        "kind": "recommendation", "title": "Stroke\r\nBcc: everyone@example.test", "summary": "S",
        "affected": [str(org("RDE").id)], "within_delegation": "no", "confirm": "yes",  # type: ignore[attr-defined]
    })

    assert response.status_code == 302
    assert db.session.scalar(select(Recommendation.title)) == "Stroke Bcc: everyone@example.test"
