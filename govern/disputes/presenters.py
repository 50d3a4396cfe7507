"""What the dispute pages show, computed from the rows and the workflows (no rules decided here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select, union

from govern.agreements import service
from govern.cases.models import CaseEvent, CaseKind
from govern.disputes.facts import definition_of, dispute_actor, dispute_facts, partnership_standing
from govern.disputes.models import Dispute, DisputeParty, PanelMember
from govern.extensions import db
from govern.partnership.models import MouStatus, Organisation
from workflows import CaseRole, DisputeFacts
from workflows import engine as wf_engine
from workflows.deadlines import NextStep, StepDeadline, StepStatus, next_steps, schedule
from workflows.definitions import REFERENCE_FIELD


@dataclass(frozen=True)
class FilingOption:
    """A process a party may bring a dispute under, as the agreement describes it for the filing page."""

    key: str
    title: str
    when: str
    clause: str
    definition: Any


def filing_options() -> list[FilingOption]:
    """The agreement's dispute processes, then (where it has one) the process for a dispute none fits."""
    from govern.disputes.operations import filing_definition

    agreement = service.current()
    keys = [d.key for d in agreement.dispute_processes]
    if agreement.declaration.bespoke is not None:
        keys.append(service.BESPOKE)
    options = []
    for key in keys:
        definition = filing_definition(key)
        filing = definition.filing
        options.append(FilingOption(key, filing.title, filing.when, filing.clause, definition))
    return options


def filing_option(process_key: str) -> FilingOption | None:
    """The filing option for ``process_key`` (None if the agreement has no such dispute process)."""
    return next((o for o in filing_options() if o.key == process_key), None)


#: A party's response to the outcome, as the dispute's page (and the API) says it.
RESPONSE_TITLES = {"accepted": "accepted the outcome", "withdrew": "gave notice of withdrawal (clause 15)"}

STATUS_TAGS = {
    StepStatus.NOT_YET_DUE: ("Not started", "nhsuk-tag--grey"),
    StepStatus.DUE: ("Due", "nhsuk-tag--blue"),
    StepStatus.DONE_ON_TIME: ("Done on time", "nhsuk-tag--green"),
    StepStatus.DONE_LATE: ("Done late", "nhsuk-tag--orange"),
    StepStatus.OVERDUE: ("Overdue", "nhsuk-tag--red"),
}


def who(roles: Sequence[CaseRole], definition: Any = None) -> str:
    """Plain words for who acts, as the agreement names each role: 'the STP Leader', 'each party'."""
    names = definition.role_names if definition is not None else service.derived("role_names", _role_names)
    words = [names.get(str(r), r.value.replace("_", " ")) for r in roles if r is not CaseRole.SYSTEM]
    return " or ".join(dict.fromkeys(words)) or "nobody"


def _role_names(agreement: Any) -> dict[str, str]:
    return {k: v.name for k, v in agreement.declaration.roles.items()}


@lru_cache(maxsize=256)
def _organisation_disputes(organisation_id: int) -> Any:
    """The disputes an organisation is a party to or sits on the panel of. Read from the organisation's
    own disputes (the few hundred of them), not by testing each of the partnership's disputes for it:
    an "in this or in that" condition lets a database start from every open dispute (4 ms to count, at
    10,000).

    Built once per organisation (a statement is immutable: each filter makes a new one from it), and
    bounded: a process keeps the statements of the 256 organisations it served most recently."""
    theirs = union(
        select(DisputeParty.dispute_id.label("id")).where(DisputeParty.organisation_id == organisation_id),
        select(PanelMember.dispute_id).where(
            PanelMember.organisation_id == organisation_id, PanelMember.active.is_(True)),
    ).subquery("theirs")
    return select(Dispute).join(theirs, theirs.c.id == Dispute.id)


