"""How long a search takes over the 10,000-dispute benchmark partnership (issue 15: under 100 ms).

Not part of the test run; run it on request (README, "Benchmarks"):

    .venv/bin/python -m pytest benchmarks/test_search_benchmark.py -q -s
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/govern_bench ... (the same on PostgreSQL)

``tests/scale.py`` writes 10,000 disputes and 2,000 decisions in bulk; this adds three headings of written
material to every dispute (about 60 words each, drawn from a 3,000-word vocabulary, plus a few phrases that
recur), rebuilds the search index (``flask search rebuild``'s function, timed) and times, as the median of
several rounds, a page of results for the STP Leader (who sees every dispute) and for a partner chief
executive (who sees their own), for a rare phrase, a common word, and a word with kind and year filters.
It reports; it asserts nothing about time (machines differ: read the numbers).
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from flask import Flask
from sqlalchemy import func, insert, select

from govern.auth.models import User
from govern.disputes.models import Dispute, DisputeMaterial
from govern.extensions import db
from govern.search import query
from govern.search.index import rebuild
from govern.search.models import SearchDocument
from tests.scale import NOW, build_partnership, counting_queries

DISPUTES = 10_000
DECISIONS = 2_000
ROUNDS = 7
HEADINGS = ("background", "the_impact", "suggested_remedy")
PHRASES = ["delayed transfers of care", "stroke unit at the quayside", "community hospital beds",
           "pooled estates budget", "mental health crisis line"]


def _vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(3000)]


def _material(rng: random.Random, words: list[str]) -> str:
    text = " ".join(rng.choice(words) for _ in range(60))
    if rng.random() < 0.3:
        text += " " + rng.choice(PHRASES)
    return text


def timed(work: Any) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(ROUNDS):
        db.session.expire_all()
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def test_search_at_scale(app: Flask, stp_leader: User) -> None:
    started = time.perf_counter()
    built = build_partnership(DISPUTES, DECISIONS, now=NOW)
    rng = random.Random(15)  # noqa: S311  (made-up text, the same every run)
    words = _vocabulary(rng)
    leader = db.session.get(User, built.leader.id)
    author = built.ceos["RDE"].id
    rows = [{"dispute_id": d, "key": key, "text": _material(rng, words), "updated_by_id": author, "updated_at": NOW}
            for d in db.session.scalars(select(Dispute.id)) for key in HEADINGS]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(DisputeMaterial), rows[start:start + 5000])
    db.session.commit()
    built_s = time.perf_counter() - started

    started = time.perf_counter()
    documents = rebuild(db.session.connection())
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.connection().exec_driver_sql("ANALYZE search_document")
        db.session.commit()
    rebuild_s = time.perf_counter() - started
    # Again, over the full index: what ``flask search rebuild`` does on a running system.
    started = time.perf_counter()
    assert rebuild(db.session.connection()) == documents
    db.session.commit()
    again_s = time.perf_counter() - started

    ceo = db.session.get(User, built.ceos["RDE"].id)
    common = words[0]
    cases = [
        ("STP Leader, a phrase", leader, '"delayed transfers of care"', {}),
        ("STP Leader, a common word", leader, common, {}),
        ("STP Leader, two words, papers of one year", leader, "stroke quayside", {"kinds": ["paper"], "year": 2025}),
        ("partner CEO, a phrase", ceo, '"delayed transfers of care"', {}),
        ("partner CEO, a word in no dispute they see", ceo, "pooled estates", {"kinds": ["dispute"]}),
    ]
    lines = []
    context = app.test_request_context()
    context.push()  # results carry the addresses of their pages
    for name, user, words_typed, filters in cases:
        seconds, results = timed(lambda u=user, w=words_typed, f=filters: query.search(u, w, **f))
        with counting_queries() as statements:
            query.search(user, words_typed, **filters)
        lines.append(f"  {name} ({words_typed!r}): {seconds * 1000:.1f} ms, {len(results.items)} results on the "
                     f"page, {len(statements)} queries. Target: under 100 ms.")
    context.pop()
    print(
        f"\nBuilt {DISPUTES} disputes (with {len(rows)} headings of written material) and {DECISIONS} decisions in "
        f"{built_s:.1f} s ({db.engine.dialect.name}); search index rebuilt ({documents} documents) in "
        f"{rebuild_s:.1f} s, and again over the full index in {again_s:.1f} s.\n" + "\n".join(lines)
    )
    assert db.session.scalar(select(func.count()).select_from(SearchDocument)) == documents
