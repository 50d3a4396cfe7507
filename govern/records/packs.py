"""Board packs that never time out: small ones are made in the request, large ones by ``tick``.

A pack is for a Board meeting: the decisions agreed at PDEG by the meeting's date and still awaiting the
Board. Rendering grows with the number of decisions (about a sixth of a second each, and memory with
it), so a pack of more than ``BOARD_PACK_INLINE_MAX`` decisions is asked for (:func:`request_board_pack`),
made by ``flask --app govern tick`` (:func:`make_board_packs`, which claims each pack with a lease so two
ticks never make the same one), kept in its row, and offered to the secretary, who is told when it is ready.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from flask import current_app, render_template
from sqlalchemy import func, select, update

from govern.audit import chain
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.notify.queue import Message, queue
from govern.partnership.models import Organisation
from govern.pdeg.queries import BOARD_STATUS_TITLES
from govern.records import pdf, queries
from govern.records.models import BoardPack, PackStatus
from govern.web.template_helpers import local_date

#: How long a maker holds a pack before another tick may take it over (its maker presumed dead).
LEASE = timedelta(minutes=30)
#: Attempts before a pack is shown as failed (the secretary can ask again).
MAX_ATTEMPTS = 3
PACKS_PAGE = "/boards/packs"

log = logging.getLogger(__name__)


def decisions_for_meeting(organisation_id: int, meeting_date: date | None) -> int:
    """How many decisions a pack for this Board's meeting would hold (one query)."""
    wanted = queries.awaiting_for_meeting(organisation_id, meeting_date).order_by(None).distinct().subquery()
    return db.session.scalar(select(func.count()).select_from(wanted)) or 0


def is_large(decisions: int) -> bool:
    """Whether a pack of this many decisions is made in the background (``BOARD_PACK_INLINE_MAX``)."""
    return decisions > int(current_app.config.get("BOARD_PACK_INLINE_MAX", 30))


def is_board_secretary(user: Any) -> bool:
    """Board packs are for Board secretaries, each for their own Board."""
    return bool(user is not None and user.is_authenticated and user.role.value == "board_secretary")


def request_board_pack(user: Any, meeting_date: date) -> BoardPack:
    """The secretary asks for their Board's pack for the meeting on ``meeting_date``, to be made by
    ``tick``. Asking again while that pack is being prepared gives the same pack. Never commits."""
    if not is_board_secretary(user):
        raise OperationError("Only a Board secretary can ask for their Board's pack.")
    pending = db.session.scalar(
        select(BoardPack).where(BoardPack.organisation_id == user.organisation_id,
                                BoardPack.meeting_date == meeting_date, BoardPack.status == PackStatus.PREPARING)
    )
    if pending is not None:
        return pending
    now = clock.now()
    pack = BoardPack(organisation_id=user.organisation_id, requested_by_id=user.id, meeting_date=meeting_date,
                     decision_count=decisions_for_meeting(user.organisation_id, meeting_date),
                     status=PackStatus.PREPARING, attempts=0, requested_at=now, filename="", last_error="")
    db.session.add(pack)
    db.session.flush()
    chain.record("request_board_pack", "board_pack", pack.id,
                 {"meeting_date": [None, meeting_date.isoformat()], "decisions": [None, pack.decision_count]},
                 actor=user)
    return pack