def visible_disputes_query(user: Any) -> Any:
    """Disputes the user may see (as :meth:`Dispute.can_view`): all for the STP Lead and administrators;
    for a party's or panel organisation's officers (chief executive and deputy, 10.3), their disputes;
    for a Board secretary, only those whose process gives the Board a part (none in Devon)."""
    from govern.disputes.models import board_part_processes

    query = select(Dispute)
    if user.is_administrator or user.is_stp_leader:
        return query
    if user.role.acts_for_organisation:
        return _organisation_disputes(user.organisation_id)
    if user.role.value == "board_secretary" and board_part_processes():
        party_of = Dispute.id.in_(
            select(DisputeParty.dispute_id).where(DisputeParty.organisation_id == user.organisation_id))
        return query.where(party_of, Dispute.process_key.in_(sorted(board_part_processes())))
    return query.where(Dispute.id.is_(None))


@dataclass(frozen=True)
class StepLine:
    """A waiting step as a list shows it: what, who acts (the agreement's names), by when, overdue or not."""

    title: str
    who: str
    due: str
    overdue: bool


@dataclass(frozen=True)
class DisputeRow:
    """One line of a dispute list: the case (its list columns, ``listing.LIST_COLUMNS``) and what is due
    next, as steps (for the API) and in words (for the page)."""

    dispute: Any
    state_title: str
    next: list[NextStep]
    steps: list[StepLine] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        """Any waiting step is past its deadline."""
        return any(n.status is StepStatus.OVERDUE for n in self.next)


def dispute_rows(disputes: Sequence[Any], now: datetime) -> list[DisputeRow]:
    """List rows with what is due next, in one query for the whole page: the open steps kept in
    ``case_deadline`` (refreshed from the workflows' schedule in the same transaction as every change
    to a dispute), so a page of 50 does not recompute 50 schedules. ``disputes`` are rows of the list
    columns (id, process_key, state, agreement_version_id, bespoke_spec at least)."""
    from govern.deadlines.models import CaseDeadline, open_step
    from govern.web.template_helpers import local_date

    waiting: dict[int, list[NextStep]] = defaultdict(list)
    roles_of: dict[str, tuple[CaseRole, ...]] = {}
    if disputes:
        for case_id, step_key, title, clause, roles, due_at in db.session.execute(
            select(CaseDeadline.case_id, CaseDeadline.step_key, CaseDeadline.title, CaseDeadline.clause,
                   CaseDeadline.roles, CaseDeadline.due_at)
            .where(CaseDeadline.case_kind == CaseKind.DISPUTE, CaseDeadline.case_id.in_([d.id for d in disputes]),
                   open_step())
            .order_by(CaseDeadline.case_id, CaseDeadline.position)
        ):
            key = ",".join(roles)
            if key not in roles_of:
                roles_of[key] = tuple(CaseRole(r) for r in roles)
            overdue = due_at is not None and due_at < now
            waiting[case_id].append(NextStep(
                step_key, title, clause, roles_of[key], due_at, StepStatus.OVERDUE if overdue else StepStatus.DUE,
            ))
    words: dict[tuple[CaseRole, ...], str] = {}
    days: dict[Any, str] = {}

    def line(step: NextStep) -> StepLine:  # who acts and the day, each put into words once a page
        if step.roles not in words:
            words[step.roles] = who(step.roles)
        if step.due_at not in days:
            days[step.due_at] = local_date(step.due_at)
        return StepLine(step.title, words[step.roles], days[step.due_at], step.status is StepStatus.OVERDUE)

    titles: dict[tuple[str, int | None, str], str] = {}
    rows = []
    for d in disputes:
        if d.bespoke_spec is not None:  # a process set out for this dispute alone (16.2)
            title = service.definition(d.process_key, d.agreement_version_id, d.bespoke_spec).state(d.state).title
        else:
            key = (d.process_key, d.agreement_version_id, d.state)
            if key not in titles:
                titles[key] = service.definition(d.process_key, d.agreement_version_id).state(d.state).title
            title = titles[key]
        steps = waiting[d.id]
        rows.append(DisputeRow(d, title, steps, [line(n) for n in steps]))
    return rows


