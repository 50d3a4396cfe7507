"""The pages people use daily on a partnership ten years on, under gunicorn, against a bare baseline.

Builds the 10,000-dispute partnership (10,000 disputes, 2,000 decisions awaiting 14 Boards, the demo
accounts; ``tests/scale.py``, the builder the query-count tests use) in a SQLite file, serves it with
gunicorn (2 sync workers), serves the yardstick (``benchmarks/baseline.py``: a bare Flask +
Flask-SQLAlchemy page rendering 50 of 10,000 rows from SQLite by an index) the same way, and for
each page measures requests per second of the page and of the baseline side by side (baseline,
page, baseline, three rounds; each round's baseline figure is the mean of the two around the page, so
a change in the machine's load touches both, and the median round is reported). It prints, per page,
the ratio (the page's requests per second over the baseline's) beside its target: lists and
dashboards 0.5 or better, a case page 0.3 or better.

It reports figures; it asserts nothing about time (machines differ). Not part of the test run:

    .venv/bin/python -m benchmarks.pages                 # about five minutes
    .venv/bin/python -m benchmarks.pages --seconds 2 --json pages.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

from govern import ROOT

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the demo's published password (README)
WORKERS = 2
CLIENTS = 2  # concurrent requests: one per worker keeps both busy without queueing
ROUNDS = 3  # page and baseline measured in turn, three times each; the median round is reported


@dataclass(frozen=True)
class PageSpec:
    """A page to measure: who looks, what address, the target ratio (None: reported only)."""

    name: str
    who: str
    path: str
    target: float | None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Figures:
    """One page's figures."""

    name: str
    status: int
    kilobytes: float
    median_ms: float
    rps: float
    baseline_rps: float
    ratio: float
    target: float | None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(root: Path) -> dict[str, str]:
    """The partnership in ``root/govern.sqlite3`` and the baseline's rows; returns addresses it needs."""
    from sqlalchemy import select

    from benchmarks import baseline
    from govern import create_app
    from govern.auth.models import User
    from govern.deadlines.feed import reset_calendar_token
    from govern.disputes.models import Dispute
    from govern.extensions import db
    from govern.partnership.demo import load_demo
    from govern.testing import create_schema, use_fast_password_hashing
    from tests.scale import build_partnership

    os.environ["BASELINE_DATABASE"] = str(root / "baseline.sqlite3")
    baseline.fill(baseline.create_app())
    use_fast_password_hashing()  # the stored hashes say their own cost: the servers check them as they are
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'govern.sqlite3'}", "SECRET_KEY": "benchmark"})
    started = time.perf_counter()
    with app.app_context():
        create_schema()
        load_demo()
        db.session.commit()
        from govern.core import clock

        build_partnership(10_000, 2_000, now=clock.now())
        leader = db.session.scalar(select(User).where(User.email == "stp.leader@demo.govern.test"))
        assert leader is not None
        token = reset_calendar_token(leader).token
        db.session.commit()
        dispute_id = db.session.scalar(select(Dispute.id).where(Dispute.title == "Dispute 5000"))
        # Administrators and the STP Leader give a code from their authenticator app when they sign in.
        secrets = {f"totp:{who}": db.session.scalar(select(User.totp_secret).where(User.email == email)) or ""
                   for who, email in ACCOUNTS.items()}
    print(f"Built the partnership (10,000 disputes, 2,000 decisions, 14 Boards) in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return {"token": token, "dispute": str(dispute_id), **secrets}


def serve(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start gunicorn with 2 sync workers on ``port`` and wait until it answers."""
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         target],
        cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn {target} did not start")


def login(port: int, email: str, totp_secret: str = "") -> str:
    """Sign in through the real login pages (CSRF token, and the second factor where it is asked
    for, with a code from the account's authenticator secret); returns the Cookie header. Anything
    but a signed-in session is an error: a page measured while signed out measures a redirect."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    body = response.read().decode()
    cookies = _cookies(response.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
    form = urlencode({"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1) if token else ""})
    connection.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": _header(cookies)})
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"could not sign in as {email}: {response.status}")
    cookies.update(_cookies(response.headers.get_all("Set-Cookie") or []))
    if response.headers.get("Location", "").endswith("/login/code"):
        import pyotp

        connection.request("GET", "/login/code", headers={"Cookie": _header(cookies)})
        response = connection.getresponse()
        body = response.read().decode()
        cookies.update(_cookies(response.headers.get_all("Set-Cookie") or []))
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
        form = urlencode({"code": pyotp.TOTP(totp_secret).now(), "csrf_token": token.group(1) if token else ""})
        connection.request("POST", "/login/code", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": _header(cookies)})
        response = connection.getresponse()
        response.read()
        if response.status != 302:
            raise RuntimeError(f"{email}'s second factor was refused: {response.status}")
        cookies.update(_cookies(response.headers.get_all("Set-Cookie") or []))
    connection.close()
    return _header(cookies)


def _cookies(headers: list[str]) -> dict[str, str]:
    return dict(h.split(";", 1)[0].split("=", 1) for h in headers)


def _header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def measure(port: int, path: str, headers: dict[str, str], seconds: float) -> tuple[float, float, int, int]:
    """(requests per second, median ms, bytes, status) over ``seconds`` with ``CLIENTS`` clients."""
    times: list[float] = []
    sizes: list[tuple[int, int]] = []
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[float] = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - started)
            if not sizes:
                sizes.append((len(body), response.status))
        connection.close()
        with lock:
            times.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    size, status = sizes[0] if sizes else (0, 0)
    return len(times) / elapsed, 1000 * statistics.median(times) if times else 0.0, size, status


def pages(addresses: dict[str, str]) -> list[PageSpec]:
    """Each page a user hits daily."""
    feed = f"/calendar/{addresses['token']}.ics"
    return [
        # The floor: a signed-in page with no list (sign-in, the NHS.UK layout, the agreement's names).
        PageSpec("/account (no list: the floor)", "leader", "/account", None),
        PageSpec("home page", "leader", "/", 0.5),
        PageSpec("/disputes (STP Leader)", "leader", "/disputes", 0.5),
        PageSpec("/disputes, overdue (STP Leader)", "leader", "/disputes?due=overdue", 0.5),
        PageSpec("/disputes (a partner CEO)", "ceo", "/disputes", 0.5),
        PageSpec("a dispute page", "leader", f"/disputes/{addresses['dispute']}", 0.3),
        PageSpec("/register", "leader", "/register", 0.5),
        PageSpec("/boards/awaiting", "secretary", "/boards/awaiting", 0.5),
        PageSpec("/dashboard", "leader", "/dashboard", 0.5),
        PageSpec("/notices", "leader", "/notices", 0.5),
        PageSpec("/calendar", "leader", "/calendar", 0.5),
        PageSpec("calendar feed (STP Leader), full", "anyone", feed, None),
        PageSpec("calendar feed (STP Leader), poll: 304", "anyone", feed, 0.5, (("If-None-Match", "{etag}"),)),
        PageSpec("/admin/users", "admin", "/admin/users", 0.5),
        PageSpec("/admin/outbox", "admin", "/admin/outbox", 0.5),
        PageSpec("/pdeg/meetings", "secretariat", "/pdeg/meetings", 0.5),
    ]


ACCOUNTS = {
    "leader": "stp.leader@demo.govern.test",
    "ceo": "ceo.rde@demo.govern.test",
    "secretary": "secretary.rde@demo.govern.test",
    "admin": "admin@demo.govern.test",
    "secretariat": "secretariat@demo.govern.test",
}


def _rss_mb(master: int) -> list[float]:
    """Resident memory of gunicorn's workers, in MB."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        sizes = []
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes
    except OSError:
        return []


def run(seconds: float, json_path: str | None) -> list[Figures]:
    """Build, serve, measure, print; returns the figures."""
    with tempfile.TemporaryDirectory(prefix="govern-bench-") as scratch:
        root = Path(scratch)
        addresses = build(root)
        govern_port, baseline_port = _free_port(), _free_port()
        env = {"DATABASE_URL": f"sqlite:///{root / 'govern.sqlite3'}", "GOVERN_INSTANCE_PATH": str(root / "instance"),
               "SECRET_KEY": "benchmark", "GOVERN_SESSION_COOKIE_SECURE": "false",
               "BASELINE_DATABASE": str(root / "baseline.sqlite3")}
        servers = [serve("govern:create_app()", govern_port, env),
                   serve("benchmarks.baseline:create_app()", baseline_port, env)]
        try:
            cookies = {who: login(govern_port, email, addresses[f"totp:{who}"]) for who, email in ACCOUNTS.items()}
            figures = []
            for spec in pages(addresses):
                headers = {"Cookie": cookies[spec.who]} if spec.who in cookies else {}
                for name, value in spec.headers:
                    headers[name] = value.format(etag=_etag(govern_port, spec.path))
                measure(govern_port, spec.path, headers, min(1.0, seconds / 2))  # warm the workers' caches
                # Baseline, page, baseline, page ... baseline: each round's ratio is the page over the mean
                # of the baselines either side, and the figure is the median round, so a spell of other
                # work on the machine moves one round, not the figure.
                part = seconds / ROUNDS
                bases = [measure(baseline_port, "/", {}, part)[0]]
                rounds = []
                for _ in range(ROUNDS):
                    rps, median_ms, size, status = measure(govern_port, spec.path, headers, part)
                    if status not in (200, 304):
                        raise RuntimeError(f"{spec.path} answered {status} for {spec.who}: not the page meant")
                    bases.append(measure(baseline_port, "/", {}, part)[0])
                    base = (bases[-2] + bases[-1]) / 2
                    rounds.append((rps / base, rps, base, median_ms))
                ratio, rps, base, median_ms = sorted(rounds)[len(rounds) // 2]
                figures.append(Figures(spec.name, status, size / 1024, median_ms, rps, base, ratio, spec.target))
                print(_line(figures[-1]), flush=True)
            memory = _rss_mb(servers[0].pid)
        finally:
            for server in servers:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
    print(f"\ngunicorn workers of govern after the run: {', '.join(f'{m:.0f} MB' for m in memory)}")
    print(f"Load average while measuring (other work on this machine slows both sides): {os.getloadavg()[0]:.1f}")
    if json_path:
        Path(json_path).write_text(json.dumps([asdict(f) for f in figures], indent=2))
    return figures


def _etag(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.headers.get("ETag", "")


def _line(f: Figures) -> str:
    target = f"{f.target:.1f}" if f.target is not None else "-"
    verdict = "" if f.target is None else ("  meets target" if f.ratio >= f.target else "  BELOW TARGET")
    return (f"{f.name:42} {f.status:4} {f.kilobytes:8.1f} KB {f.median_ms:8.1f} ms {f.rps:8.1f} req/s "
            f"baseline {f.baseline_rps:7.1f} req/s  ratio {f.ratio:6.3f} (target {target}){verdict}")


def main() -> None:
    """Command line: ``python -m benchmarks.pages [--seconds S] [--json FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="seconds of the page per page, split over the rounds (default 6)")
    parser.add_argument("--json", help="also write the figures to this file")
    arguments = parser.parse_args()
    print(f"{'page':42} {'code':>4} {'size':>11} {'median':>11} {'page':>14}")
    run(arguments.seconds, arguments.json)


if __name__ == "__main__":
    main()
