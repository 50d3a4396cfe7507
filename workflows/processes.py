"""The processes the MoU declares: Schedule 8's scenarios 1-4, PDEG recommendations and ratification.

Every title is in the MoU's words and every rule names its clause, so the UI can show them beside the
step and the PDF record can cite them.
"""

from __future__ import annotations

from collections.abc import Callable

from . import rules
from .definitions import (
    Context,
    Effect,
    EffectKind,
    FieldKind,
    FieldSpec,
    Heading,
    ProcessDefinition,
    RecordedEvent,
    Rule,
    StateDef,
    TransitionDef,
    Unit,
)
from .engine import jsonable
from .errors import Problem
from .facts import RatificationFacts, RecommendationFacts
from .roles import CaseRole
from .steps import DeadlineSpec, DisputeSpec, StepKind, StepSpec, compose

S8 = "Schedule 8"


def _s(n: int, step: str) -> str:
    return f"{S8}, scenario {n}, step {step}"


ONE_WEEK_AFTER_NOTIFICATION = DeadlineSpec(
    ("notification",), 1, Unit.WEEKS, "Within one week of notifying the STP Lead"
)


def _panel_step(n: int, step: str, material: str) -> StepSpec:
    return StepSpec(
        StepKind.PANEL_NOMINATION,
        _s(n, step),
        "Panel nominated",
        DeadlineSpec(
            (material,),
            3,
            Unit.WORKING_DAYS,
            "Within 3 working days of receipt of dispute documentation by the STP Lead. The STP Lead "
            "may select the panel at the point of notification if the nature of the dispute is "
            "sufficiently clear",
            may_be_early=True,
        ),
    )


def _responses(n: int, step: str) -> StepSpec:
    return StepSpec(
        StepKind.RESPONSES,
        f"{_s(n, step)}; 15",
        "No appeal: each party accepts the proposed solution or is at liberty to withdraw",
    )


# --- Scenario 1: location of a single-site service ------------------------------------------------

SCENARIO_1 = DisputeSpec(
    key="scenario_1",
    title="Scenario 1: two organisations disagree on the location of a single-site service",
    clause=f"{S8}, scenario 1",
    material_name="documentation",
    material_title="Agreed documentation",
    parties_clause=f"{S8}, scenario 1",
    party_count=2,
    min_panel=2,
    panel_clause=_s(1, "two"),
    pack_agreement=True,
    headings=(
        Heading("background", "Agreed background statement", "An agreed back-ground statement.", _s(1, "one")),
        Heading(
            "position",
            "Position",
            "Each organisation's position that clearly states what the dispute is.",
            _s(1, "one"),
            per_party=True,
        ),
        Heading(
            "solution",
            "Proposed solution",
            "What each party believes to be reasonable as a solution to the dispute.",
            _s(1, "one"),
            per_party=True,
        ),
    ),
    steps=(
        StepSpec(
            StepKind.WRITTEN_MATERIAL,
            _s(1, "one"),
            "A single agreed set of documentation",
            DeadlineSpec(("notification",), 1, Unit.WEEKS, "Within 1 week of notification of dispute"),
        ),
        _panel_step(1, "two", "documentation"),
        StepSpec(
            StepKind.HEARING,
            _s(1, "three"),
            "The panel convenes to consider the paperwork",
            DeadlineSpec(
                ("panel_nomination", "documentation"),
                1,
                Unit.WEEKS,
                "Within one week of notifying the panel, or receipt of the written documentation, "
                "whichever is the later",
            ),
        ),
        StepSpec(
            StepKind.PANEL_DECISION,
            _s(1, "five"),
            "The panel presents its decision to both parties",
            DeadlineSpec(
                ("hearing",),
                0,
                Unit.SAME_DAY,
                "On the day or as soon as possible thereafter, setting out clearly any reason for "
                "a delay in making a decision",
                late_needs_reason=True,
            ),
        ),
        _responses(1, "six"),
    ),
)

# --- Scenarios 2-4: one organisation's written report ----------------------------------------------

