"""The kinds of step a dispute process is built from, and the composer that builds one.

Schedule 8's four scenarios and every bespoke process (16.2) are ``DisputeSpec``s: an ordered list of
step kinds with their clauses and deadlines.  ``compose`` turns a spec into a ``ProcessDefinition``
that the one engine runs, so a new process is data, never new engine code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from . import rules
from .calendar import ENGLAND, WorkingCalendar
from .definitions import (
    Context,
    DeadlineRule,
    Effect,
    EffectKind,
    FieldKind,
    FieldSpec,
    Heading,
    Notice,
    ProcessDefinition,
    RecordedEvent,
    Rule,
    StateDef,
    StepDef,
    TransitionDef,
    Unit,
)
from .engine import jsonable
from .facts import DeclarationStatus, DisputeFacts, PanelRoute, ResponseKind
from .roles import CaseRole

__all__ = ["OUTCOME_LABELS", "DeadlineSpec", "DisputeSpec", "StepKind", "StepSpec", "compose"]


class StepKind(StrEnum):
    """The kinds of step Schedule 8 uses, from which any dispute process is composed."""

    WRITTEN_MATERIAL = "written_material"
    PANEL_NOMINATION = "panel_nomination"
    HEARING = "hearing"
    PANEL_DECISION = "panel_decision"
    PANEL_RECOMMENDATION = "panel_recommendation"
    STP_LEADER_PROPOSAL = "stp_leader_proposal"
    RESPONSES = "responses"


#: What the STP Leader's proposal may conclude (Schedule 8, scenarios 2-4, step four).
OUTCOME_LABELS: dict[str, str] = {
    "decision_stands": "The decision stands in the interest of the system",
    "decision_revisited": "The decision is revisited in the light of the reasons raised",
    "solution": "A solution in the interest of the system",
    "options_paper": "An options paper to be considered by PDEG",
}
#: Outcomes that send a new recommendation to PDEG, linked to the dispute.
OUTCOMES_OPENING_RECOMMENDATION = frozenset({"decision_revisited", "options_paper"})


@dataclass(frozen=True)
class DeadlineSpec:
    """A step's timescale: ``amount`` ``unit`` after the later of the steps keyed in ``after``."""

    after: tuple[str, ...]
    amount: int
    unit: Unit
    text: str
    may_be_early: bool = False
    late_needs_reason: bool = False


@dataclass(frozen=True)
class StepSpec:
    """One step of a dispute process: its kind, the clause it comes from, its title and timescale."""

    kind: StepKind
    clause: str
    title: str
    deadline: DeadlineSpec | None = None
    guidance: str = ""
    #: Further rules from the agreement file: (trigger, rule); trigger None is the step's main one.
    rules: tuple[tuple[str | None, Rule], ...] = ()


@dataclass(frozen=True)
class DisputeSpec:
    """Everything that distinguishes one dispute process from another."""

    key: str
    title: str
    clause: str
    steps: tuple[StepSpec, ...]
    headings: tuple[Heading, ...] = ()
    material_name: str = "written_material"  # "documentation" (Scenario 1), "report" (Scenarios 2-4)
    material_title: str = "Written material"
    parties_clause: str = "Schedule 8 (preamble)"
    party_count: int | None = None
    min_panel: int = 1
    panel_clause: str = "16.2"
    pack_agreement: bool = False
    principles_required: bool = False
    principles_clause: str = "Schedule 3"
    outcomes: tuple[str, ...] = ("solution", "options_paper")
    extra_params: dict[str, object] = field(default_factory=dict)
    #: The agreement's words for each outcome, and the outcomes that go to the decision-making meeting.
    outcome_labels: dict[str, str] = field(default_factory=lambda: dict(OUTCOME_LABELS))
    opening_recommendation: frozenset[str] = OUTCOMES_OPENING_RECOMMENDATION
    role_names: dict[str, str] = field(default_factory=dict)
    calendar: WorkingCalendar = ENGLAND
    filing: object = None
    extend_roles: frozenset[CaseRole] = frozenset({CaseRole.STP_LEADER})
    extend_clause: str = "16.2"
    agreement: str = ""


