"""One registry of the kinds of case, so one generic :func:`govern.cases.runner.act` runs them all.

Each feature registers its case type once, when its operations module is imported: the row class,
how to read the process definition, the facts and the actor from a row, and the hooks that keep the
feature's own rows up to date after a transition (``apply``) and carry out effects that reach beyond
the case (``carry_out``). The runner knows no feature; a feature knows only this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govern.cases.models import CaseKind
from workflows import Actor
from workflows.definitions import ProcessDefinition
from workflows.engine import Outcome
from workflows.facts import Facts

Hook = Callable[[Any, Any, Outcome], None]


@dataclass(frozen=True)
class CaseType:
    """How the runner reads and updates one kind of case."""

    kind: CaseKind
    model: type
    definition: Callable[[Any], ProcessDefinition]
    facts: Callable[[Any], Facts]
    actor: Callable[[Any, Any], Actor]
    #: The row's optimistic-lock column, checked against the version the person's page showed.
    version_attr: str = "version"
    #: How the row holds its state (text, the agreement's own name for it, unless the feature says).
    state_type: Callable[[str], Any] = str
    #: Refusals that are the feature's own, before the engine is asked: ``(row, user, trigger)``.
    before: Callable[[Any, Any, str], None] | None = None
    #: Bring the feature's rows up to date with the outcome's events (same transaction).
    apply: Hook | None = None
    #: Effects that reach beyond the case (another case, the partnership), after the flush.
    carry_out: Hook | None = None


_TYPES: dict[type, CaseType] = {}


def register(case_type: CaseType) -> CaseType:
    """Register a kind of case (idempotent: a module imported twice registers the same type)."""
    _TYPES[case_type.model] = case_type
    return case_type


def case_type_of(row: Any) -> CaseType:
    """The registered type of ``row``."""
    for cls in type(row).__mro__:
        if cls in _TYPES:
            return _TYPES[cls]
    raise LookupError(f"{type(row).__name__} is not a registered kind of case")
