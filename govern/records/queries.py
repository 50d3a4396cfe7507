"""What the decision records say, gathered from the rows (read-only; nothing here changes state).

Every record ends with the audit event it reflects (its sequence number and hash), so a printed
record can be checked against the system: ``flask --app govern audit verify`` and the event of that
number must carry that hash. The Board pack loads all its decisions in a constant number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import selectinload

from govern.attachments.models import Attachment
from govern.attachments.queries import attachments_for
from govern.audit.models import AuditEvent
from govern.auth.models import User
from govern.cases.models import CaseKind, DeadlineExtension
from govern.core import clock
from govern.disputes import presenters
from govern.disputes.facts import definition_of
from govern.disputes.models import Declaration, Dispute, PanelMember, Response
from govern.disputes.presenters import material_headings as dispute_headings
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import queries as pdeg_queries
from govern.pdeg.models import AgendaItem, PdegMeeting, Ratification, Recommendation
from workflows.calendar import end_of_day
from workflows.deadlines import StepDeadline

#: The object types the audit chain records these cases under.
DISPUTE = "dispute"
RECOMMENDATION = "recommendation"
RATIFICATION = "ratification"
AGENDA_ITEM = "agenda_item"

DECLARATION_WORDS = {
    Declaration.PENDING: "Declaration of interest awaited",
    Declaration.NO_CONFLICT: "Declared no conflict of interest",
    Declaration.CONFLICT: "Declared a conflict of interest",
}

RESPONSE_WORDS = {
    Response.ACCEPTED: "Accepted the outcome",
    Response.WITHDREW: "Gave notice of withdrawal from the MoU (clause 15)",
}


@dataclass(frozen=True)
class AuditMark:
    """The newest audit event a record reflects: print its number and hash to check the paper."""

    seq: int
    hash: str
    occurred_at: datetime


def last_audit_events(objects: Iterable[tuple[str, str]]) -> dict[tuple[str, str], AuditMark]:
    """The newest audit event of each ``(object_type, object_id)``, in one query."""
    wanted = sorted(set(objects))
    if not wanted:
        return {}
    newest = (
        select(AuditEvent.object_type, AuditEvent.object_id, func.max(AuditEvent.seq).label("seq"))
        .where(tuple_(AuditEvent.object_type, AuditEvent.object_id).in_(wanted))
        .group_by(AuditEvent.object_type, AuditEvent.object_id)
        .subquery()
    )
    rows = db.session.execute(
        select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.seq, AuditEvent.hash, AuditEvent.occurred_at)
        .join(newest, AuditEvent.seq == newest.c.seq)
    )
    return {(t, i): AuditMark(seq, digest, at) for t, i, seq, digest, at in rows}


def newest(marks: Iterable[AuditMark | None]) -> AuditMark | None:
    """The latest of several audit marks."""
    present = [m for m in marks if m is not None]
    return max(present, key=lambda m: m.seq) if present else None


def record_reference(subject: str, mark: AuditMark | None) -> str:
    """A record's reference: what it is about, and the audit event it is as of ('D2026-0004-A57')."""
    return f"{subject}-A{mark.seq if mark else 0}"


# --- the dispute decision record ------------------------------------------------------------------


@dataclass(frozen=True)
class PanelRow:
    """A panel member as the record shows it."""

    organisation: str
    member: str
    declaration: str
    note: str
    declared_at: datetime | None
    active: bool


@dataclass(frozen=True)
class ExtensionRow:
    """A deadline extension the STP Leader granted, with the reason."""

    step: str
    due_date: date
    reason: str
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True)
class ResponseRow:
    """A party's response to the outcome."""

    organisation: str
    response: str
    by: str
    at: datetime | None


@dataclass
class DisputeRecord:
    """Everything the dispute decision record prints."""

    dispute: Dispute
    process_title: str
    process_clause: str
    state_title: str
    state_clause: str
    principles: list[tuple[str, str]]
    timeline: list[StepDeadline]
    status_words: dict[Any, str]
    extensions: list[ExtensionRow]
    papers_visible: bool
    material: list[tuple[str, str]]
    attachments: Sequence[Attachment]
    panel: list[PanelRow]
    outcome: dict[str, Any]
    called: list[str]
    invited: list[str]
    #: Who the panel recorded as present at its hearing (names).
    present: list[str]
    responses: list[ResponseRow]
    reference: str
    produced_at: datetime
    audit: AuditMark | None
    #: "decision record" once there is a decision or proposal, "dispute record" until then.
    record_name: str = "decision record"
    #: The other side's own account (Scenario 4: why it changed its practice), with the papers.
    accounts: list[Any] = field(default_factory=list)


