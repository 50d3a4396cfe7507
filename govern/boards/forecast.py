"""When will a decision be ratified? From each remaining Board's meeting dates (10.6). Read-only.

A decision agreed at PDEG is ratified when every remaining party's Board has ratified it. A Board
that has not yet decided will consider it at its next meeting whose papers are not yet due (the
papers' deadline is the end of its day, so a deadline today is still ahead). The forecast is the
latest of those meetings; it cannot be given while a Board has no such meeting known, or has refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select

from govern.boards.models import BoardMeeting
from govern.core import clock
from govern.extensions import read
from govern.partnership.models import Organisation
from govern.pdeg import states
from govern.pdeg.models import Recommendation
from workflows.calendar import local_day

#: The Board has not yet decided (a deferral is not a decision).


class OrganisationNames(NamedTuple):
    """A party's names as a register page's forecasts give them: read from the organisation once a page,
    not from the database object each of the hundreds of times its 50 forecasts name a party."""

    id: int
    code: str
    name: str
    short_name: str
    board_name: str


@dataclass(frozen=True)
class BoardOutlook:
    """One remaining Board: where it stands and the meeting it will consider the decision at."""

    #: The party (on a register page, its :class:`OrganisationNames`).
    organisation: Organisation | OrganisationNames
    #: The Board's current ratification (an object, or the register's plain row of it).
    ratification: Any
    next_meeting: date | None
    #: The Board did not ratify: nothing completes until it reconsiders.
    refused: bool = False


@dataclass(frozen=True)
class Forecast:
    """Who is holding a decision up and when its ratification will be complete, if that can be said.
    Each answer is worked out once (a register page asks each of its 50 forecasts several times)."""

    remaining: list[BoardOutlook]

    @cached_property
    def complete_by(self) -> date | None:
        """The latest remaining Board's next meeting; None if any has no date known or has refused."""
        if not self.remaining or self.refusing or self.unknown:
            return None
        return max(b.next_meeting for b in self.remaining if b.next_meeting is not None)

    @cached_property
    def unknown(self) -> list[Organisation | OrganisationNames]:
        """Undecided Boards with no meeting known whose papers are not yet due."""
        return [b.organisation for b in self.remaining if not b.refused and b.next_meeting is None]

    @cached_property
    def refusing(self) -> list[Organisation | OrganisationNames]:
        """Boards that did not ratify."""
        return [b.organisation for b in self.remaining if b.refused]

    @cached_property
    def last(self) -> list[Organisation | OrganisationNames]:
        """The Boards whose meeting sets the forecast date."""
        when = self.complete_by
        return [b.organisation for b in self.remaining if when is not None and b.next_meeting == when]


#: Built once: a register page and every decision's page ask it.
_NEXT_MEETINGS = (
    select(BoardMeeting.organisation_id, func.min(BoardMeeting.meeting_date))
    .where(BoardMeeting.organisation_id.in_(bindparam("ids", expanding=True)),
           BoardMeeting.papers_due >= bindparam("today", type_=BoardMeeting.papers_due.type))
    .group_by(BoardMeeting.organisation_id)
)


def next_meetings(organisation_ids: Iterable[int], today: date | None = None) -> dict[int, date]:
    """Each Board's next meeting whose papers are not yet due, in one query."""
    ids = sorted(set(organisation_ids))
    if not ids:
        return {}
    rows = read(_NEXT_MEETINGS, {"ids": ids, "today": today or local_day(clock.now())}).all()
    return {org_id: day for org_id, day in rows}


@states.per_agreement
def _board_states() -> tuple[frozenset[str], frozenset[str]]:
    """(a Board that did not ratify, a Board still to decide or that did not ratify): the agreement's states."""
    refused = states.board_refused()
    return refused, frozenset(states.board_undecided() | refused)


def _outlook(recommendation: Any, ratifications: Iterable[Any], meetings: dict[int, date],
             organisations: dict[int, Any] | None = None,
             board_states: tuple[frozenset[str], frozenset[str]] | None = None) -> Forecast:
    """``ratifications``: the decision's (objects), or the register's cells (plain rows, current ones
    only) with their parties in ``organisations`` by id. ``board_states``: :func:`_board_states`, if
    the caller has asked (a register page asks once, not once a row)."""
    refused, remaining_states = board_states or _board_states()
    version = recommendation.amendment_version
    remaining = [
        BoardOutlook(r.organisation if organisations is None else organisations[r.organisation_id], r,
                     meetings.get(r.organisation_id), r.state in refused)
        for r in ratifications
        if r.version == version and r.state in remaining_states
    ]
    return Forecast(sorted(remaining, key=_by_name))


def _by_name(outlook: BoardOutlook) -> str:
    return outlook.organisation.name


def for_decision(recommendation: Recommendation) -> Forecast | None:
    """The forecast of one decision awaiting ratification (None for any other state)."""
    if recommendation.state not in states.with_the_boards():
        return None
    ratifications = list(recommendation.ratifications)
    return _outlook(recommendation, ratifications, next_meetings(r.organisation_id for r in ratifications))


def for_register(rows: Iterable[Any]) -> dict[int, Forecast]:
    """The forecast of each decision awaiting ratification on a register page, keyed by decision id.

    ``rows`` are the register's rows (``recommendation``, ``cells``, the current version's ratifications
    by party as plain rows, and ``organisations``, already loaded): one query more, however many rows.
    """
    with_the_boards = states.with_the_boards()
    awaiting = [row for row in rows if row.recommendation.state in with_the_boards]
    meetings = next_meetings(org_id for row in awaiting for org_id in row.cells)
    board_states = _board_states()
    names: dict[int, dict[int, OrganisationNames]] = {}  # by the rows' (shared) organisations
    found = {}
    for row in awaiting:
        by_id = names.get(id(row.organisations))
        if by_id is None:
            by_id = names[id(row.organisations)] = {
                org_id: OrganisationNames(o.id, o.code, o.name, o.short_name, o.board_name)
                for org_id, o in row.organisations.items()}
        found[row.recommendation.id] = _outlook(row.recommendation, row.cells.values(), meetings, by_id, board_states)
    return found