@dataclass(frozen=True)
class DisputeView:
    """Everything the dispute page shows."""

    dispute: Dispute
    definition: Any
    facts: DisputeFacts
    state_title: str
    state_clause: str
    timeline: list[StepDeadline]
    next: list[NextStep]
    actions: list[wf_engine.TriggerInfo]
    roles: frozenset[CaseRole]
    organisations: dict[int, Organisation]
    papers_visible: bool
    outcome: dict[str, Any] | None
    follow_ups: list[Any]
    record_name: str = "dispute record"
    latest: tuple[str, datetime] | None = None
    #: What happened, newest first (the MOJ timeline pattern).
    history: list[TimelineEntry] | None = None
    #: Steps waiting for this user's own organisation (the "respond by" banner).
    yours: list[NextStep] | None = None
    #: The other side's own account (Scenario 4: why it changed its practice), if the user may read the papers.
    accounts: list[Account] = field(default_factory=list)


def view_of(dispute: Dispute, user: Any, now: datetime) -> DisputeView:
    """Build the dispute page's content for this user."""
    definition = definition_of(dispute)
    facts = dispute_facts(dispute)
    actor = dispute_actor(dispute, user)
    organisations = {o.id: o for o in db.session.scalars(select(Organisation))}
    outcome = outcome_of(dispute)
    return DisputeView(
        dispute=dispute,
        definition=definition,
        facts=facts,
        state_title=definition.state(facts.state).title,
        state_clause=definition.state(facts.state).clause,
        timeline=schedule(definition, facts.events, facts.extensions, now),
        next=next_steps(definition, facts, now),
        actions=wf_engine.available(definition, facts, actor, now),
        roles=actor.roles,
        organisations=organisations,
        papers_visible=dispute.can_view_papers(user),
        outcome=outcome,
        follow_ups=follow_ups(dispute, user),
        record_name=record_name(dispute, outcome),
        latest=latest_event(dispute),
        history=timeline_of(dispute),
        yours=your_steps(dispute, actor, next_steps(definition, facts, now), facts),
        accounts=accounts_of(dispute) if dispute.can_view_papers(user) else [],
    )


def last_answers(dispute: Dispute, trigger: str, organisation_id: int | None) -> dict[str, str]:
    """What the user's organisation last wrote in a step it may take again without moving the case (its
    account, to rewrite rather than start again): field key -> text. Empty for any other step."""
    transitions = definition_of(dispute).transitions_for(trigger)
    if organisation_id is None or not transitions or any(t.dest is not None for t in transitions):
        return {}
    names = sorted({e for t in transitions for e in t.events})
    keys = {f.key for t in transitions for f in t.fields if f.kind.value == "text"}
    found: dict[str, str] = {}
    for data in db.session.scalars(
        select(CaseEvent.data).where(CaseEvent.case_kind == CaseKind.DISPUTE, CaseEvent.case_id == dispute.id,
                                     CaseEvent.name.in_(names)).order_by(CaseEvent.id)
    ):
        if (data or {}).get("organisation_id") == organisation_id:
            found.update({k: str(v) for k, v in data.items() if k in keys and v})
    return found


#: The event the other side's part is recorded as (the agreement's ``write_account``).
ACCOUNT_EVENT = "account_written"


@dataclass(frozen=True)
class Account:
    """The part one organisation on the other side wrote: its latest text, who wrote it and when."""

    organisation: str
    text: str
    by: str
    at: datetime


def accounts_of(dispute: Dispute) -> list[Account]:
    """Each respondent's latest account, in the order the parties were named (one query). It goes to the
    panel with the papers, so callers show it only to those who may read the papers."""
    from govern.auth.models import User

    rows = db.session.execute(
        select(CaseEvent.data, CaseEvent.occurred_at, User.name)
        .outerjoin(User, User.id == CaseEvent.recorded_by_id)
        .where(CaseEvent.case_kind == CaseKind.DISPUTE, CaseEvent.case_id == dispute.id,
               CaseEvent.name == ACCOUNT_EVENT)
        .order_by(CaseEvent.id)
    ).all()
    latest = {int(str(data["organisation_id"])): (data, at, person) for data, at, person in rows}
    return [Account(p.organisation.name, str(latest[p.organisation_id][0].get("account") or ""),
                    latest[p.organisation_id][2] or "", latest[p.organisation_id][1])
            for p in dispute.parties if p.organisation_id in latest]


