"""Problems and exceptions the workflows report to the app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One rule that is not met: a message in plain English, the MoU clause, and the form field if any."""

    message: str
    clause: str
    field: str | None = None


class WorkflowError(Exception):
    """Base class of the workflows' exceptions."""


class TransitionNotAllowed(WorkflowError):
    """The trigger is not valid in the case's state, or the actor's roles may not fire it."""

    def __init__(self, message: str, clause: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.clause = clause


class RulesNotMet(WorkflowError):
    """The trigger is valid here, but the MoU's rules for it are not met; see ``problems``."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(f"{p.message} ({p.clause})" for p in self.problems))


class SpecError(WorkflowError):
    """A bespoke process specification is invalid; ``errors`` lists every reason."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        super().__init__("; ".join(self.errors))