# --- Keys of steps and their events ---------------------------------------------------------------

NOTIFICATION = "notification"

PARTY = frozenset({CaseRole.PARTY})
FILER = frozenset({CaseRole.FILING_PARTY})
LEADER = frozenset({CaseRole.STP_LEADER})
PANEL = frozenset({CaseRole.PANEL_MEMBER})

Recorder = Callable[[Context], tuple[RecordedEvent, ...]]


def _record(name: str, *keys: str, at_key: str | None = None) -> Recorder:
    """A recorder that records ``name`` now (or at the payload's ``at_key``) with the given values."""

    def records(ctx: Context) -> tuple[RecordedEvent, ...]:
        at = ctx.values.get(at_key) if at_key else None
        data = {k: jsonable(ctx.values[k]) for k in keys if k in ctx.values}
        if ctx.actor.organisation_id is not None:
            data.setdefault("organisation_id", ctx.actor.organisation_id)
        return (RecordedEvent(name, at or ctx.now, data),)  # type: ignore[arg-type]

    return records


def _facts(ctx: Context) -> DisputeFacts:
    assert isinstance(ctx.facts, DisputeFacts)
    return ctx.facts


class _Builder:
    """Accumulates states, transitions and steps while walking a DisputeSpec's steps in order."""

    def __init__(self, spec: DisputeSpec) -> None:
        self.spec = spec
        self.leader = spec.role_names.get("stp_leader", "STP Leader")
        self.states: list[StateDef] = [
            StateDef("draft", f"Being prepared, not yet notified to the {self.leader}", "Schedule 8 (preamble)"),
            StateDef("notified", f"Notified to the {self.leader}", "Schedule 8 (preamble)"),
        ]
        self.transitions: list[TransitionDef] = []
        self.steps: list[StepDef] = []
        self.events: dict[str, str] = {NOTIFICATION: "notified"}
        self.current = "notified"
        self.last_event = "notified"
        # (trigger, source, dest) of the written-material step if it came straight after notification,
        # which is when the STP Lead may select the panel "at the point of notification".
        self.material_after_notification: tuple[str, str, str] | None = None
        self.material_transition: TransitionDef | None = None
        self.step_rules: dict[str, tuple[Rule, ...]] = {}

    # -- helpers --

    def state(self, name: str, title: str, clause: str, terminal: bool = False, before: str | None = None) -> None:
        if name in {s.name for s in self.states}:
            return
        new = StateDef(name, title, clause, terminal)
        names = [s.name for s in self.states]
        # Keep states in the order a case meets them, for the UI's list of stages.
        self.states.insert(names.index(before) if before in names else len(names), new)

    def add(self, **kwargs: object) -> TransitionDef:
        extra = self.step_rules.get(str(kwargs["trigger"]), ())
        if extra:
            kwargs["rules"] = (*tuple(kwargs.get("rules", ())), *extra)  # type: ignore[arg-type]
        t = TransitionDef(**kwargs)  # type: ignore[arg-type]
        self.transitions.append(t)
        return t

    def deadline(self, step: StepSpec) -> DeadlineRule | None:
        d = step.deadline
        if d is None:
            return None
        return DeadlineRule(
            after=tuple(self.events[k] for k in d.after),
            amount=d.amount,
            unit=d.unit,
            clause=step.clause,
            text=d.text,
            may_be_early=d.may_be_early,
            late_needs_reason=d.late_needs_reason,
            calendar=self.spec.calendar,
        )

    def step(
        self,
        key: str,
        spec: StepSpec,
        roles: frozenset[CaseRole],
        done: str,
        follows: tuple[str, ...],
        title: str | None = None,
        clause: str | None = None,
        with_deadline: bool = True,
    ) -> None:
        self.steps.append(
            StepDef(
                key=key,
                title=title or spec.title,
                clause=clause or spec.clause,
                roles=tuple(sorted(roles)),
                done_event=done,
                follows=follows,
                deadline=self.deadline(spec) if with_deadline else None,
                guidance=spec.guidance,
            )
        )
        self.events[key] = done

    # -- notification --

    def notification(self) -> None:
        clause = "Schedule 8 (preamble); 16.1"
        self.add(
            trigger="notify",
            source="draft",
            dest="notified",
            roles=FILER,
            label=f"Notify the {self.leader} of the dispute",
            clause=clause,
            fields=(
                FieldSpec(
                    "negotiation_attempted",
                    "The parties have tried to resolve this by negotiation in good faith",
                    FieldKind.BOOL,
                ),
            ),
            preconditions=(rules.parties_of_dispute(), rules.parties_are_current()),
            rules=(rules.negotiation_attempted(),),
            records=_record("notified", "negotiation_attempted"),
            notify=(
                Notice((CaseRole.STP_LEADER,),
                       f"A dispute has been notified to you ({self.spec.clause.split(',')[0]})."),
                Notice((CaseRole.RESPONDENT, CaseRole.OTHER_PARTY),
                       "A dispute naming your organisation as a party has been notified. You can see it, you are "
                       "told of each step, and you respond to the outcome."),
            ),
        )
        self.steps.append(
            StepDef(
                NOTIFICATION,
                f"Notification of the dispute to the {self.leader}",
                clause,
                (CaseRole.FILING_PARTY,),
                "notified",
            )
        )

    # -- step kinds --

    def written_material(self, spec: StepSpec) -> None:
        name = self.spec.material_name
        trigger, dest = f"submit_{name}", f"{name}_received"
        self.state(dest, f"{self.spec.material_title} received by the {self.leader}", spec.clause)
        roles = PARTY if self.spec.pack_agreement else FILER
        if self.spec.pack_agreement:
            self._agree_pack(self.current, spec.clause)
        self.material_transition = self.add(
            trigger=trigger,
            source=self.current,
            dest=dest,
            roles=roles,
            label=f"Submit the {self.spec.material_title.lower()} to the {self.leader}",
            clause=spec.clause,
            # Every party's agreement is a condition of sending the joint pack (so "send" is offered only
            # once all agreed); the rest is checked on what was written.
            preconditions=(rules.pack_agreed_by_all(),),
            rules=(rules.material_complete(), rules.principles_cited()),
            records=_record(dest),
            confirm=True,
        )
        if self.current == "notified":
            self.material_after_notification = (trigger, "notified", dest)
        self.step(name, spec, roles, dest, (self.last_event,))
        self.current, self.last_event = dest, dest

    def _agree_pack(self, source: str, clause: str) -> None:
        def records(ctx: Context) -> tuple[RecordedEvent, ...]:
            digest = rules.pack_digest(_facts(ctx).written_material)
            data = {"organisation_id": ctx.actor.organisation_id, "digest": digest}
            return (RecordedEvent("pack_agreed", ctx.now, data),)  # type: ignore[arg-type]

        self.add(
            trigger="agree_pack",
            source=source,
            dest=None,
            roles=PARTY,
            label="Agree the documentation as it stands",
            clause=clause,
            preconditions=(rules.actor_is_responding_party(), rules.pack_not_yet_agreed_by_actor()),
            rules=(rules.pack_written(),),
            records=records,
        )

    def panel_nomination(self, spec: StepSpec) -> None:
        clause = spec.clause
        fields = (
            FieldSpec("organisation_ids", "Organisations on the panel", FieldKind.ORG_IDS),
            FieldSpec(
                "route",
                "Where the panel comes from",
                FieldKind.CHOICE,
                required=False,
                choices=tuple(r.value for r in PanelRoute),
            ),
            FieldSpec("external_authority", "PDEG's authority for external expertise (Schedule 6)", required=False),
        )
        self.state("panel_nominated", "Panel nominated; awaiting each member's declaration of interest", clause)
        self.state("with_panel", "Papers with the panel", clause)
        nominate = {
            "trigger": "nominate_panel",
            "roles": LEADER,
            "label": "Nominate the panel",
            "clause": clause,
            "fields": fields,
            "rules": (),
            "records": _record("panel_nominated", "organisation_ids", "route", "external_authority"),
            "notify": (Notice((CaseRole.PANEL_MEMBER, CaseRole.PARTY), "The panel has been nominated."),),
            "confirm": True,
        }
        self.add(source=self.current, dest="panel_nominated", **nominate)
        panel_states = ["panel_nominated"]
        early = spec.deadline is not None and spec.deadline.may_be_early
        material = self.material_after_notification
        if early and material is not None and material[2] == self.current:
            # "The STP Lead may select the panel at the point of notification": a branch in which the
            # panel exists before the written material arrives; the material then joins it.
            trigger, _, _ = material
            self.state(
                "panel_nominated_early",
                "Panel selected at the point of notification; awaiting the written material",
                clause,
                before=material[2],
            )
            self.add(source="notified", dest="panel_nominated_early", **nominate)
            assert self.material_transition is not None
            m = self.material_transition
            self.add(
                trigger=trigger,
                source="panel_nominated_early",
                dest="panel_nominated",
                roles=m.roles,
                label=m.label,
                clause=m.clause,
                preconditions=m.preconditions,
                rules=m.rules,
                records=m.records,
                confirm=m.confirm,
            )
            if self.spec.pack_agreement:
                self._agree_pack("panel_nominated_early", m.clause)
            panel_states.insert(0, "panel_nominated_early")
            follows: tuple[str, ...] = ("notified",)
        else:
            follows = (self.last_event,)
        for source in panel_states:
            self.add(
                trigger="declare_interest",
                source=source,
                dest=None,
                roles=PANEL,
                label="Declare any conflict of interest",
                clause="16.2",
                fields=(
                    FieldSpec("conflict", "My organisation has a conflict of interest", FieldKind.BOOL),
                    FieldSpec("details", "Details of the conflict", required=False),
                ),
                preconditions=(rules.actor_on_panel(), rules.actor_yet_to_declare()),
                rules=(rules.conflict_explained(),),
                records=_declaration_records,
                notify=(Notice((CaseRole.STP_LEADER,), "{organisation} has declared a conflict of interest: {details}. "
                               "For you to do: replace the panel member (16.2).", when="conflict"),),
            )
            self.add(
                trigger="replace_panel_member",
                source=source,
                dest=None,
                roles=LEADER,
                label="Replace a panel member",
                clause="16.2",
                fields=(
                    FieldSpec("replace", "Organisation to replace", FieldKind.ORG_ID),
                    FieldSpec("replacement", "Replacement organisation", FieldKind.ORG_ID),
                    FieldSpec("reason", "Reason"),
                ),
                rules=(rules.replacement_valid(),),
                records=_record("panel_member_replaced", "replace", "replacement", "reason"),
                notify=(Notice((CaseRole.PANEL_MEMBER,), "Your organisation has been nominated to the panel in place "
                               "of another. For you to do: declare any conflict of interest (16.2)."),),
            )
        self.add(
            trigger="release_papers",
            source="panel_nominated",
            dest="with_panel",
            roles=LEADER,
            label="Send the papers to the panel",
            clause="16.2",
            preconditions=(rules.current_panel_valid(), rules.all_declared_no_conflict()),
            records=_record("papers_released"),
        )
        self.step("panel_nomination", spec, LEADER, "panel_nominated", follows)
        material_event = (self.events[self.spec.material_name],) if self.spec.material_name in self.events else ()
        self.steps.append(
            StepDef(
                "declarations",
                "Panel members declare any conflict of interest",
                "16.2",
                (CaseRole.PANEL_MEMBER,),
                "declarations_complete",
                ("panel_nominated",),
            )
        )
        self.events["declarations"] = "declarations_complete"
        self.steps.append(
            StepDef(
                "papers_release",
                "Papers sent to the panel",
                "16.2",
                (CaseRole.STP_LEADER,),
                "papers_released",
                ("declarations_complete", *material_event),
            )
        )
        self.events["papers_release"] = "papers_released"
        self.current, self.last_event = "with_panel", "papers_released"

    def hearing(self, spec: StepSpec) -> None:
        self.state("hearing_held", "The panel has convened and withdrawn to consider its decision", spec.clause)
        self.add(
            trigger="call_parties",
            source=self.current,
            dest=None,
            roles=PANEL,
            label="Call parties for clarification",
            clause=spec.clause,
            fields=(
                FieldSpec("called", "Parties called for clarification", FieldKind.ORG_IDS),
                FieldSpec("invited", "Other parties invited to be present", FieldKind.ORG_IDS, required=False),
            ),
            preconditions=(rules.actor_on_panel(),),
            records=_record("parties_called", "called", "invited"),
            notify=(
                Notice((CaseRole.PARTY,), f"The panel calls your organisation for clarification ({spec.clause}). "
                       "Called: {called}. Invited to be present: {invited}.", named_in="called"),
                Notice((CaseRole.PARTY,), "Your organisation is invited to be present: the panel has called {called} "
                       f"for clarification, and if either party is called the other must be present ({spec.clause}).",
                       named_in="invited"),
            ),
        )
        self.add(
            trigger="schedule_hearing",
            source=self.current,
            dest=None,
            roles=PANEL,
            label="Set the date the panel convenes",
            clause=spec.clause,
            fields=(
                FieldSpec("hearing_date", "Date of the hearing", FieldKind.DATE),
                FieldSpec("arrangements", "Where and when on the day, and who is asked to attend", required=False),
            ),
            preconditions=(rules.actor_on_panel(),),
            rules=(rules.date_not_in_past("hearing_date", spec.clause),),
            records=_record("hearing_scheduled", "hearing_date", "arrangements"),
            notify=(Notice((CaseRole.PARTY, CaseRole.PANEL_MEMBER), "The panel convenes on {hearing_date}: "
                           f"{{arrangements}} ({spec.clause})."),),
        )
        self.add(
            trigger="hold_hearing",
            source=self.current,
            dest="hearing_held",
            roles=PANEL,
            label="Record that the panel has convened",
            clause=spec.clause,
            fields=(
                FieldSpec("held_at", "When the panel convened", FieldKind.DATETIME, required=False),
                FieldSpec("attended", "Parties present", FieldKind.ORG_IDS, required=False),
                FieldSpec("absence_reason", "If a party called or invited was not present, why", required=False),
                FieldSpec("date_reason", "If the panel convened on another day than arranged, or after the due "
                          "date, why", required=False),
            ),
            preconditions=(rules.actor_on_panel(),),
            rules=(rules.moment_not_in_future("held_at", spec.clause, "papers_released"),),
            records=_record("hearing_held", "held_at", "attended", "absence_reason", "date_reason",
                            at_key="held_at"),
        )
        self.step("hearing", spec, PANEL, "hearing_held", (self.last_event,))
        self.current, self.last_event = "hearing_held", "hearing_held"

    def panel_decision(self, spec: StepSpec) -> None:
        self.state("decision_presented", "Decision presented to the parties", spec.clause)
        late = spec.deadline is not None and spec.deadline.late_needs_reason
        self.step("decision", spec, PANEL, "decision_presented", (self.last_event,))
        self.add(
            trigger="present_decision",
            source=self.current,
            dest="decision_presented",
            roles=PANEL,
            label="Present the panel's decision with its reasons",
            clause=spec.clause,
            fields=(
                FieldSpec("decision", "The decision"),
                FieldSpec("reasons", "The reasons, as fully as is reasonably practical"),
                FieldSpec("delay_reason", "Reason for any delay in making the decision", required=False),
            ),
            preconditions=(rules.actor_on_panel(),),
            rules=(rules.delay_explained("decision"),) if late else (),
            records=_record("decision_presented", "decision", "reasons", "delay_reason"),
            confirm=True,
            notify=(Notice((CaseRole.PARTY,), "Decision presented to the parties: read it and respond."),),
        )
        self.current, self.last_event = "decision_presented", "decision_presented"

    def panel_recommendation(self, spec: StepSpec) -> None:
        self.state("recommendation_made", f"The panel's recommendation is with the {self.leader}", spec.clause)
        self.add(
            trigger="make_recommendation",
            source=self.current,
            dest="recommendation_made",
            roles=PANEL,
            label=f"Make the panel's recommendation to the {self.leader}",
            clause=spec.clause,
            fields=(FieldSpec("recommendation", "The recommendation"), FieldSpec("reasons", "The reasons")),
            preconditions=(rules.actor_on_panel(),),
            records=_record("recommendation_made", "recommendation", "reasons"),
            confirm=True,
        )
        self.step("recommendation", spec, PANEL, "recommendation_made", (self.last_event,))
        self.current, self.last_event = "recommendation_made", "recommendation_made"

    def stp_leader_proposal(self, spec: StepSpec) -> None:
        self.state("solution_proposed", f"The {self.leader} has proposed a solution", spec.clause)
        key = self.spec.key
        opening = self.spec.opening_recommendation

        def effects(ctx: Context) -> tuple[Effect, ...]:
            outcome = ctx.values.get("outcome")
            if outcome not in opening:
                return ()
            data = {
                "dispute_process": key,
                "kind": outcome,
                "proposal": ctx.values.get("proposal"),
                "reasons": ctx.values.get("reasons"),
                "clause": spec.clause,
            }
            return (Effect(EffectKind.OPEN_RECOMMENDATION, data),)

        self.add(
            trigger="propose_solution",
            source=self.current,
            dest="solution_proposed",
            roles=LEADER,
            label="Propose a solution, setting out the reasons",
            clause=spec.clause,
            fields=(
                FieldSpec("outcome", "The proposal", FieldKind.CHOICE, choices=self.spec.outcomes,
                          choice_labels=tuple(self.spec.outcome_labels.get(o, o) for o in self.spec.outcomes)),
                FieldSpec("proposal", "The proposed solution"),
                FieldSpec("reasons", "The reasons why"),
            ),
            records=_record("solution_proposed", "outcome", "proposal", "reasons"),
            confirm=True,
            effects=effects,
            notify=(Notice((CaseRole.PARTY,), f"The {self.leader} has proposed a solution: read it and respond."),),
        )
        self.step("proposal", spec, LEADER, "solution_proposed", (self.last_event,))
        self.current, self.last_event = "solution_proposed", "solution_proposed"

    def responses(self, spec: StepSpec) -> None:
        clause = spec.clause
        self.state(
            "closed",
            "Closed: every party has accepted the outcome or given notice of withdrawal",
            clause,
            terminal=True,
        )
        for trigger, label, kind in (
            ("accept_outcome", "Accept the outcome", ResponseKind.ACCEPTED),
            ("give_notice_of_withdrawal", "Give notice of withdrawal from the MoU", ResponseKind.WITHDREW),
        ):
            for dest in ("closed", None):
                self.add(
                    trigger=trigger,
                    source=self.current,
                    dest=dest,
                    roles=PARTY,
                    label=label,
                    clause=clause,
                    fields=(FieldSpec("notice", "Notice of withdrawal", required=False),)
                    if kind is ResponseKind.WITHDREW
                    else (),
                    preconditions=(rules.actor_is_responding_party(), rules.awaiting_response_from_actor()),
                    route=_closes if dest else None,
                    records=_response_records(kind, closes=dest is not None),
                    effects=_response_effects(kind, closes=dest is not None),
                    confirm=True,
                )
        self.add(
            trigger="close",
            source=self.current,
            dest="closed",
            roles=LEADER,
            label="Close the dispute",
            clause=clause,
            preconditions=(rules.everyone_responded(),),
            records=_record("closed"),
            effects=lambda ctx: (Effect(EffectKind.DISPUTE_CLOSED),),
        )
        self.step("responses", spec, PARTY, "closed", (self.last_event,))
        self.current, self.last_event = "closed", "closed"

    def extensions(self) -> None:
        keys = tuple(s.key for s in self.steps if s.deadline is not None)
        if not keys:
            return
        for state in self.states:
            if state.terminal or state.name == "draft":
                continue
            self.add(
                trigger="extend_deadline",
                source=state.name,
                dest=None,
                roles=self.spec.extend_roles,
                label="Extend a deadline, giving the reason",
                clause=self.spec.extend_clause,
                fields=(
                    FieldSpec("step", "Step", FieldKind.CHOICE, choices=keys),
                    FieldSpec("due_date", "New due date", FieldKind.DATE),
                    FieldSpec("reason", "Reason"),
                ),
                rules=(rules.extension_valid(),),
                records=_record("deadline_extended", "step", "due_date", "reason"),
            )