SCENARIO_2 = DisputeSpec(
    key="scenario_2",
    title="Scenario 2: a system decision leaves a single organisation in a position its Board cannot support",
    clause=f"{S8}, scenario 2",
    material_name="report",
    material_title="Written report",
    parties_clause=_s(2, "one"),
    principles_required=True,
    principles_clause=f"{_s(2, 'one')} (Why the decision cannot be supported)",
    outcomes=("decision_stands", "decision_revisited"),
    headings=(
        Heading("background", "Background", "Puts the decision in the context of the organisation.", _s(2, "one")),
        Heading(
            "decision_not_supported",
            "The decision not supported",
            "A clear articulation of the decision that has been made, and reference to the document that "
            "contains the decision, or the recommendation on which the decision has been made.",
            _s(2, "one"),
            reference=True,
        ),
        Heading(
            "why",
            "Why the decision cannot be supported",
            "The agreed system principle(s) as set out in schedule 3 that is(are) not being adhered to that "
            "gives rise to their inability to support the decision, or where they believe that one or more "
            "agreed principles are being applied that conflict.",
            _s(2, "one"),
        ),
        Heading(
            "impact",
            "Impact",
            "The impact that the decision has that gives rise to their inability to support it.",
            _s(2, "one"),
        ),
        Heading(
            "suggested_remedy",
            "Suggested remedy/alternative decision",
            "Their suggested remedy that complies with schedule 3, or in the case of conflicting principles, "
            "complies with the spirit of schedule 3, that they believe delivers the same or better outcome.",
            _s(2, "one"),
        ),
    ),
    steps=(
        StepSpec(
            StepKind.WRITTEN_MATERIAL, _s(2, "one"), "Written report to the STP Lead", ONE_WEEK_AFTER_NOTIFICATION
        ),
        # Scenario 2 has no step two in the MoU: the panel is step three.
        _panel_step(2, "three", "report"),
        StepSpec(
            StepKind.PANEL_RECOMMENDATION,
            _s(2, "three"),
            "The panel comments on the report and recommends to the STP Lead whether there is a legitimate "
            "and/or previously unconsidered reason why the decision should be reviewed",
        ),
        StepSpec(
            StepKind.STP_LEADER_PROPOSAL,
            _s(2, "four"),
            "The STP Lead proposes that the decision stands or is revisited",
            DeadlineSpec(("report",), 1, Unit.WEEKS, "Within one week of receipt of the written report"),
        ),
        _responses(2, "five"),
    ),
)

SCENARIO_3 = DisputeSpec(
    key="scenario_3",
    title="Scenario 3: an organisation cannot deliver its control total as a direct result of a system decision",
    clause=f"{S8}, scenario 3",
    material_name="report",
    material_title="Written report",
    parties_clause=_s(3, "one"),
    principles_required=True,
    principles_clause=f"{_s(3, 'one')} (Why the decision causes the problem)",
    outcomes=("decision_stands", "decision_revisited"),
    headings=(
        Heading(
            "background",
            "Background",
            "Puts the decision in the context of the organisations financial position.",
            _s(3, "one"),
        ),
        Heading(
            "decision_causing_problem",
            "The decision that causes the problem",
            "A clear articulation of the decision that has been made, and reference to the document that "
            "contains the decision, or the recommendation on which the decision has been made.",
            _s(3, "one"),
            reference=True,
        ),
        Heading(
            "why",
            "Why the decision causes the problem",
            "Including the agreed system principle(s) as set out in schedule 3 that is(are) not being adhered "
            "to that gives rise to their financial pressure, or where they believe that one or more agreed "
            "principles are being applied that conflict.",
            _s(3, "one"),
        ),
        Heading(
            "material_impact",
            "The material impact",
            "The material impact that the decision has caused that gives rise to their inability to achieve "
            "their control total.",
            _s(3, "one"),
        ),
        Heading(
            "suggested_remedy",
            "Suggested remedy",
            "Their suggested remedy that complies with schedule 3, or in the case of conflicting principles, "
            "complies with the spirit of schedule 3, that they believe will improve the position for their "
            "organisation and the overall system.",
            _s(3, "one"),
        ),
    ),
    steps=(
        StepSpec(
            StepKind.WRITTEN_MATERIAL, _s(3, "one"), "Written report to the STP Lead", ONE_WEEK_AFTER_NOTIFICATION
        ),
        _panel_step(3, "two", "report"),
        StepSpec(
            StepKind.PANEL_RECOMMENDATION,
            _s(3, "three"),
            "The panel recommends whether there are actions the system can take to improve the "
            "organisation's and the overall system financial position",
            DeadlineSpec(("papers_release",), 1, Unit.WEEKS, "Within one week of receiving the report"),
        ),
        StepSpec(
            StepKind.STP_LEADER_PROPOSAL,
            _s(3, "four"),
            "The STP Lead proposes that the decision stands or is revisited",
            DeadlineSpec(("recommendation",), 1, Unit.WEEKS, "Within one week of receiving the recommendations"),
        ),
        _responses(3, "five"),
    ),
)

