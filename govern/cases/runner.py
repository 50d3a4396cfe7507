"""Running one transition of a case: the engine decides, this stores the outcome.

Every change of state goes through :func:`fire`: it asks ``workflows.engine`` for the outcome,
sets the new state, records the events, writes one audit event and returns the outcome so the
caller can update its own rows and carry out effects in the same transaction. It never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from govern.audit import chain
from govern.cases import registry, signals
from govern.cases.models import CaseEvent, CaseKind, DeadlineExtension
from govern.core import clock
from govern.core.errors import OperationError, StaleCase
from govern.extensions import db
from workflows import Actor, CaseRole, Extension, Problem, RulesNotMet, TransitionNotAllowed
from workflows import engine as wf_engine
from workflows.definitions import ProcessDefinition, RecordedEvent
from workflows.engine import Outcome, jsonable


class RulesRefused(OperationError):
    """The MoU's rules for this action are not met; ``problems`` say which, with their clauses."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        first = problems[0]
        super().__init__(first.message, clause=first.clause, field=first.field)
        self.problems = problems


def case_events(kind: CaseKind, case_id: int) -> dict[str, datetime]:
    """The latest moment of each event recorded for a case."""
    rows = db.session.execute(
        select(CaseEvent.name, CaseEvent.occurred_at)
        .where(CaseEvent.case_kind == kind, CaseEvent.case_id == case_id)
        .order_by(CaseEvent.occurred_at, CaseEvent.id)
    )
    return {name: at for name, at in rows}


def recorded_events(kind: CaseKind, case_id: int) -> list[RecordedEvent]:
    """Every event recorded for a case, in the order it was recorded, for :func:`workflows.facts.fold`."""
    rows = db.session.execute(
        select(CaseEvent.name, CaseEvent.occurred_at, CaseEvent.data)
        .where(CaseEvent.case_kind == kind, CaseEvent.case_id == case_id)
        .order_by(CaseEvent.id)
    )
    return [RecordedEvent(name, at, data or {}) for name, at, data in rows]


def case_extensions(kind: CaseKind, case_id: int) -> dict[str, Extension]:
    """The STP Leader's latest extension of each step's deadline."""
    rows = db.session.scalars(
        select(DeadlineExtension)
        .where(DeadlineExtension.case_kind == kind, DeadlineExtension.case_id == case_id)
        .order_by(DeadlineExtension.granted_at, DeadlineExtension.id)
    )
    return {row.step_key: Extension(row.due_date, row.reason) for row in rows}


def check_version(row: Any, expected_version: int | None, version_attr: str = "version") -> None:
    """Refuse if the user acted on a page showing an older version of the case."""
    if expected_version is not None and getattr(row, version_attr) != expected_version:
        raise StaleCase()


def touch(row: Any, now: datetime) -> None:
    """Mark the case changed now, so the flush bumps its version even if nothing else on the row did.

    Setting ``updated_at`` to the value it already holds (the same frozen instant, or an internal
    transition within one clock tick) is no change to SQLAlchemy: no UPDATE, no version check, and
    a conflicting action could win silently. ``flag_modified`` forces the UPDATE.
    """
    row.updated_at = now
    flag_modified(row, "updated_at")


#: Who acts when the product itself moves a case on (a ratification lapsing, a decision concluding).
SYSTEM_ACTOR = Actor(user_id=0, organisation_id=None, roles=frozenset({CaseRole.SYSTEM}))


def act(row: Any, user: Any, trigger: str, payload: Mapping[str, object] | None = None,
        expected_version: int | None = None, *, system: bool = False,
        audit_changes: Mapping[str, Any] | None = None) -> Outcome:
    """Take one action on any kind of case: the one operation behind every step of every process.

    The engine decides (who may, which rules, which clause); this stores the outcome, lets the case's
    feature update its rows and carry out effects, all in the caller's transaction. ``system`` acts
    as the product itself. Refusals raise :class:`OperationError`, :class:`RulesRefused` or
    :class:`StaleCase` and change nothing. Never commits.
    """
    case_type = registry.case_type_of(row)
    check_version(row, expected_version, case_type.version_attr)
    if case_type.before is not None:
        case_type.before(row, user, trigger)
    outcome = fire(
        kind=case_type.kind,
        row=row,
        definition=case_type.definition(row),
        facts=case_type.facts(row),
        actor=SYSTEM_ACTOR if system else case_type.actor(row, user),
        user=user,
        trigger=trigger,
        payload=dict(payload or {}),
        audit_changes=audit_changes,
        state_type=case_type.state_type,
    )
    if case_type.apply is not None:
        case_type.apply(row, user, outcome)
    flush_or_stale()
    if case_type.carry_out is not None:
        case_type.carry_out(row, user, outcome)
    return outcome


