"""Operations on disputes. Each checks the MoU's rules (through the workflows engine), changes
state, records its events and one audit event, and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from govern.audit import chain
from govern.cases import runner
from govern.cases.models import CaseEvent, CaseKind
from govern.core import clock
from govern.core.errors import OperationError
from govern.core.text import single_line
from govern.disputes.facts import definition_of, dispute_actor, dispute_facts
from govern.disputes.models import (
    Declaration,
    Dispute,
    DisputeMaterial,
    DisputeParty,
    DisputeState,
    PackAgreement,
    PanelMember,
    PanelRouteColumn,
    PartyResponse,
    Response,
)
from govern.extensions import db
from govern.partnership.models import Organisation, Principle
from workflows import SpecError, registry
from workflows.definitions import REFERENCE_FIELD, EffectKind
from workflows.engine import Outcome

SCENARIOS = ("scenario_1", "scenario_2", "scenario_3", "scenario_4")

#: The process the STP Lead uses for a dispute no scenario fits, unless they set out another (16.2).
STANDARD_BESPOKE_SPEC: list[dict[str, Any]] = [
    {"kind": "written_material", "principles_required": True,
     "deadline": {"after": ["notification"], "amount": 1, "unit": "weeks"}},
    {"kind": "panel_nomination", "min_members": 1,
     "deadline": {"after": ["written_material"], "amount": 3, "unit": "working_days", "may_be_early": True}},
    {"kind": "panel_recommendation", "deadline": {"after": ["papers_release"], "amount": 1, "unit": "weeks"}},
    {"kind": "stp_leader_proposal", "outcomes": ["solution", "options_paper"],
     "deadline": {"after": ["panel_recommendation"], "amount": 1, "unit": "weeks"}},
    {"kind": "responses"},
]


def _reference(dispute: Dispute) -> str:
    return f"D{dispute.created_at.year}-{dispute.id:04d}"


def file_dispute(
    user: Any,
    *,
    process_key: str,
    title: str,
    negotiation_attempted: bool,
    negotiation_account: str,
    other_party: Organisation | None = None,
    decision_reference: str = "",
    decision_recommendation_id: int | None = None,
    bespoke_spec: list[dict[str, Any]] | None = None,
    practice_changed_by: Organisation | None = None,
) -> Dispute:
    """File a dispute: filing is the notification to the STP Lead (Schedule 8 preamble), so the
    clock starts now. Scenario 1 is brought jointly with ``other_party``."""
    if process_key not in SCENARIOS and process_key != "bespoke":
        raise OperationError("Choose the scenario that fits the dispute.", field="process_key")
    if not user.role.acts_for_organisation:
        raise OperationError(
            "Only a partner chief executive or nominated deputy can bring a dispute for their organisation "
            "(clause 10.3; parties represent themselves, Schedule 8).",
            clause="Schedule 8 (preamble)",
        )
    title = single_line(title)  # a title goes into mail subjects and calendars: one line
    if not title:
        raise OperationError("Give the dispute a short title.", field="title")
    if process_key == "scenario_1" and other_party is None:
        raise OperationError("Choose the other organisation: Scenario 1 is brought by two organisations.",
                             field="other_party_id", clause="Schedule 8, scenario 1")
    if process_key in ("scenario_2", "scenario_3") and not decision_reference.strip():
        raise OperationError(
            "Choose the decision from the register, or give the reference of the document that contains it.",
            field="decision_id", clause=f"Schedule 8, {process_key.replace('_', ' ')}, step one",
        )
    if process_key == "scenario_4":
        if practice_changed_by is None:
            raise OperationError("Choose the organisation whose change of practice causes the problem.",
                                 field="practice_changed_by_id", clause="Schedule 8, scenario 4")
        if practice_changed_by.id == user.organisation_id:
            raise OperationError("The organisation whose practice changed must be another organisation.",
                                 field="practice_changed_by_id", clause="Schedule 8, scenario 4")
    if process_key == "bespoke":
        # Until the STP Lead sets out another (``set_out_process``), the dispute follows the standard one.
        bespoke_spec = bespoke_spec or STANDARD_BESPOKE_SPEC
        try:
            registry.bespoke(bespoke_spec, title=title)
        except SpecError as error:
            raise OperationError("; ".join(error.errors), clause="16.2") from error
    now = clock.now()
    dispute = Dispute(
        reference=f"new-{uuid4().hex[:16]}",  # fits String(20), never clashes; replaced once the id is known
        process_key=process_key,
        bespoke_spec=bespoke_spec,
        title=title,
        state=DisputeState.DRAFT,
        filed_by_id=user.id,
        created_at=now,
        updated_at=now,
        negotiation_account=negotiation_account.strip(),
        decision_recommendation_id=decision_recommendation_id,
        practice_changed_by_id=practice_changed_by.id if practice_changed_by is not None else None,
    )
    dispute.parties.append(DisputeParty(organisation_id=user.organisation_id, filed=True))
    if other_party is not None:
        if other_party.id == user.organisation_id:
            raise OperationError("The other party must be a different organisation.", field="other_party_id")
        dispute.parties.append(DisputeParty(organisation_id=other_party.id, filed=False))
    db.session.add(dispute)
    db.session.flush()
    dispute.reference = _reference(dispute)
    if decision_reference.strip():
        dispute.material.append(
            DisputeMaterial(key=REFERENCE_FIELD, text=decision_reference.strip(), updated_by_id=user.id, updated_at=now)
        )
    db.session.flush()
    _act(dispute, user, "notify", {"negotiation_attempted": negotiation_attempted}, None,
         audit_changes={"reference": [None, dispute.reference], "process_key": [None, process_key],
                        "parties": [None, sorted(dispute.party_ids)]})
    return dispute


def save_written_material(
    dispute: Dispute, user: Any, texts: Mapping[str, str], principle_codes: Iterable[str] | None = None
) -> Dispute:
    """Save the written material as a draft, heading by heading; nothing typed is ever thrown away.

    Scenario 1's pack is joint: either party may edit it, and an edit after a party agreed the pack
    means that party must agree it again (the agreement is to the text as it stood).
    """
    definition = definition_of(dispute)
    roles = dispute_actor(dispute, user).roles
    from workflows import CaseRole

    if CaseRole.PARTY not in roles:
        raise OperationError("Only the parties to the dispute write its papers.")
    if dispute.state not in (DisputeState.NOTIFIED, DisputeState.PANEL_NOMINATED_EARLY):
        raise OperationError("The written material has already gone to the STP Lead and can no longer be changed.")
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


def act(dispute: Dispute, user: Any, trigger: str, payload: Mapping[str, object] | None = None,
        expected_version: int | None = None) -> Outcome:
    """Take one of the dispute's actions (the engine says which are available to the user)."""
    return _act(dispute, user, trigger, dict(payload or {}), expected_version)


