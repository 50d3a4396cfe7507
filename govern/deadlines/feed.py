"""A calendar feed per user (ICS): every deadline on which they must act, at a secret address.

The address holds a random token; the user can reset it (the old address stops working at once).
Anyone with the address can read the feed, so it is as private as the user keeps it: the page
that shows it says so.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select

from govern.audit import chain
from govern.auth.models import User
from govern.cases.models import CaseKind
from govern.core import clock
from govern.core.text import single_line
from govern.deadlines.models import CalendarFeed, CaseDeadline, open_step
from govern.disputes.models import DisputeParty, PanelMember
from govern.extensions import db
from govern.notify.queue import case_link
from workflows import CaseRole
from workflows.calendar import LONDON, local_day


def feed_of(user: Any) -> CalendarFeed | None:
    """The user's feed, if they have made one."""
    return db.session.get(CalendarFeed, user.id)


def reset_calendar_token(user: Any) -> CalendarFeed:
    """Give the user a new secret feed address (the first, or a replacement). Never commits."""
    feed = feed_of(user)
    token = secrets.token_urlsafe(32)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=token, created_at=clock.now())
        db.session.add(feed)
        action = "create_calendar_feed"
    else:
        feed.token, feed.created_at = token, clock.now()
        action = "reset_calendar_feed"
    db.session.flush()
    # The token is a secret: the audit trail records that it changed, not what it is.
    chain.record(action, "calendar_feed", user.id, {"token": [None, "(new secret)"]}, actor=user)
    return feed


def user_for_token(token: str) -> User | None:
    """The active account whose feed has this token, if any."""
    return db.session.scalar(
        select(User).join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token == token, User.active.is_(True))
    )


#: How far back a feed keeps the steps done: a calendar keeps some history, not all of it.
PAST = timedelta(days=90)


def _mine(user: User) -> tuple[ColumnElement[bool], bool] | None:
    """The condition "a step on which ``user`` must act", in SQL, and whether the user is STP Leader;
    None if nothing can be theirs. A step's ``roles`` say who acts; the user holds a role in a case
    as the STP Leader, as an officer of a party (filing or other) or as a panel member's CEO."""
    from govern.auth.models import current_stp_leader_id

    def acts(*roles: str) -> ColumnElement[bool]:
        # ``roles`` is a JSON list of role names: its text holds each name in double quotes.
        text = cast(CaseDeadline.roles, String)
        return or_(*[text.like(f'%"{role}"%') for role in roles])

    in_dispute = CaseDeadline.case_kind == CaseKind.DISPUTE
    conditions = []
    if user.role.acts_for_organisation:
        for filed, side in ((True, CaseRole.FILING_PARTY), (False, CaseRole.OTHER_PARTY)):
            cases = select(DisputeParty.dispute_id).where(DisputeParty.organisation_id == user.organisation_id,
                                                          DisputeParty.filed.is_(filed))
            conditions.append(and_(in_dispute, CaseDeadline.case_id.in_(cases), acts(CaseRole.PARTY, side)))
    if user.role.acts_for_organisation:  # a panel organisation acts through its CEO and deputy (10.3)
        cases = select(PanelMember.dispute_id).where(PanelMember.organisation_id == user.organisation_id,
                                                     PanelMember.active.is_(True))
        conditions.append(and_(in_dispute, CaseDeadline.case_id.in_(cases), acts(CaseRole.PANEL_MEMBER)))
    is_leader = current_stp_leader_id() == user.id
    if is_leader:
        conditions.append(acts(CaseRole.STP_LEADER))
    return (or_(*conditions), is_leader) if conditions else None


def my_steps(user: Any) -> ColumnElement[bool] | None:
    """The condition "a step on which ``user`` must act", in SQL (None if nothing can be theirs)."""
    mine = _mine(user)
    return None if mine is None else mine[0]


def open_deadlines_query(user: User, *columns: Any) -> Select[Any] | None:
    """The open deadlines on which ``user`` must act, soonest first (None if none can be): the
    ``CaseDeadline`` objects, or plain rows of ``columns`` if given (what a list shows)."""
    mine = _mine(user)
    if mine is None:
        return None
    return (select(*(columns or (CaseDeadline,))).where(open_step(), CaseDeadline.due_at.is_not(None), mine[0])
            .order_by(CaseDeadline.due_at, CaseDeadline.id))


