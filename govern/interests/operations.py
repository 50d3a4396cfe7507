"""Declaring interests into the standing register, and ending them. One audit event each; none commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from govern.audit import chain
from govern.boards.dates import day_words
from govern.cases import runner
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.interests.models import DeclaredAt, RegisteredInterest


def may_declare(user: Any) -> bool:
    """Anyone signed in declares their own interests."""
    return bool(user is not None and user.is_authenticated)


def declare_interest(user: Any, *, description: str, since: date | None, until: date | None = None,
                     for_organisation: bool = False, declared_at: DeclaredAt = DeclaredAt.REGISTER,
                     recommendation_id: int | None = None, dispute_id: int | None = None) -> RegisteredInterest:
    """Declare an interest: the person's own, or (their chief executive or deputy) their organisation's."""
    if not may_declare(user):
        raise OperationError("Sign in to declare an interest")
    if for_organisation and not user.role.acts_for_organisation:
        raise OperationError("Only an organisation's chief executive or deputy declares for it (clause 10.3)",
                             clause="10.3", field="for_organisation")
    description = (description or "").strip()
    if not description:
        raise OperationError("Say what the interest is", field="description")
    if since is None:
        raise OperationError("Enter the date the interest began", field="since")
    if until is not None and until < since:
        raise OperationError(f"The interest cannot end before it began ({day_words(since)})", field="until")
    declaration = RegisteredInterest(
        organisation_id=user.organisation_id, user_id=None if for_organisation else user.id,
        description=description, since=since, until=until, declared_at=declared_at,
        recommendation_id=recommendation_id, dispute_id=dispute_id, recorded_by_id=user.id, recorded_at=clock.now(),
    )
    db.session.add(declaration)
    db.session.flush()
    chain.record("declare_interest", "interest_declaration", declaration.id, {
        "organisation_id": [None, declaration.organisation_id], "user_id": [None, declaration.user_id],
        "description": [None, description], "since": [None, since.isoformat()],
        "until": [None, until.isoformat() if until else None], "declared_at": [None, declared_at.value],
    }, actor=user)
    return declaration


def end_interest(declaration: RegisteredInterest, user: Any, *, until: date | None,
                 expected_version: int | None = None) -> RegisteredInterest:
    """Say when an interest ended."""
    if not declaration.can_change(user):
        raise OperationError("Only whoever declared it (or for an organisation, its chief executive or deputy) "
                             "changes a declaration")
    runner.check_version(declaration, expected_version, "lock_version")
    if until is None:
        raise OperationError("Enter the date the interest ended", field="until")
    if until < declaration.since:
        raise OperationError(f"The interest cannot end before it began ({day_words(declaration.since)})",
                             field="until")
    before = declaration.until.isoformat() if declaration.until else None
    declaration.until = until
    runner.flush_or_stale()
    chain.record("end_interest", "interest_declaration", declaration.id, {"until": [before, until.isoformat()]},
                 actor=user)
    return declaration