def follow_ups(dispute: Dispute, user: Any) -> list[Any]:
    """Recommendations for PDEG opened by the dispute's outcome (decision revisited, options paper)
    that the user may see (a draft only by the STP Lead, who completes and raises it)."""
    from govern.pdeg.models import Recommendation

    found = db.session.scalars(
        select(Recommendation).where(Recommendation.linked_dispute_id == dispute.id).order_by(Recommendation.id)
    ).all()
    return [r for r in found if r.can_view(user)]


def outcome_of(dispute: Dispute) -> dict[str, Any] | None:
    """The panel's decision or recommendation and the STP Lead's proposal, from their events."""
    rows = db.session.scalars(
        select(CaseEvent)
        .where(
            CaseEvent.case_kind == CaseKind.DISPUTE,
            CaseEvent.case_id == dispute.id,
            CaseEvent.name.in_(("decision_presented", "recommendation_made", "solution_proposed", "hearing_held",
                                "parties_called", "hearing_scheduled")),
        )
        .order_by(CaseEvent.occurred_at, CaseEvent.id)
    ).all()
    if not rows:
        return None
    found: dict[str, Any] = {}
    for event in rows:
        found[event.name] = {"at": event.occurred_at, **event.data}
    proposal = found.get("solution_proposed")
    if proposal and proposal.get("outcome"):
        labels = dispute.definition.params.get("outcome_labels") or {}
        proposal["outcome_label"] = labels.get(str(proposal["outcome"]), str(proposal["outcome"]))  # type: ignore[union-attr]
    return found


def panel_candidates(dispute: Dispute) -> list[tuple[Organisation, str]]:
    """Organisations the STP Lead may nominate, with their involvement in other open disputes.

    Parties to this dispute and withdrawn organisations are left out (16.2: neutral to the dispute;
    clause 15); eligible non-signatories appear only for the external route (Schedule 6).
    """
    current, _ = partnership_standing()
    parties = dispute.party_ids
    open_disputes = db.session.execute(
        select(DisputeParty.organisation_id, Dispute.reference)
        .join(Dispute, Dispute.id == DisputeParty.dispute_id)
        .where(Dispute.closed_at.is_(None), Dispute.id != dispute.id)
    ).all()
    panels = db.session.execute(
        select(PanelMember.organisation_id, Dispute.reference)
        .join(Dispute, Dispute.id == PanelMember.dispute_id)
        .where(Dispute.closed_at.is_(None), Dispute.id != dispute.id, PanelMember.active.is_(True))
    ).all()
    involvement: dict[int, list[str]] = defaultdict(list)
    for org_id, ref in open_disputes:
        involvement[org_id].append(f"party to {ref}")
    for org_id, ref in panels:
        involvement[org_id].append(f"on the panel of {ref}")
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return [
        (org, "; ".join(involvement[org.id]) or "No other open disputes")
        for org in organisations
        if org.id in current and org.id not in parties
    ]


def why_not_on_panel(dispute: Dispute, organisation_id: int) -> str:
    """Why an organisation is not offered for the panel (the converse of :func:`panel_candidates`),
    in the MoU's words with its clause."""
    org = db.session.get(Organisation, organisation_id)
    name = org.name if org is not None else f"Organisation {organisation_id}"
    if organisation_id in {p.organisation_id for p in dispute.respondents}:
        return f"{name} is on the other side of the dispute and cannot sit on its panel (16.2)"
    if organisation_id in dispute.party_ids:
        return f"{name} is a party to the dispute and cannot sit on its panel (16.2)"
    if org is not None and org.mou_status is MouStatus.WITHDRAWN:
        return f"{name} has withdrawn from the MoU and cannot sit on a panel (15)"
    return f"{name} is not a party to the MoU; panels are drawn from the Parties (16.2)"




def material_headings(definition: Any, dispute: Dispute) -> list[tuple[str, str, str]]:
    """(key, title, guidance) of each heading, one per party where the MoU asks each party's view."""
    rows: list[tuple[str, str, str]] = []
    for heading in definition.headings:
        if heading.reference:
            rows.append((REFERENCE_FIELD, f"{heading.title}: reference to the document", "The document that "
                         "contains the decision, or the recommendation on which the decision was made."))
        if heading.per_party:
            for party in dispute.parties:
                rows.append((heading.field_key(party.organisation_id),
                             f"{heading.title}: {party.organisation.name}", heading.guidance))
        else:
            rows.append((heading.field_key(), heading.title, heading.guidance))
    return rows


