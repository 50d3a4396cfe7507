"""Chasing Board secretaries whose Board has not yet decided on a decision agreed at PDEG (10.6).

Run by ``tick``. For each Board that has yet to decide, its secretary is chased two working days
before the papers are due for the Board's next meeting (English working days, ``workflows.calendar``),
and once more when that deadline has passed. Each chaser goes once however often the sweep runs:
the ``board_chaser`` ledger's unique constraint decides (:mod:`govern.boards.ledger`). A fixed
number of queries whatever the number of decisions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from govern.audit import chain
from govern.auth.models import Role, User
from govern.boards.dates import day_words
from govern.boards.ledger import insert_once
from govern.boards.models import BoardChaser, BoardMeeting, ChaserKind
from govern.cases.models import CaseKind
from govern.core import clock
from govern.extensions import db
from govern.notify.queue import Message, queue, queue_digests
from govern.pdeg import states
from govern.pdeg.models import Ratification, Recommendation
from workflows.calendar import local_day, working_days_after

#: How far back a passed papers' deadline is still chased (a sweep that was stopped for a while).
LOOK_BACK = timedelta(days=31)


def chase_board_secretaries() -> int:
    """Send the chasers that are due now; return how many were sent. Never commits."""
    now = clock.now()
    today = local_day(now)
    horizon = working_days_after(today, 2)
    open_ones = db.session.execute(
        select(Ratification.id, Ratification.organisation_id, Ratification.created_at,
               Recommendation.reference, Recommendation.title, Recommendation.is_variation)
        .join(Recommendation, Recommendation.id == Ratification.recommendation_id)
        .where(Recommendation.state.in_(states.with_the_boards()),
               Ratification.version == Recommendation.amendment_version,
               Ratification.state.in_(states.board_undecided()))
        .order_by(Ratification.id)
    ).all()
    if not open_ones:
        return 0
    organisation_ids = sorted({row.organisation_id for row in open_ones})
    meetings: dict[int, list[BoardMeeting]] = defaultdict(list)
    for meeting in db.session.scalars(
        select(BoardMeeting)
        .where(BoardMeeting.organisation_id.in_(organisation_ids),
               BoardMeeting.papers_due >= today - LOOK_BACK, BoardMeeting.papers_due <= horizon)
        .order_by(BoardMeeting.organisation_id, BoardMeeting.papers_due, BoardMeeting.id)
    ):
        meetings[meeting.organisation_id].append(meeting)
    secretaries: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(
        select(User).where(User.role == Role.BOARD_SECRETARY, User.active.is_(True),
                           User.organisation_id.in_(organisation_ids)).order_by(User.id)
    ):
        secretaries[user.organisation_id].append(user)

    due: dict[tuple[int, int, ChaserKind], tuple[object, BoardMeeting]] = {}
    for row in open_ones:
        sent_to_board = local_day(row.created_at)
        mine = meetings.get(row.organisation_id, [])
        soon = next((m for m in mine if today <= m.papers_due <= horizon), None)
        passed = [m for m in mine if sent_to_board <= m.papers_due < today]
        if soon is not None:
            due[(row.id, soon.id, ChaserKind.PAPERS_DUE_SOON)] = (row, soon)
        if passed:
            due[(row.id, passed[-1].id, ChaserKind.PAPERS_DUE_PASSED)] = (row, passed[-1])
    ledger = [
        {"ratification_id": ratification_id, "board_meeting_id": meeting_id, "kind": kind,
         "recipient_id": user.id, "sent_at": now}
        for (ratification_id, meeting_id, kind), (row, _meeting) in due.items()
        for user in secretaries.get(row.organisation_id, [])  # type: ignore[attr-defined]
    ]
    won = insert_once(BoardChaser.__table__, ledger, "uq_board_chaser_once",
                      ("ratification_id", "board_meeting_id", "kind", "recipient_id"))
    if not won:
        return 0
    emails = {u.id: u.email for users in secretaries.values() for u in users}
    messages = []
    for ratification_id, meeting_id, kind, user_id in won:
        row, meeting = due[(ratification_id, meeting_id, ChaserKind(kind))]
        messages.append(_message(user_id, row, meeting, ChaserKind(kind)))
    queue(messages, emails, mail=False)
    queue_digests(messages, emails, lambda mine: f"{len(mine)} decisions for your Board's papers")
    chain.record("chase_board_secretaries", "sweep", now.isoformat(), {"chasers": [None, len(won)]})
    return len(won)


def _message(user_id: int, row: object, meeting: BoardMeeting, kind: ChaserKind) -> Message:
    reference, title = row.reference, row.title  # type: ignore[attr-defined]
    clause = "17.2" if row.is_variation else "10.6"  # type: ignore[attr-defined]
    meeting_day, papers = day_words(meeting.meeting_date), day_words(meeting.papers_due)
    if kind is ChaserKind.PAPERS_DUE_SOON:
        subject = f"{reference}: papers for your Board's meeting on {meeting_day} are due {papers}"
        body = (f"PDEG agreed {reference}, \"{title}\", and your Board has not yet decided on it (clause {clause}). "
                f"Papers for your Board's meeting on {meeting_day} are due by the end of {papers}: include it "
                "there, then record your Board's decision under Awaiting our Board.")
        summary = f"{reference}: {title}: papers due by the end of {papers} for your Board's meeting on {meeting_day}"
    else:
        subject = f"{reference}: the papers deadline for your Board's meeting on {meeting_day} has passed"
        body = (f"PDEG agreed {reference}, \"{title}\", and your Board has not yet decided on it (clause {clause}). "
                f"Papers for your Board's meeting on {meeting_day} were due by the end of {papers}. If it is in "
                "those papers, record your Board's decision after the meeting; if not, plan it for a later meeting "
                "and keep your Board's dates up to date so the register's forecast stays right.")
        summary = f"{reference}: {title}: papers were due by the end of {papers} (meeting on {meeting_day})"
    return Message(user_id, subject, body, f"/ratifications/{row.id}", CaseKind.RATIFICATION,  # type: ignore[attr-defined]
                   row.id, summary)  # type: ignore[attr-defined]
