"""Keeping a Board's meeting dates (10.6): each change one operation, one audit event; none commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, select

from govern.audit import chain
from govern.boards.dates import day_words
from govern.boards.models import BoardChaser, BoardMeeting, may_keep_meetings
from govern.cases import runner
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from workflows.calendar import local_day

FIELDS = ("meeting_date", "papers_due")


def _check_dates(organisation_id: int, meeting_date: date | None, papers_due: date | None,
                 meeting_id: int | None = None) -> tuple[date, date]:
    """The rules for a meeting's dates: both given, neither past, papers due on or before the meeting,
    one meeting a day."""
    today = local_day(clock.now())
    if meeting_date is None:
        raise OperationError("Enter the date of the Board meeting", clause="10.6", field="meeting_date")
    if meeting_date < today:
        raise OperationError(f"The meeting date must be today or later: {day_words(meeting_date)} has passed",
                             clause="10.6", field="meeting_date")
    if papers_due is None:
        raise OperationError("Enter the date papers are due for the meeting", clause="10.6", field="papers_due")
    if papers_due < today:
        raise OperationError(f"The date papers are due must be today or later: {day_words(papers_due)} has passed",
                             clause="10.6", field="papers_due")
    if papers_due > meeting_date:
        raise OperationError(
            f"Papers must be due on or before the meeting ({day_words(meeting_date)})", clause="10.6",
            field="papers_due",
        )
    clash = db.session.scalar(
        select(BoardMeeting.id).where(BoardMeeting.organisation_id == organisation_id,
                                      BoardMeeting.meeting_date == meeting_date)
    )
    if clash is not None and clash != meeting_id:
        raise OperationError(f"Your Board already has a meeting on {day_words(meeting_date)}", clause="10.6",
                             field="meeting_date")
    return meeting_date, papers_due


def add_board_meeting(user: Any, *, meeting_date: date | None, papers_due: date | None) -> BoardMeeting:
    """A Board secretary adds a meeting of their Board and the day its papers are due."""
    if not may_keep_meetings(user):
        raise OperationError("Only a Board secretary keeps their Board's meeting dates", clause="10.6")
    meeting_date, papers_due = _check_dates(user.organisation_id, meeting_date, papers_due)
    now = clock.now()
    meeting = BoardMeeting(organisation_id=user.organisation_id, meeting_date=meeting_date, papers_due=papers_due,
                           created_by_id=user.id, created_at=now, updated_at=now)
    db.session.add(meeting)
    db.session.flush()
    chain.record("add_board_meeting", "board_meeting", meeting.id,
                 chain.diff({}, {"organisation_id": meeting.organisation_id, **chain.snapshot(meeting, FIELDS)}),
                 actor=user)
    return meeting


def change_board_meeting(meeting: BoardMeeting, user: Any, *, meeting_date: date | None, papers_due: date | None,
                         expected_version: int | None = None) -> BoardMeeting:
    """The Board's secretary moves a meeting that has not yet taken place, or its papers' deadline."""
    _may_change(meeting, user)
    runner.check_version(meeting, expected_version, "lock_version")
    meeting_date, papers_due = _check_dates(meeting.organisation_id, meeting_date, papers_due, meeting.id)
    before = chain.snapshot(meeting, FIELDS)
    meeting.meeting_date, meeting.papers_due, meeting.updated_at = meeting_date, papers_due, clock.now()
    runner.flush_or_stale()
    chain.record("change_board_meeting", "board_meeting", meeting.id,
                 chain.diff(before, chain.snapshot(meeting, FIELDS)), actor=user)
    return meeting


def remove_board_meeting(meeting: BoardMeeting, user: Any, *, expected_version: int | None = None) -> None:
    """The Board's secretary removes a meeting that has not yet taken place (cancelled, or entered by mistake)."""
    _may_change(meeting, user)
    runner.check_version(meeting, expected_version, "lock_version")
    before = chain.snapshot(meeting, FIELDS)
    meeting_id = meeting.id
    db.session.execute(delete(BoardChaser).where(BoardChaser.board_meeting_id == meeting_id))
    db.session.delete(meeting)
    runner.flush_or_stale()
    chain.record("remove_board_meeting", "board_meeting", meeting_id, chain.diff(before, {}), actor=user)


def _may_change(meeting: BoardMeeting, user: Any) -> None:
    if not meeting.can_manage(user):
        raise OperationError("Only the Board's own secretary keeps its meeting dates", clause="10.6")
    if meeting.meeting_date < local_day(clock.now()):
        raise OperationError(f"The meeting on {day_words(meeting.meeting_date)} has taken place: it stays as it was",
                             clause="10.6", field="meeting_date")
