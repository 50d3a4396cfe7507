"""The data a process is made of: states, steps, transitions, deadline rules, headings, field specs.

A process is a ``ProcessDefinition``; one engine (``workflows.engine``) runs every definition, and
``workflows.deadlines`` computes every definition's deadlines, so a new process needs no engine code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .calendar import ENGLAND, WorkingCalendar
from .errors import Problem
from .roles import CaseRole

if TYPE_CHECKING:
    from .facts import Actor, Facts


class Unit(StrEnum):
    """How a deadline's amount is counted (DOMAIN.md, "How deadlines are counted")."""

    WEEKS = "weeks"  # calendar weeks, then on to the next working day
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"  # calendar days, then on to the next working day
    SAME_DAY = "same_day"  # "on the day or as soon as possible thereafter"


@dataclass(frozen=True)
class DeadlineRule:
    """When a step is due: ``amount`` ``unit`` after the LATEST of ``after`` (whichever is later).

    ``may_be_early``: the step may be done before its ``after`` events (e.g. a panel nominated at the
    point of notification).  ``late_needs_reason``: doing it after the due day needs a reason for the
    delay (Scenario 1, step five).  ``text`` is the MoU's own wording of the timescale.
    """

    after: tuple[str, ...]
    amount: int
    unit: Unit
    clause: str
    text: str
    may_be_early: bool = False
    late_needs_reason: bool = False
    calendar: WorkingCalendar = ENGLAND


@dataclass(frozen=True)
class StepDef:
    """A step of a process, for the UI and for deadlines.

    The step is done when ``done_event`` is recorded.  ``follows``: events that must have happened
    before it can be done (it cannot be skipped).  It is running ("due") once ``follows`` and the
    deadline's ``after`` events have all happened.
    """

    key: str
    title: str
    clause: str
    roles: tuple[CaseRole, ...]
    done_event: str
    follows: tuple[str, ...] = ()
    deadline: DeadlineRule | None = None
    guidance: str = ""


@dataclass(frozen=True)
class StateDef:
    """A state of a process with its plain-English title and clause."""

    name: str
    title: str
    clause: str
    terminal: bool = False


class FieldKind(StrEnum):
    """Kinds of payload field the engine validates and normalises before any rule runs."""

    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    ORG_ID = "org_id"
    ORG_IDS = "org_ids"
    CHOICE = "choice"


@dataclass(frozen=True)
class FieldSpec:
    """A payload field a transition takes: key (form field), label, kind, required, choices, hint."""

    key: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    #: What the person reads under the label, in the agreement's words.
    hint: str = ""

    def choice_label(self, choice: str) -> str:
        """The agreement's words for ``choice`` (or the choice itself, made readable)."""
        if choice in self.choices and len(self.choice_labels) == len(self.choices):
            return self.choice_labels[self.choices.index(choice)]
        return choice.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Heading:
    """A heading the written material must have, with the MoU's title and guidance.

    ``per_party``: one text per party (Scenario 1's positions and solutions); ``reference``: the
    heading also needs a reference to the document containing the decision (``decision_reference``).
    """

    key: str
    title: str
    guidance: str
    clause: str
    per_party: bool = False
    reference: bool = False

    def field_key(self, organisation_id: int | None = None) -> str:
        """The key of this heading in ``DisputeFacts.written_material`` (per party: ``key_<org id>``)."""
        if self.per_party:
            if organisation_id is None:
                raise ValueError(f"heading {self.key!r} is per party: give an organisation id")
            return f"{self.key}_{organisation_id}"
        return self.key


REFERENCE_FIELD = "decision_reference"


class EffectKind(StrEnum):
    """Something the app must do in the same transaction as recording the outcome."""

    OPEN_RECOMMENDATION = "open_recommendation"  # data: dispute link, kind, text
    START_RATIFICATION = "start_ratification"  # data: version, organisation_ids
    RESTART_RATIFICATION = "restart_ratification"  # data: version, organisation_ids
    LAPSE_RATIFICATIONS = "lapse_ratifications"  # data: organisation_id (clause 15)
    PARTY_WITHDRAWS = "party_withdraws"  # data: organisation_id (clause 15)
    OFFER_DISPUTE = "offer_dispute"  # data: organisation_id, process, decision_reference
    CHECK_RATIFICATION = "check_ratification"  # re-check the recommendation (fire conclude_ratification)
    DECISION_RATIFIED = "decision_ratified"
    DISPUTE_CLOSED = "dispute_closed"
    NOTIFY_STP_LEADER = "notify_stp_leader"


@dataclass(frozen=True)
class Effect:
    """An effect of an outcome: its kind and JSON-friendly data."""

    kind: EffectKind
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """Who is told when a transition happens, and what: roles relative to the case and a line of text.

    ``when``: told only if that yes/no field was answered yes. ``named_in``: only the organisations (of
    those roles) named in this field of the transition are told (the party the panel calls). ``text``
    may name the transition's fields in braces (``{hearing_date}``), filled with their values in words
    when the notice is sent.
    """

    roles: tuple[CaseRole, ...]
    text: str
    named_in: str | None = None
    #: Told only when this (yes/no) field of the transition is yes (the STP Leader, of a conflict).
    when: str | None = None


