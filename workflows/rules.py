"""The MoU's rules as reusable checks.

Each function returns a ``Rule`` naming its clause; the rule's check returns ``Problem``s (empty when
met) that name the clause and, for form input, the field key.  Rules read process-wide settings from
``definition.params`` so the same rule serves every scenario and bespoke process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from .calendar import local_day
from .deadlines import day_text
from .definitions import REFERENCE_FIELD, Context, Rule
from .errors import Problem
from .facts import (
    DeclarationStatus,
    DisputeFacts,
    PanelRoute,
    RaiserKind,
    RatificationFacts,
    RecommendationFacts,
)


def pack_digest(material: Mapping[str, str]) -> str:
    """A fingerprint of the written material; an agreement counts only for the text it was given to.

    Scenario 1's pack must be "a single agreed set of documentation": if either party edits the pack
    after the other agreed it, the earlier agreement no longer matches this digest.
    """
    canonical = json.dumps(sorted((k, v.strip()) for k, v in material.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _dispute(ctx: Context) -> DisputeFacts:
    assert isinstance(ctx.facts, DisputeFacts)
    return ctx.facts


def _recommendation(ctx: Context) -> RecommendationFacts:
    assert isinstance(ctx.facts, RecommendationFacts)
    return ctx.facts


def _ratification(ctx: Context) -> RatificationFacts:
    assert isinstance(ctx.facts, RatificationFacts)
    return ctx.facts


def _ids(values: Iterable[int]) -> str:
    return ", ".join(f"organisation {i}" for i in sorted(values))


def _param(ctx: Context, name: str) -> object:
    return ctx.definition.params[name]


# --- Notification -------------------------------------------------------------------------------


def negotiation_attempted() -> Rule:
    """16.1: a dispute comes to the STP Lead only after negotiation in good faith has failed."""

    def check(ctx: Context) -> list[Problem]:
        if ctx.values.get("negotiation_attempted") is True:
            return []
        return [
            Problem(
                "Confirm that the parties have tried to resolve the dispute by negotiation in good faith",
                "16.1",
                "negotiation_attempted",
            )
        ]

    return Rule("16.1", "The parties have first tried negotiation in good faith.", check)


def parties_of_dispute() -> Rule:
    """Who brings the dispute and who is on the other side, as the process's filing declares: exactly
    one filing party, the co-parties (Scenario 1's second organisation) and respondents within their
    numbers, nobody twice."""

    def check(ctx: Context) -> list[Problem]:
        facts = _dispute(ctx)
        filing = ctx.definition.filing
        clause = str(ctx.definition.params.get("parties_clause") or ctx.definition.clause)
        problems: list[Problem] = []
        ids = [p.organisation_id for p in facts.parties]
        if len(set(ids)) != len(ids):
            problems.append(Problem("An organisation is listed as a party more than once", clause, "parties"))
        filers = [p for p in facts.parties if p.filed]
        if len(filers) != 1:
            problems.append(Problem("Exactly one party must be the one notifying the dispute", clause, "parties"))
        co_parties = [p for p in facts.parties if not p.filed and not p.respondent]
        respondents = [p for p in facts.parties if p.respondent]
        for side, named, field_key in (
            (getattr(filing, "other_parties", None), co_parties, "other_party_ids"),
            (getattr(filing, "respondents", None), respondents, "respondent_ids"),
        ):
            low, high = (side.min, side.max) if side is not None else (0, 0)
            if not low <= len(named) <= high:
                what = side.label if side is not None else "Other organisations"
                count = f"exactly {low}" if low == high else f"from {low} to {high}"
                problems.append(Problem(f"{what}: name {count}", side.clause if side else clause, field_key))
        if not ids:
            problems.append(Problem("A dispute needs at least one party", clause, "parties"))
        if (
            ctx.actor.organisation_id is not None
            and filers
            and filers[0].organisation_id != (ctx.actor.organisation_id)
        ):
            problems.append(Problem("Only the notifying party can notify the dispute", clause, None))
        return problems

    return Rule("Schedule 8 (preamble)", "The parties to the dispute are as the process declares.", check)


def parties_are_current() -> Rule:
    """16.1, 15: disputes are between Parties to the MoU; a withdrawn party takes no further part."""

    def check(ctx: Context) -> list[Problem]:
        facts = _dispute(ctx)
        problems: list[Problem] = []
        withdrawn = facts.party_ids & facts.withdrawn_organisations
        if withdrawn:
            problems.append(
                Problem(f"{_ids(withdrawn)} has withdrawn from the MoU and cannot be a party", "15", "parties")
            )
        outside = facts.party_ids - facts.current_parties - facts.withdrawn_organisations
        if outside:
            problems.append(Problem(f"{_ids(outside)} is not a party to the MoU", "16.1", "parties"))
        return problems

    return Rule("15", "Every party to the dispute is a current party to the MoU.", check)


# --- Written material -----------------------------------------------------------------------------


def material_complete() -> Rule:
    """Every heading the scenario lists is present (per party where the MoU asks for each party's)."""

    def check(ctx: Context) -> list[Problem]:
        facts = _dispute(ctx)
        problems: list[Problem] = []
        for heading in ctx.definition.headings:
            orgs: tuple[int | None, ...] = (
                tuple(p.organisation_id for p in facts.parties) if heading.per_party else (None,)
            )
            for org in orgs:
                key = heading.field_key(org)
                if not facts.written_material.get(key, "").strip():
                    whose = f" for organisation {org}" if org is not None else ""
                    problems.append(Problem(f"'{heading.title}' is missing{whose}", heading.clause, key))
            if heading.reference and not facts.written_material.get(REFERENCE_FIELD, "").strip():
                problems.append(
                    Problem(
                        f"'{heading.title}' needs a reference to the document that contains the decision,"
                        " or the recommendation on which it was made",
                        heading.clause,
                        REFERENCE_FIELD,
                    )
                )
        return problems

    return Rule("Schedule 8", "The written material has every heading the scenario lists.", check)


def principles_cited() -> Rule:
    """Where the MoU asks why, the written material cites at least one Schedule 3 principle."""

    def check(ctx: Context) -> list[Problem]:
        if not ctx.definition.params.get("principles_required"):
            return []
        if _dispute(ctx).principles_cited:
            return []
        clause = str(_param(ctx, "principles_clause"))
        return [Problem("Cite at least one agreed principle from Schedule 3", clause, "principles")]

    return Rule("Schedule 3", "At least one Schedule 3 principle is cited.", check)


def pack_agreed_by_all() -> Rule:
    """Scenario 1, step one: the parties complete a single AGREED set of documentation."""

    def check(ctx: Context) -> list[Problem]:
        if not ctx.definition.params.get("pack_agreement"):
            return []
        facts = _dispute(ctx)
        digest = pack_digest(facts.written_material)
        clause = str(_param(ctx, "material_clause"))
        return [
            Problem(f"Organisation {p.organisation_id} has not agreed the pack as it now stands", clause, None)
            for p in facts.parties
            if facts.pack_agreements.get(p.organisation_id) != digest
        ]

    return Rule("Schedule 8, scenario 1, step one", "Every party has agreed the pack as it stands.", check)


def actor_is_responding_party() -> Rule:
    """The actor acts for a current party to the dispute (parties represent themselves)."""

    def check(ctx: Context) -> list[Problem]:
        facts = _dispute(ctx)
        org = ctx.actor.organisation_id
        if org is None or org not in facts.party_ids:
            return [Problem("You do not act for a party to this dispute", "Schedule 8 (preamble)", None)]
        if org in facts.withdrawn_organisations:
            return [Problem("Your organisation has withdrawn from the MoU", "15", None)]
        return []

    return Rule("Schedule 8 (preamble)", "Parties represent themselves.", check)


def pack_not_yet_agreed_by_actor() -> Rule:
    """Offer "agree the pack" only while the actor's organisation has not agreed its current text."""

    def check(ctx: Context) -> list[Problem]:
        facts = _dispute(ctx)
        if facts.pack_agreements.get(ctx.actor.organisation_id or -1) == pack_digest(facts.written_material):
            return [
                Problem(
                    "Your organisation has already agreed the pack as it stands", str(_param(ctx, "material_clause"))
                )
            ]
        return []

    return Rule("Schedule 8, scenario 1, step one", "Each party agrees the pack once.", check)


def pack_written() -> Rule:
    """Agreeing the pack needs a pack: something written under its headings (checked when agreeing, so
    "agree" is offered from the start and the page saves the text first)."""

    def check(ctx: Context) -> list[Problem]:
        if not any(text.strip() for text in _dispute(ctx).written_material.values()):
            return [Problem("There is no pack to agree yet: write it first", str(_param(ctx, "material_clause")))]
        return []

    return Rule("Schedule 8, scenario 1, step one", "There is a pack to agree.", check)


# --- Panel ----------------------------------------------------------------------------------------


def _panel_problems(
    ctx: Context, members: tuple[int, ...], route: PanelRoute, authority: str | None, field: str
) -> list[Problem]:
    facts = _dispute(ctx)
    problems: list[Problem] = []
    minimum = int(str(_param(ctx, "min_panel")))
    size_clause = str(_param(ctx, "panel_clause"))
    if len(set(members)) < minimum:
        word = "organisation" if minimum == 1 else "organisations"
        problems.append(Problem(f"The panel needs at least {minimum} {word}", size_clause, field))
    on_both = set(members) & facts.party_ids
    if on_both:
        problems.append(
            Problem(f"{_ids(on_both)} is a party to the dispute and cannot sit on its panel", "16.2", field)
        )
    withdrawn = set(members) & facts.withdrawn_organisations
    if withdrawn:
        problems.append(Problem(f"{_ids(withdrawn)} has withdrawn from the MoU and cannot sit on a panel", "15", field))
    if route is PanelRoute.INTERNAL:
        outside = set(members) - facts.current_parties - facts.withdrawn_organisations
        if outside:
            problems.append(
                Problem(
                    f"{_ids(outside)} is not a party to the MoU; panels are drawn from the Parties unless"
                    " external expertise is procured under Schedule 6",
                    "16.2",
                    field,
                )
            )
    elif not (authority or "").strip():
        problems.append(
            Problem(
                "External expertise may only be commissioned with PDEG's agreement: give the authority",
                "Schedule 6",
                "external_authority",
            )
        )
    return problems


def nominated_panel_valid() -> Rule:
    """The nominated panel: big enough, neutral (no party), no withdrawn party, right route (16.2, Sch 6)."""

    def check(ctx: Context) -> list[Problem]:
        members = tuple(ctx.values.get("organisation_ids") or ())  # type: ignore[arg-type]
        route = PanelRoute(str(ctx.values.get("route") or PanelRoute.INTERNAL))
        authority = ctx.values.get("external_authority")
        return _panel_problems(ctx, members, route, str(authority) if authority else None, "organisation_ids")

    return Rule("16.2", "The panel is neutral to the dispute and large enough.", check)


def replacement_valid() -> Rule:
    """Replacing a panel member keeps the panel valid; the member replaced must be on it."""

    def check(ctx: Context) -> list[Problem]:
        facts = _dispute(ctx)
        out, new = ctx.values.get("replace"), ctx.values.get("replacement")
        problems: list[Problem] = []
        if out is not None and out not in facts.panel_ids:
            problems.append(Problem(f"Organisation {out} is not on the panel", "16.2", "replace"))
        if new is not None and new in facts.panel_ids:
            problems.append(Problem(f"Organisation {new} is already on the panel", "16.2", "replacement"))
        if out is None or new is None or problems:
            return problems
        members = (*(m for m in facts.panel_ids if m != out), int(str(new)))
        return _panel_problems(ctx, members, facts.panel_route, facts.external_authority, "replacement")

    return Rule("16.2", "The replacement keeps the panel neutral.", check)


def current_panel_valid() -> Rule:
    """Before the papers open the panel as it stands is still valid (e.g. no member has since withdrawn)."""

    def check(ctx: Context) -> list[Problem]:
        facts = _dispute(ctx)
        members = tuple(m.organisation_id for m in facts.panel)
        return _panel_problems(ctx, members, facts.panel_route, facts.external_authority, "panel")

    return Rule("16.2", "The panel is still neutral and large enough.", check)


def all_declared_no_conflict() -> Rule:
    """Every panel member has declared no conflict of interest before the papers open (16.2)."""

    def check(ctx: Context) -> list[Problem]:
        problems: list[Problem] = []
        for m in _dispute(ctx).panel:
            if m.declaration is DeclarationStatus.PENDING:
                problems.append(
                    Problem(f"Organisation {m.organisation_id} has not declared its interests", "16.2", "panel")
                )
            elif m.declaration is DeclarationStatus.CONFLICT:
                problems.append(
                    Problem(
                        f"Organisation {m.organisation_id} declared a conflict of interest and must be replaced"
                        " before the papers open",
                        "16.2",
                        "panel",
                    )
                )
        return problems

    return Rule("16.2", "Every panel member has declared no conflict of interest.", check)


def actor_on_panel() -> Rule:
    """Only a member of the panel acts as the panel."""

    def check(ctx: Context) -> list[Problem]:
        if ctx.actor.organisation_id in _dispute(ctx).panel_ids:
            return []
        return [Problem("Your organisation is not on this panel", str(_param(ctx, "panel_clause")))]

    return Rule("16.2", "The actor's organisation is on the panel.", check)


def actor_yet_to_declare() -> Rule:
    """A panel member declares once: offered only until its organisation has declared (a member with a
    conflict is replaced by the STP Leader, and the replacement declares in its turn)."""

    def check(ctx: Context) -> list[Problem]:
        org = ctx.actor.organisation_id
        for member in _dispute(ctx).panel:
            if member.organisation_id == org and member.declaration is not DeclarationStatus.PENDING:
                return [Problem("Your organisation has already declared its interest", "16.2")]
        return []

    return Rule("16.2", "Each panel member declares once.", check)


def conflict_explained() -> Rule:
    """A declared conflict says what it is, so the STP Lead can judge the replacement."""

    def check(ctx: Context) -> list[Problem]:
        if ctx.values.get("conflict") is True and not ctx.values.get("details"):
            return [Problem("Describe the conflict of interest", "16.2", "details")]
        return []

    return Rule("16.2", "A conflict of interest is described.", check)


# --- Hearing and decision (Scenario 1) -----------------------------------------------------------


def clarification_call(clause: str = "Schedule 8, scenario 1, step three") -> Rule:
    """Scenario 1, step three: if either party is called, the other must be present (and so in a process
    set out on its pattern, 16.2: refusals name ``clause``)."""

    def check(ctx: Context) -> list[Problem]:
        facts = _dispute(ctx)
        called = set(ctx.values.get("called") or ())  # type: ignore[call-overload]
        invited = set(ctx.values.get("invited") or ())  # type: ignore[call-overload]
        problems: list[Problem] = []
        if called - facts.party_ids:
            problems.append(Problem("Only the parties to the dispute can be called", clause, "called"))
        if (invited - facts.party_ids) or (called & invited):
            problems.append(Problem("Invite only parties that are not already called", clause, "invited"))
        missing = facts.party_ids - called - invited
        if called and missing:
            problems.append(
                Problem(
                    f"{_ids(missing)} must be invited to be present when the other party is called", clause, "invited"
                )
            )
        return problems

    return Rule(clause, "If either party is called, the other must be present.", check)


def attendance_as_called(clause: str) -> Rule:
    """Scenario 1, step three: "should either or both parties be called, then the other must be present".
    Recording the hearing, every party called or invited is recorded as present, or the panel says why not
    (the reason then stands in the record)."""

    def check(ctx: Context) -> list[Problem]:
        facts = _dispute(ctx)
        if not facts.called:
            return []
        attended = set(ctx.values.get("attended") or ())  # type: ignore[call-overload]
        missing = (facts.called | facts.invited) - attended
        if missing and not ctx.values.get("absence_reason"):
            return [
                Problem(
                    f"{_ids(missing)} was called or invited and is not recorded as present: if either party is "
                    "called, the other must be present. Record both, or say why not",
                    clause,
                    "attended",
                )
            ]
        return []

    return Rule(clause, "Every party called or invited is present, or the reason is recorded.", check)


def held_as_arranged(step_key: str, reason_key: str, at_key: str, clause: str) -> Rule:
    """Recording when something arranged took place (the hearing): on a day other than the one arranged,
    or after the step's due date, the reason is given (and then stands in the record)."""

    def check(ctx: Context) -> list[Problem]:
        from .deadlines import current_due_date

        if ctx.values.get(reason_key):
            return []
        moment = ctx.values.get(at_key) or ctx.now
        if not isinstance(moment, datetime):
            return []
        step = ctx.definition.step(step_key)
        calendar = step.deadline.calendar if step.deadline else None
        held = calendar.local_day(moment) if calendar else local_day(moment)
        arranged = getattr(ctx.facts, "hearing_date", None)
        due = current_due_date(step, ctx.facts.events, ctx.facts.extensions)
        problems = []
        if arranged is not None and held != arranged:
            problems.append(Problem(
                f"{day_text(held)} is not the day arranged ({day_text(arranged)}): say why the day changed",
                clause, reason_key))
        elif due is not None and held > due:
            problems.append(Problem(
                f"{day_text(held)} is after its due date ({day_text(due)}): say why it was later",
                clause, reason_key))
        return problems

    return Rule(clause, "Held on another day than arranged, or late: the reason is recorded.", check)


def moment_not_in_future(key: str, clause: str, not_before_event: str | None = None) -> Rule:
    """A recorded moment (e.g. when the hearing was held) is not in the future, nor before ``not_before``."""

    def check(ctx: Context) -> list[Problem]:
        moment = ctx.values.get(key)
        if not isinstance(moment, datetime):
            return []
        problems = []
        if ctx.now is not None and moment > ctx.now:
            problems.append(Problem("This cannot be in the future", clause, key))
        earliest = ctx.facts.events.get(not_before_event) if not_before_event else None
        if earliest is not None and moment < earliest:
            problems.append(Problem("This cannot be before the previous step", clause, key))
        return problems

    return Rule(clause, "The moment recorded is not in the future.", check)


def date_not_in_past(key: str, clause: str) -> Rule:
    """A date being arranged (e.g. the hearing) is today or later, in London."""

    def check(ctx: Context) -> list[Problem]:
        day = ctx.values.get(key)
        if isinstance(day, date) and ctx.now is not None and day < local_day(ctx.now):
            return [Problem("The date cannot be in the past", clause, key)]
        return []

    return Rule(clause, "The date arranged is not in the past.", check)


def delay_explained(step_key: str) -> Rule:
    """A step done after its due day carries a reason for the delay (Scenario 1, step five)."""

    def check(ctx: Context) -> list[Problem]:
        # Imported here: deadlines imports this module's siblings, and the rule needs only one function.
        from .deadlines import statutory_due_date

        step = ctx.definition.step(step_key)
        due = statutory_due_date(step, ctx.facts.events)
        assert step.deadline is not None and ctx.now is not None
        if due is not None and local_day(ctx.now) > due and not ctx.values.get("delay_reason"):
            return [
                Problem(
                    f"This is after the due day ({day_text(due)}): set out clearly the reason for the delay",
                    step.deadline.clause,
                    "delay_reason",
                )
            ]
        return []

    return Rule("Schedule 8, scenario 1, step five", "A late decision gives the reason for the delay.", check)


# --- Responses (no appeal, clause 15) --------------------------------------------------------------


def awaiting_response_from_actor() -> Rule:
    """The actor's party has not yet responded to the outcome."""

    def check(ctx: Context) -> list[Problem]:
        if ctx.actor.organisation_id in _dispute(ctx).responses:
            return [Problem("Your organisation has already responded to the outcome", "15", None)]
        return []

    return Rule("15", "Each party responds once.", check)


def outstanding_parties(facts: DisputeFacts, responding: int | None = None) -> frozenset[int]:
    """Parties still to respond to the outcome (a party that has left the MoU no longer needs to)."""
    done = set(facts.responses) | set(facts.withdrawn_organisations)
    if responding is not None:
        done.add(responding)
    return facts.party_ids - done


def everyone_responded() -> Rule:
    """The case closes only when every party has accepted the outcome or given notice of withdrawal."""

    def check(ctx: Context) -> list[Problem]:
        waiting = outstanding_parties(_dispute(ctx))
        if waiting:
            return [Problem(f"Still waiting for a response from {_ids(waiting)}", "15", None)]
        return []

    return Rule("15", "Every party has responded to the outcome.", check)


# --- Deadlines -----------------------------------------------------------------------------------


def extension_valid() -> Rule:
    """An extension names a step that has a deadline and is not done, and moves its date later."""

    def check(ctx: Context) -> list[Problem]:
        from .deadlines import current_due_date

        key, new_date = ctx.values.get("step"), ctx.values.get("due_date")
        if key is None or not isinstance(new_date, date):
            return []
        try:
            step = ctx.definition.step(str(key))
        except KeyError:
            return [Problem(f"There is no step {key!r} in this process", "16.2", "step")]
        if step.deadline is None:
            return [Problem(f"'{step.title}' has no deadline to extend", step.clause, "step")]
        if step.done_event in ctx.facts.events:
            return [Problem(f"'{step.title}' is already done", step.clause, "step")]
        current = current_due_date(step, ctx.facts.events, ctx.facts.extensions)
        if current is not None and new_date <= current:
            return [
                Problem(f"The new date must be after the current due date ({day_text(current)})", "16.2", "due_date")
            ]
        if ctx.now is not None and new_date < local_day(ctx.now):
            return [Problem("The new date cannot be in the past", "16.2", "due_date")]
        calendar = step.deadline.calendar
        if not calendar.is_working_day(new_date):
            why = calendar.holiday_name(new_date) or f"a {new_date:%A}"
            return [Problem(f"{day_text(new_date)} is not a {calendar.working_day_name} ({why}): a deadline is the "
                            f"end of a {calendar.working_day_name}, so choose one", "16.2", "due_date")]
        return []

    return Rule("16.2", "An extension moves a pending deadline later.", check)


# --- Recommendations (clause 10, Schedule 4, 17.2) -----------------------------------------------


def recommendation_well_formed() -> Rule:
    """What PDEG needs to decide: who raised it, enough information, which parties' Boards must ratify."""

    def check(ctx: Context) -> list[Problem]:
        facts = _recommendation(ctx)
        problems: list[Problem] = []
        if not facts.information.strip():
            problems.append(
                Problem(
                    "Give sufficient information to inform the decision making process",
                    "Schedule 4 (Delegation to subordinate groups)",
                    "information",
                )
            )
        if facts.raised_by is RaiserKind.SUBORDINATE_GROUP and facts.subordinate_group is None:
            problems.append(
                Problem("Say which subordinate group raises it", "Schedule 4 (Subordinate Groups)", "subordinate_group")
            )
        if not facts.affected_parties:
            problems.append(
                Problem("Name the parties whose Boards must ratify the decision", "10.6", "affected_parties")
            )
        withdrawn = facts.affected_parties & facts.withdrawn_organisations
        if withdrawn:
            problems.append(Problem(f"{_ids(withdrawn)} has withdrawn from the MoU", "15", "affected_parties"))
        outside = facts.affected_parties - facts.current_parties - facts.withdrawn_organisations
        if outside:
            problems.append(Problem(f"{_ids(outside)} is not a party to the MoU", "10.6", "affected_parties"))
        if facts.is_variation and facts.affected_parties != facts.current_parties:
            left_out = facts.current_parties - facts.affected_parties
            problems.append(
                Problem(
                    "A variation of the MoU needs the written agreement of all the Parties"
                    + (f"; {_ids(left_out)} is left out" if left_out else ""),
                    "17.2",
                    "affected_parties",
                )
            )
        return problems

    return Rule("10.6", "The recommendation says who raised it, what it is and whose Boards ratify.", check)


def within_delegation_allowed() -> Rule:
    """Only a subordinate group decides within its members' delegated powers, and never a variation."""

    def check(ctx: Context) -> list[Problem]:
        facts = _recommendation(ctx)
        problems = []
        if facts.raised_by is not RaiserKind.SUBORDINATE_GROUP:
            problems.append(
                Problem(
                    "Only a subordinate group may decide within its members' delegated powers",
                    "Schedule 4 (Delegation to subordinate groups)",
                )
            )
        if facts.is_variation:
            problems.append(Problem("A variation of the MoU needs the written agreement of all the Parties", "17.2"))
        return problems

    return Rule("Schedule 4 (Delegation to subordinate groups)", "Decisions within delegated powers.", check)


def pdeg_has_met() -> Rule:
    """PDEG's outcome is recorded on or after the meeting whose agenda it was on."""

    def check(ctx: Context) -> list[Problem]:
        meeting = _recommendation(ctx).agenda_meeting_date
        if meeting is not None and ctx.now is not None and local_day(ctx.now) < meeting:
            return [Problem(f"PDEG meets on {day_text(meeting)}; record its outcome after the meeting", "10.5", None)]
        return []

    return Rule("10.5", "PDEG's outcome follows its meeting.", check)


def pdeg_quorate(min_parties: int, clause: str) -> Rule:
    """PDEG's outcome is recorded only at a quorate meeting: its attendance recorded, and at least
    ``min_parties`` member parties present by their representative or deputy (10.3)."""

    def check(ctx: Context) -> list[Problem]:
        facts = _recommendation(ctx)
        if facts.meeting_attendance_taken is None:
            return []
        if not facts.meeting_attendance_taken:
            return [Problem(f"Record who attended the meeting first: an outcome needs a quorum of {min_parties} "
                            "member parties present", clause, None)]
        if facts.meeting_parties_present < min_parties:
            return [Problem(f"The meeting is not quorate: {facts.meeting_parties_present} member parties present, "
                            f"{min_parties} needed", clause, None)]
        return []

    return Rule(clause, f"At least {min_parties} member parties are present.", check)


def required_boards(facts: RecommendationFacts) -> frozenset[int]:
    """Whose Boards must ratify: the affected parties, all the Parties for a variation (17.2), less
    any that have withdrawn (15)."""
    wanted = facts.current_parties if facts.is_variation else facts.affected_parties
    return frozenset(wanted - facts.withdrawn_organisations)


def all_boards_ratified() -> Rule:
    """10.6: the decision is ratified when every affected party's Board has ratified (17.2: all)."""

    def check(ctx: Context) -> list[Problem]:
        facts = _recommendation(ctx)
        wanted = required_boards(facts)
        clause = "17.2" if facts.is_variation else "10.6"
        if not wanted:
            return [Problem("No party's Board remains to ratify this decision", clause, None)]
        missing = wanted - facts.ratified_by
        if missing:
            return [Problem(f"Still waiting for the Board of {_ids(missing)} to ratify", clause, None)]
        return []

    return Rule("10.6", "Every affected party's Board has ratified.", check)


# --- Ratification ---------------------------------------------------------------------------------


def actor_is_boards_secretary() -> Rule:
    """Only the secretary of the Board concerned records its decision, and only while it is a Party."""

    def check(ctx: Context) -> list[Problem]:
        facts = _ratification(ctx)
        problems = []
        if ctx.actor.organisation_id != facts.organisation_id:
            problems.append(Problem("Only this party's Board secretary can record its Board's decision", "10.6", None))
        if facts.organisation_id in facts.withdrawn_organisations:
            problems.append(Problem("This party has withdrawn from the MoU; its ratification lapses", "15", None))
        return problems

    return Rule("10.6", "The party's own Board secretary records its decision.", check)


def current_version() -> Rule:
    """10.6: a Board ratifies the version PDEG agreed last; an amendment supersedes earlier ones."""

    def check(ctx: Context) -> list[Problem]:
        facts = _ratification(ctx)
        if facts.version != facts.current_version:
            return [
                Problem(
                    "The recommendation has been amended: the Board must consider the amended version", "10.6", None
                )
            ]
        return []

    return Rule("10.6", "The Board ratifies the current version.", check)


def meeting_not_in_future() -> Rule:
    """A Board's decision is recorded after the meeting that took it."""

    def check(ctx: Context) -> list[Problem]:
        meeting = ctx.values.get("meeting_date")
        if isinstance(meeting, date) and ctx.now is not None and meeting > local_day(ctx.now):
            return [Problem("The meeting date cannot be in the future", "10.6", "meeting_date")]
        return []

    return Rule("10.6", "The Board meeting has happened.", check)


def meeting_not_before_agreement(clause: str = "10.6") -> Rule:
    """A Board ratifies what PDEG has agreed: its meeting cannot be before the day PDEG agreed it."""

    def check(ctx: Context) -> list[Problem]:
        meeting = ctx.values.get("meeting_date")
        agreed = _ratification(ctx).agreed_on
        if isinstance(meeting, date) and agreed is not None and meeting < agreed:
            return [Problem(f"The Board meeting date must be on or after {day_text(agreed)}, when PDEG agreed "
                            "the decision", clause, "meeting_date")]
        return []

    return Rule(clause, "The Board meets on or after the day PDEG agreed the decision.", check)


def party_withdrawn() -> Rule:
    """15: the ratification of a party that has withdrawn lapses."""

    def check(ctx: Context) -> list[Problem]:
        facts = _ratification(ctx)
        if facts.organisation_id in facts.withdrawn_organisations:
            return []
        return [Problem("This party has not withdrawn from the MoU", "15", None)]

    return Rule("15", "The party has withdrawn.", check)


def recommendation_amended() -> Rule:
    """An amendment restarts ratification: this Board's ratification is of an earlier version."""

    def check(ctx: Context) -> list[Problem]:
        facts = _ratification(ctx)
        if facts.current_version > facts.version:
            return []
        return [Problem("The recommendation has not been amended since this ratification began", "10.6", None)]

    return Rule("10.6", "The recommendation was amended.", check)
