"""Operations on disputes. Each checks the MoU's rules (through the workflows engine), changes
state, records its events and one audit event, and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from govern.agreements import service
from govern.agreements.service import BESPOKE
from govern.audit import chain
from govern.cases import runner, signals
from govern.cases.models import CaseEvent, CaseKind
from govern.cases.registry import CaseType, register
from govern.core import clock
from govern.core.errors import OperationError
from govern.core.text import single_line
from govern.disputes.facts import definition_of, dispute_actor, dispute_facts
from govern.disputes.models import (
    Declaration,
    Dispute,
    DisputeMaterial,
    DisputeParty,
    PackAgreement,
    PanelMember,
    PanelRouteColumn,
    PartyResponse,
    Response,
)
from govern.extensions import db
from govern.partnership.models import Organisation, Principle
from workflows import SpecError, registry
from workflows import engine as wf_engine
from workflows.definitions import REFERENCE_FIELD, EffectKind, ProcessDefinition
from workflows.engine import Outcome
from workflows.errors import Problem


def _reference(dispute: Dispute) -> str:
    return f"D{dispute.created_at.year}-{dispute.id:04d}"


def filing_definition(process_key: str) -> ProcessDefinition:
    """The process a new dispute under ``process_key`` follows: one the agreement declares, or (for a
    dispute no process fits, 16.2) the agreement's bespoke process until one is set out."""
    agreement = service.current()
    if process_key == BESPOKE and agreement.declaration.bespoke is not None:
        return registry.bespoke(_bespoke_template(agreement), agreement)
    definition = agreement.processes.get(process_key)
    if definition is None or definition.kind != "dispute":
        raise OperationError("Choose the process that fits the dispute.", field="process_key")
    return definition


def _bespoke_template(agreement: Any) -> dict[str, Any]:
    """Until a process is set out, the dispute follows the agreement's first shape with its deadlines."""
    return {"shape": next(iter(agreement.declaration.bespoke.shapes))}


#: The longest title a dispute may have (it heads pages, mail subjects and calendars).
TITLE_MAX = 200


def file_dispute(
    user: Any,
    *,
    process_key: str,
    title: str,
    negotiation_attempted: bool,
    negotiation_account: str,
    other_parties: Sequence[Organisation] = (),
    respondents: Sequence[Organisation] = (),
    decision_reference: str = "",
    decision_recommendation_id: int | None = None,
) -> Dispute:
    """File a dispute: filing is the notification (Schedule 8 preamble), so the clock starts now.

    Who else is a party comes from the process's filing declaration: organisations bringing it jointly
    (Scenario 1's other party) and respondents on the other side (Scenario 4's organisation whose
    practice changed; the other side of a 16.2 dispute). The engine checks their numbers when the
    dispute is notified; every refusal names the clause.
    """
    definition = filing_definition(process_key)
    filing = definition.filing
    if not user.role.acts_for_organisation:
        raise OperationError(
            "Only a partner chief executive or nominated deputy can bring a dispute for their organisation "
            "(clause 10.3; parties represent themselves).",
            clause=definition.clause,
        )
    # Every problem at once (the form shows them all on one submission): this operation's own, then the
    # engine's rules for the notification, checked on the dispute as it would be filed.
    problems: list[Problem] = []
    title = single_line(title)  # a title goes into mail subjects and calendars: one line
    if not title:
        problems.append(Problem("Give the dispute a short title.", definition.clause, "title"))
    elif len(title) > TITLE_MAX:
        problems.append(Problem(f"The title must be {TITLE_MAX} characters or fewer.", definition.clause, "title"))
        title = title[:TITLE_MAX]  # only to ask the engine what else it refuses: nothing is kept
    if filing is not None and filing.decision is not None and not decision_reference.strip():
        problems.append(Problem(
            "Choose the decision from the register, or give the reference of the document that contains it.",
            filing.decision.clause, "decision_id"))
    named = [*other_parties, *respondents]
    if any(o.id == user.organisation_id for o in named):
        problems.append(Problem("Name organisations other than your own.", definition.clause,
                                "respondent_ids" if respondents else "other_party_ids"))
    elif len({o.id for o in named}) != len(named):
        problems.append(Problem("An organisation is named twice.", definition.clause, "respondent_ids"))
    now = clock.now()
    dispute = Dispute(
        reference=f"new-{uuid4().hex[:16]}",  # fits String(20), never clashes; replaced once the id is known
        process_key=process_key,
        agreement_version_id=service.current_version().id,
        bespoke_spec=_bespoke_template(service.current()) if process_key == BESPOKE else None,
        title=title.strip(),
        state=definition.initial,
        filed_by_id=user.id,
        created_at=now,
        updated_at=now,
        negotiation_account=negotiation_account.strip(),
        decision_recommendation_id=decision_recommendation_id,
    )
    dispute.parties.append(DisputeParty(organisation_id=user.organisation_id, filed=True))
    for organisation in other_parties:
        dispute.parties.append(DisputeParty(organisation_id=organisation.id, filed=False))
    for organisation in respondents:
        dispute.parties.append(DisputeParty(organisation_id=organisation.id, filed=False, respondent=True))
    db.session.add(dispute)
    db.session.flush()
    dispute.reference = _reference(dispute)
    if decision_reference.strip():
        dispute.material.append(
            DisputeMaterial(key=REFERENCE_FIELD, text=decision_reference.strip(), updated_by_id=user.id, updated_at=now)
        )
    db.session.flush()
    payload = {"negotiation_attempted": negotiation_attempted}
    if problems:
        # Refused already: ask the engine only what else it would refuse (nothing is fired); the caller
        # rolls the unfiled dispute back.
        problems.extend(wf_engine.check(definition, dispute_facts(dispute), dispute_actor(dispute, user), "notify",
                                        payload, now))
        raise runner.RulesRefused(tuple(problems))
    runner.act(dispute, user, "notify", payload,
               audit_changes={"reference": [None, dispute.reference], "process_key": [None, process_key],
                              "parties": [None, sorted(dispute.party_ids)],
                              "respondents": [None, sorted(p.organisation_id for p in dispute.respondents)]})
    return dispute