def _declaration_records(ctx: Context) -> tuple[RecordedEvent, ...]:
    facts = _facts(ctx)
    org = ctx.actor.organisation_id
    conflict = bool(ctx.values.get("conflict"))
    assert ctx.now is not None
    events = [
        RecordedEvent(
            "interest_declared",
            ctx.now,
            {"organisation_id": org, "conflict": conflict, "details": ctx.values.get("details")},
        )
    ]
    others_clear = all(m.declaration is DeclarationStatus.NO_CONFLICT for m in facts.panel if m.organisation_id != org)
    if not conflict and others_clear:
        # The last clear declaration completes the panel's declarations: the papers may open.
        events.append(RecordedEvent("declarations_complete", ctx.now, {}))
    return tuple(events)


def _closes(ctx: Context) -> bool:
    """This response is the last one outstanding, so the case closes with it."""
    return not rules.outstanding_parties(_facts(ctx), ctx.actor.organisation_id)


def _response_records(kind: ResponseKind, closes: bool) -> Recorder:
    def records(ctx: Context) -> tuple[RecordedEvent, ...]:
        assert ctx.now is not None
        data = {
            "organisation_id": ctx.actor.organisation_id,
            "response": kind.value,
            "notice": ctx.values.get("notice"),
        }
        events = [RecordedEvent(f"outcome_{kind.value}", ctx.now, data)]
        if closes:
            events.append(RecordedEvent("closed", ctx.now, {}))
        return tuple(events)

    return records