def claim_pack() -> int | None:
    """Claim the oldest pack waiting to be made, for this maker (commits, so the lease is seen by others)."""
    now = clock.now()
    candidate = (
        select(BoardPack.id)
        .where(BoardPack.status == PackStatus.PREPARING,
               (BoardPack.leased_until.is_(None)) | (BoardPack.leased_until <= now))
        .order_by(BoardPack.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.execute(
        update(BoardPack)
        .where(BoardPack.id.in_(candidate.scalar_subquery()), BoardPack.status == PackStatus.PREPARING)
        .values(leased_until=now + LEASE, attempts=BoardPack.attempts + 1)
        .returning(BoardPack.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    db.session.commit()
    return claimed


def render_pack(organisation: Organisation, for_user: Any, meeting_date: date | None) -> tuple[bytes, int]:
    """The PDF of a Board's pack for a meeting, and how many decisions it holds (needs a request
    context for the templates)."""
    content, pack = _render(organisation, for_user, meeting_date)
    return content, len(pack.decisions)


def _render(organisation: Organisation, for_user: Any, meeting_date: date | None) -> tuple[bytes, queries.BoardPack]:
    pack = queries.board_pack(organisation, for_user, meeting_date=meeting_date)
    html = render_template("records/pack.html", pack=pack, board_titles=BOARD_STATUS_TITLES)
    return pdf.render(html, current_app.static_folder or "static"), pack


def pack_issue(pack: queries.BoardPack) -> dict[str, Any]:
    """How a Board pack is registered as issued (``/verify``): its reference, the newest audit event of
    its decisions, and every decision's audit objects."""
    from govern.verify.operations import decision_subjects

    return {"kind": "pack", "reference": pack.reference, "mark": pack.audit, "subject_type": "board_pack",
            "subject_id": pack.organisation.id,
            "subjects": decision_subjects([d.recommendation for d in pack.decisions])}


def _tell_secretary(pack: BoardPack, subject: str, body: str) -> None:
    from govern.auth.models import User

    secretary = db.session.get(User, pack.requested_by_id)
    if secretary is not None:
        queue([Message(secretary.id, subject, body, PACKS_PAGE)],
              {secretary.id: secretary.email} if secretary.active else {})


def finish_board_pack(pack: BoardPack, content: bytes, decisions: int,
                      issue: dict[str, Any] | None = None) -> None:
    """Keep the finished pack and tell the secretary who asked for it. Never commits. ``issue``
    (:func:`pack_issue`): register it as issued, in the pack's own audit event, for ``/verify``."""
    now = clock.now()
    # Decisions agreed or recorded since the pack was asked for are as they are now.
    pack.decision_count = decisions
    pack.status, pack.content, pack.ready_at, pack.leased_until = PackStatus.READY, content, now, None
    pack.filename = f"{pack.organisation.code}-board-pack-{pack.meeting_date.isoformat()}.pdf"
    changes: dict[str, Any] = {"status": ["preparing", "ready"]}
    issued = None
    if issue is not None:
        from govern.auth.models import User
        from govern.verify.operations import register_within

        issued = register_within(changes, content=content, user=db.session.get(User, pack.requested_by_id), **issue)
    event = chain.record("make_board_pack", "board_pack", pack.id, changes)
    if issued is not None:
        issued.vouched_by_seq = event.seq
    when = local_date(pack.meeting_date)
    _tell_secretary(pack, f"The Board pack for the meeting on {when} is ready",
                    f"The pack of the {pack.decision_count} decisions awaiting your {pack.organisation.board_name} "
                    f"for its meeting on {when} is ready to download.")


def give_up_board_pack(pack: BoardPack, error: str) -> None:
    """After ``MAX_ATTEMPTS`` failures: show the pack as failed and tell the secretary. Never commits."""
    pack.status, pack.leased_until, pack.last_error = PackStatus.FAILED, None, error
    chain.record("give_up_board_pack", "board_pack", pack.id, {"status": ["preparing", "failed"]})
    when = local_date(pack.meeting_date)
    _tell_secretary(pack, f"The Board pack for the meeting on {when} could not be made",
                    "Something went wrong while making it, and the support team can see what. Ask for the pack "
                    "again, or download each decision's ratification record from Awaiting our Board.")


def make_board_packs(budget_seconds: float | None = None) -> tuple[int, int]:
    """Make the packs waiting to be made, one at a time, until none waits or the time budget
    (``TICK_PACK_BUDGET_SECONDS``) has passed. A worker, not an operation: it commits each pack.
    Returns (made, failed)."""
    import time

    from govern.auth.models import User

    budget = float(current_app.config.get("TICK_PACK_BUDGET_SECONDS", 600) if budget_seconds is None
                   else budget_seconds)
    stop_at = time.monotonic() + budget
    made = failed = 0
    while time.monotonic() < stop_at or made + failed == 0:
        pack_id = claim_pack()
        if pack_id is None:
            break
        pack = db.session.get(BoardPack, pack_id)
        assert pack is not None
        try:
            secretary = db.session.get(User, pack.requested_by_id)
            base = str(current_app.config.get("PUBLIC_BASE_URL") or "http://localhost")
            with current_app.test_request_context(PACKS_PAGE, base_url=base):
                content, rendered = _render(pack.organisation, secretary, pack.meeting_date)
            finish_board_pack(pack, content, len(rendered.decisions), pack_issue(rendered))
            db.session.commit()
            made += 1
        except Exception as error:
            # Any failure of the rendering: note it, try again after the lease, give up after a few tries.
            log.exception("Board pack %s could not be made", pack_id)
            db.session.rollback()
            pack = db.session.get(BoardPack, pack_id)
            assert pack is not None
            reason = f"{type(error).__name__}: {error}"[:2000]
            if pack.attempts >= MAX_ATTEMPTS:
                give_up_board_pack(pack, reason)
                failed += 1
            else:
                pack.last_error = reason
            db.session.commit()
            if pack.status is not PackStatus.FAILED:
                break  # leave it for a later tick
    return made, failed


def packs_of(organisation_id: int, limit: int = 20) -> list[BoardPack]:
    """This Board's latest packs, newest first (without their content)."""
    return list(db.session.scalars(
        select(BoardPack).where(BoardPack.organisation_id == organisation_id)
        .order_by(BoardPack.requested_at.desc(), BoardPack.id.desc()).limit(limit)
    ))
