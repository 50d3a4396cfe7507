"""Declarations made elsewhere go into the register, heard through signals (no operation is edited).

- A dispute panel member's declaration (the ``interest_declared`` event of a dispute's transition,
  ``govern.cases.signals.case_transitioned``): a declared conflict is entered for the member's
  organisation, in the same transaction. A declaration of no conflict is no interest.
- A declaration at a PDEG meeting: whoever records one sends ``govern.cases.signals.interest_declared``
  with ``user`` (who recorded it), ``person`` (who declared it, as the meeting's record names them),
  ``organisation_id`` (theirs, if recorded), ``description``, ``recommendation_id`` (the item's, if on
  one) and ``now``. The person is matched to an account of that organisation by name where one exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from govern.cases import signals
from govern.cases.models import CaseKind
from govern.extensions import db
from govern.interests.models import DeclaredAt, RegisteredInterest
from workflows.calendar import local_day


@signals.case_transitioned.connect
def _from_dispute_panel(kind: CaseKind, *, row: Any, outcome: Any, user: Any, now: Any, **_: Any) -> None:
    if kind is not CaseKind.DISPUTE:
        return
    for event in outcome.events:
        if event.name != "interest_declared" or not event.data.get("conflict"):
            continue
        details = str(event.data.get("details") or "").strip()
        db.session.add(RegisteredInterest(
            organisation_id=int(event.data["organisation_id"]), user_id=getattr(user, "id", None),
            description=f"Conflict of interest declared on a dispute panel{': ' + details if details else ''}",
            since=local_day(event.at), declared_at=DeclaredAt.DISPUTE_PANEL, dispute_id=row.id,
            recorded_by_id=user.id, recorded_at=now,
        ))


@signals.interest_declared.connect
def _from_pdeg_meeting(_sender: Any, *, user: Any, person: str, description: str, now: Any,
                       organisation_id: int | None = None, recommendation_id: int | None = None, **_: Any) -> None:
    from govern.auth.models import User

    account = db.session.scalar(
        select(User.id).where(User.organisation_id == organisation_id, func.lower(User.name) == person.strip().lower(),
                              User.active.is_(True)).limit(1)
    ) if organisation_id is not None and person.strip() else None
    db.session.add(RegisteredInterest(
        organisation_id=organisation_id, user_id=account, person_name="" if account else person.strip()[:200],
        description=description.strip(), since=local_day(now), declared_at=DeclaredAt.PDEG_MEETING,
        recommendation_id=recommendation_id, recorded_by_id=user.id, recorded_at=now,
    ))
