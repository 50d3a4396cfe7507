"""The one engine that runs every process definition.

``available`` says what an actor may do now, ``check`` says why an action would be refused, and
``fire`` computes the outcome of an action: the new state, the events to record and the effects the
app must carry out in the same database transaction.  Nothing here writes anywhere or reads the clock:
the state machine (``transitions``) runs on a throwaway model built from the facts for each call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from transitions import Machine, MachineError

from .definitions import (
    Context,
    Effect,
    FieldKind,
    FieldSpec,
    Notice,
    ProcessDefinition,
    RecordedEvent,
    TransitionDef,
)
from .errors import Problem, RulesNotMet, TransitionNotAllowed
from .facts import Actor, Facts
from .roles import CaseRole

__all__ = ["Outcome", "TriggerInfo", "available", "check", "fire", "jsonable"]


@dataclass(frozen=True)
class TriggerInfo:
    """An action the actor may take now: trigger name, label in the MoU's words, clause, form fields."""

    trigger: str
    label: str
    clause: str
    fields: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What firing a trigger does: the states before and after, events to record, effects to carry out."""

    trigger: str
    state_before: str
    state_after: str
    events: tuple[RecordedEvent, ...] = ()
    effects: tuple[Effect, ...] = ()
    values: Mapping[str, object] = field(default_factory=dict)
    #: Who is told, and what, as the agreement declares for the transition that ran.
    notices: tuple[Notice, ...] = ()


def jsonable(value: object) -> object:
    """Turn normalised payload values into JSON-friendly ones (dates as ISO strings, tuples as lists)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list | frozenset | set):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


# --- Payload normalisation --------------------------------------------------------------------------


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):  # bool is an int subclass; True is never an organisation id
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


_PROPER = frozenset({"Board", "Cabinet", "Party", "Parties", "Scottish", "Chief"})
_BARE = ("the ", "a ", "an ", "why ", "how ", "what ", "who ", "when ", "which ", "where ", "your ")


def missing_message(spec: FieldSpec) -> str:
    """What a person reads beside an empty field: "Enter the reasons", "Choose the other Party"."""
    label = spec.label
    # "PDEG minute reference" and "Board meeting date" keep their capitals.
    keep = label[:2].isupper() or label.split(" ", 1)[0] in _PROPER
    text = label if keep else label[:1].lower() + label[1:]
    if not text.lower().startswith(_BARE):
        text = "the " + text
    verb = "Choose" if spec.kind in (FieldKind.ORG_ID, FieldKind.ORG_IDS, FieldKind.CHOICE) else "Enter"
    return f"{verb} {text}"


def _normalise(spec: FieldSpec, raw: object, clause: str) -> tuple[object | None, Problem | None]:
    """Return (value, problem) for one field; value None means absent."""
    missing = raw is None or (isinstance(raw, str) and not raw.strip())
    if missing:
        if spec.required:
            return None, Problem(missing_message(spec), clause, spec.key)
        return None, None
    bad = Problem(f"{spec.label} is not valid", clause, spec.key)
    match spec.kind:
        case FieldKind.TEXT:
            return (raw.strip(), None) if isinstance(raw, str) else (None, bad)
        case FieldKind.BOOL:
            return (raw, None) if isinstance(raw, bool) else (None, bad)
        case FieldKind.DATE:
            if isinstance(raw, datetime):
                return None, bad  # a datetime here would hide a timezone question
            if isinstance(raw, date):
                return raw, None
            try:
                return date.fromisoformat(str(raw)), None
            except ValueError:
                return None, bad
        case FieldKind.DATETIME:
            if isinstance(raw, datetime) and raw.tzinfo is not None and raw.utcoffset() is not None:
                return raw, None
            return None, Problem(f"{spec.label} needs a date and time with a timezone", clause, spec.key)
        case FieldKind.ORG_ID:
            value = _as_int(raw)
            return (value, None) if value is not None else (None, bad)
        case FieldKind.ORG_IDS:
            if isinstance(raw, str | bytes) or not hasattr(raw, "__iter__"):
                return None, bad
            items = [_as_int(v) for v in raw]  # type: ignore[attr-defined]
            if any(v is None for v in items):
                return None, bad
            if len(set(items)) != len(items):
                return None, Problem(f"{spec.label} lists an organisation twice", clause, spec.key)
            if spec.required and not items:
                return None, Problem(missing_message(spec), clause, spec.key)
            return tuple(items), None
        case FieldKind.CHOICE:
            if isinstance(raw, str) and raw in spec.choices:
                return raw, None
            return None, Problem(f"{spec.label} must be one of: {', '.join(spec.choices)}", clause, spec.key)
    return None, bad  # pragma: no cover - every FieldKind is handled above