def dispute_record(dispute: Dispute, user: Any) -> DisputeRecord:
    """The decision record of ``dispute`` as ``user`` may read it (papers only if they may see them)."""
    now = clock.now()
    view = presenters.view_of(dispute, user, now)
    organisations = view.organisations
    definition = definition_of(dispute)
    user_ids = {m.declared_by_id for m in dispute.panel if m.declared_by_id} | {
        r.responded_by_id for r in dispute.responses
    }
    extension_rows = list(
        db.session.scalars(
            select(DeadlineExtension)
            .where(DeadlineExtension.case_kind == CaseKind.DISPUTE, DeadlineExtension.case_id == dispute.id)
            .order_by(DeadlineExtension.granted_at, DeadlineExtension.id)
        )
    )
    user_ids |= {e.granted_by_id for e in extension_rows}
    names = _user_names(user_ids)
    step_titles = {row.step: row.title for row in view.timeline}
    texts = {m.key: m.text for m in dispute.material} if view.papers_visible else {}
    material = [(title, texts.get(key, "")) for key, title, _guidance in dispute_headings(definition, dispute)]
    outcome = dict(view.outcome or {})
    called = outcome.get("parties_called", {})
    mark = last_audit_events([(DISPUTE, str(dispute.id))]).get((DISPUTE, str(dispute.id)))
    responses = {r.organisation_id: r for r in dispute.responses}
    return DisputeRecord(
        record_name=view.record_name,
        accounts=view.accounts,
        dispute=dispute,
        process_title=definition.title,
        process_clause=definition.clause,
        state_title=view.state_title,
        state_clause=view.state_clause,
        principles=[(p.code, p.text) for p in dispute.principles],
        timeline=view.timeline,
        status_words={status: words for status, (words, _colour) in presenters.STATUS_TAGS.items()},
        extensions=[
            ExtensionRow(step_titles.get(e.step_key, e.step_key.replace("_", " ")), e.due_date, e.reason,
                         names.get(e.granted_by_id, ""), e.granted_at)
            for e in extension_rows
        ],
        papers_visible=view.papers_visible,
        material=material,
        attachments=attachments_for(CaseKind.DISPUTE, dispute.id) if view.papers_visible else [],
        panel=[_panel_row(m, names) for m in dispute.panel],
        outcome=outcome,
        called=[organisations[i].name for i in called.get("called", ()) if i in organisations],
        invited=[organisations[i].name for i in called.get("invited", ()) if i in organisations],
        present=[organisations[int(i)].name for i in ((outcome or {}).get("hearing_held") or {}).get("attended") or ()
                 if int(i) in organisations],
        responses=[
            ResponseRow(p.organisation.name, RESPONSE_WORDS[responses[p.organisation_id].response],
                        names.get(responses[p.organisation_id].responded_by_id, ""),
                        responses[p.organisation_id].responded_at)
            if p.organisation_id in responses else ResponseRow(p.organisation.name, "No response yet", "", None)
            for p in dispute.parties
        ],
        reference=record_reference(dispute.reference, mark),
        produced_at=now,
        audit=mark,
    )


def _panel_row(member: PanelMember, names: dict[int, str]) -> PanelRow:
    return PanelRow(
        organisation=member.organisation.name,
        member=names.get(member.declared_by_id or 0, ""),
        declaration=DECLARATION_WORDS[member.declaration],
        note=member.declaration_note,
        declared_at=member.declared_at,
        active=member.active,
    )


def _user_names(ids: Iterable[int]) -> dict[int, str]:
    wanted = [i for i in set(ids) if i]
    if not wanted:
        return {}
    return {i: name for i, name in db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))}


# --- the ratification record and the Board pack ---------------------------------------------------------


@dataclass
class DecisionRecord:
    """Everything a ratification record prints about one PDEG decision."""

    recommendation: Recommendation
    state_title: str
    state_clause: str
    raised_by: str
    source_dispute: str
    agenda: list[AgendaItem]
    boards: list[Ratification]
    reference: str
    audit: AuditMark | None
    #: The extract of PDEG's minutes for each item whose outcome is recorded (the Board reads it in its pack).
    extracts: list[Any] = field(default_factory=list)

    @property
    def board_clause(self) -> str:
        """10.6; a variation of the MoU needs every party's written agreement (17.2)."""
        return "17.2" if self.recommendation.is_variation else "10.6"