@dataclass(frozen=True)
class ShapeStep:
    """A step of a shape whose deadline the STP Leader may set: its words, clause and default timescale."""

    key: str
    title: str
    clause: str
    amount: int
    unit: str
    text: str


@dataclass(frozen=True)
class Shape:
    """A shape a process set out for one dispute may take (16.2), as the agreement words it."""

    key: str
    label: str
    description: str
    steps: tuple[ShapeStep, ...]


def bespoke_shapes(dispute: Dispute) -> list[Shape]:
    """The shapes the agreement the dispute runs under declares, each with the steps that have deadlines."""
    from workflows import registry

    agreement = service.agreement_of(dispute.agreement_version_id)
    declared = agreement.declaration.bespoke
    shapes = []
    for key, shape in (declared.shapes.items() if declared is not None else ()):
        definition = registry.bespoke({"shape": key}, agreement)
        steps = tuple(ShapeStep(s.key, s.title, s.clause, s.deadline.amount, s.deadline.unit.value, s.deadline.text)
                      for s in definition.steps if s.deadline is not None)
        shapes.append(Shape(key, shape.label, shape.description, steps))
    return shapes


def who_was_told(definition: Any) -> str:
    """Who filing notifies, as the agreement names them: "The STP Leader has" or "The other Party has"."""
    notify = definition.transitions_for("notify")
    roles = [r for t in notify[:1] for n in t.notify[:1] for r in n.roles]  # the first notice: who is told
    names = list(dict.fromkeys(definition.role_name(r) for r in roles if definition.role_names.get(str(r))))
    if not names:
        return "Everyone concerned has"
    text = " and ".join(names)
    text = text if text.lower().startswith(("the ", "each ")) else f"the {text}"
    return f"{text[:1].upper()}{text[1:]} {'have' if len(names) > 1 else 'has'}"


def material_conflicts(dispute: Dispute, headings: list[tuple[str, str, str]], yours: dict[str, str]
                       ) -> dict[str, dict[str, Any]]:
    """Headings where the text someone else saved differs from what this person typed: heading key ->
    {yours, saved, by, at}, for the papers page to show side by side (the joint pack, Scenario 1)."""
    from govern.auth.models import User
    from govern.disputes.models import DisputeMaterial

    saved = {m.key: m for m in db.session.scalars(
        select(DisputeMaterial).where(DisputeMaterial.dispute_id == dispute.id))}
    names = dict(db.session.execute(select(User.id, User.name).where(
        User.id.in_(sorted({m.updated_by_id for m in saved.values()})))).all()) if saved else {}
    found: dict[str, dict[str, Any]] = {}
    for key, _title, _guidance in headings:
        row = saved.get(key)
        theirs = row.text if row is not None else ""
        mine = (yours.get(key) or "").replace("\r\n", "\n")
        if theirs.strip() != mine.strip():
            found[key] = {"yours": mine, "saved": theirs, "by": names.get(row.updated_by_id, "") if row else "",
                          "at": row.updated_at if row else None}
    return found


def step_choices(dispute: Dispute, fields: Any, now: datetime) -> dict[str, list[tuple[str, str]]]:
    """A choice field whose choices are the process's steps (the STP Leader's extension) offers only the
    steps not yet done, each labelled with its current due date ("Panel nominated: due Mon 6 Mar 2023")."""
    from workflows.deadlines import day_text

    definition = definition_of(dispute)
    keys = {s.key for s in definition.steps}
    wanted = [f for f in fields if f.kind.value == "choice" and f.choices and set(f.choices) <= keys]
    if not wanted:
        return {}
    facts = dispute_facts(dispute)
    rows = {row.step: row for row in schedule(definition, facts.events, facts.extensions, now)}
    found: dict[str, list[tuple[str, str]]] = {}
    for spec in wanted:
        offered = []
        for key in spec.choices:
            row = rows.get(key)
            if row is None or row.done_at is not None:
                continue
            due = f"due {day_text(row.due_date)}" if row.due_date else "not yet running"
            offered.append((key, f"{row.title}: {due}"))
        found[spec.key] = offered
    return found