def _response_effects(kind: ResponseKind, closes: bool) -> Callable[[Context], tuple[Effect, ...]]:
    def effects(ctx: Context) -> tuple[Effect, ...]:
        out: list[Effect] = []
        org = ctx.actor.organisation_id
        if kind is ResponseKind.WITHDREW:
            # Clause 15: the party leaves the MoU; its pending ratifications lapse and it no longer
            # sits on panels or ratifies.
            out.append(Effect(EffectKind.PARTY_WITHDRAWS, {"organisation_id": org}))
            out.append(Effect(EffectKind.LAPSE_RATIFICATIONS, {"organisation_id": org}))
        if closes:
            out.append(Effect(EffectKind.DISPUTE_CLOSED))
        return tuple(out)

    return effects


#: The transition a step's rules apply to unless the agreement file names another (``on:``).
MAIN_TRIGGER = {
    StepKind.PANEL_NOMINATION: "nominate_panel",
    StepKind.HEARING: "hold_hearing",
    StepKind.PANEL_DECISION: "present_decision",
    StepKind.PANEL_RECOMMENDATION: "make_recommendation",
    StepKind.STP_LEADER_PROPOSAL: "propose_solution",
    StepKind.RESPONSES: "accept_outcome",
}


def compose(spec: DisputeSpec) -> ProcessDefinition:
    """Build the ProcessDefinition for a dispute process from its spec."""
    builder = _Builder(spec)
    builder.notification()
    for step in spec.steps:
        main = MAIN_TRIGGER.get(step.kind, f"submit_{spec.material_name}")
        by_trigger: dict[str, list[Rule]] = {}
        for trigger, rule in step.rules:
            by_trigger.setdefault(trigger or main, []).append(rule)
        builder.step_rules = {t: tuple(r) for t, r in by_trigger.items()}
        getattr(builder, step.kind.value)(step)
        builder.step_rules = {}
    builder.extensions()
    params: dict[str, object] = {
        "parties_clause": spec.parties_clause,
        "party_count": spec.party_count,
        "min_panel": spec.min_panel,
        "panel_clause": spec.panel_clause,
        "pack_agreement": spec.pack_agreement,
        "principles_required": spec.principles_required,
        "principles_clause": spec.principles_clause,
        "material_clause": next((s.clause for s in spec.steps if s.kind is StepKind.WRITTEN_MATERIAL), spec.clause),
        "outcomes": spec.outcomes,
        "outcome_labels": spec.outcome_labels,
        **spec.extra_params,
    }
    return ProcessDefinition(
        key=spec.key,
        title=spec.title,
        clause=spec.clause,
        kind="dispute",
        states=tuple(builder.states),
        initial="draft",
        transitions=tuple(builder.transitions),
        steps=tuple(builder.steps),
        headings=spec.headings,
        params=params,
        filing=spec.filing,
        calendar=spec.calendar,
        role_names=spec.role_names,
        agreement=spec.agreement,
    )