def _values(t: TransitionDef, payload: Mapping[str, object]) -> tuple[dict[str, object], list[Problem]]:
    values: dict[str, object] = {}
    problems: list[Problem] = []
    for spec in t.fields:
        value, problem = _normalise(spec, payload.get(spec.key), t.clause)
        if problem is not None:
            problems.append(problem)
        elif value is not None:
            values[spec.key] = value
    return values, problems


# --- The state machine ----------------------------------------------------------------------------


class _Case:
    """The throwaway model ``transitions`` drives; it holds one call's context and nothing else."""

    def __init__(
        self,
        definition: ProcessDefinition,
        facts: Facts,
        actor: Actor,
        values: Mapping[str, object],
        now: datetime | None,
    ) -> None:
        self.definition = definition
        self.facts = facts
        self.actor = actor
        self.values = values
        self.now = now
        self.chosen: TransitionDef | None = None
        self.firing = False

    def context(self, t: TransitionDef) -> Context:
        return Context(self.definition, t, self.facts, self.actor, self.values, self.now)  # type: ignore[arg-type]

    def allows(self, t: TransitionDef) -> bool:
        """The machine's condition: the actor's role, the facts-only preconditions, the route and, when
        firing, the rules on the payload: the library picks the first declared transition that passes."""
        if not (t.roles & self.actor.roles):
            return False
        ctx = self.context(t)
        if any(rule.check(ctx) for rule in t.preconditions):
            return False
        if t.route is not None and not t.route(ctx):
            return False
        return not (self.firing and any(rule.check(ctx) for rule in t.rules))

    def choose(self, t: TransitionDef) -> None:
        # The only "callback" work: remember which declared transition ran.  No side effects.
        self.chosen = t


_MACHINES: dict[int, tuple[ProcessDefinition, Machine]] = {}
_MACHINES_LOCK = threading.Lock()


def machine_for(definition: ProcessDefinition) -> Machine:
    """The one state machine of ``definition``, built once; each call adds its throwaway model to it."""
    found = _MACHINES.get(id(definition))
    if found is not None and found[0] is definition:
        return found[1]
    transitions = [
        {
            "trigger": t.trigger,
            "source": t.source,
            "dest": t.dest,  # None: internal transition, the state does not change
            "conditions": [lambda event, t=t: event.model.allows(t)],
            "after": [lambda event, t=t: event.model.choose(t)],
        }
        for t in definition.transitions
    ]
    machine = Machine(
        model=None,
        states=[s.name for s in definition.states],
        transitions=transitions,
        initial=definition.initial,
        auto_transitions=False,  # only the declared transitions may ever happen
        send_event=True,
    )
    with _MACHINES_LOCK:
        _MACHINES[id(definition)] = (definition, machine)  # the definition is kept alive with its machine
    return machine


@contextmanager
def _running(case: _Case) -> Iterator[Machine]:
    """``case`` added to its definition's machine for one call, then removed."""
    machine = machine_for(case.definition)
    with _MACHINES_LOCK:
        machine.add_model(case, initial=case.facts.state)
    try:
        yield machine
    finally:
        with _MACHINES_LOCK:
            machine.remove_model(case)


def _roles_text(definition: ProcessDefinition, roles: frozenset[CaseRole]) -> str:
    names = (definition.role_name(r) for r in roles if r is not CaseRole.SYSTEM)
    return " or ".join(sorted(n if n.lower().startswith(("the ", "each ")) else f"the {n}" for n in names))


@dataclass
class _Assessment:
    refusal: TransitionNotAllowed | None = None
    problems: list[Problem] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)