@dataclass(frozen=True)
class RecordedEvent:
    """An event to record: name, aware UTC moment, and JSON-friendly data (normalised payload)."""

    name: str
    at: datetime
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """Everything a rule, route or recorder sees; built fresh for each check, never stored."""

    definition: ProcessDefinition
    transition: TransitionDef
    facts: Facts
    actor: Actor
    values: Mapping[str, object]
    now: datetime


RuleCheck = Callable[[Context], list[Problem]]


@dataclass(frozen=True)
class Rule:
    """A rule from the MoU: its clause, what it says, and the check returning problems."""

    clause: str
    text: str
    check: RuleCheck


def _no_events(ctx: Context) -> tuple[RecordedEvent, ...]:
    return ()


def _no_effects(ctx: Context) -> tuple[Effect, ...]:
    return ()


@dataclass(frozen=True)
class TransitionDef:
    """One way a trigger can move a case.

    ``dest`` None means the state does not change (e.g. one panel member's declaration).  Several
    TransitionDefs may share a trigger and source; ``route`` picks the one that applies (e.g. the last
    party's response closes the case).  ``preconditions`` depend on facts only and decide whether the
    action is offered at all; ``rules`` also see the payload.  ``records`` and ``effects`` compute, and
    never perform, what the app must store and do.
    """

    trigger: str
    source: str
    dest: str | None
    roles: frozenset[CaseRole]
    label: str
    clause: str
    fields: tuple[FieldSpec, ...] = ()
    preconditions: tuple[Rule, ...] = ()
    rules: tuple[Rule, ...] = ()
    route: Callable[[Context], bool] | None = None
    records: Callable[[Context], tuple[RecordedEvent, ...]] = _no_events
    effects: Callable[[Context], tuple[Effect, ...]] = _no_effects
    notify: tuple[Notice, ...] = ()
    #: Events this transition may record (declared in the agreement file; for checks and diagrams).
    events: tuple[str, ...] = ()
    #: Irreversible: the person checks their answers first and gets a confirmation page after.
    confirm: bool = False


@dataclass(frozen=True)
class ProcessDefinition:
    """A whole process: states, steps, transitions and, for disputes, the written material's headings.

    ``params`` holds process-wide values rules read (e.g. ``min_panel``, ``party_count``,
    ``outcomes``) so one rule implementation serves every process.
    """

    key: str
    title: str
    clause: str
    kind: str  # "dispute", "recommendation" or "ratification"
    states: tuple[StateDef, ...]
    initial: str
    transitions: tuple[TransitionDef, ...]
    steps: tuple[StepDef, ...] = ()
    headings: tuple[Heading, ...] = ()
    params: Mapping[str, object] = field(default_factory=dict)
    #: What filing needs (disputes): the agreement file's ``filing`` declaration.
    filing: Any = None
    calendar: WorkingCalendar = ENGLAND
    #: Each role's name as the agreement gives it ("STP Leader", "Chief Executive").
    role_names: Mapping[str, str] = field(default_factory=dict)
    #: The key of the agreement the process comes from.
    agreement: str = ""

    def role_name(self, role: CaseRole | str) -> str:
        """The role's name as the agreement gives it."""
        return self.role_names.get(str(role), str(role).replace("_", " "))

    def states_after(self, trigger: str) -> frozenset[str]:
        """The states a case can be in once ``trigger`` has happened (its destinations and everything
        reachable from them): e.g. the states in which the panel holds the papers."""
        start = {t.dest for t in self.transitions if t.trigger == trigger and t.dest is not None}
        reached = set(start)
        frontier = list(start)
        while frontier:
            state = frontier.pop()
            for t in self.transitions:
                if t.source == state and t.dest is not None and t.dest not in reached:
                    reached.add(t.dest)
                    frontier.append(t.dest)
        return frozenset(reached)

    @property
    def filed_state(self) -> str:
        """The state a dispute is in once filed: where the ``notify`` transition from the initial state leads."""
        for t in self.transitions:
            if t.trigger == "notify" and t.source == self.initial and t.dest is not None:
                return t.dest
        return self.initial

    @property
    def material_trigger(self) -> str | None:
        """The trigger that sends the written material (None if the process has none)."""
        return next((t for t in self.triggers if t.startswith("submit_")), None)

    def material_open(self, state: str) -> bool:
        """The written material may still be written and changed in ``state`` (it has not been sent)."""
        trigger = self.material_trigger
        return trigger is not None and state in self.sources_of(trigger)

    def sources_of(self, trigger: str) -> frozenset[str]:
        """The states from which ``trigger`` may be taken (e.g. when the written material may change)."""
        return frozenset(t.source for t in self.transitions if t.trigger == trigger)

    @cached_property
    def _states_by_name(self) -> dict[str, StateDef]:
        return {s.name: s for s in self.states}

    def state(self, name: str) -> StateDef:
        """The StateDef called ``name`` (KeyError if unknown)."""
        return self._states_by_name[name]

    def step(self, key: str) -> StepDef:
        """The StepDef with ``key`` (KeyError if unknown)."""
        for s in self.steps:
            if s.key == key:
                return s
        raise KeyError(key)

    def is_terminal(self, state: str) -> bool:
        """True if ``state`` is terminal."""
        return self.state(state).terminal

    @cached_property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger of the process, in declaration order."""
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    def transitions_for(self, trigger: str, source: str | None = None) -> tuple[TransitionDef, ...]:
        """The TransitionDefs for ``trigger`` (from ``source`` if given), in declaration order."""
        return tuple(t for t in self.transitions if t.trigger == trigger and (source is None or t.source == source))
