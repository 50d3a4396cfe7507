"""What the JSON API takes and gives, as pydantic models: the OpenAPI document is generated from these
and from the views that declare them (``govern.api.spec``), never written beside them by hand."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from govern.pdeg import queries

#: Ids fit a 32-bit column on every backend.
Id = Field(ge=1, le=2**31 - 1)


class Problem(BaseModel):
    """A problem detail (RFC 9457): why the request was refused, in the words the pages use, with the
    clause of the agreement behind a rule where there is one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    clause: str | None = None
    field: str | None = None
    problems: list[ProblemItem] = Field(default_factory=list)


class ProblemItem(BaseModel):
    """One rule not met."""

    message: str
    clause: str | None = None
    field: str | None = None


class Page(BaseModel):
    """Every list is a page: its rows, how many match in all, and the cursor of the next page (pass it
    back as ``after``; none on the last page)."""

    total: int
    next_cursor: str | None = None


class PageQuery(BaseModel):
    """Where a page starts: the ``next_cursor`` of the page before (none for the first page)."""

    model_config = ConfigDict(extra="ignore")
    after: str | None = Field(None, max_length=500)


# --- decisions and the register -------------------------------------------------------------------


class BoardOutcome(BaseModel):
    """One Board's consideration of a decision (10.6)."""

    ratification_id: int
    organisation_code: str
    organisation: str
    board: str
    state: str
    status: str
    meeting_date: date | None = None
    minute_reference: str = ""
    version: int = Field(description="Send it back as expected_version when recording the Board's decision.")


class RegisterRow(BaseModel):
    """A decision in the ratification register with each Board's status."""

    id: int
    reference: str
    title: str
    state: str
    status: str
    clause: str
    raised_by: str
    is_variation: bool
    pdeg_meeting_date: date | None = None
    boards: list[BoardOutcome]


class RegisterPage(Page):
    """A page of the ratification register, newest first."""

    items: list[RegisterRow]


#: The register's status filter: a decision's state, or a Board's ('board:<state>'), as its page offers.
RegisterStatus = StrEnum("RegisterStatus", {value.replace(":", "_") or "any": value  # type: ignore[misc]
                                            for value, _ in queries.register_status_choices() if value})


class RegisterQuery(PageQuery):
    """The register's filters, as on its page."""

    status: RegisterStatus | None = Field(None, description="A decision's state, or a Board's ('board:<state>').")
    party: int | None = Field(None, ge=1, le=2**31 - 1, description="An organisation id.")
    group: int | None = Field(None, ge=1, le=2**31 - 1, description="A subordinate group id.")


class JourneyDetail(BaseModel):
    """A detail recorded with a step (meeting date, minute reference, reasons...)."""

    label: str
    value: str


class JourneyStep(BaseModel):
    """One thing that happened to a decision, with its clause."""

    title: str
    clause: str
    at: datetime
    who: str = ""
    details: list[JourneyDetail]


class Decision(BaseModel):
    """A recommendation or decision, with each Board's outcome and its journey."""

    id: int
    reference: str
    title: str
    summary: str
    decision_sought: str
    state: str
    status: str
    clause: str
    raised_by: str
    is_variation: bool
    amendment_version: int
    pdeg_meeting_date: date | None = None
    created_at: datetime
    boards: list[BoardOutcome]
    journey: list[JourneyStep]
    record_url: str


class Ratification(BoardOutcome):
    """One Board's consideration of a decision, and whether the token's owner may record it."""

    decision_id: int
    decision_reference: str
    decision_title: str
    is_open: bool
    may_record: bool


class BoardDecision(BaseModel):
    """What the Board decided (10.6), as its secretary records it on the ratification page."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["ratify", "not_ratify", "defer"]
    meeting_date: date | None = Field(None, description="The Board meeting's date.")
    minute_reference: str = Field("", max_length=120)
    reasons: str = Field("", max_length=10000, description="The reasons the Board gave (not ratified).")
    next_meeting_date: date | None = Field(None, description="When the Board will consider it again (deferred).")
    expected_version: int | None = Field(None, ge=0, le=2**31 - 1, description="The ratification's version as "
                                         "read: if it has changed since, the answer is 409 and nothing is recorded.")


class AwaitingPage(Page):
    """What the secretary's Board must consider, oldest first."""

    items: list[Ratification]


# --- PDEG meetings -----------------------------------------------------------------------------------


class AgendaItem(BaseModel):
    """An item of a PDEG meeting's agenda and PDEG's outcome."""

    decision_id: int
    decision_reference: str
    decision_title: str
    part: str
    outcome: str | None = None
    outcome_title: str | None = None
    minute_reference: str = ""
    reasons: str = ""


class Meeting(BaseModel):
    """A PDEG meeting (10.5)."""

    id: int
    meeting_date: date
    title: str


class MeetingDetail(Meeting):
    """A PDEG meeting with its agenda and outcomes."""

    items: list[AgendaItem]