def _act(dispute: Dispute, user: Any, trigger: str, payload: dict[str, object], expected_version: int | None,
         audit_changes: Mapping[str, Any] | None = None) -> Outcome:
    runner.check_version(dispute, expected_version)
    outcome = runner.fire(
        kind=CaseKind.DISPUTE,
        row=dispute,
        definition=definition_of(dispute),
        facts=dispute_facts(dispute),
        actor=dispute_actor(dispute, user),
        user=user,
        trigger=trigger,
        payload=payload,
        state_enum=DisputeState,
        audit_changes=audit_changes,
    )
    _apply(dispute, user, outcome)
    runner.flush_or_stale()
    _carry_out(dispute, user, outcome)
    return outcome


def _apply(dispute: Dispute, user: Any, outcome: Outcome) -> None:
    """Update the dispute's rows from the outcome's events (mirrors ``workflows.memory``)."""
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
        raise OperationError("Only the STP Lead corrects the time of a recorded event.")
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
    from govern.deadlines import tracking

    tracking.refresh(CaseKind.DISPUTE, dispute, definition_of(dispute), clock.now())
    return event


#: The kinds of step the STP Lead may compose a process from, in the order a dispute meets them.
BESPOKE_STEP_ORDER = (
    "written_material", "panel_nomination", "hearing", "panel_decision", "panel_recommendation",
    "stp_leader_proposal",
)
_PANEL_RECEIVES = {"hearing", "panel_recommendation"}


def compose_bespoke_spec(chosen: Mapping[str, tuple[int, str]]) -> list[dict[str, Any]]:
    """A bespoke process from the steps the STP Lead chose: ``{kind: (amount, unit)}`` with unit
    ``weeks``, ``working_days``, ``same_day`` or ``none``. Each step's deadline runs from the step
    before it (the panel's steps from when it receives the papers); the responses come last."""
    spec: list[dict[str, Any]] = []
    previous = "notification"
    for kind in BESPOKE_STEP_ORDER:
        if kind not in chosen:
            continue
        amount, unit = chosen[kind]
        step: dict[str, Any] = {"kind": kind}
        if kind == "panel_nomination":
            step["min_members"] = 1
        if kind == "written_material":
            step["principles_required"] = True
        if kind == "stp_leader_proposal":
            step["outcomes"] = ["solution", "options_paper"]
        if unit != "none":
            after = "papers_release" if kind in _PANEL_RECEIVES and "panel_nomination" in chosen else previous
            deadline: dict[str, Any] = {"after": [after], "amount": amount, "unit": unit}
            if kind == "panel_nomination":
                deadline["may_be_early"] = True
            if kind == "panel_decision" and unit == "same_day":
                deadline["late_needs_reason"] = True
            step["deadline"] = deadline
        spec.append(step)
        previous = kind
    spec.append({"kind": "responses"})
    return spec


def set_out_process(dispute: Dispute, user: Any, spec: list[dict[str, Any]],
                    expected_version: int | None = None) -> Dispute:
    """The STP Lead sets out the process for a dispute no scenario fits (16.2: "proposals for dispute
    resolution will be set out by the STP lead according to the circumstances of the dispute").

    Only before anything but the notification has happened, so no step already taken changes meaning.
    """
    from govern.deadlines import tracking

    runner.check_version(dispute, expected_version)
    if not user.is_stp_leader:
        raise OperationError("Only the STP Lead sets out the process for a dispute.", clause="16.2")
    if dispute.process_key != "bespoke":
        raise OperationError("This dispute follows a Schedule 8 scenario; its process is set by the MoU.",
                             clause="Schedule 8")
    if dispute.state is not DisputeState.NOTIFIED:
        raise OperationError("The process can only be set out before any step after the notification.",
                             clause="16.2")
    try:
        registry.bespoke(spec, title=dispute.title)
    except SpecError as error:
        raise OperationError("; ".join(error.errors), clause="16.2") from error
    before = dispute.bespoke_spec
    dispute.bespoke_spec = spec
    runner.touch(dispute, clock.now())
    runner.flush_or_stale()
    chain.record("set_out_process", "dispute", dispute.id, {"bespoke_spec": [before, spec]}, actor=user)
    tracking.refresh(CaseKind.DISPUTE, dispute, definition_of(dispute), clock.now())
    return dispute