def save_written_material(
    dispute: Dispute, user: Any, texts: Mapping[str, str], principle_codes: Iterable[str] | None = None,
    expected_version: int | None = None,
) -> Dispute:
    """Save the written material as a draft, heading by heading; nothing typed is ever thrown away.

    Scenario 1's pack is joint: either party may edit it, and an edit after a party agreed the pack
    means that party must agree it again (the agreement is to the text as it stood). Two parties saving
    at once: the save made on an older version of the dispute is refused (:class:`StaleCase`), so it
    never silently replaces the other's text; the page shows both versions to merge.
    """
    runner.check_version(dispute, expected_version)
    definition = definition_of(dispute)
    roles = dispute_actor(dispute, user).roles
    from workflows import CaseRole

    if CaseRole.PARTY not in roles:
        raise OperationError("Only the parties to the dispute write its papers.")
    if not definition.material_open(dispute.state):
        raise OperationError("The written material has already been sent and can no longer be changed.")
    allowed = _material_keys(definition, dispute)
    unknown = set(texts) - allowed
    if unknown:
        raise OperationError(f"Unknown headings: {', '.join(sorted(unknown))}.")
    now = clock.now()
    existing = {m.key: m for m in dispute.material}
    changes: dict[str, list[Any]] = {}
    for key, text in texts.items():
        text = text.replace("\r\n", "\n")
        row = existing.get(key)
        if row is None:
            if not text.strip():
                continue
            dispute.material.append(DisputeMaterial(key=key, text=text, updated_by_id=user.id, updated_at=now))
            changes[key] = [None, text]
        elif row.text != text:
            changes[key] = [row.text, text]
            row.text, row.updated_by_id, row.updated_at = text, user.id, now
    if principle_codes is not None:
        codes = sorted(set(principle_codes))
        found = db.session.scalars(select(Principle).where(Principle.code.in_(codes))).all() if codes else []
        if len(found) != len(codes):
            raise OperationError("Choose principles from Schedule 3's list.", field="principles", clause="Schedule 3")
        before = sorted(p.code for p in dispute.principles)
        if before != codes:
            dispute.principles = sorted(found, key=lambda p: p.id)
            changes["principles"] = [before, codes]
    runner.touch(dispute, now)
    runner.flush_or_stale()
    if changes:
        chain.record("save_written_material", "dispute", dispute.id, changes, actor=user)
    return dispute


def _material_keys(definition: Any, dispute: Dispute) -> set[str]:
    keys = {REFERENCE_FIELD}
    for heading in definition.headings:
        if heading.per_party:
            keys |= {heading.field_key(p.organisation_id) for p in dispute.parties}
        else:
            keys.add(heading.field_key())
    return keys