class MeetingPage(Page):
    """A page of PDEG meetings."""

    items: list[Meeting]


class MeetingQuery(PageQuery):
    """Past meetings (the most recent first) or upcoming ones (the soonest first)."""

    when: Literal["past", "upcoming"] = "past"


# --- disputes ----------------------------------------------------------------------------------------


class Step(BaseModel):
    """A step of a dispute: who acts, by when, and where it stands against its deadline."""

    step: str
    title: str
    clause: str
    roles: list[str]
    status: str
    due_at: datetime | None = None
    due_date: date | None = None
    done_at: datetime | None = None
    deadline: str | None = None


class DisputeRow(BaseModel):
    """A dispute in a list, with what is waiting."""

    id: int
    reference: str
    title: str
    process: str
    state: str
    status: str
    created_at: datetime
    closed_at: datetime | None = None
    next_due_at: datetime | None = None
    overdue: bool
    next_steps: list[Step]


class DisputePage(Page):
    """A page of the disputes the token's owner may see."""

    items: list[DisputeRow]


class DisputeQuery(PageQuery):
    """The dispute list's filters and orders, as on its page."""

    state: str = Field("open", max_length=60, description="'open', 'any', or a state of a process.")
    scenario: str = Field("", max_length=60, description="A process key.")
    party: int | None = Field(None, ge=1, le=2**31 - 1)
    due: Literal["", "overdue", "week"] = ""
    sort: Literal["due", "newest"] = "due"


class DisputeParty(BaseModel):
    """An organisation party to a dispute."""

    organisation_code: str
    organisation: str
    filed: bool
    respondent: bool


class Hearing(BaseModel):
    """The panel's hearing, as far as it has gone: the parties called, the day arranged, the day it convened."""

    called_at: datetime | None = None
    arranged_for: date | None = None
    arrangements: str = ""
    held_at: datetime | None = None
    present: list[str] = Field(default_factory=list, description="The parties present, by name.")
    absence_reason: str = Field("", description="Why a party called or invited was not present.")
    date_reason: str = Field("", description="Why the panel convened on another day than arranged, or late.")


class PanelDecision(BaseModel):
    """The panel's decision (a dispute between parties that the panel decides), with its reasons."""

    decided_at: datetime
    decision: str
    reasons: str
    delay_reason: str = ""


class PanelRecommendation(BaseModel):
    """The panel's recommendation to the STP Leader, with its reasons."""

    made_at: datetime
    recommendation: str
    reasons: str


class Proposal(BaseModel):
    """The STP Leader's proposal, with the reasons why; ``outcome`` names the kind of outcome where the
    process offers a choice (its title as the page shows it in ``outcome_title``)."""

    proposed_at: datetime
    outcome: str | None = None
    outcome_title: str = ""
    proposal: str
    reasons: str


class OutcomeResponse(BaseModel):
    """A party's response to the outcome: there is no appeal; it accepts or gives notice of withdrawal
    (clause 15)."""

    organisation_code: str
    organisation: str
    response: Literal["accepted", "withdrew"]
    title: str = Field(description="As the page says it.")
    responded_at: datetime


class DisputeOutcome(BaseModel):
    """The hearing, the panel's decision or recommendation, the STP Leader's proposal (each with its
    reasons) and the parties' responses, as the dispute's page shows them."""

    hearing: Hearing | None = None
    panel_decision: PanelDecision | None = None
    panel_recommendation: PanelRecommendation | None = None
    proposal: Proposal | None = None
    responses: list[OutcomeResponse] = Field(default_factory=list)


class Dispute(BaseModel):
    """A dispute: where it stands, its parties and panel, every step with its clause and due date, and
    its outcome once there is one."""

    id: int
    reference: str
    title: str
    process: str
    state: str
    status: str
    clause: str
    version: int
    created_at: datetime
    closed_at: datetime | None = None
    parties: list[DisputeParty]
    panel: list[str]
    steps: list[Step]
    next_steps: list[Step]
    record_url: str
    outcome: DisputeOutcome | None = None


# --- the person's own ------------------------------------------------------------------------------


class Me(BaseModel):
    """Who the token acts as, and what it may do."""

    name: str
    email: str
    role: str
    organisation_code: str
    organisation: str
    token_scope: str
    token_expires_at: datetime


class TodoItem(BaseModel):
    """A step on which the token's owner must act, soonest first."""

    case_kind: str
    case_id: int
    reference: str
    title: str
    clause: str
    due_at: datetime | None = None
    overdue: bool


class TodoPage(Page):
    """A page of the owner's to-do list."""

    items: list[TodoItem]


class Notice(BaseModel):
    """A notice to the token's owner."""

    id: int
    subject: str
    body: str
    case_kind: str | None = None
    case_id: int | None = None
    link: str = ""
    created_at: datetime
    read: bool


class NoticePage(Page):
    """A page of the owner's notices, newest first."""

    items: list[Notice]


Problem.model_rebuild()
