"""Production on several servers: gunicorn with ``gunicorn.conf.py``; two servers and two ticks sharing
one PostgreSQL database behave as one service (sessions, actions, each reminder and mail once).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from govern import ROOT
from govern.auth.models import User
from govern.core import clock
from govern.deadlines.models import Reminder
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage, OutboxStatus
from govern.notify.queue import Message, queue
from govern.partnership.models import Organisation
from tests.casework import Cast, Clock, Run
from tests.conftest import PASSWORD, MailSink, totp_code

#: Servers in other processes read and write the test's database: they see only what is committed.
pytestmark = pytest.mark.real_commits

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
FLASK = str(Path(sys.executable).with_name("flask"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(app: Flask, instance: Path) -> dict[str, str]:
    """What a server of this deployment is given: the shared database and key, its own instance folder."""
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "shared-secret",
            "GOVERN_INSTANCE_PATH": str(instance), "GOVERN_SESSION_COOKIE_SECURE": "false",
            "GOVERN_PREFERRED_URL_SCHEME": "http"}


@pytest.fixture
def start_server(app: Flask, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Start gunicorn with the project's config file on a free port; return its base URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> str:
        port = free_port()
        env = server_environment(app, tmp_path / f"instance-{name}") | {"GOVERN_WORKERS": "2"}
        process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
            [GUNICORN, "--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
             "govern:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{name}.log", "wb"),  # noqa: SIM115
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                requests.get(f"{base}/login", timeout=2)
                return base
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or workers still booting
                assert process.poll() is None, (tmp_path / f"{name}.log").read_text()
                time.sleep(0.1)
        raise AssertionError(f"gunicorn {name} did not start")

    yield start
    for process in started:
        process.terminate()
    for process in started:
        process.wait(timeout=30)


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def log_in(session: requests.Session, base: str, user: User) -> None:
    page = session.get(f"{base}/login")
    response = session.post(f"{base}/login", data={"email": user.email, "password": PASSWORD,
                                                   "csrf_token": csrf_token(page.text)}, allow_redirects=False)
    assert response.status_code == 302, response.text
    if response.headers.get("Location", "").endswith("/login/code"):
        # Administrators and the STP Leader give a code from their authenticator app as well.
        code_page = session.get(f"{base}/login/code")
        response = session.post(f"{base}/login/code", data={"code": totp_code(user.totp_secret or ""),
                                                            "csrf_token": csrf_token(code_page.text)},
                                allow_redirects=False)
        assert response.status_code == 302, response.text


def test_gunicorn_serves_the_app_with_the_projects_config(
    app: Flask, start_server: Callable[[str], str], make_user: Callable[..., User],
) -> None:
    user = make_user()
    base = start_server("one")

    browser = requests.Session()
    log_in(browser, base, user)

    assert browser.get(f"{base}/notices", allow_redirects=False).status_code == 200
    assert requests.get(f"{base}/healthz", timeout=5).status_code == 503  # no sweep has run yet


@pytest.mark.postgres
def test_two_servers_and_two_ticks_on_one_postgresql_act_as_one_service(
    app: Flask, start_server: Callable[[str], str], make_user: Callable[..., User], stp_leader: User,
    admin: User, org: Callable[[str], Organisation], mail_sink: MailSink, tmp_path: Path,
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    cast = Cast(make_user, stp_leader)
    cast.deputy("RDE")
    run = Run(cast, org, Clock(datetime(2023, 3, 1, 10, tzinfo=UTC)))
    for _ in range(20):
        run.file("RDE", "scenario_2")  # each report was due a week later: long overdue now
    queue([Message(admin.id, f"Backlog {n}", "Body") for n in range(3000)], {admin.id: admin.email})
    db.session.commit()
    clock.freeze(None)
    reader = make_user(name="Robin Reader")

    first, second = start_server("a"), start_server("b")

    # A user signed in on one server is signed in on the other.
    robin = requests.Session()
    log_in(robin, first, reader)
    assert robin.get(f"{second}/notices", allow_redirects=False).status_code == 200
    # An action on one is seen on the other: an administrator disables Robin on the first server, and
    # Robin's session on the second ends at once.
    administrator = requests.Session()
    log_in(administrator, second, admin)
    token = csrf_token(administrator.get(f"{first}/admin/users/{reader.id}").text)
    disabled = administrator.post(f"{first}/admin/users/{reader.id}/disable", data={"csrf_token": token},
                                  allow_redirects=False)
    assert disabled.status_code == 302
    assert robin.get(f"{second}/notices", allow_redirects=False).status_code == 302

    # Two ticks at once: each reminder once, each mail once.
    env = server_environment(app, tmp_path / "instance-tick") | {
        "GOVERN_MAIL_BACKEND": "smtp", "GOVERN_MAIL_SERVER": "127.0.0.1", "GOVERN_MAIL_PORT": str(mail_sink.port),
        "GOVERN_MAIL_BATCH": "100"}
    ticks = [subprocess.Popen([FLASK, "--app", "govern", "tick"], cwd=ROOT, env=env,  # noqa: S603
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [t.communicate(timeout=300)[0].decode() for t in ticks]
    assert [t.returncode for t in ticks] == [0, 0], outputs

    db.session.expire_all()
    reminders = db.session.scalar(select(func.count()).select_from(Reminder))
    assert reminders == 60  # 20 overdue reports: the chief executive, the deputy and the STP Leader
    sent = [int(m.group(1)) for out in outputs for m in [re.search(r"Reminders: (\d+) sent", out)] if m]
    assert sorted(sent) in ([0, 60], [60]) or sum(sent) == 60, outputs
    overdue_notices = db.session.scalar(select(func.count()).select_from(Notice).where(Notice.subject.like("%overdue")))
    assert overdue_notices == 60
    outbox_ids = sorted(db.session.scalars(select(OutboxMessage.id)))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status != OutboxStatus.SENT)) == 0
    received = sorted(int(m.group(1)) for _to, data in mail_sink.messages
                      for m in [re.search(rb"Message-ID: <[^>]*outbox-(\d+)@", data)] if m)
    assert received == outbox_ids  # every message once: none twice, none lost
    digests = [s for s in mail_sink.subjects() if s.startswith("20 steps to act on")]
    assert len(digests) == 3