def _apply(dispute: Dispute, user: Any, outcome: Outcome) -> None:
    """Update the dispute's rows from the outcome's events: the rows the pages query (the engine reads the
    same events through ``workflows.facts.fold``)."""
    for event in outcome.events:
        data = event.data
        match event.name:
            case "pack_agreed":
                org = int(str(data["organisation_id"]))
                existing = next((a for a in dispute.pack_agreements if a.organisation_id == org), None)
                if existing is None:
                    dispute.pack_agreements.append(
                        PackAgreement(organisation_id=org, digest=str(data["digest"]), agreed_by_id=user.id,
                                      agreed_at=event.at)
                    )
                else:
                    existing.digest, existing.agreed_by_id, existing.agreed_at = str(data["digest"]), user.id, event.at
            case "panel_nominated":
                for member in dispute.panel:
                    member.active = False
                for org in data["organisation_ids"]:  # type: ignore[attr-defined]
                    dispute.panel.append(PanelMember(organisation_id=int(str(org))))
                dispute.panel_route = PanelRouteColumn(str(data.get("route") or PanelRouteColumn.INTERNAL))
                dispute.external_authority = str(data["external_authority"]) if data.get("external_authority") else None
            case "interest_declared":
                for member in dispute.active_panel:
                    if member.organisation_id == data["organisation_id"]:
                        member.declaration = Declaration.CONFLICT if data["conflict"] else Declaration.NO_CONFLICT
                        member.declaration_note = str(data.get("details") or "")
                        member.declared_by_id, member.declared_at = user.id, event.at
            case "panel_member_replaced":
                for member in dispute.active_panel:
                    if member.organisation_id == data["replace"]:
                        member.active = False
                dispute.panel.append(PanelMember(organisation_id=int(str(data["replacement"]))))
            case "outcome_accepted" | "outcome_withdrew":
                dispute.responses.append(
                    PartyResponse(organisation_id=int(str(data["organisation_id"])),
                                  response=Response(str(data["response"])), responded_by_id=user.id,
                                  responded_at=event.at)
                )


def _carry_out(dispute: Dispute, user: Any, outcome: Outcome) -> None:
    """Effects that reach beyond the dispute, in the same transaction."""
    from govern.partnership import operations as partnership_ops
    from govern.pdeg import operations as pdeg_ops

    for effect in outcome.effects:
        if effect.kind is EffectKind.PARTY_WITHDRAWS:
            organisation = db.session.get(Organisation, int(str(effect.data["organisation_id"])))
            assert organisation is not None
            partnership_ops.withdraw_party(organisation, user, notice=str(outcome.values.get("notice") or ""),
                                           dispute=dispute)
        elif effect.kind is EffectKind.OPEN_RECOMMENDATION:
            pdeg_ops.open_recommendation_from_dispute(dispute, user, effect.data)


def correct_event_time(dispute: Dispute, user: Any, event_name: str, occurred_at: datetime, reason: str) -> CaseEvent:
    """The STP Lead corrects when something happened; the due dates that follow move with it."""
    if not user.is_stp_leader:
        raise OperationError(f"Only the {dispute.definition.role_name('stp_leader')} corrects the time of a "
                             "recorded event.")
    if not reason.strip():
        raise OperationError("Give the reason for the correction.", field="reason")
    if occurred_at > clock.now():
        raise OperationError("The corrected time cannot be in the future.", field="occurred_at")
    event = db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_kind == CaseKind.DISPUTE, CaseEvent.case_id == dispute.id, CaseEvent.name == event_name)
        .order_by(CaseEvent.occurred_at.desc(), CaseEvent.id.desc())
    ).first()
    if event is None:
        raise OperationError("That event has not been recorded for this dispute.", field="event_name")
    before = event.occurred_at
    if event.corrected_from is None:
        event.corrected_from = before
    event.occurred_at = occurred_at
    event.correction_reason = reason.strip()
    runner.touch(dispute, clock.now())
    runner.flush_or_stale()
    chain.record("correct_event_time", "dispute", dispute.id,
                 {"event": [None, event_name], "occurred_at": [before, occurred_at], "reason": [None, reason.strip()]},
                 actor=user)
    signals.case_changed.send(CaseKind.DISPUTE, row=dispute, definition=definition_of(dispute), now=clock.now())
    return event


