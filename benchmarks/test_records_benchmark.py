"""How long decision records take, and how much of it is ours (queries and templating) on top of
WeasyPrint: a typical dispute record and a 30-decision Board pack.

Not part of the test run (``testpaths = tests``); run it on request (see README, "Benchmarks"):

    .venv/bin/python -m pytest benchmarks -q

Each benchmark times the whole record (load, template, PDF) with pytest-benchmark and, in the same
run and as many rounds, WeasyPrint alone on the same finished HTML. It prints the project's share:
the time spent in queries and templating (timed inside each whole round) over WeasyPrint's time on
the same HTML, and as a cross-check ``(whole - WeasyPrint) / WeasyPrint``. The target is 20% or less.
Nothing here asserts on time: the numbers go to the terminal and to ``extra_info`` (``--benchmark-json``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, render_template
from flask_login import login_user

from govern.auth.models import User
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg.queries import BOARD_STATUS_TITLES
from govern.records import pdf, queries
from tests.casework import Cast, Run, start_run
from tests.test_records import agreed_decision, closed_scenario_2, pdf_text

pytestmark = pytest.mark.benchmark

ROUNDS = 5

PARAGRAPH = (
    "The community hospital beds in Paignton support discharge from Torbay Hospital for people who cannot yet go "
    "home. Closing them before home care capacity grows would move the pressure onto acute beds and onto carers, "
    "and the impact assessment did not consider the effect on people who use services and their carers. "
)


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def _measure(benchmark: Any, app: Flask, user: User, build_html: Callable[[], str], label: str,
             expect: str) -> None:
    """Benchmark the whole record; time WeasyPrint alone on the same HTML; print both and the share."""
    static = app.static_folder or "static"
    ours: list[float] = []

    def whole() -> bytes:
        with app.test_request_context():
            login_user(user)
            db.session.expire_all()  # load from the database each round, as a request would
            started = time.perf_counter()
            html = build_html()
            ours.append(time.perf_counter() - started)
            return pdf.render(html, static)

    data = benchmark.pedantic(whole, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert expect in pdf_text(data)

    with app.test_request_context():
        login_user(user)
        html = build_html()
    weasy: list[float] = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        pdf.render(html, static)
        weasy.append(time.perf_counter() - started)

    whole_median = benchmark.stats.stats.median
    weasy_median = statistics.median(weasy)
    ours_median = statistics.median(ours[-ROUNDS:])
    share = ours_median / weasy_median
    by_difference = (whole_median - weasy_median) / weasy_median
    benchmark.extra_info.update({
        "whole_median_s": round(whole_median, 4), "weasyprint_alone_median_s": round(weasy_median, 4),
        "queries_and_templating_median_s": round(ours_median, 4), "project_share": round(share, 4),
        "project_share_by_difference": round(by_difference, 4), "pdf_bytes": len(data),
    })
    print(  # the benchmark's report
        f"\n{label}: whole {whole_median * 1000:.0f} ms; WeasyPrint alone on the same HTML "
        f"{weasy_median * 1000:.0f} ms; queries and templating {ours_median * 1000:.0f} ms.\n"
        f"  Project's share on top of WeasyPrint: {share:.1%} (target: 20% or less); "
        f"whole minus WeasyPrint: {by_difference:+.1%} (noisier: two separately timed medians); "
        f"{len(data) // 1024} KiB"
    )


def test_a_typical_dispute_record(benchmark: Any, app: Flask, run: Run, cast: Cast) -> None:
    long = PARAGRAPH * 3
    dispute = closed_scenario_2(run, {key: long for key in ("background", "why", "impact", "suggested_remedy")})
    reader = cast.ceo("RDE")

    def build_html() -> str:
        found = db.session.get(type(dispute), dispute.id)
        record = queries.dispute_record(found, reader)
        return render_template("records/dispute.html", r=record)

    _measure(benchmark, app, reader, build_html, "Dispute record", dispute.reference)


def test_a_board_pack_of_30_decisions(
    benchmark: Any, app: Flask, cast: Cast, org: Callable[[str], Organisation],
) -> None:
    for n in range(30):
        agreed_decision(cast, org, title=f"Decision {n + 1}: system plan item", summary=PARAGRAPH,
                        codes=("RDE", "PHNT", "DCC"))
    secretary = cast.secretary("RDE")

    def build_html() -> str:
        pack = queries.board_pack(org("RDE"), secretary)
        assert len(pack.decisions) == 30
        return render_template("records/pack.html", pack=pack, board_titles=BOARD_STATUS_TITLES)

    _measure(benchmark, app, secretary, build_html,
             "Board pack, 30 decisions", "Decisions in this pack 30")