def _assess(
    definition: ProcessDefinition,
    facts: Facts,
    actor: Actor,
    trigger: str,
    payload: Mapping[str, object],
    now: datetime | None,
) -> _Assessment:
    if facts.state not in {s.name for s in definition.states}:
        return _Assessment(TransitionNotAllowed(f"Unknown state {facts.state!r} for {definition.title}"))
    state = definition.state(facts.state)
    if trigger not in definition.triggers:
        return _Assessment(TransitionNotAllowed(f"{trigger!r} is not a step of {definition.title}", definition.clause))
    if state.terminal:
        return _Assessment(
            TransitionNotAllowed(f"The case is {state.title.lower()}: nothing more can happen", state.clause)
        )
    options = definition.transitions_for(trigger, facts.state)
    if not options:
        label = definition.transitions_for(trigger)[0].label
        return _Assessment(
            TransitionNotAllowed(f"'{label}' is not possible while the case is '{state.title}'", state.clause)
        )
    roles = frozenset().union(*(t.roles for t in options))
    if not roles & actor.roles:
        return _Assessment(
            TransitionNotAllowed(f"Only {_roles_text(definition, roles)} may '{options[0].label}'", options[0].clause)
        )
    values, problems = _values(options[0], payload)
    case = _Case(definition, facts, actor, values, now)
    # To explain a refusal (the library chooses when firing): the transition the machine would take for
    # this actor on these facts (its condition without the payload), else the first open to the actor.
    permitted = [t for t in options if t.roles & actor.roles]
    chosen = next((t for t in permitted if case.allows(t)), permitted[0])
    ctx = case.context(chosen)
    for rule in (*chosen.preconditions, *chosen.rules):
        problems.extend(rule.check(ctx))
    return _Assessment(None, problems, values)


# --- Public API -------------------------------------------------------------------------------------


def available(
    definition: ProcessDefinition, facts: Facts, actor: Actor, now: datetime | None = None
) -> list[TriggerInfo]:
    """The triggers ``actor`` may fire now (state, role and facts-only rules; the payload comes later)."""
    if definition.is_terminal(facts.state):
        return []
    case = _Case(definition, facts, actor, {}, now)
    result = []
    with _running(case):
        for trigger in definition.triggers:
            if getattr(case, f"may_{trigger}")():
                first = definition.transitions_for(trigger, facts.state)[0]
                result.append(TriggerInfo(trigger, first.label, first.clause, first.fields))
    return result


def check(
    definition: ProcessDefinition,
    facts: Facts,
    actor: Actor,
    trigger: str,
    payload: Mapping[str, object],
    now: datetime,
) -> list[Problem]:
    """Every reason ``trigger`` would be refused (empty list: it is allowed)."""
    assessment = _assess(definition, facts, actor, trigger, payload, now)
    if assessment.refusal is not None:
        return [Problem(assessment.refusal.message, assessment.refusal.clause or definition.clause)]
    return assessment.problems


def fire(
    definition: ProcessDefinition,
    facts: Facts,
    actor: Actor,
    trigger: str,
    payload: Mapping[str, object],
    now: datetime,
) -> Outcome:
    """Compute the outcome of ``trigger``; raise TransitionNotAllowed or RulesNotMet if it is refused."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    assessment = _assess(definition, facts, actor, trigger, payload, now)
    if assessment.refusal is not None:
        raise assessment.refusal
    if assessment.problems:
        raise RulesNotMet(assessment.problems)
    case = _Case(definition, facts, actor, assessment.values, now)
    case.firing = True
    with _running(case):
        try:
            moved = case.trigger(trigger)  # type: ignore[attr-defined]
        except MachineError as exc:
            raise TransitionNotAllowed(str(exc.value)) from exc
        state_after = case.state  # type: ignore[attr-defined]
    if not moved or case.chosen is None:
        raise TransitionNotAllowed(f"'{trigger}' is not possible now")
    ctx = case.context(case.chosen)
    return Outcome(
        trigger=trigger,
        state_before=facts.state,
        state_after=state_after,
        events=case.chosen.records(ctx),
        effects=case.chosen.effects(ctx),
        values=assessment.values,
        notices=case.chosen.notify,
    )
