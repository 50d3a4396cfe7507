"""Agreement files: a partnership's agreement, stated as data, that the one engine runs.

An agreement file (YAML) declares, in the agreement's own words, the partnership (its parties, groups
and principles), the roles, the calendar, and each process: its states, steps, who acts, what each
step needs, the rules that apply (named, with parameters, from ``workflows.library``), its deadlines,
who is told of each transition and the clause for every one of them.  ``load_agreement`` validates a
file against the declared schema (pydantic) and then checks it as a whole (every role, state, event
and rule it names exists; every state can be reached; every step can be taken), reporting every
mistake at once with its path, line and clause; it returns an ``Agreement`` whose processes are
``ProcessDefinition``s.

A process is written in full: its states, its transitions (who may take each, what it takes, the rules
that refuse it, what it records, who is told) and its steps with their deadlines.  An agreement may also
declare ``bespoke`` shapes (16.2 in Devon's): processes a named role chooses from for a dispute no other
process fits, setting each step's deadline; ``bespoke_definition`` builds the process chosen.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import library
from .calendar import WorkingCalendar
from .definitions import (
    DeadlineRule,
    FieldKind,
    FieldSpec,
    Heading,
    Notice,
    ProcessDefinition,
    StateDef,
    StepDef,
    TransitionDef,
    Unit,
)
from .errors import SpecError
from .roles import CaseRole

__all__ = [
    "Agreement",
    "AgreementError",
    "Issue",
    "bespoke_definition",
    "build_process",
    "load_agreement",
    "parse_agreement",
]

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"
Key = Annotated[str, Field(pattern=KEY_PATTERN)]
Text = Annotated[str, Field(min_length=1)]


# --- Problems ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One mistake in an agreement file: where (path and line), what, and the clause concerned."""

    path: str
    message: str
    line: int | None = None
    clause: str | None = None

    def __str__(self) -> str:
        where = self.path or "(file)"
        if self.line is not None:
            where += f" (line {self.line})"
        clause = f" [{self.clause}]" if self.clause else ""
        return f"{where}: {self.message}{clause}"


class AgreementError(Exception):
    """An agreement file that cannot be run; ``issues`` lists every mistake found."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = tuple(issues)


# --- YAML with line numbers and duplicate keys -------------------------------------------------------


def _path_text(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Lines:
    """Where each path of the document starts in the file, and the duplicate keys found on the way."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str | int, ...], int] = {}
        self.duplicates: list[Issue] = []

    def walk(self, node: yaml.Node, path: tuple[str | int, ...]) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key == "<<":  # a YAML merge key: its keys are merged, not duplicated
                    self.walk(value_node, path)
                    continue
                if key in seen:
                    self.duplicates.append(
                        Issue(_path_text((*path, key)), f"the key {key!r} appears twice", key_node.start_mark.line + 1)
                    )
                seen.add(key)
                self.walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.walk(item, (*path, index))

    def line(self, path: Sequence[str | int]) -> int | None:
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get(())


# --- The schema ------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AgreementInfo(_Model):
    """The agreement itself: a stable key, its title, when it was made and where it is published."""

    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")]
    title: Text
    made: date | None = None
    source: Text
    dispute_clause: Text = Field(description="The clause that sets out how disputes are resolved")
    notes: str = ""


class PartyDecl(_Model):
    """An organisation bound by (or eligible under) the agreement."""

    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{0,19}$")]
    name: Text
    short_name: str = ""
    kind: Literal["commissioner", "local_authority", "provider", "regulator", "system"]
    signature: Literal["signed", "signed_subject_to_ratification", "eligible_not_signed", "not_a_party"]
    board: Text = Field(description="What the organisation calls its Board: Board, Cabinet, Governing Body")
    member_of_meetings: bool = True
    clause: Text


class GroupDecl(_Model):
    """A subordinate group that brings recommendations."""

    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{0,19}$")]
    name: Text
    remit: str = ""


class PrincipleDecl(_Model):
    """An agreed principle, cited by disputes by its stable code."""

    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,9}$")]
    section: Literal["values", "outcomes", "behaviours"]
    text: Text