SCENARIO_4 = DisputeSpec(
    key="scenario_4",
    title="Scenario 4: an organisation changes its practice unilaterally, harming another party or the system",
    clause=f"{S8}, scenario 4",
    material_name="report",
    material_title="Written report",
    parties_clause=_s(4, "one"),
    principles_required=True,
    principles_clause=f"{_s(4, 'one')} (The material impact)",
    outcomes=("solution", "options_paper"),
    headings=(
        Heading(
            "background",
            "Background",
            "As much as they believe relevant to the circumstances so that it is sufficient to advise the "
            "reader of the report.",
            _s(4, "one"),
        ),
        Heading(
            "action_causing_problem",
            "The action that causes the problem",
            "Sufficient information to explain what change of practice has happened, and if possible, why "
            "the organisation changing its practice has done so, ie what risk were they mitigating?",
            _s(4, "one"),
        ),
        Heading(
            "material_impact",
            "The material impact",
            "How the change of practice has had an impact, the scale of the impact and the other parties "
            "affected by the change of practice, and the principles under schedule 3 that have not been "
            "adhered to.",
            _s(4, "one"),
        ),
        Heading(
            "suggested_remedy",
            "A suggested remedy",
            "What action could the precipitating organisation or any other organisation take that could "
            "resolve the problem, including how these comply with schedule 3.",
            _s(4, "one"),
        ),
    ),
    steps=(
        StepSpec(
            StepKind.WRITTEN_MATERIAL, _s(4, "one"), "Written report to the STP Lead", ONE_WEEK_AFTER_NOTIFICATION
        ),
        _panel_step(4, "two", "report"),
        StepSpec(
            StepKind.PANEL_RECOMMENDATION,
            _s(4, "three"),
            "The panel recommends whether there are actions the system can take to resolve the issue",
            DeadlineSpec(("papers_release",), 1, Unit.WEEKS, "Within one week of receiving the report"),
        ),
        StepSpec(
            StepKind.STP_LEADER_PROPOSAL,
            _s(4, "four"),
            "The STP Lead proposes a solution in the interest of the system, which may be an options paper for PDEG",
            DeadlineSpec(("recommendation",), 1, Unit.WEEKS, "Within one week of receiving the recommendations"),
        ),
        _responses(4, "five"),
    ),
)

# --- PDEG recommendation (clause 10, Schedule 4, 17.2) ----------------------------------------------

SCH4_DELEGATION = "Schedule 4 (Delegation to subordinate groups)"
RAISER = frozenset({CaseRole.RAISER})
SECRETARIAT = frozenset({CaseRole.PDEG_SECRETARIAT})
BOARD = frozenset({CaseRole.BOARD_SECRETARY})
SYSTEM = frozenset({CaseRole.SYSTEM})


def _rec(ctx: Context) -> RecommendationFacts:
    assert isinstance(ctx.facts, RecommendationFacts)
    return ctx.facts


def _event(name: str, *keys: str) -> Callable[[Context], tuple[RecordedEvent, ...]]:
    def records(ctx: Context) -> tuple[RecordedEvent, ...]:
        assert ctx.now is not None
        return (RecordedEvent(name, ctx.now, {k: jsonable(ctx.values[k]) for k in keys if k in ctx.values}),)

    return records


def _start_ratification(kind: EffectKind, bump: bool) -> Callable[[Context], tuple[Effect, ...]]:
    def effects(ctx: Context) -> tuple[Effect, ...]:
        facts = _rec(ctx)
        data = {
            "version": facts.version + 1 if bump else facts.version,
            "organisation_ids": sorted(rules.required_boards(facts)),
            "amendment": ctx.values.get("amendment"),
        }
        return (Effect(kind, data),)

    return effects


PDEG_MINUTE = (FieldSpec("minute_reference", "PDEG minute reference"), FieldSpec("reasons", "Reasons"))
AMENDMENT = FieldSpec("amendment", "The amendment")