def compose_ladder(key: str, decl: Any, *, calendar: WorkingCalendar, role_names: dict[str, str] | Any,
                   agreement_key: str = "") -> ProcessDefinition:
    """Build a process declared as a ladder in an agreement file (``workflows.agreement.ProcessDecl``)."""
    from . import library

    ladder = decl.ladder
    steps = []
    for s in ladder.steps:
        d = s.deadline
        extra: list[tuple[str | None, Rule]] = []
        for ref in s.rules:
            for name, params in ([(ref, {})] if isinstance(ref, str) else list(ref.items())):
                params = dict(params or {})
                on = params.pop("on", None)
                extra.append((on, library.make_rule(name, params, s.clause)))
        steps.append(
            StepSpec(
                StepKind(s.kind),
                s.clause,
                s.title,
                DeadlineSpec(tuple(d.after), d.amount, Unit(d.unit), d.text or _words(d, calendar), d.may_be_early,
                             d.late_needs_reason) if d else None,
                s.guidance,
                tuple(extra),
            )
        )
    material_clause = next((s.clause for s in ladder.steps if s.kind == "written_material"), decl.clause)
    filing = decl.filing
    return compose(
        DisputeSpec(
            key=key,
            title=decl.title,
            clause=decl.clause,
            steps=tuple(steps),
            headings=tuple(Heading(h.key, h.title, h.guidance, h.clause or material_clause, h.per_party, h.reference)
                           for h in ladder.headings),
            material_name=ladder.material.name,
            material_title=ladder.material.title,
            parties_clause=filing.clause if filing else decl.clause,
            party_count=None,
            min_panel=ladder.panel.min,
            panel_clause=ladder.panel.clause,
            pack_agreement=ladder.material.agreed_by_all,
            principles_required=ladder.principles.required,
            principles_clause=ladder.principles.clause or material_clause,
            outcomes=tuple(o.key for o in ladder.outcomes),
            extra_params=dict(decl.params),
            outcome_labels={o.key: o.label for o in ladder.outcomes},
            opening_recommendation=frozenset(o.key for o in ladder.outcomes if o.opens_recommendation),
            role_names=dict(role_names),
            calendar=calendar,
            filing=filing,
            extend_roles=frozenset(CaseRole(r) for r in ladder.extend_by),
            extend_clause=ladder.extend_clause,
            agreement=agreement_key,
        )
    )


def _words(d: Any, calendar: WorkingCalendar) -> str:
    from .agreement import deadline_text

    return deadline_text(d, calendar, _FROM_WORDS)


#: How a deadline's starting point reads when the file gives no wording ("within one week of ...").
_FROM_WORDS = {
    "notification": "notification of the dispute",
    "written_material": "receipt of the written material",
    "documentation": "receipt of the documentation",
    "report": "receipt of the report",
    "panel_nomination": "notifying the panel",
    "papers_release": "the panel receiving the papers",
    "hearing": "the hearing",
    "decision": "the panel's decision",
    "recommendation": "receiving the recommendation",
    "proposal": "the proposal",
}
