"""How long ``flask --app govern search rebuild`` takes over the 10,000-dispute benchmark partnership, run
as an operator runs it: the command in its own process, on a database file (SQLite's default durability,
not the tests' ``synchronous = OFF``), or on PostgreSQL.

    .venv/bin/python -m benchmarks.search_rebuild
    .venv/bin/python -m benchmarks.search_rebuild --database-url postgresql+psycopg://postgres@127.0.0.1:5432/govern_x

It builds the partnership as ``benchmarks/test_search_benchmark.py`` does (10,000 disputes with three
headings of written material each, 2,000 decisions), then times the command twice: over an empty index
(after an upgrade) and over the full one (what an operator does on a running system). It reports; it
asserts nothing about time. The PostgreSQL database is emptied first: give it one of its own.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(url: str) -> int:
    """The benchmark partnership (with the demo's) in the database at ``url``; returns how many disputes it
    adds."""
    from sqlalchemy import insert, select

    from benchmarks.test_search_benchmark import DECISIONS, DISPUTES, HEADINGS, _material, _vocabulary
    from govern import create_app
    from govern.disputes.models import Dispute, DisputeMaterial
    from govern.extensions import db
    from govern.partnership.demo import load_demo
    from govern.testing import create_schema, use_fast_password_hashing
    from tests.scale import NOW, build_partnership

    use_fast_password_hashing()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        create_schema()
        load_demo()
        db.session.commit()
        built = build_partnership(DISPUTES, DECISIONS, now=NOW)
        rng = random.Random(15)  # noqa: S311  (made-up text, the same every run)
        words = _vocabulary(rng)
        author = built.ceos["RDE"].id
        rows = [{"dispute_id": d, "key": key, "text": _material(rng, words), "updated_by_id": author,
                 "updated_at": NOW}
                for d in db.session.scalars(select(Dispute.id).where(
                    Dispute.id.not_in(select(DisputeMaterial.dispute_id))))
                for key in HEADINGS]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(DisputeMaterial), rows[start:start + 5000])
        db.session.commit()
        db.engine.dispose()
    return DISPUTES


def rebuild(url: str, instance: Path) -> tuple[float, str]:
    """Run the command as an operator would; its time and what it printed."""
    env = {**os.environ, "DATABASE_URL": url, "GOVERN_INSTANCE_PATH": str(instance), "SECRET_KEY": "benchmark"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "govern", "search", "rebuild"], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    )
    return time.perf_counter() - started, done.stdout.strip()


def main() -> None:
    """Command line: ``python -m benchmarks.search_rebuild [--database-url URL]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL database of its own (default: a new SQLite file)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govern-search-") as scratch:
        url = arguments.database_url or f"sqlite:///{Path(scratch) / 'govern.sqlite3'}"
        started = time.perf_counter()
        build(url)
        print(f"Built the partnership in {time.perf_counter() - started:.0f} s", flush=True)
        for when in ("over an empty index", "over the full index"):
            seconds, said = rebuild(url, Path(scratch) / "instance")
            print(f"flask search rebuild {when}: {seconds:.1f} s ({said}); load average {os.getloadavg()[0]:.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
