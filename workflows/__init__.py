"""The MoU's processes as plain-Python state machines with working-day deadlines.

This package is the domain: it imports neither Flask nor SQLAlchemy.  The app builds *facts* from its
rows, asks ``engine.available``/``engine.check`` what a user may do, calls ``engine.fire`` to get an
``Outcome`` (new state, events, effects) and stores it in its own transaction.
"""

from .errors import Problem, RulesNotMet, SpecError, TransitionNotAllowed, WorkflowError
from .facts import (
    Actor,
    DeclarationStatus,
    DisputeFacts,
    DisputeParty,
    Extension,
    PanelMember,
    PanelRoute,
    RaiserKind,
    RatificationFacts,
    RecommendationFacts,
    ResponseKind,
    SubordinateGroup,
)
from .roles import CaseRole

__all__ = [
    "Actor",
    "CaseRole",
    "DeclarationStatus",
    "DisputeFacts",
    "DisputeParty",
    "Extension",
    "PanelMember",
    "PanelRoute",
    "Problem",
    "RaiserKind",
    "RatificationFacts",
    "RecommendationFacts",
    "ResponseKind",
    "RulesNotMet",
    "SpecError",
    "SubordinateGroup",
    "TransitionNotAllowed",
    "WorkflowError",
]
