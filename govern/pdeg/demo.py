"""Sample recommendations for the demo, in different states, brought through the operations.

Like the sample disputes, each step runs with the clock frozen at a moment in the past, so the
journey pages show a believable history: raised, on a PDEG agenda, agreed, ratified by some Boards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from govern import cases
from govern.auth.models import User
from govern.core import clock
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import operations as ops
from govern.pdeg.models import AgendaOutcome, AgendaPart, AttendanceStatus, RaisedBy, Recommendation

DOMAIN = "demo.govern.test"
TITLES = (
    "Single system financial plan for 2027/28",
    "Common clinical workforce passport",
    "Shared budget-monitoring template",
)


def _user(local: str) -> User:
    user = db.session.scalar(select(User).where(User.email == f"{local}@{DOMAIN}"))
    assert user is not None, local
    return user


def _orgs(*codes: str) -> list[Organisation]:
    query = select(Organisation).where(Organisation.code.in_(codes)).order_by(Organisation.name)
    return list(db.session.scalars(query))


def _at(days_ago: float, step: Callable[[], Any]) -> Any:
    """Run one operation as if it happened ``days_ago`` days before now."""
    with clock.frozen(clock.now() - timedelta(days=days_ago)):
        return step()


def load_demo_recommendations() -> int:
    """Add the sample recommendations unless they are there already. Returns how many were added."""
    if db.session.scalar(select(Recommendation.id).where(Recommendation.title.in_(TITLES)).limit(1)) is not None:
        return 0
    fwg, cc, secretariat = _user("chair.fwg"), _user("chair.cc"), _user("secretariat")
    today = clock.now().date()

    # Agreed at PDEG a fortnight ago; two of the three Boards have ratified it.
    plan = _at(21, lambda: ops.raise_recommendation(
        fwg, title=TITLES[0], raised_by=RaisedBy.SUBORDINATE_GROUP, group=fwg.group,
        summary="A single financial plan for the Devon system, with each organisation's control total.",
        decision_sought="Agree the plan and recommend it to each party's Board.",
        affected=_orgs("RDE", "PHNT", "TSDFT"),
    ))
    meeting = _at(20, lambda: ops.schedule_meeting(
        secretariat, meeting_date=today - timedelta(days=14), title="Partnership Delivery Executive Group"))
    _at(19, lambda: ops.record_attendance(meeting, secretariat, {
        o.id: (AttendanceStatus.REPRESENTATIVE, f"Chief executive of {o.short_name}") for o in ops.pdeg_members()}))
    item = _at(18, lambda: ops.add_to_agenda(meeting, plan, secretariat, part=AgendaPart.ONE))
    _at(14, lambda: ops.record_outcome(item, secretariat, outcome=AgendaOutcome.AGREED,
                                       minute_reference="PDEG/2026/41", reasons="Agreed by all members present."))
    for ratification in sorted(plan.ratifications, key=lambda r: r.organisation.code)[:2]:
        secretary = _user(f"secretary.{ratification.organisation.code.lower()}")
        _at(7, lambda r=ratification, s=secretary: cases.act(r, s, "ratify", {
            "meeting_date": today - timedelta(days=7),
            "minute_reference": f"{r.organisation.code}/B/2026/88",
        }))

    # Raised last week; waiting for a PDEG agenda.
    _at(6, lambda: ops.raise_recommendation(
        cc, title=TITLES[1], raised_by=RaisedBy.SUBORDINATE_GROUP, group=cc.group,
        summary="One passport so clinical staff can work across the system's organisations.",
        decision_sought="Agree to introduce the passport from April.",
        affected=[o for o in db.session.scalars(select(Organisation).order_by(Organisation.name))
                  if o.is_party and o.pdeg_eligible],
    ))

    # Decided within the Finance Working Group members' delegated powers: recorded, not sent to PDEG.
    _at(3, lambda: ops.bring_recommendation(
        fwg, title=TITLES[2], raised_by=RaisedBy.SUBORDINATE_GROUP, group=fwg.group,
        summary="One template for monthly budget monitoring.", decision_sought="Adopt the template.",
        affected=_orgs("RDE"), within_delegation=True,
        delegation_basis="Each member's finance director already has delegated authority over reporting formats.",
    ))
    return len(TITLES)