class PartnershipDecl(_Model):
    """The partnership: its parties, groups and principles."""

    name: Text
    short_name: str = Field("", description="What the service calls the partnership in its banner")
    duration_from: date | None = None
    duration_to: date | None = None
    duration_clause: str = ""
    parties: list[PartyDecl] = Field(min_length=1)
    groups: list[GroupDecl] = []
    principles: list[PrincipleDecl] = []
    principles_clause: str = ""


class RoleDecl(_Model):
    """A role as the agreement names it: relative to a case, or a standing assignment."""

    name: Text
    kind: Literal["case", "standing"]
    clause: Text
    description: str = ""


class CalendarDecl(_Model):
    """How the agreement counts days."""

    time_zone: Text = "Europe/London"
    holidays: Annotated[str, Field(pattern=r"^[A-Z]{2}(/[A-Z0-9]{1,5})?$")] = "GB/ENG"
    working_day: Text = Field("working day", description="The agreement's name for a working day")


class DeadlineDecl(_Model):
    """A timescale: ``amount`` ``unit`` after the latest of ``after``."""

    amount: Annotated[int, Field(ge=0, le=366)]
    unit: Literal["weeks", "working_days", "calendar_days", "same_day"]
    after: list[Key] = Field(min_length=1)
    text: str = ""
    after_words: str = Field("", description='How the starting point reads when ``text`` is not given: '
                                             '"notification of the dispute"')
    may_be_early: bool = False
    late_needs_reason: bool = False


RuleRef = Key | dict[Key, dict[str, Any] | None]


class FieldDecl(_Model):
    """A field a transition takes from the person acting."""

    key: Key
    label: Text
    kind: Literal["text", "date", "datetime", "bool", "org_id", "org_ids", "choice"] = "text"
    required: bool = True
    choices: list[Key] = []
    choice_labels: list[Text] = []
    #: What the person reads under the label (e.g. that the MoU sets no deadline for it).
    hint: Text = ""


class RecordDecl(_Model):
    """An event a transition records: its name, the payload fields kept, and the moment (a field) if
    the person gives one; or a named recorder from the library."""

    event: Key | None = None
    keys: list[Key] = []
    at: Key | None = None
    recorder: Key | None = None
    params: dict[str, Any] = {}


class NoticeDecl(_Model):
    """Who is told of a transition, and what."""

    to: list[Key] = Field(min_length=1)
    text: Text
    #: Only the organisations named in this field of the transition are told (of the roles in ``to``).
    named_in: Key | None = None
    #: Told only when this yes/no field of the transition is yes.
    when: Key | None = None


class TransitionDecl(_Model):
    """One way a trigger moves a case."""

    trigger: Key
    source: Key | list[Key] = Field(alias="from")
    dest: Key | None = Field(None, alias="to")
    by: list[Key] = Field(min_length=1)
    label: Text
    clause: Text
    fields: list[FieldDecl] = []
    requires: list[RuleRef] = []
    rules: list[RuleRef] = []
    route: Key | None = None
    records: list[RecordDecl] = []
    effects: list[RuleRef] = []
    notify: list[NoticeDecl] = []
    #: Irreversible: a check-your-answers page before, a confirmation page after.
    confirm: bool = False


class StateDecl(_Model):
    """A state with its plain-English title and clause."""

    name: Key
    title: Text
    clause: Text
    terminal: bool = False


class StepDecl(_Model):
    """A step for the table of steps and the deadlines: done when ``done`` is recorded."""

    key: Key
    title: Text
    clause: Text
    by: list[Key] = Field(min_length=1)
    done: Key
    follows: list[Key] = []
    deadline: DeadlineDecl | None = None
    guidance: str = ""


class HeadingDecl(_Model):
    """A heading of the written material."""

    key: Key
    title: Text
    guidance: str = ""
    clause: str = ""
    per_party: bool = False
    reference: bool = False


class SideDecl(_Model):
    """Organisations named at filing besides the one filing: co-parties or respondents."""

    label: Text
    clause: Text
    hint: str = ""
    min: Annotated[int, Field(ge=0, le=20)] = 0
    max: Annotated[int, Field(ge=1, le=20)] = 1


class DecisionDecl(_Model):
    """A dispute about a decision asks for the decision's reference at filing."""

    label: Text
    clause: Text
    hint: str = ""


