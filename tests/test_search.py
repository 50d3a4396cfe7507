"""Search: it finds a decision by a phrase from its reasons, never shows a dispute (or its papers) to
someone who may not see it, highlights safely, filters by kind and year, pages, and stays current with
every change in the same transaction. Runs on SQLite (FTS5) and PostgreSQL (tsvector, GIN)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select, text

from govern.auth.models import User
from govern.core import clock
from govern.disputes import operations as dispute_ops
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import AgendaOutcome, AgendaPart, RaisedBy, Recommendation
from govern.search import index, query
from govern.search.index import rebuild
from govern.search.models import SearchDocument
from govern.testing import create_schema
from tests.casework import Cast, Clock, Run, complete_texts, start_run
from tests.conftest import TEST_CONFIG, Page
from tests.meetings import quorate

REASONS = "The shared back office saves four million pounds over three years and keeps payroll local."


@pytest.fixture(autouse=True)
def _request(app: Flask) -> Iterator[None]:
    """Results carry the addresses of their pages: build them as in a request."""
    with app.test_request_context():
        yield


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def decision(cast: Cast, org: Callable[[str], Organisation], *, title: str = "One finance back office",
             summary: str = "Merge the finance teams of two trusts.", reasons: str = REASONS,
             meeting_on: date | None = None) -> Recommendation:
    """A recommendation raised by the Finance Working Group and agreed at PDEG with ``reasons``."""
    chair = cast.chair("FWG", "STP")
    rec = pdeg_ops.raise_recommendation(
        chair, title=title, summary=summary, decision_sought="Agree to consult.",
        raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org("RDE"), org("PHNT")], group=chair.group)
    meeting = pdeg_ops.schedule_meeting(cast.secretariat, meeting_date=meeting_on or clock.now().date(),
                                        title="PDEG monthly meeting")
    quorate(meeting, cast.secretariat)
    item = pdeg_ops.add_to_agenda(meeting, rec, cast.secretariat, part=AgendaPart.ONE)
    pdeg_ops.record_outcome(item, cast.secretariat, outcome=AgendaOutcome.AGREED, minute_reference="PDEG/42",
                            reasons=reasons)
    db.session.commit()
    return rec


def found(user: User, words: str, **filters: Any) -> list[query.Result]:
    return query.search(user, words, **filters).items


def headings(user: User, words: str, **filters: Any) -> list[str]:
    return [r.heading for r in found(user, words, **filters)]


def test_a_decision_is_found_by_a_phrase_from_its_reasons(cast: Cast, org: Callable[[str], Organisation]) -> None:
    rec = decision(cast, org)
    reader = cast.ceo("NDHT")  # any signed-in person may see an agreed PDEG decision
    results = found(reader, '"saves four million pounds"')
    assert [(r.kind, r.heading) for r in results] == [("meeting", f"{rec.reference}: One finance back office")]
    assert results[0].url == f"/recommendations/{rec.id}"
    # (SQLite marks the phrase as one, PostgreSQL each word of it.)
    assert "<mark>saves four million pounds</mark>" in str(results[0].snippet).replace("</mark> <mark>", " ")
    # Stemmed, in any order; a word from the decision's own summary finds the decision itself.
    assert headings(reader, "pound saving") == [f"{rec.reference}: One finance back office"]
    assert [r.kind for r in found(reader, "merge finance teams")] == ["decision"]
    # A phrase in another order is not that phrase; a word left out with a minus excludes.
    assert found(reader, '"pounds million four"') == []
    assert found(reader, "payroll -office") == []
    assert len(found(reader, "payroll or nonexistentword")) == 1


@pytest.mark.parametrize(("who", "sees"), [
    ("party_ceo", True), ("party_deputy", True), ("stp_leader", True), ("panel_ceo", True),
    ("other_ceo", False), ("party_board_secretary", False), ("secretariat", False), ("group_chair", False),
])
def test_a_dispute_is_never_shown_to_someone_outside_it(
    who: str, sees: bool, run: Run, cast: Cast,
) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.do("RDE", "save", {})
    run.do("leader", "nominate_panel", {"organisation_ids": ["DCC"]})
    user = {
        "party_ceo": lambda: cast.ceo("RDE"), "party_deputy": lambda: cast.deputy("RDE"),
        "stp_leader": lambda: cast.leader, "panel_ceo": lambda: cast.ceo("DCC"),
        "other_ceo": lambda: cast.ceo("PHNT"), "party_board_secretary": lambda: cast.secretary("RDE"),
        "secretariat": lambda: cast.secretariat, "group_chair": lambda: cast.chair("FWG", "STP"),
    }[who]()
    results = found(user, "hyper-acute stroke unit")
    assert [r.heading for r in results] == ([f"{dispute.reference}: Where the hyper-acute stroke unit goes"]
                                            if sees else [])
    assert bool(found(user, "three times January")) is sees  # the account of the negotiation


def test_the_papers_are_found_only_by_those_who_may_read_them(run: Run, cast: Cast) -> None:
    """The panel sees the dispute at once but its papers only once they are released to it."""
    dispute = run.file("RDE", "scenario_2")
    texts = complete_texts(dispute)
    heading = next(iter(texts))
    run.do("RDE", "save", {**texts, heading: "Ambulance handover delays at the quayside site", "principles": ["B3"]})
    run.do("RDE", "submit_report", {})
    run.do("leader", "nominate_panel", {"organisation_ids": ["DCC"]})
    assert [r.kind for r in found(cast.ceo("RDE"), "quayside handover")] == ["paper"]
    assert found(cast.ceo("DCC"), "quayside handover") == []
    assert found(cast.ceo("PHNT"), "quayside handover") == []
    run.do("DCC", "declare_interest", {"conflict": False})
    run.do("leader", "release_papers", {})
    [paper] = found(cast.ceo("DCC"), "quayside handover")
    assert paper.url == f"/disputes/{dispute.id}/papers"


def test_a_draft_is_found_only_by_those_who_may_see_it(cast: Cast, org: Callable[[str], Organisation]) -> None:
    chair = cast.chair("FWG", "STP")
    pdeg_ops.draft_recommendation(chair, title="Quietly pooled estates budget", summary="", decision_sought="",
                                  raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org("RDE")], group=chair.group)
    db.session.commit()
    assert len(found(chair, "pooled estates")) == 1
    assert len(found(cast.secretariat, "pooled estates")) == 1
    assert found(cast.ceo("RDE"), "pooled estates") == []


def test_everything_shown_is_escaped_and_only_the_matches_are_marked(run: Run, cast: Cast) -> None:
    dispute = dispute_ops.file_dispute(
        cast.ceo("RDE"), process_key="scenario_2", title='<script>alert("x")</script> estates & "wards"',
        negotiation_attempted=True, negotiation_account="<img src=x onerror=alert(1)> estates review",
        other_parties=[], decision_reference="PDEG minute 2023/07")
    db.session.commit()
    [result] = found(cast.ceo("RDE"), "estates")
    assert result.heading == f'{dispute.reference}: <script>alert("x")</script> estates & "wards"'
    assert "<script>" not in result.title and "&lt;script&gt;" in result.title
    assert "<mark>estates</mark>" in result.title
    # (PostgreSQL's parser reads "<img src=x" as a tag and leaves it out of the snippet: either way, escaped.)
    assert "onerror=alert(1)&gt; <mark>estates</mark> review" in result.snippet and "<img" not in result.snippet


def test_the_page_escapes_the_heading_and_keeps_the_words(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute_ops.file_dispute(
        cast.ceo("RDE"), process_key="scenario_2", title="<b>bold</b> estates", negotiation_attempted=True,
        negotiation_account="", other_parties=[], decision_reference="PDEG minute 2023/07")
    db.session.commit()
    client = client_for(cast.ceo("RDE"))
    response = client.get("/search?q=estates")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt; estates" in html
    assert "estates" in (Page.of(response).text("results") or "")
    typed = client.get("/search?q=%3Cb%3Eestates").get_data(as_text=True)
    assert 'value="&lt;b&gt;estates"' in typed and "<b>estates" not in typed


def test_results_filter_by_kind_and_year(cast: Cast, org: Callable[[str], Organisation]) -> None:
    Clock(datetime(2024, 3, 1, 10, tzinfo=UTC))
    older = decision(cast, org, title="Pathology network 2024", summary="A pathology network.",
                     reasons="Pathology turnaround improves.")
    clock.freeze(datetime(2025, 3, 1, 10, tzinfo=UTC))
    newer = decision(cast, org, title="Pathology network 2025", summary="A wider pathology network.",
                     reasons="Pathology turnaround improves again.")
    reader = cast.ceo("NDHT")
    assert {r.kind for r in found(reader, "pathology")} == {"decision", "meeting"}
    assert headings(reader, "pathology", kinds=["decision"], year=2024) == [
        f"{older.reference}: Pathology network 2024"]
    assert headings(reader, "pathology", kinds=["meeting"], year=2025) == [
        f"{newer.reference}: Pathology network 2025"]
    assert found(reader, "pathology", kinds=["paper"]) == []
    assert query.years()[:2] == [2025, 2024]


def test_results_come_a_page_at_a_time_without_repeats(cast: Cast, org: Callable[[str], Organisation],
                                                       client_for: Callable[[User], FlaskClient]) -> None:
    chair = cast.chair("FWG", "STP")
    for n in range(query.PAGE_SIZE + 5):
        pdeg_ops.raise_recommendation(chair, title=f"Diagnostics hub {n}", summary="Community diagnostics hub.",
                                      decision_sought="", raised_by=RaisedBy.SUBORDINATE_GROUP,
                                      affected=[org("RDE")], group=chair.group)
    db.session.commit()
    reader = cast.ceo("NDHT")
    first = query.search(reader, "diagnostics")
    assert len(first.items) == query.PAGE_SIZE and first.next_cursor
    second = query.search(reader, "diagnostics", cursor=first.next_cursor)
    assert len(second.items) == 5 and second.next_cursor is None
    assert len({r.heading for r in first.items + second.items}) == query.PAGE_SIZE + 5
    client = client_for(reader)
    page = client.get("/search?q=diagnostics")
    next_link = Page.of(page)
    assert "Next page" in page.get_data(as_text=True) and next_link is not None


def test_the_index_follows_every_change_in_the_same_transaction(run: Run, cast: Cast) -> None:
    dispute = run.file("RDE", "scenario_2")
    texts = complete_texts(dispute)
    heading = next(iter(texts))
    run.do("RDE", "save", {heading: "Stroke nurses recruited from abroad"})
    assert len(found(cast.ceo("RDE"), "nurses abroad")) == 1
    run.do("RDE", "save", {heading: "Stroke consultants recruited locally"})
    assert found(cast.ceo("RDE"), "nurses abroad") == []
    assert len(found(cast.ceo("RDE"), "consultants locally")) == 1
    # A change rolled back leaves nothing behind in the index.
    dispute_ops.save_written_material(dispute, cast.ceo("RDE"), {heading: "Helicopter transfers"}, None)
    db.session.flush()
    assert len(found(cast.ceo("RDE"), "helicopter")) == 1
    db.session.rollback()
    assert found(cast.ceo("RDE"), "helicopter") == []


def test_rebuild_writes_every_document_again(cast: Cast, org: Callable[[str], Organisation], run: Run) -> None:
    decision(cast, org)
    run.file("RDE", "scenario_2")
    before = db.session.scalar(select(func.count()).select_from(SearchDocument))
    db.session.execute(delete(SearchDocument))
    db.session.commit()
    assert found(cast.leader, "payroll") == []
    assert rebuild(db.session.connection()) == before
    db.session.commit()
    assert len(found(cast.leader, "payroll")) == 1
    assert len(found(cast.leader, "stroke unit")) == 1


def test_a_rebuild_over_the_full_index_leaves_it_whole_and_still_kept(
    cast: Cast, org: Callable[[str], Organisation], run: Run,
) -> None:
    """The rebuild writes in bulk (on SQLite without the row triggers, then one FTS5 pass): afterwards the
    index matches the documents exactly, and changes are kept again as they happen."""
    decision(cast, org)
    dispute = run.file("RDE", "scenario_2")
    before = db.session.scalar(select(func.count()).select_from(SearchDocument))
    assert rebuild(db.session.connection()) == before
    assert rebuild(db.session.connection()) == before  # over the full index
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        # FTS5 checks its index against the documents' table: an error if a row is missing or left over.
        db.session.execute(text("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"))
        triggers = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                                "AND tbl_name = 'search_document'")))
        assert triggers == {"search_document_ai", "search_document_ad", "search_document_au"}
    else:
        assert db.session.scalar(select(func.count()).select_from(SearchDocument)
                                 .where(SearchDocument.search_vector.is_(None))) == 0
    assert len(found(cast.leader, "payroll")) == 1
    heading = next(iter(complete_texts(dispute)))
    dispute_ops.save_written_material(dispute, cast.ceo("RDE"), {heading: "Helicopter transfers"}, None)
    db.session.commit()
    assert len(found(cast.ceo("RDE"), "helicopter")) == 1
    dispute_ops.save_written_material(dispute, cast.ceo("RDE"), {heading: "Ambulance handovers"}, None)
    db.session.commit()
    assert found(cast.ceo("RDE"), "helicopter") == []


def test_a_rebuild_that_fails_on_a_sqlite_file_leaves_the_triggers_as_they_were(
    make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the command runs it (the driver's own transactions, not the tests'): dropping the triggers is part
    of the rebuild's transaction, so a rebuild that fails keeps the index kept."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    other = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rebuild.sqlite3'}"})

    def fails(*_args: Any) -> Any:
        raise RuntimeError("the disk is full")

    with other.app_context():
        create_schema()
        monkeypatch.setattr(index, "delete", fails)  # after the triggers are dropped, before anything is written
        with pytest.raises(RuntimeError):
            rebuild(db.session.connection())
        db.session.rollback()
        triggers = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        assert {"search_document_ai", "search_document_ad", "search_document_au"} <= triggers


@pytest.mark.parametrize("typed", [
    'title:x', 'NEAR(a b)', '"unbalanced', 'a AND OR NOT', '*', '^start', '-', '""', "' OR 1=1 --", "{body}:x",
    "x" * 500,
])
def test_anything_typed_is_searched_as_words(typed: str, cast: Cast, org: Callable[[str], Organisation]) -> None:
    decision(cast, org)
    query.search(cast.ceo("RDE"), typed)  # never an error from the database


def test_a_page_makes_the_same_number_of_queries_whatever_the_data(
    cast: Cast, org: Callable[[str], Organisation],
) -> None:
    from tests.scale import counting_queries

    chair = cast.chair("FWG", "STP")
    reader = cast.ceo("NDHT")

    def add(count: int) -> None:
        for n in range(count):
            pdeg_ops.raise_recommendation(chair, title=f"Estates plan {n}", summary="Estates.", decision_sought="",
                                          raised_by=RaisedBy.SUBORDINATE_GROUP, affected=[org("RDE")],
                                          group=chair.group)
        db.session.commit()

    def queries_for_a_page() -> int:
        db.session.expire_all()
        with counting_queries() as statements:
            query.search(reader, "estates")
        return len(statements)

    add(5)
    small = queries_for_a_page()
    add(60)
    assert queries_for_a_page() <= small + 1  # one more batch of candidates at most, never one per row


def test_search_needs_sign_in(client: FlaskClient) -> None:
    response = client.get("/search?q=anything")
    assert response.status_code == 302 and "/login" in response.location


def test_nothing_found_says_so(cast: Cast, client_for: Callable[[User], FlaskClient]) -> None:
    response = client_for(cast.ceo("RDE")).get("/search?q=zebra")
    assert "Nothing found" in response.get_data(as_text=True)
