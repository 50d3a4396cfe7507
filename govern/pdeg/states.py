"""Where a recommendation or a Board's ratification stands, asked of the agreement's processes.

The agreement file names the states of PDEG's processes (``recommendation``, ``ratification``); the
app never does. It asks the definition what a state means by the actions possible in it
(``sources_of``) and the actions that lead to it (``destinations_of``): a decision "with the Boards"
is one in which "every Board has ratified" can be concluded, a Board that "did not ratify" is where
the agreement's ``not_ratify`` leads. A state is stored as the agreement's own text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import has_app_context

from workflows import registry
from workflows.agreement import Agreement
from workflows.definitions import ProcessDefinition

RECOMMENDATION = "recommendation"
RATIFICATION = "ratification"

T = TypeVar("T")


_service: Any = None


def _agreement() -> Agreement:
    """The agreement the partnership runs (its stored version, read once a request), or the agreement
    file outside the app."""
    global _service
    if has_app_context():
        if _service is None:  # imported on first use: the service imports what imports this module
            from govern.agreements import service

            _service = service
        return _service.current()  # type: ignore[no-any-return]
    return registry.default()


#: What a state means follows from the agreement alone: worked out once per parsed agreement.
_MEMO: dict[tuple[int, str, tuple[Any, ...]], tuple[Agreement, Any]] = {}


def per_agreement(compute: Callable[..., T]) -> Callable[..., T]:
    """``compute(*args)`` kept per parsed agreement: for a function of the running agreement (and its
    arguments) alone, never of the database or the request. A page asks these hundreds of times."""
    name = f"{compute.__module__}.{compute.__qualname__}"

    @wraps(compute)
    def asked(*args: Any) -> T:
        agreement = _agreement()
        key = (id(agreement), name, args)
        hit = _MEMO.get(key)
        if hit is not None and hit[0] is agreement:
            return hit[1]  # type: ignore[no-any-return]
        if len(_MEMO) >= 4096:
            _MEMO.clear()
        value = compute(*args)
        _MEMO[key] = (agreement, value)
        return value

    return asked


def recommendation_process() -> ProcessDefinition:
    """The agreement's recommendation process (10; Schedule 4)."""
    return registry.get(RECOMMENDATION, _agreement())


def ratification_process() -> ProcessDefinition:
    """The agreement's process for one Board's ratification (10.6)."""
    return registry.get(RATIFICATION, _agreement())


def declared(process_key: str) -> Any:
    """The agreement file's declaration of a process (its transitions with their rules as written)."""
    return _agreement().declaration.processes.get(process_key)


def destinations_of(definition: ProcessDefinition, *triggers: str) -> frozenset[str]:
    """The states ``triggers`` lead to directly (not what follows them)."""
    return frozenset(t.dest for t in definition.transitions if t.trigger in triggers and t.dest is not None)


# --- a recommendation ------------------------------------------------------------------------------


@per_agreement
def being_prepared() -> str:
    """A draft: whoever raises it is still writing it (the process's first state)."""
    return recommendation_process().initial


@per_agreement
def waiting_for_agenda() -> frozenset[str]:
    """Raised, and waiting for a place on a PDEG agenda."""
    return recommendation_process().sources_of("place_on_agenda")


@per_agreement
def before_pdeg() -> frozenset[str]:
    """States in which PDEG has not yet decided (draft, raised, on an agenda): the raiser may still edit it,
    and papers may still be added."""
    definition = recommendation_process()
    decided = definition.states_after("agree") | definition.states_after("not_agree")
    return frozenset(s.name for s in definition.states if not s.terminal and s.name not in decided)


@per_agreement
def on_agenda() -> frozenset[str]:
    """On the agenda of a PDEG meeting: PDEG's outcome can be recorded."""
    return recommendation_process().sources_of("agree")


@per_agreement
def decided() -> frozenset[str]:
    """Agreed at PDEG (with the Boards, or ratified by them): a dispute about a decision may name it."""
    definition = recommendation_process()
    return definition.states_after("agree") | definition.states_after("amend_and_agree")


@per_agreement
def with_the_boards() -> frozenset[str]:
    """Agreed at PDEG and waiting for the Boards to ratify it."""
    return recommendation_process().sources_of("conclude_ratification")


@per_agreement
def ratified_by_all() -> frozenset[str]:
    """Ratified by the Board of every remaining party."""
    return destinations_of(recommendation_process(), "conclude_ratification")


@per_agreement
def not_agreed() -> frozenset[str]:
    """PDEG did not agree it."""
    return destinations_of(recommendation_process(), "not_agree")


@per_agreement
def within_delegation() -> frozenset[str]:
    """Decided within the members' delegated powers: it never goes to PDEG or the Boards."""
    return destinations_of(recommendation_process(), "record_within_delegation")


# --- one Board's ratification ----------------------------------------------------------------------


@per_agreement
def board_open() -> frozenset[str]:
    """The Board still has this version to consider (one that did not ratify may reconsider)."""
    return ratification_process().sources_of("ratify")


@per_agreement
def board_undecided() -> frozenset[str]:
    """Awaiting the Board (first time, or deferred): what a Board's "awaiting" list, pack and count hold."""
    return ratification_process().sources_of("not_ratify")


@per_agreement
def board_first() -> str:
    """The state a Board's ratification starts in."""
    return ratification_process().initial


@per_agreement
def board_refused() -> frozenset[str]:
    """The Board did not ratify the decision."""
    return destinations_of(ratification_process(), "not_ratify")


@per_agreement
def board_ratified() -> frozenset[str]:
    """The Board ratified the decision."""
    return destinations_of(ratification_process(), "ratify")


@per_agreement
def board_deferred() -> frozenset[str]:
    """The Board deferred the decision to a later meeting."""
    return destinations_of(ratification_process(), "defer") - board_refused() - board_ratified()


@per_agreement
def board_lapsed() -> frozenset[str]:
    """The party withdrew (clause 15): its Board no longer ratifies."""
    return destinations_of(ratification_process(), "lapse")


@per_agreement
def board_meaning(state: str) -> str:
    """What a Board's state means, in the app's own words: ``awaiting``, ``deferred``, ``refused``,
    ``ratified``, ``lapsed`` or ``superseded`` (any other way out of the process)."""
    if state in board_ratified():
        return "ratified"
    if state in board_refused():
        return "refused"
    if state in board_deferred():
        return "deferred"
    if state in board_undecided():
        return "awaiting"
    if state in board_lapsed():
        return "lapsed"
    return "superseded"


@per_agreement
def recommendation_meaning(state: str) -> str:
    """What a recommendation's state means, in the app's own words (see the module's functions)."""
    if state == being_prepared():
        return "being_prepared"
    for meaning, states in (("waiting_for_agenda", waiting_for_agenda()), ("at_pdeg", on_agenda()),
                            ("within_delegation", within_delegation()), ("turned_down", not_agreed()),
                            ("with_the_boards", with_the_boards()), ("ratified_by_all", ratified_by_all())):
        if state in states:
            return meaning
    return "other"