class FilingDecl(_Model):
    """What filing a dispute needs, beyond its title and the negotiation account."""

    clause: Text
    title: Text = Field(description="A short name for the process, for the filing page")
    when: Text = Field(description="When this process fits, in plain words")
    other_parties: SideDecl | None = None
    respondents: SideDecl | None = None
    decision: DecisionDecl | None = None
    negotiation_clause: str = ""


class ProcessDecl(_Model):
    """A process of the agreement: its states, transitions and steps."""

    kind: Literal["dispute", "recommendation", "ratification"]
    title: Text
    clause: Text
    filing: FilingDecl | None = None
    initial: Key | None = None
    states: list[StateDecl] = []
    transitions: list[TransitionDecl] = []
    steps: list[StepDecl] = []
    headings: list[HeadingDecl] = []
    params: dict[str, Any] = {}


class ShapeDecl(ProcessDecl):
    """A shape a process set out for one dispute may take (16.2): a process in full, with default deadlines."""

    label: Text
    description: str = ""


class BespokeDecl(_Model):
    """The shapes a process set out for a dispute no other process fits may take; the first is followed
    until one is chosen."""

    title: Text
    clause: Text
    filing: FilingDecl
    shapes: dict[Key, ShapeDecl] = Field(min_length=1)


class ChosenDeadline(_Model):
    """A step's deadline as set out: ``amount`` ``unit`` (``none``: no deadline)."""

    amount: Annotated[int, Field(ge=0, le=366)] = 0
    unit: Literal["weeks", "working_days", "calendar_days", "same_day", "none"]


class BespokeChoice(_Model):
    """A process set out for one dispute: the shape chosen and any deadlines changed (step key -> deadline)."""

    shape: Key
    deadlines: dict[Key, ChosenDeadline] = {}


class AgreementDecl(_Model):
    """A whole agreement file."""

    agreement: AgreementInfo
    partnership: PartnershipDecl
    roles: dict[Key, RoleDecl]
    calendar: CalendarDecl = CalendarDecl()
    processes: dict[Key, ProcessDecl] = Field(min_length=1)
    bespoke: BespokeDecl | None = Field(
        None, description="The shapes of a process set out for a dispute that fits no other (16.2)"
    )

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: dict[str, RoleDecl]) -> dict[str, RoleDecl]:
        unknown = sorted(set(roles) - {r.value for r in CaseRole})
        if unknown:
            known = ", ".join(sorted(r.value for r in CaseRole))
            raise ValueError(f"unknown role {unknown[0]!r}: the engine knows {known}")
        return roles


# --- The result ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Agreement:
    """A checked agreement: what it declares, and its processes ready for the engine."""

    key: str
    title: str
    source: str
    digest: str
    text: str
    declaration: AgreementDecl
    calendar: WorkingCalendar
    processes: Mapping[str, ProcessDefinition] = field(default_factory=dict)

    def role_name(self, role: CaseRole | str) -> str:
        """The role's name as the agreement gives it."""
        decl = self.declaration.roles.get(str(role))
        return decl.name if decl else str(role).replace("_", " ")

    @property
    def dispute_processes(self) -> list[ProcessDefinition]:
        """The dispute processes a party may file under, in the file's order."""
        return [p for p in self.processes.values() if p.kind == "dispute"]


def _calendar(decl: CalendarDecl) -> WorkingCalendar:
    country, _, subdivision = decl.holidays.partition("/")
    return WorkingCalendar(decl.time_zone, country, subdivision or None, decl.working_day)


# --- Building definitions ---------------------------------------------------------------------------