def check(row: Any, user: Any, trigger: str, payload: Mapping[str, object] | None = None,
          expected_version: int | None = None) -> None:
    """Everything that would refuse :func:`act`, without taking it (for a check-your-answers page): raises
    :class:`StaleCase`, :class:`OperationError` or :class:`RulesRefused`; changes nothing."""
    case_type = registry.case_type_of(row)
    check_version(row, expected_version, case_type.version_attr)
    if case_type.before is not None:
        case_type.before(row, user, trigger)
    problems = wf_engine.check(case_type.definition(row), case_type.facts(row), case_type.actor(row, user), trigger,
                               dict(payload or {}), clock.now())
    if problems:
        raise RulesRefused(tuple(problems))


def fire(
    *,
    kind: CaseKind,
    row: Any,
    definition: ProcessDefinition,
    facts: Any,
    actor: Actor,
    user: Any,
    trigger: str,
    payload: Mapping[str, object],
    audit_changes: Mapping[str, Any] | None = None,
    state_type: Any = str,
) -> Outcome:
    """Fire ``trigger`` on the case in ``row`` and store the new state, events and audit event.

    Raises :class:`OperationError` (not allowed) or :class:`RulesRefused` (rules not met); in both
    cases nothing has been changed.
    """
    now = clock.now()
    try:
        outcome = wf_engine.fire(definition, facts, actor, trigger, payload, now)
    except TransitionNotAllowed as refused:
        raise OperationError(refused.message, clause=refused.clause) from refused
    except RulesNotMet as unmet:
        raise RulesRefused(unmet.problems) from unmet
    row.state = state_type(outcome.state_after)  # the agreement's own name for it, stored as text
    if hasattr(row, "closed_at"):
        row.closed_at = now if definition.is_terminal(outcome.state_after) else None
    touch(row, now)  # always dirty, so the version check runs even when the state stays
    for event in outcome.events:
        db.session.add(
            CaseEvent(
                case_kind=kind,
                case_id=row.id,
                name=event.name,
                occurred_at=event.at,
                data=dict(event.data),
                recorded_by_id=getattr(user, "id", None),
                recorded_at=now,
            )
        )
        if event.name == "deadline_extended":
            db.session.add(
                DeadlineExtension(
                    case_kind=kind,
                    case_id=row.id,
                    step_key=str(event.data["step"]),
                    due_date=event.data["due_date"] if not isinstance(event.data["due_date"], str)
                    else datetime.fromisoformat(str(event.data["due_date"])).date(),
                    reason=str(event.data["reason"]),
                    granted_by_id=user.id,
                    granted_at=now,
                )
            )
    changes: dict[str, Any] = {"state": [outcome.state_before, outcome.state_after]}
    for key, value in outcome.values.items():
        changes[key] = [None, jsonable(value)]
    if audit_changes:
        changes.update(audit_changes)
    # Flush here, not in the audit chain's autoflush: a lost race must surface as StaleCase.
    flush_or_stale()
    chain.record(trigger, kind.value, row.id, changes, actor=user)
    # Same transaction: whoever listens (the case's deadlines for the sweep, notices to whoever must act
    # next) hears of it through the signal, so the runner imports no feature.
    signals.case_transitioned.send(kind, row=row, definition=definition, outcome=outcome, user=user, now=now)
    return outcome


def flush_or_stale() -> None:
    """Flush, turning a lost optimistic-lock race into a clear "this case has changed"."""
    from sqlalchemy.orm.exc import StaleDataError

    try:
        db.session.flush()
    except StaleDataError as error:
        db.session.rollback()
        raise StaleCase() from error