def _recommendation() -> ProcessDefinition:
    states = (
        StateDef("draft", "Being prepared", SCH4_DELEGATION),
        StateDef("raised", "Raised; awaiting a PDEG agenda", SCH4_DELEGATION),
        StateDef(
            "recorded_under_delegation",
            "Decided within the members' delegated powers; no PDEG recommendation needed",
            SCH4_DELEGATION,
            terminal=True,
        ),
        StateDef("on_agenda", "On the agenda of a PDEG meeting", "10.5"),
        StateDef("not_agreed", "Not agreed at PDEG", "10.6", terminal=True),
        StateDef("awaiting_ratification", "Agreed at PDEG; awaiting ratification by each party's Board", "10.6"),
        StateDef("ratified", "Ratified by every party's Board", "10.6", terminal=True),
    )
    t = TransitionDef
    transitions = (
        t(
            "raise_recommendation",
            "draft",
            "raised",
            RAISER,
            "Raise the recommendation for PDEG",
            SCH4_DELEGATION,
            preconditions=(rules.recommendation_well_formed(),),
            records=_event("raised"),
        ),
        t(
            "record_within_delegation",
            "raised",
            "recorded_under_delegation",
            RAISER,
            "Record as decided within the members' delegated powers",
            SCH4_DELEGATION,
            fields=(FieldSpec("basis", "Why this is within the delegated powers of the group's members"),),
            preconditions=(rules.within_delegation_allowed(),),
            records=_event("recorded_under_delegation", "basis"),
        ),
        t(
            "place_on_agenda",
            "raised",
            "on_agenda",
            SECRETARIAT,
            "Place on the agenda of a PDEG meeting",
            "10.5",
            fields=(FieldSpec("meeting_date", "PDEG meeting date", FieldKind.DATE),),
            records=_event("placed_on_agenda", "meeting_date"),
        ),
        t(
            "agree",
            "on_agenda",
            "awaiting_ratification",
            SECRETARIAT,
            "PDEG agrees the recommendation",
            "10.6",
            fields=PDEG_MINUTE,
            rules=(rules.pdeg_has_met(),),
            records=_event("pdeg_agreed", "minute_reference", "reasons"),
            effects=_start_ratification(EffectKind.START_RATIFICATION, bump=False),
        ),
        t(
            "amend_and_agree",
            "on_agenda",
            "awaiting_ratification",
            SECRETARIAT,
            "PDEG amends and agrees the recommendation",
            "10.6",
            fields=(AMENDMENT, *PDEG_MINUTE),
            rules=(rules.pdeg_has_met(),),
            records=_event("pdeg_agreed", "amendment", "minute_reference", "reasons"),
            effects=_start_ratification(EffectKind.START_RATIFICATION, bump=True),
        ),
        t(
            "not_agree",
            "on_agenda",
            "not_agreed",
            SECRETARIAT,
            "PDEG does not agree the recommendation",
            "10.6",
            fields=PDEG_MINUTE,
            rules=(rules.pdeg_has_met(),),
            records=_event("pdeg_not_agreed", "minute_reference", "reasons"),
        ),
        t(
            "defer",
            "on_agenda",
            "raised",
            SECRETARIAT,
            "PDEG defers the recommendation to a later meeting",
            "10.5",
            fields=PDEG_MINUTE,
            rules=(rules.pdeg_has_met(),),
            records=_event("pdeg_deferred", "minute_reference", "reasons"),
        ),
        t(
            "amend",
            "awaiting_ratification",
            "awaiting_ratification",
            SECRETARIAT,
            "PDEG amends the decision (ratification starts again)",
            "10.6",
            fields=(AMENDMENT, *PDEG_MINUTE),
            records=_event("pdeg_amended", "amendment", "minute_reference", "reasons"),
            effects=_start_ratification(EffectKind.RESTART_RATIFICATION, bump=True),
        ),
        t(
            "conclude_ratification",
            "awaiting_ratification",
            "ratified",
            SYSTEM | SECRETARIAT,
            "Record that every party's Board has ratified",
            "10.6",
            preconditions=(rules.all_boards_ratified(),),
            records=_event("ratified"),
            effects=lambda ctx: (Effect(EffectKind.DECISION_RATIFIED, {"reference": _rec(ctx).reference}),),
        ),
    )
    return ProcessDefinition(
        key="recommendation",
        title="Recommendation to PDEG and ratification of the decision",
        clause="10; Schedule 4",
        kind="recommendation",
        states=states,
        initial="draft",
        transitions=transitions,
    )


# --- One party's Board ratifying (10.6) --------------------------------------------------------------


def _ratification_facts(ctx: Context) -> RatificationFacts:
    assert isinstance(ctx.facts, RatificationFacts)
    return ctx.facts