def record_name(dispute: Dispute, outcome: dict[str, Any] | None) -> str:
    """What the dispute's PDF record is called: the "decision record" once the panel has decided or the
    STP Leader has proposed, the "dispute record" until then."""
    decided = bool(outcome) and any(k in outcome for k in ("decision_presented", "solution_proposed",
                                                            "recommendation_made"))
    return "decision record" if decided else "dispute record"


def latest_event(dispute: Dispute) -> tuple[str, datetime] | None:
    """The last thing that happened, in the process's words (the title of the step it completed), and
    when: "Where it stands" says it, since a state can hold while steps within it are done."""
    definition = definition_of(dispute)
    row = db.session.execute(
        select(CaseEvent.name, CaseEvent.occurred_at)
        .where(CaseEvent.case_kind == CaseKind.DISPUTE, CaseEvent.case_id == dispute.id)
        .order_by(CaseEvent.occurred_at.desc(), CaseEvent.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return event_title(definition, row.name), row.occurred_at


def event_title(definition: Any, name: str) -> str:
    """An event in the process's words: the title of the step it completes, else its name in words."""
    step = next((s for s in definition.steps if s.done_event == name), None)
    if step is not None:
        return step.title
    for t in definition.transitions:
        if t.events and name in t.events:
            return t.label
    return name.replace("_", " ").capitalize()


def answers(form: Any, fields: Any) -> list[tuple[str, str]]:
    """Each field's label and the answer given, in words (organisations and choices by their labels,
    dates as people read them), for the check-your-answers page."""
    from govern.web.template_helpers import local_date, local_datetime

    rows: list[tuple[str, str]] = []
    for spec in fields:
        field = getattr(form, spec.key)
        value = field.data
        kind = spec.kind.value
        if kind in ("org_id", "org_ids", "choice", "bool"):
            labels = {str(v): str(label) for v, label in (field.choices or [])}
            values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
            text = ", ".join(labels.get(str(v), str(v)) for v in values)
        elif kind == "date":
            text = local_date(value) if value else ""
        elif kind == "datetime":
            text = local_datetime(value) if value else "Now"
        else:
            text = (value or "").strip()
        rows.append((spec.label, text or "Not given"))
    return rows


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened: in the process's words, who did it (person and organisation), when,
    and the clause of the step."""

    title: str
    by: str
    at: datetime
    clause: str


#: The longest timeline a page shows (a dispute has tens of events; this bounds a pathological one).
TIMELINE_MAX = 200


def timeline_of(dispute: Dispute) -> list[TimelineEntry]:
    """What happened in the dispute, newest first, in one query (events with who recorded them)."""
    from govern.auth.models import User

    definition = definition_of(dispute)
    rows = db.session.execute(
        select(CaseEvent.name, CaseEvent.occurred_at, User.name, Organisation.name)
        .outerjoin(User, User.id == CaseEvent.recorded_by_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(CaseEvent.case_kind == CaseKind.DISPUTE, CaseEvent.case_id == dispute.id)
        .order_by(CaseEvent.occurred_at.desc(), CaseEvent.id.desc()).limit(TIMELINE_MAX)
    ).all()
    clauses = {s.done_event: s.clause for s in definition.steps}
    labels = {e: t.clause for t in definition.transitions for e in t.events}
    entries = []
    for name, at, person, organisation in rows:
        by = f"{person}, {organisation}" if person and organisation else (person or "govern")
        entries.append(TimelineEntry(event_title(definition, name), by, at,
                                     clauses.get(name) or labels.get(name) or definition.clause))
    return entries


def your_steps(dispute: Dispute, actor: Any, waiting: list[NextStep], facts: DisputeFacts) -> list[NextStep]:
    """The waiting steps that are this user's organisation's to do (a party's response, its part of the
    papers; a panel member's declaration), leaving out those its organisation has already done."""
    from govern.deadlines.todo import PER_ORGANISATION

    org = actor.organisation_id
    done = set()
    if org in facts.responses:
        done.add("responses")
    if any(m.organisation_id == org and m.declaration.value != "pending" for m in facts.panel):
        done.add("declarations")
    return [n for n in waiting if set(n.roles) & set(actor.roles) and n.step not in PER_ORGANISATION & done]