def deadlines_for(user: User) -> list[CaseDeadline]:
    """The open deadlines on which ``user`` must act, soonest first."""
    query = open_deadlines_query(user)
    return [] if query is None else list(db.session.scalars(query))


def _parts(user: User, now: datetime) -> list[Select[Any]]:
    """The feed's two parts, each read by its own index: steps to do (the partial index on open
    steps) and steps done in the last 90 days (the index on ``done_at``)."""
    mine = _mine(user)
    if mine is None:
        return []
    return [
        select(CaseDeadline).where(open_step(), CaseDeadline.due_at.is_not(None), mine[0]),
        select(CaseDeadline).where(CaseDeadline.done_at >= now - PAST, CaseDeadline.due_at.is_not(None),
                                   ~CaseDeadline.open, mine[0]),
    ]


def feed_rows(user: User, now: datetime) -> list[CaseDeadline]:
    """What the feed holds: every step still to do, and those done in the last 90 days, by due date."""
    rows = [row for part in _parts(user, now) for row in db.session.scalars(part)]
    return sorted(rows, key=lambda row: (row.due_at, row.id))


@dataclass(frozen=True)
class FeedVersion:
    """What a polling calendar compares: a tag of the feed's content, and when it last changed."""

    etag: str
    last_modified: datetime


def version_of(feed: CalendarFeed, user: User, now: datetime) -> FeedVersion:
    """The feed's ETag and Last-Modified, from one query that reads two index ends, so a poll costs the
    same whatever the size of the partnership. Every change a calendar shows sets its step's
    ``changed_at`` (``govern.deadlines.tracking``), and a new step has a new id, so the newest change
    and the newest id in the whole table move whenever any feed's content may have; what else decides
    this user's feed is in the tag too: who they are and act as, the cases their organisation is in,
    and today's date (the 90 days of steps done move on each day). A change elsewhere in the
    partnership costs a poll a full answer, never a stale one."""
    from govern.auth.models import current_stp_leader_id

    leader = current_stp_leader_id() == user.id
    today = local_day(now)
    columns = [select(func.max(CaseDeadline.changed_at)).scalar_subquery(),
               select(func.max(CaseDeadline.id)).scalar_subquery()]
    if user.role.acts_for_organisation:  # the cases the organisation is a party to, or on the panel of
        for model in (DisputeParty, PanelMember):
            condition = model.organisation_id == user.organisation_id
            if model is PanelMember:
                condition = and_(condition, PanelMember.active.is_(True))
            columns += [select(func.count(model.id)).where(condition).scalar_subquery(),
                        select(func.max(model.id)).where(condition).scalar_subquery()]
    latest, *rest = db.session.execute(select(*columns)).one()
    base = current_app.config.get("PUBLIC_BASE_URL", "")
    key = (feed.token, user.name, base, user.role, user.organisation_id, leader, today.isoformat(), latest, *rest)
    changed = [feed.created_at, datetime.combine(today, datetime.min.time(), tzinfo=LONDON).astimezone(UTC)]
    if latest is not None:
        changed.append(latest if latest.tzinfo else latest.replace(tzinfo=UTC))
    return FeedVersion(hashlib.sha256(repr(key).encode()).hexdigest()[:32], max(changed))


def ics_for(user: User, rows: list[CaseDeadline] | None = None, stamp: datetime | None = None) -> bytes:
    """The user's deadlines as an iCalendar file: one all-day event on each due date. The same rows
    make the same bytes (each event's DTSTAMP is when its step last changed), so the ETag holds."""
    calendar = Calendar()
    calendar.add("prodid", "-//govern//Govern deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Govern deadlines: {single_line(user.name)}")
    calendar.add("x-wr-timezone", "Europe/London")
    base = str(current_app.config.get("PUBLIC_BASE_URL", "")).rstrip("/")
    now = clock.now()
    for row in feed_rows(user, now) if rows is None else rows:
        assert row.due_at is not None
        day = local_day(row.due_at)
        event = Event()
        event.add("uid", f"deadline-{row.id}-{day.isoformat()}@govern")
        event.add("dtstamp", row.changed_at or stamp or now)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        done = "" if row.open else " (done)"
        event.add("summary", f"{row.reference}: {row.title}{done}")
        event.add("description", f"{row.title} ({row.clause}). Due by the end of the day, 23:59 London time.\n"
                                 f"{base}{case_link(row.case_kind, row.case_id)}")
        event.add("url", f"{base}{case_link(row.case_kind, row.case_id)}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
