"""A calendar feed per user (ICS): every deadline on which they must act, at a secret address.

The address holds a random token; the user can reset it (the old address stops working at once).
Anyone with the address can read the feed, so it is as private as the user keeps it: the page
that shows it says so.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import select

from govern.audit import chain
from govern.auth.models import User
from govern.cases.models import CaseKind
from govern.core import clock
from govern.core.text import single_line
from govern.deadlines.models import CalendarFeed, CaseDeadline
from govern.disputes.models import DisputeParty, PanelMember
from govern.extensions import db
from govern.notify.queue import case_link
from workflows import CaseRole
from workflows.calendar import local_day


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


def deadlines_for(user: User) -> list[CaseDeadline]:
    """The open deadlines on which ``user`` must act, soonest first."""
    from govern.auth.models import current_stp_leader_assignment

    officer = user.role.acts_for_organisation
    roles_by_case: dict[tuple[CaseKind, int], set[str]] = {}

    def add(case: tuple[CaseKind, int], *roles: str) -> None:
        roles_by_case.setdefault(case, set()).update(roles)

    if officer:
        for dispute_id, filed in db.session.execute(
            select(DisputeParty.dispute_id, DisputeParty.filed)
            .where(DisputeParty.organisation_id == user.organisation_id)
        ):
            add((CaseKind.DISPUTE, dispute_id), CaseRole.PARTY,
                CaseRole.FILING_PARTY if filed else CaseRole.OTHER_PARTY)
    if officer:  # a panel organisation acts through its chief executive and its deputy (10.3)
        for (dispute_id,) in db.session.execute(
            select(PanelMember.dispute_id).where(PanelMember.organisation_id == user.organisation_id,
                                                 PanelMember.active.is_(True))
        ):
            add((CaseKind.DISPUTE, dispute_id), CaseRole.PANEL_MEMBER)
    assignment = current_stp_leader_assignment()
    is_leader = assignment is not None and assignment.user_id == user.id
    query = select(CaseDeadline).where(CaseDeadline.open.is_(True), CaseDeadline.due_at.is_not(None))
    if not is_leader:
        dispute_ids = [case_id for kind, case_id in roles_by_case if kind is CaseKind.DISPUTE]
        if not dispute_ids:
            return []
        query = query.where(CaseDeadline.case_kind == CaseKind.DISPUTE, CaseDeadline.case_id.in_(dispute_ids))
    rows = db.session.scalars(query.order_by(CaseDeadline.due_at, CaseDeadline.id)).all()
    mine = []
    for row in rows:
        held = set(roles_by_case.get((row.case_kind, row.case_id), set()))
        if is_leader:
            held.add(CaseRole.STP_LEADER)
        if held & set(row.roles):
            mine.append(row)
    return mine


def ics_for(user: User) -> bytes:
    """The user's deadlines as an iCalendar file: one all-day event on each due date."""
    calendar = Calendar()
    calendar.add("prodid", "-//Devon STP partnership//Govern//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Govern deadlines: {single_line(user.name)}")
    calendar.add("x-wr-timezone", "Europe/London")
    base = str(current_app.config.get("PUBLIC_BASE_URL", "")).rstrip("/")
    stamp = clock.now()
    for row in deadlines_for(user):
        assert row.due_at is not None
        day = local_day(row.due_at)
        event = Event()
        event.add("uid", f"deadline-{row.id}-{day.isoformat()}@govern")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", f"{row.reference}: {row.title}")
        event.add("description", f"{row.title} ({row.clause}). Due by the end of the day, 23:59 London time.\n"
                                 f"{base}{case_link(row.case_kind, row.case_id)}")
        event.add("url", f"{base}{case_link(row.case_kind, row.case_id)}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