def decision_records(recommendations: Sequence[Recommendation], user: Any) -> list[DecisionRecord]:
    """Ratification records for ``recommendations`` (loaded with :func:`load_recommendations`), with
    their PDEG agenda items, source disputes and audit marks in a constant number of queries."""
    ids = [r.id for r in recommendations]
    agenda: dict[int, list[AgendaItem]] = defaultdict(list)
    if ids:
        for item in db.session.scalars(
            select(AgendaItem).where(AgendaItem.recommendation_id.in_(ids))
            .options(selectinload(AgendaItem.meeting).selectinload(PdegMeeting.attendance),
                     selectinload(AgendaItem.meeting).selectinload(PdegMeeting.declarations))
        ):
            agenda[item.recommendation_id].append(item)
    for items in agenda.values():
        items.sort(key=lambda i: (i.meeting.meeting_date, i.id))
    dispute_ids = {r.linked_dispute_id for r in recommendations if r.linked_dispute_id}
    disputes = {
        d.id: d
        for d in db.session.scalars(
            select(Dispute).where(Dispute.id.in_(dispute_ids))
            .options(selectinload(Dispute.parties), selectinload(Dispute.panel))
        )
    } if dispute_ids else {}
    objects: dict[int, list[tuple[str, str]]] = {}
    for rec in recommendations:
        objects[rec.id] = [(RECOMMENDATION, str(rec.id))]
        objects[rec.id] += [(RATIFICATION, str(r.id)) for r in rec.ratifications]
        objects[rec.id] += [(AGENDA_ITEM, str(i.id)) for i in agenda[rec.id]]
    marks = last_audit_events(o for found in objects.values() for o in found)
    records = []
    for rec in recommendations:
        title, clause = pdeg_queries.state_title(rec)
        source = disputes.get(rec.linked_dispute_id or 0)
        mark = newest(marks.get(o) for o in objects[rec.id])
        records.append(DecisionRecord(
            recommendation=rec,
            state_title=title,
            state_clause=clause,
            raised_by=pdeg_queries.raised_by_text(rec),
            source_dispute=f"{source.reference}: {source.title}" if source and source.can_view(user) else "",
            agenda=agenda[rec.id],
            boards=pdeg_queries.current_ratifications(rec),
            reference=record_reference(rec.reference, mark),
            audit=mark,
            extracts=[pdeg_queries.minute_extract(i) for i in agenda[rec.id] if i.outcome is not None],
        ))
    return records


def load_recommendations(ids: Sequence[int]) -> list[Recommendation]:
    """The recommendations with these ids, in this order, with their ratifications and parties."""
    found = {
        r.id: r
        for r in db.session.scalars(
            select(Recommendation)
            .where(Recommendation.id.in_(ids))
            .options(selectinload(Recommendation.ratifications), selectinload(Recommendation.affected))
        )
    }
    return [found[i] for i in ids if i in found]


@dataclass
class BoardPack:
    """Every decision awaiting one party's Board for one of its meetings, for its secretary."""

    organisation: Organisation
    decisions: list[DecisionRecord]
    reference: str
    produced_at: datetime
    audit: AuditMark | None
    meeting_date: date | None = None
    prepared_for: str = ""


def awaiting_for_meeting(organisation_id: int, meeting_date: date | None) -> Select[tuple[int]]:
    """The recommendations awaiting this party's Board that were agreed at PDEG by the end of
    ``meeting_date`` (all of them if no date), oldest first: what a pack for that meeting holds."""
    query = (
        select(Ratification.recommendation_id)
        .where(Ratification.organisation_id == organisation_id,
               Ratification.state.in_(pdeg_queries.undecided_ratification_states()))
        .order_by(Ratification.created_at, Ratification.id)
    )
    if meeting_date is not None:
        query = query.where(Ratification.created_at <= end_of_day(meeting_date))
    return query


def board_pack(organisation: Organisation, user: Any, meeting_date: date | None = None) -> BoardPack:
    """The decisions awaiting ``organisation``'s Board (for the meeting on ``meeting_date``, if given),
    oldest first (as on 'Awaiting our Board')."""
    ids = list(dict.fromkeys(db.session.scalars(awaiting_for_meeting(organisation.id, meeting_date))))
    decisions = decision_records(load_recommendations(ids), user)
    mark = newest(d.audit for d in decisions)
    return BoardPack(
        organisation=organisation,
        decisions=decisions,
        reference=record_reference(f"PACK-{organisation.code}", mark),
        produced_at=clock.now(),
        audit=mark,
        meeting_date=meeting_date,
        prepared_for=getattr(user, "name", ""),
    )