def _current_version() -> Rule:
    def check(ctx: Context) -> list[Problem]:
        facts = _ratification_facts(ctx)
        if facts.version != facts.current_version:
            return [
                Problem(
                    "The recommendation has been amended: the Board must consider the amended version", "10.6", None
                )
            ]
        return []

    return Rule("10.6", "The Board ratifies the current version.", check)


BOARD_MINUTE = (
    FieldSpec("meeting_date", "Board meeting date", FieldKind.DATE),
    FieldSpec("minute_reference", "Minute reference"),
)


def _ratification() -> ProcessDefinition:
    states = (
        StateDef("awaiting_board", "Awaiting the decision of the party's Board", "10.6"),
        StateDef("deferred", "Deferred by the Board to a later meeting", "10.6"),
        StateDef("not_ratified", "Not ratified by the Board", "10.6"),
        StateDef("ratified", "Ratified by the Board", "10.6", terminal=True),
        StateDef("lapsed", "Lapsed: the party has withdrawn from the MoU", "15", terminal=True),
        StateDef("superseded", "Superseded: the recommendation was amended", "10.6", terminal=True),
    )
    guard = (rules.actor_is_boards_secretary(), _current_version())
    when_met = (rules.meeting_not_in_future(),)

    def check_effect(ctx: Context) -> tuple[Effect, ...]:
        facts = _ratification_facts(ctx)
        return (
            Effect(EffectKind.CHECK_RATIFICATION, {"organisation_id": facts.organisation_id, "version": facts.version}),
        )

    def offer_scenario_2(ctx: Context) -> tuple[Effect, ...]:
        facts = _ratification_facts(ctx)
        # A Board that cannot support a system decision may bring Scenario 2 about it.
        return (
            Effect(
                EffectKind.OFFER_SCENARIO_2,
                {"organisation_id": facts.organisation_id, "decision_reference": facts.recommendation_reference},
            ),
        )

    transitions: list[TransitionDef] = []
    for source in ("awaiting_board", "deferred", "not_ratified"):
        transitions.append(
            TransitionDef(
                "ratify",
                source,
                "ratified",
                BOARD,
                "The Board ratifies the decision",
                "10.6",
                fields=BOARD_MINUTE,
                preconditions=guard,
                rules=when_met,
                records=_event("board_ratified", "meeting_date", "minute_reference"),
                effects=check_effect,
            )
        )
        if source != "not_ratified":
            transitions.append(
                TransitionDef(
                    "not_ratify",
                    source,
                    "not_ratified",
                    BOARD,
                    "The Board does not ratify the decision",
                    "10.6",
                    fields=(*BOARD_MINUTE, FieldSpec("reasons", "Reasons")),
                    preconditions=guard,
                    rules=when_met,
                    records=_event("board_not_ratified", "meeting_date", "minute_reference", "reasons"),
                    effects=offer_scenario_2,
                )
            )
            transitions.append(
                TransitionDef(
                    "defer",
                    source,
                    "deferred",
                    BOARD,
                    "The Board defers the decision to a later meeting",
                    "10.6",
                    fields=(
                        *BOARD_MINUTE,
                        FieldSpec("next_meeting_date", "Next meeting date", FieldKind.DATE, required=False),
                    ),
                    preconditions=guard,
                    rules=when_met,
                    records=_event("board_deferred", "meeting_date", "minute_reference", "next_meeting_date"),
                )
            )
        transitions.append(
            TransitionDef(
                "lapse",
                source,
                "lapsed",
                SYSTEM,
                "Lapse: the party has withdrawn from the MoU",
                "15",
                preconditions=(rules.party_withdrawn(),),
                records=_event("lapsed"),
                effects=check_effect,
            )
        )
        transitions.append(
            TransitionDef(
                "supersede",
                source,
                "superseded",
                SYSTEM,
                "Superseded by an amendment",
                "10.6",
                preconditions=(rules.recommendation_amended(),),
                records=_event("superseded"),
            )
        )
    return ProcessDefinition(
        key="ratification",
        title="Ratification by a party's Board",
        clause="10.6",
        kind="ratification",
        states=states,
        initial="awaiting_board",
        transitions=tuple(transitions),
    )


SCENARIOS = (SCENARIO_1, SCENARIO_2, SCENARIO_3, SCENARIO_4)
DEFINITIONS: dict[str, ProcessDefinition] = {
    **{spec.key: compose(spec) for spec in SCENARIOS},
    "recommendation": _recommendation(),
    "ratification": _ratification(),
}
