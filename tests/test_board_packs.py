"""Board packs bounded: a pack is for a Board meeting (the decisions awaiting that Board by the date the
secretary gives), and a pack with more decisions than ``BOARD_PACK_INLINE_MAX`` is made in the background
by ``tick`` (a job with a lease, the PDF stored in its row) and offered to the secretary when ready, never
rendered in a request that could time out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from govern.audit.models import AuditEvent
from govern.auth.models import User
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.notify.models import Notice
from govern.partnership.models import Organisation
from govern.records import packs, queries
from govern.records.models import BoardPack, PackStatus
from tests.casework import Cast, Clock
from tests.conftest import Page
from tests.test_records import agreed_decision

START = datetime(2023, 3, 1, 10, tzinfo=UTC)
MEETING = date(2023, 3, 28)


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    cast = Cast(make_user, stp_leader)
    cast.secretary("RDE")
    cast.secretary("PHNT")
    cast.chair("FWG", "STP")
    _ = cast.secretariat
    return cast


@pytest.fixture
def small_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """Packs of more than three decisions are made in the background."""
    monkeypatch.setitem(app.config, "BOARD_PACK_INLINE_MAX", 3)
    return 3


def many_awaiting(cast: Cast, org: Callable[[str], Organisation], count: int) -> list[int]:
    Clock(START)
    return [agreed_decision(cast, org, title=f"Decision {n}").id for n in range(count)]


def date_form(day: date) -> dict[str, str]:
    return {"meeting_date[day]": str(day.day), "meeting_date[month]": str(day.month),
            "meeting_date[year]": str(day.year)}


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(BytesIO(data)).pages).split())


def test_a_pack_is_for_a_meeting_the_decisions_agreed_by_then_and_still_awaiting_the_board(
    cast: Cast, org: Callable[[str], Organisation],
) -> None:
    moment = Clock(START)
    early = agreed_decision(cast, org, title="Agreed early")
    moment.tick(timedelta(days=14))
    late = agreed_decision(cast, org, title="Agreed later")
    secretary = cast.secretary("RDE")

    def titles(meeting: date) -> list[str]:
        pack = queries.board_pack(org("RDE"), secretary, meeting_date=meeting)
        return [d.recommendation.title for d in pack.decisions]

    assert titles(START.date() + timedelta(days=7)) == [early.title]
    assert titles(START.date() + timedelta(days=21)) == [early.title, late.title]
    assert packs.decisions_for_meeting(org("RDE").id, START.date() + timedelta(days=21)) == 2


def test_a_large_pack_is_prepared_by_tick_and_offered_to_the_secretary_when_ready(
    app: Flask, cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
    small_limit: int,
) -> None:
    many_awaiting(cast, org, 12)
    clock.freeze(START + timedelta(days=2))
    secretary = cast.secretary("RDE")
    client = client_for(secretary)

    asked = client.post("/boards/packs", data=date_form(MEETING))
    assert asked.status_code == 302 and asked.location.endswith("/boards/packs")
    [pack] = db.session.scalars(select(BoardPack)).all()
    page = Page.of(client.get("/boards/packs"))
    assert page.text(f"pack-{pack.id}") == "28 March 2023 12 decisions Being prepared"
    # Asking for that meeting's PDF now never renders it in the request: it points to the packs page.
    direct = client.get("/boards/pack.pdf?meeting=2023-03-28")
    assert direct.status_code == 303 and direct.location.endswith("/boards/packs")

    result = app.test_cli_runner().invoke(args=["tick"])

    assert result.exit_code == 0, result.output
    assert "Board packs: 1 made, 0 failed." in result.output
    page = Page.of(client.get("/boards/packs"))
    assert page.text(f"pack-{pack.id}") == "28 March 2023 12 decisions Ready Download (PDF)"
    notice = db.session.scalars(select(Notice).where(Notice.user_id == secretary.id,
                                                     Notice.subject.like("%Board pack%"))).one()
    assert notice.subject == "The Board pack for the meeting on 28 March 2023 is ready"
    assert notice.link == "/boards/packs"
    download = client.get(f"/boards/packs/{pack.id}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    text = pdf_text(download.get_data())
    assert "Decisions in this pack 12" in text and "Board meeting on 28 March 2023" in text
    # Another Board's secretary cannot have it.
    assert client_for(cast.secretary("PHNT")).get(f"/boards/packs/{pack.id}.pdf").status_code == 404


def test_a_small_pack_is_downloaded_at_once(
    cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient], small_limit: int,
) -> None:
    many_awaiting(cast, org, 2)
    clock.freeze(START + timedelta(days=2))
    client = client_for(cast.secretary("RDE"))

    asked = client.post("/boards/packs", data=date_form(MEETING))

    assert asked.status_code == 302 and asked.location.endswith("/boards/pack.pdf?meeting=2023-03-28")
    download = client.get("/boards/pack.pdf?meeting=2023-03-28")
    assert download.mimetype == "application/pdf"
    assert "Decisions in this pack 2" in pdf_text(download.get_data())
    assert db.session.scalar(select(func.count()).select_from(BoardPack)) == 0


def test_asking_again_while_a_pack_is_prepared_makes_no_second_pack(
    cast: Cast, org: Callable[[str], Organisation], small_limit: int,
) -> None:
    many_awaiting(cast, org, 5)
    secretary = cast.secretary("RDE")
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent))

    first = packs.request_board_pack(secretary, MEETING)
    db.session.commit()
    second = packs.request_board_pack(secretary, MEETING)
    db.session.commit()

    assert first.id == second.id and first.status is PackStatus.PREPARING and first.decision_count == 5
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits + 1


@pytest.mark.parametrize("who", ["ceo", "secretariat"])
def test_only_a_board_secretary_asks_for_their_boards_pack(
    cast: Cast, client_for: Callable[[User], FlaskClient], who: str,
) -> None:
    user = cast.ceo("RDE") if who == "ceo" else cast.secretariat
    with pytest.raises(OperationError):
        packs.request_board_pack(user, MEETING)
    assert client_for(user).post("/boards/packs", data=date_form(MEETING)).status_code == 403


def test_two_ticks_never_make_the_same_pack(
    cast: Cast, org: Callable[[str], Organisation], small_limit: int,
) -> None:
    many_awaiting(cast, org, 5)
    packs.request_board_pack(cast.secretary("RDE"), MEETING)
    db.session.commit()

    first, second = packs.claim_pack(), packs.claim_pack()

    assert first is not None and second is None
    clock.freeze(clock.now() + packs.LEASE + timedelta(seconds=1))  # its maker died: the lease runs out
    assert packs.claim_pack() == first


def test_a_pack_that_cannot_be_made_is_tried_again_then_shown_as_failed(
    app: Flask, cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
    small_limit: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    many_awaiting(cast, org, 5)
    secretary = cast.secretary("RDE")
    pack = packs.request_board_pack(secretary, MEETING)
    db.session.commit()

    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(packs.pdf, "render", broken)
    for _ in range(packs.MAX_ATTEMPTS):
        packs.make_board_packs()
        clock.freeze(clock.now() + packs.LEASE + timedelta(seconds=1))

    db.session.expire_all()
    assert db.session.get(BoardPack, pack.id).status is PackStatus.FAILED
    told = db.session.scalars(select(Notice.subject).where(Notice.user_id == secretary.id,
                                                           Notice.subject.like("%Board pack%"))).all()
    assert told == ["The Board pack for the meeting on 28 March 2023 could not be made"]
    page = Page.of(client_for(secretary).get("/boards/packs"))
    assert page.text(f"pack-{pack.id}") == "28 March 2023 5 decisions Could not be prepared: ask again"


def test_with_the_default_limit_a_board_with_many_decisions_awaiting_never_gets_its_pack_in_a_request(
    app: Flask, cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient],
) -> None:
    many_awaiting(cast, org, app.config["BOARD_PACK_INLINE_MAX"] + 1)
    client = client_for(cast.secretary("RDE"))

    awaiting = client.get("/boards/awaiting").get_data(as_text=True)
    direct = client.get("/boards/pack.pdf")

    assert 'href="/boards/pack.pdf"' not in awaiting and 'href="/boards/packs"' in awaiting
    assert direct.status_code == 303 and direct.location.endswith("/boards/packs")
