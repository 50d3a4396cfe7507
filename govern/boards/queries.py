"""What the Board secretary's meetings page shows (read-only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import raiseload

from govern.boards.models import BoardMeeting
from govern.core import clock
from govern.web import paging
from govern.web.paging import Page
from workflows.calendar import local_day


def upcoming_meetings_page(organisation_id: int, cursor: str | None) -> Page[BoardMeeting]:
    """This Board's meetings from today on, soonest first, a page at a time."""
    query = select(BoardMeeting).where(BoardMeeting.organisation_id == organisation_id,
                                       BoardMeeting.meeting_date >= local_day(clock.now()))
    return paging.keyset(query.options(raiseload("*")), (BoardMeeting.meeting_date, BoardMeeting.id),
                         lambda m: (m.meeting_date, m.id), cursor=cursor)