def set_out_process(dispute: Dispute, user: Any, shape: str, deadlines: Mapping[str, tuple[int, str]] | None = None,
                    expected_version: int | None = None, respondents: Sequence[Organisation] = ()) -> Dispute:
    """The STP Lead sets out the process for a dispute no scenario fits (16.2: "proposals for dispute
    resolution will be set out by the STP lead according to the circumstances of the dispute"): one of the
    shapes the agreement declares, with each step's deadline (``deadlines``: step key -> (amount, unit);
    unit ``weeks``, ``working_days``, ``calendar_days``, ``same_day`` or ``none``; steps left out keep the
    shape's own). ``respondents``: the other side, if the filer did not name it (or not all of it): each
    becomes a party (16.2), is told, and may never sit on the panel.

    Only before anything but the notification has happened, so no step already taken changes meaning.
    """
    runner.check_version(dispute, expected_version)
    agreement = service.agreement_of(dispute.agreement_version_id)
    template = agreement.declaration.bespoke
    clause = template.clause if template is not None else agreement.declaration.agreement.dispute_clause
    leader = agreement.role_name("stp_leader")
    if not user.is_stp_leader:
        raise OperationError(f"Only the {leader} sets out the process for a dispute.", clause=clause)
    if dispute.process_key != BESPOKE or template is None:
        raise OperationError("This dispute follows a process the agreement sets out.", clause=dispute.definition.clause)
    if dispute.state != dispute.definition.filed_state:
        raise OperationError("The process can only be set out before any step after the notification.",
                             clause=clause)
    spec = {"shape": shape,
            "deadlines": {step: {"amount": int(amount or 0), "unit": unit}
                          for step, (amount, unit) in (deadlines or {}).items()}}
    try:
        registry.bespoke(spec, agreement)
    except SpecError as error:
        raise OperationError("; ".join(error.errors), clause=clause) from error
    added = _added_respondents(dispute, respondents, clause)
    before = dispute.bespoke_spec
    dispute.bespoke_spec = spec
    for organisation in added:
        dispute.parties.append(DisputeParty(organisation_id=organisation.id, filed=False, respondent=True))
    runner.touch(dispute, clock.now())
    runner.flush_or_stale()
    changes: dict[str, Any] = {"bespoke_spec": [before, spec]}
    if added:
        changes["respondents_added"] = [None, sorted(o.id for o in added)]
    chain.record("set_out_process", "dispute", dispute.id, changes, actor=user)
    _tell_added_respondents(dispute, added, leader, clause)
    signals.case_changed.send(CaseKind.DISPUTE, row=dispute, definition=definition_of(dispute), now=clock.now())
    return dispute


def _added_respondents(dispute: Dispute, respondents: Sequence[Organisation], clause: str) -> list[Organisation]:
    """The organisations the STP Leader names as the other side: current parties, not already in the dispute."""
    added: list[Organisation] = []
    for organisation in respondents:
        if organisation.id in dispute.party_ids or organisation in added:
            raise OperationError(f"{organisation.name} is already a party to this dispute.", clause=clause,
                                 field="respondent_ids")
        if not organisation.is_party:
            raise OperationError(f"{organisation.name} is not a party to the agreement, so it cannot be a party to "
                                 "this dispute.", clause=clause, field="respondent_ids")
        added.append(organisation)
    return added


def _tell_added_respondents(dispute: Dispute, added: Sequence[Organisation], leader: str, clause: str) -> None:
    """Each organisation added as the other side is told, as those named at filing were at notification."""
    from govern.auth.models import User
    from govern.notify.queue import Message, queue

    if not added:
        return
    officers = [u for u in db.session.scalars(select(User).where(
        User.organisation_id.in_([o.id for o in added]), User.active.is_(True))) if u.role.acts_for_organisation]
    queue([Message(
        user_id=u.id, subject=f"{dispute.reference}: your organisation is a party to a dispute",
        body=(f"The {leader} has named your organisation as a party to dispute {dispute.reference}, "
              f"\"{dispute.title}\", in setting out its process ({clause}). You can see it and you are told of "
              "each step; you may write your organisation's part (optional, with no deadline) until the papers "
              f"go to the panel, or, without a panel, until the {leader} proposes; and you respond to the "
              "outcome."),
        link=f"/disputes/{dispute.id}", case_kind=CaseKind.DISPUTE, case_id=dispute.id,
    ) for u in officers], {u.id: u.email for u in officers})


register(CaseType(
    kind=CaseKind.DISPUTE, model=Dispute, definition=definition_of, facts=dispute_facts, actor=dispute_actor,
    apply=_apply, carry_out=_carry_out,
))