def _rule_refs(refs: Iterable[Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for ref in refs:
        out.extend([(ref, {})] if isinstance(ref, str) else [(n, dict(p or {})) for n, p in ref.items()])
    return out


def _field(decl: FieldDecl) -> FieldSpec:
    return FieldSpec(decl.key, decl.label, FieldKind(decl.kind), decl.required, tuple(decl.choices),
                     tuple(decl.choice_labels), decl.hint)


def _deadline(decl: DeadlineDecl, clause: str, calendar: WorkingCalendar) -> DeadlineRule:
    text = decl.text or deadline_text(decl, calendar)
    return DeadlineRule(tuple(decl.after), decl.amount, Unit(decl.unit), clause, text, decl.may_be_early,
                        decl.late_needs_reason, calendar)


def deadline_text(decl: DeadlineDecl, calendar: WorkingCalendar) -> str:
    """A timescale in plain words when the file gives none: "Within 10 working days of ..."."""
    names = [decl.after_words] if decl.after_words else [a.replace("_", " ") for a in decl.after]
    if decl.unit == "same_day":
        return "On the day of " + " or ".join(names) + " or as soon as possible thereafter"
    unit = {"weeks": "week", "working_days": calendar.working_day_name, "calendar_days": "day"}[decl.unit]
    plural = unit if decl.amount == 1 else (unit + "s")
    text = f"Within {decl.amount} {plural} of " + " or ".join(names)
    return text + (", whichever is the later" if len(names) > 1 else "")


def _transitions(decls: Sequence[TransitionDecl], kind: str) -> list[TransitionDef]:
    out: list[TransitionDef] = []
    for t in decls:
        sources = [t.source] if isinstance(t.source, str) else list(t.source)
        requires = tuple(library.make_rule(n, p, t.clause) for n, p in _rule_refs(t.requires))
        checks = tuple(library.make_rule(n, p, t.clause) for n, p in _rule_refs(t.rules))
        recorders = []
        events: list[str] = []
        for r in t.records:
            if r.recorder:
                recorders.append(library.make_recorder(r.recorder, r.params, t.clause))
                events.extend(library.RECORDER_EVENTS.get(r.recorder, ()))
            elif r.event:
                recorders.append(
                    library.record_event(r.event, tuple(r.keys), r.at, stamp_organisation=kind == "dispute")
                )
                events.append(r.event)
        effects = [library.make_effect(n, p, t.clause) for n, p in _rule_refs(t.effects)]
        route = library.make_route(t.route, {}, t.clause) if t.route else None

        def records(ctx: Any, recorders: list[Any] = recorders) -> tuple[Any, ...]:
            return tuple(e for r in recorders for e in r(ctx))

        def run_effects(ctx: Any, effects: list[Any] = effects) -> tuple[Any, ...]:
            return tuple(e for fn in effects for e in fn(ctx))

        fields = tuple(_field(f) for f in t.fields)
        notify = tuple(Notice(tuple(CaseRole(r) for r in n.to), n.text, n.named_in, n.when) for n in t.notify)
        out.extend(TransitionDef(t.trigger, source, t.dest, frozenset(CaseRole(r) for r in t.by), t.label, t.clause,
                                 fields, requires, checks, route, records, run_effects, notify, tuple(events),
                                 t.confirm)
                   for source in sources)
    return out


def build_process(key: str, decl: ProcessDecl, *, calendar: WorkingCalendar, role_names: Mapping[str, str],
                  agreement_key: str = "") -> ProcessDefinition:
    """The ``ProcessDefinition`` of one declared process (the declaration must have passed the checks)."""
    filing = decl.filing
    steps = tuple(StepDef(s.key, s.title, s.clause, tuple(CaseRole(r) for r in s.by), s.done, tuple(s.follows),
                          _deadline(s.deadline, s.clause, calendar) if s.deadline else None, s.guidance)
                  for s in decl.steps)
    states = tuple(StateDef(s.name, s.title, s.clause, s.terminal) for s in decl.states)
    return ProcessDefinition(
        key, decl.title, decl.clause, decl.kind, states,
        decl.initial or decl.states[0].name, tuple(_transitions(decl.transitions, decl.kind)), steps,
        tuple(Heading(h.key, h.title, h.guidance, h.clause or decl.clause, h.per_party, h.reference)
              for h in decl.headings),
        {**decl.params, **({"parties_clause": filing.clause} if filing else {})}, filing, calendar, dict(role_names),
        agreement_key)


# --- Checking a whole agreement ---------------------------------------------------------------------


class _Checker:
    """Checks that need the whole declaration: names that must exist, reachability, who may act."""

    def __init__(self, decl: AgreementDecl, lines: _Lines) -> None:
        self.decl = decl
        self.lines = lines
        self.issues: list[Issue] = []

    def add(self, path: Sequence[str | int], message: str, clause: str | None = None) -> None:
        self.issues.append(Issue(_path_text(path), message, self.lines.line(path), clause))

    def run(self) -> list[Issue]:
        d = self.decl
        self._unique([p.code for p in d.partnership.parties], ("partnership", "parties"), "party code")
        self._unique([g.code for g in d.partnership.groups], ("partnership", "groups"), "group code")
        self._unique([p.code for p in d.partnership.principles], ("partnership", "principles"), "principle code")
        try:
            _calendar(d.calendar).holiday_names(2026)
        except Exception:
            self.add(("calendar", "holidays"), f"unknown holiday region {d.calendar.holidays!r}")
        try:
            _calendar(d.calendar).zone  # noqa: B018 - resolving the zone is the check
        except Exception:
            self.add(("calendar", "time_zone"), f"unknown time zone {d.calendar.time_zone!r}")
        for key, process in d.processes.items():
            self.process(("processes", key), process)
        if d.bespoke is not None:
            for key, shape in d.bespoke.shapes.items():
                if shape.kind != "dispute":
                    self.add(("bespoke", "shapes", key, "kind"), "a shape is a dispute process", shape.clause)
                self.process(("bespoke", "shapes", key), shape.model_copy(update={"filing": d.bespoke.filing}))
        return self.issues

    def _unique(self, values: list[str], path: tuple[str, ...], what: str) -> None:
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                self.add((*path, index), f"the {what} {value!r} is used twice")
            seen.add(value)

    def role(self, path: Sequence[str | int], role: str, clause: str | None) -> None:
        if role not in self.decl.roles:
            declared = ", ".join(sorted(self.decl.roles))
            self.add(path, f"unknown role {role!r}: declare it under roles (declared: {declared})", clause)

    def rule(self, path: Sequence[str | int], refs: Iterable[Any], table: Mapping[str, Any], what: str,
             clause: str | None) -> None:
        for index, (name, params) in enumerate(_rule_refs(refs)):
            entry = table.get(name)
            where = (*path, index)
            if entry is None:
                self.add(where, f"unknown {what} {name!r}: the library has {', '.join(sorted(table))}", clause)
                continue
            unknown = sorted(set(params) - set(entry.params) - {"clause"})
            if unknown:
                self.add(where, f"{what} {name!r} takes no parameter {unknown[0]!r}", clause)
            missing = [p for p in entry.required if p not in params]
            if missing:
                self.add(where, f"{what} {name!r} needs the parameter {missing[0]!r}", clause)

    def process(self, path: tuple[str | int, ...], p: ProcessDecl) -> None:
        if not p.transitions:
            self.add((*path, "transitions"), "a process needs its transitions", p.clause)
            return
        if p.kind == "dispute" and p.filing is None:
            self.add((*path, "filing"), "a dispute process says what filing needs (filing:)", p.clause)
        names = [s.name for s in p.states]
        self._unique(names, (*path, "states"), "state name")
        self._unique([s.key for s in p.steps], (*path, "steps"), "step key")
        if not names:
            self.add((*path, "states"), "a process needs states", p.clause)
            return
        known = set(names)
        terminal = {s.name for s in p.states if s.terminal}
        initial = p.initial or names[0]
        if initial not in known:
            self.add((*path, "initial"), f"unknown initial state {initial!r}", p.clause)
        recorded: set[str] = set()
        edges: dict[str, set[str]] = {n: set() for n in names}
        for index, t in enumerate(p.transitions):
            where = (*path, "transitions", index)
            sources = [t.source] if isinstance(t.source, str) else t.source
            for s in sources:
                if s not in known:
                    self.add((*where, "from"), f"unknown state {s!r}", t.clause)
                elif s in terminal:
                    self.add((*where, "from"), f"{s!r} is terminal: nothing may leave it", t.clause)
                else:
                    edges[s].add(t.dest or s)
            if t.dest is not None and t.dest not in known:
                self.add((*where, "to"), f"unknown state {t.dest!r}", t.clause)
            for role in t.by:
                self.role((*where, "by"), role, t.clause)
            for n_index, notice in enumerate(t.notify):
                for role in notice.to:
                    self.role((*where, "notify", n_index, "to"), role, t.clause)
                for attr in ("named_in", "when"):
                    value = getattr(notice, attr)
                    if value is not None and value not in {f.key for f in t.fields}:
                        self.add((*where, "notify", n_index, attr),
                                 f"{value!r} is not one of the transition's fields", t.clause)
            self.rule((*where, "requires"), t.requires, library.RULES, "rule", t.clause)
            self.rule((*where, "rules"), t.rules, library.RULES, "rule", t.clause)
            self.rule((*where, "effects"), t.effects, library.EFFECTS, "effect", t.clause)
            if t.route is not None and t.route not in library.ROUTES:
                self.add((*where, "route"), f"unknown route {t.route!r}: the library has "
                         f"{', '.join(sorted(library.ROUTES))}", t.clause)
            field_keys = {f.key for f in t.fields}
            for r_index, r in enumerate(t.records):
                rw = (*where, "records", r_index)
                if (r.event is None) == (r.recorder is None):
                    self.add(rw, "a record names either an event or a recorder", t.clause)
                if r.recorder is not None:
                    self.rule(rw, [{r.recorder: r.params}], library.RECORDERS, "recorder", t.clause)
                    recorded.update(library.RECORDER_EVENTS.get(r.recorder, ()))
                if r.event is not None:
                    recorded.add(r.event)
                for k in [*r.keys, *([r.at] if r.at else [])]:
                    if k not in field_keys:
                        self.add(rw, f"records the field {k!r}, which the transition does not take", t.clause)
            for f_index, f in enumerate(t.fields):
                if f.kind == "choice" and not f.choices:
                    self.add((*where, "fields", f_index, "choices"), "a choice needs its choices", t.clause)
                if f.choice_labels and len(f.choice_labels) != len(f.choices):
                    self.add((*where, "fields", f_index, "choice_labels"), "give one label per choice", t.clause)
        # Every state can be reached from the initial state.
        reached = {initial}
        frontier = [initial]
        while frontier:
            for nxt in edges.get(frontier.pop(), ()):
                if nxt not in reached:
                    reached.add(nxt)
                    frontier.append(nxt)
        for index, state in enumerate(p.states):
            if state.name not in reached:
                self.add((*path, "states", index), f"the state {state.name!r} cannot be reached from {initial!r}",
                         state.clause)
            elif not state.terminal and not (edges.get(state.name, set()) - {state.name}):
                self.add((*path, "states", index), f"the state {state.name!r} is a dead end: no transition leaves "
                         "it and it is not terminal", state.clause)
        if not terminal:
            self.add((*path, "states"), "a process needs at least one terminal state (how it ends)", p.clause)
        if p.kind == "dispute" and not any(
            t.trigger == "notify" and initial in ([t.source] if isinstance(t.source, str) else t.source)
            for t in p.transitions
        ):
            self.add((*path, "transitions"), "a dispute starts with the 'notify' transition from its initial state",
                     p.clause)
        for index, step in enumerate(p.steps):
            where = (*path, "steps", index)
            for role in step.by:
                self.role((*where, "by"), role, step.clause)
            if step.done not in recorded:
                self.add((*where, "done"), f"no transition records {step.done!r}: nobody may take this step",
                         step.clause)
            elif not any(
                (step.done in _events_of(t)) and set(t.by) & set(step.by) | {"system"} & set(t.by)
                for t in p.transitions
            ):
                self.add((*where, "by"), "none of the roles given may take the transition that completes this step",
                         step.clause)
            for j, name in enumerate([*step.follows, *(step.deadline.after if step.deadline else [])]):
                if name not in recorded:
                    self.add((*where, "deadline" if j >= len(step.follows) else "follows"),
                             f"runs from {name!r}, which no step records", step.clause)
        for index, heading in enumerate(p.headings):
            if not (heading.clause or p.clause):
                self.add((*path, "headings", index), "missing clause")


def _events_of(t: TransitionDecl) -> set[str]:
    """The events a transition records, by name or through a library recorder."""
    return {e for r in t.records for e in ([r.event] if r.event else library.RECORDER_EVENTS.get(r.recorder or "", ()))}


# --- Loading ---------------------------------------------------------------------------------------


#: The names pydantic gives the alternatives of a union ("constrained-str", "list[...]"): not part of a path.
_TYPE_LABEL = re.compile(r"^(constrained-\w+|str|int|bool|list|dict|function-\w+)(\[.*\])?$|\[")


def _pydantic_issues(error: ValidationError, lines: _Lines, prefix: tuple[str | int, ...] = ()) -> list[Issue]:
    issues = []
    seen: set[str] = set()
    for e in error.errors():
        loc = tuple(part for part in e["loc"] if not (isinstance(part, str) and _TYPE_LABEL.search(part)))
        where = _path_text((*prefix, *loc))
        if where in seen:  # one issue per place: a union's alternatives each complain about the same value
            continue
        seen.add(where)
        loc = (*prefix, *loc)
        message = e["msg"]
        if e["type"] == "missing":
            message = f"missing {loc[-1]!r}" if loc else "missing"
        elif e["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}"
        elif message.startswith("Value error, "):
            message = message[len("Value error, "):]
        issues.append(Issue(_path_text(loc), message, lines.line(loc)))
    return issues


def parse_agreement(text: str, *, source_name: str = "agreement") -> Agreement:
    """Validate an agreement's YAML text and build its processes; raise AgreementError listing every mistake."""
    lines = _Lines()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise AgreementError([Issue(source_name, f"not valid YAML: {getattr(error, 'problem', error)}",
                                    mark.line + 1 if mark else None)]) from error
    if node is None or not isinstance(data, dict):
        raise AgreementError([Issue(source_name, "an agreement file is a mapping with agreement, partnership, "
                                                 "roles, calendar and processes")])
    lines.walk(node, ())
    issues = list(lines.duplicates)
    try:
        decl = AgreementDecl.model_validate(data)
    except ValidationError as error:
        raise AgreementError([*issues, *_pydantic_issues(error, lines)]) from None
    issues.extend(_Checker(decl, lines).run())
    if issues:
        raise AgreementError(issues)
    calendar = _calendar(decl.calendar)
    role_names = {k: v.name for k, v in decl.roles.items()}
    processes = {
        key: build_process(key, p, calendar=calendar, role_names=role_names, agreement_key=decl.agreement.key)
        for key, p in decl.processes.items()
    }
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Agreement(decl.agreement.key, decl.agreement.title, decl.agreement.source, digest, text, decl, calendar,
                     processes)


def load_agreement(path: str | Path) -> Agreement:
    """Read and check the agreement file at ``path``."""
    p = Path(path)
    return parse_agreement(p.read_text(encoding="utf-8"), source_name=p.name)


def _chosen(agreement: Agreement, choice: Mapping[str, Any]) -> tuple[ProcessDecl | None, list[str]]:
    """The process a choice of shape and deadlines makes (None and the mistakes if it cannot run)."""
    bespoke = agreement.declaration.bespoke
    if bespoke is None:
        return None, [f"the agreement {agreement.key!r} declares no process to set out"]
    try:
        chosen = BespokeChoice.model_validate(choice)
    except ValidationError as error:
        return None, [str(i) for i in _pydantic_issues(error, _Lines())]
    shape = bespoke.shapes.get(chosen.shape)
    if shape is None:
        return None, [f"choose one of the shapes: {', '.join(bespoke.shapes)}"]
    errors: list[str] = []
    steps = {s.key: s for s in shape.steps if s.deadline is not None}
    for key, d in chosen.deadlines.items():
        if key not in steps:
            errors.append(f"{key}: {shape.label} has no step {key!r} with a deadline")
        elif d.unit not in ("same_day", "none") and not 1 <= d.amount <= 52:
            errors.append(f"{steps[key].title}: a deadline in days or weeks is between 1 and 52")
    if errors:
        return None, errors
    new_steps = []
    for s in shape.steps:
        d = chosen.deadlines.get(s.key)
        if d is not None and s.deadline is not None and (d.amount, d.unit) != (s.deadline.amount, s.deadline.unit):
            deadline = None if d.unit == "none" else s.deadline.model_copy(
                update={"amount": 0 if d.unit == "same_day" else d.amount, "unit": d.unit, "text": ""})
            s = s.model_copy(update={"deadline": deadline})
        new_steps.append(s)
    return shape.model_copy(update={"steps": new_steps, "filing": bespoke.filing}), []


def bespoke_definition(agreement: Agreement, key: str, choice: Mapping[str, Any]) -> ProcessDefinition:
    """The process set out for one dispute (16.2): the shape chosen, with its deadlines as set."""
    decl, errors = _chosen(agreement, choice)
    if decl is None:
        raise SpecError(errors)
    role_names = {k: v.name for k, v in agreement.declaration.roles.items()}
    return build_process(key, decl, calendar=agreement.calendar, role_names=role_names, agreement_key=agreement.key)
