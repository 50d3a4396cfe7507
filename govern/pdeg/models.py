"""Recommendations to PDEG and the Board ratifications that follow an agreement (10.6).

PDEG "does not have any authority to make binding decisions on behalf of the Parties" (10.6):
a recommendation agreed at PDEG becomes a decision only when every affected party's Board has
ratified it; each Board's ratification is a case of its own.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govern.core.types import StateText, UTCDateTime, enum_column_type
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup
from govern.pdeg import states
from workflows import RaiserKind

if TYPE_CHECKING:
    from govern.auth.models import User


#: Who raised a recommendation (Schedule 4): the workflows' own vocabulary, stored as it is.
RaisedBy = RaiserKind


class Recommendation(db.Model):
    """A recommendation to PDEG, or a variation of the MoU (17.2)."""

    __tablename__ = "recommendation"
    __table_args__ = (
        Index("ix_recommendation_state", "state"),
        # The register's order (newest first), so a page is read from the index, not sorted.
        Index("ix_recommendation_created", "created_at", "id"),
    )

    @property
    def is_draft(self) -> bool:
        """Still being prepared by whoever raises it."""
        return self.state == states.being_prepared()

    @staticmethod
    def decided_states() -> frozenset[str]:
        """States of a decision PDEG has agreed (a dispute about a decision may name one of these)."""
        return states.decided()

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    decision_sought: Mapped[str] = mapped_column(Text, default="")
    raised_by_kind: Mapped[RaisedBy] = mapped_column(enum_column_type(RaisedBy, "raised_by"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("subordinate_group.id"), default=None, index=True)
    raising_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), default=None, index=True)
    raised_by_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    is_variation: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(StateText())
    amendment_version: Mapped[int] = mapped_column(default=1)
    amendment: Mapped[str] = mapped_column(Text, default="")
    agenda_meeting_date: Mapped[date | None] = mapped_column(Date, default=None)
    linked_dispute_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispute.id", use_alter=True), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    group: Mapped[SubordinateGroup | None] = relationship(lazy="joined")
    raising_organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    raised_by_user: Mapped[User] = relationship(lazy="raise")  # loaded explicitly where shown
    affected: Mapped[list[Organisation]] = relationship(
        secondary="recommendation_party", order_by="Organisation.name"
    )
    ratifications: Mapped[list[Ratification]] = relationship(
        back_populates="recommendation", order_by="Ratification.id"
    )

    @property
    def is_draft_from_dispute(self) -> bool:
        """A draft a dispute's outcome opened (Scenarios 2-4): the STP Leader's alone until he raises it."""
        return self.is_draft and self.linked_dispute_id is not None

    def can_view(self, user: Any) -> bool:
        """PDEG decisions are shared across the partnership: every signed-in person may see them.
        A draft is seen only by whoever raises it, the PDEG secretariat and the STP Leader; a draft
        born from a dispute only by the STP Leader (Schedule 3: disputes are private)."""
        if user is None or not user.is_authenticated:
            return False
        if not self.is_draft:
            return True
        if self.linked_dispute_id is not None:
            return bool(user.is_stp_leader)
        return self.raised_by_user_id == user.id or is_pdeg_secretariat(user) or bool(user.is_stp_leader)

    def can_view_papers(self, user: Any) -> bool:
        """Its supporting papers are as visible as it is, except to a member who declared a conflict on it once it
        is a Part Two item of a PDEG agenda: they do not see its Part Two papers (Schedule 4; the rule is
        :func:`govern.interests.queries.part_two_papers_withheld`)."""
        from govern.interests.queries import may_see_papers_of

        return self.can_view(user) and may_see_papers_of(user, self)

    def can_take_actions(self, user: Any) -> bool:
        """Who may act on it at all: whoever raised it (for the raising group or organisation),
        the PDEG secretariat and the STP Leader; the workflow decides which action, and when."""
        if not self.can_view(user):
            return False
        if self.is_draft_from_dispute:
            return bool(user.is_stp_leader)
        if is_pdeg_secretariat(user) or user.is_stp_leader or self.raised_by_user_id == user.id:
            return True
        if self.raised_by_kind is RaisedBy.SUBORDINATE_GROUP:
            return user.role.value == "group_chair" and user.group_id == self.group_id
        if self.raised_by_kind is RaisedBy.MEMBER_ORGANISATION:
            return bool(user.role.acts_for_organisation and user.organisation_id == self.raising_organisation_id)
        return False

    def can_write(self, user: Any) -> bool:
        """Who writes and changes its text until PDEG considers it (a draft, raised, on an agenda):
        whoever raised it, or for one the STP Leader raised (a draft born from a dispute), whoever holds the
        STP Leader assignment now."""
        if self.state not in states.before_pdeg() or not self.can_view(user):
            return False
        if self.raised_by_kind is RaisedBy.STP_LEADER:
            return bool(user.is_stp_leader)
        return self.raised_by_user_id == user.id

    def can_attach(self, user: Any) -> bool:
        """Supporting papers inform PDEG's decision (Schedule 4): those who act on the
        recommendation add them until PDEG has decided."""
        return self.can_take_actions(user) and self.state in states.before_pdeg()

    @staticmethod
    def can_be_raised_by(user: Any) -> bool:
        """Schedule 4: a subordinate group (its chair), a member organisation (its chief executive or
        deputy, while a party) or the STP Leader brings recommendations to PDEG."""
        if user is None or not user.is_authenticated:
            return False
        if user.role.value == "group_chair":
            return user.group_id is not None
        if user.role.acts_for_organisation:
            return bool(user.organisation.is_party)
        return bool(user.is_stp_leader)


class RecommendationParty(db.Model):
    """A party whose Board must ratify the recommendation once PDEG agrees it."""

    __tablename__ = "recommendation_party"

    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True, index=True)


class Ratification(db.Model):
    """One party's Board considering one version of a recommendation agreed at PDEG."""

    __tablename__ = "ratification"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "organisation_id", "version", name="uq_ratification_version"),
        # A Board's latest recorded and refused decisions, newest first (and any count by Board and state).
        Index("ix_ratification_org_state_updated", "organisation_id", "state", "updated_at", "id"),
        # The decisions awaiting a Board, oldest first, in order (its state read from the index).
        Index("ix_ratification_org_created", "organisation_id", "created_at", "id", "state"),
        # A page of decisions' current ratifications, each Board's state read from the index alone
        # (the register reads 700 a page).
        Index("ix_ratification_current", "recommendation_id", "version", "organisation_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    version: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(StateText())
    meeting_date: Mapped[date | None] = mapped_column(Date, default=None)
    minute_reference: Mapped[str] = mapped_column(String(120), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    recommendation: Mapped[Recommendation] = relationship(back_populates="ratifications")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def can_view(self, user: Any) -> bool:
        """A Board's decision on a PDEG decision is as visible as the decision itself."""
        return self.recommendation.can_view(user)

    @property
    def is_open(self) -> bool:
        """The Board still has this version to consider (one that did not ratify may reconsider)."""
        return self.state in states.board_open() and self.version == self.recommendation.amendment_version

    def can_record(self, user: Any) -> bool:
        """Only this party's Board secretary records its Board's decision (10.6)."""
        return bool(
            user is not None and user.is_authenticated and user.role.value == "board_secretary"
            and user.organisation_id == self.organisation_id
        )


class AgendaPart(StrEnum):
    """The two parts of a PDEG agenda, the two roles Schedule 4 gives PDEG: Part One, the "Programme Board"
    function for the system; Part Two, assurance and driving delivery (receiving and approving
    recommendations among it)."""

    ONE = "one"
    TWO = "two"

    @property
    def title(self) -> str:
        """As the agenda prints it."""
        return "Part One" if self is AgendaPart.ONE else "Part Two"

    @property
    def role(self) -> str:
        """What the part is for, in Schedule 4's words."""
        return ("the Programme Board function for the system" if self is AgendaPart.ONE
                else "assurance and driving delivery")


class AgendaOutcome(StrEnum):
    """What PDEG decided about one item on its agenda (10.6; 10.5 for a deferral)."""

    AGREED = "agreed"
    AMENDED_AND_AGREED = "amended_and_agreed"
    NOT_AGREED = "not_agreed"
    DEFERRED = "deferred"

    @property
    def title(self) -> str:
        """Plain-English name of the outcome."""
        return {
            "agreed": "Agreed",
            "amended_and_agreed": "Amended and agreed",
            "not_agreed": "Not agreed",
            "deferred": "Deferred",
        }[self.value]

    @property
    def is_agreement(self) -> bool:
        """PDEG agreed it (as it was, or amended): it goes to the Boards (10.6)."""
        return self in (AgendaOutcome.AGREED, AgendaOutcome.AMENDED_AND_AGREED)

    @property
    def trigger(self) -> str:
        """The recommendation's workflow trigger this outcome fires."""
        return {
            "agreed": "agree",
            "amended_and_agreed": "amend_and_agree",
            "not_agreed": "not_agree",
            "deferred": "defer",
        }[self.value]


class PdegMeeting(db.Model):
    """A meeting of the Partnership Delivery Executive Group (PDEG meets at least monthly, 10.5)."""

    __tablename__ = "pdeg_meeting"
    __table_args__ = (Index("ix_pdeg_meeting_date", "meeting_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_date: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    #: Where it meets, as the agenda prints it ("" until the secretariat says).
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="[AgendaItem.part, AgendaItem.position, AgendaItem.id]"
    )
    attendance: Mapped[list[MeetingAttendance]] = relationship(
        back_populates="meeting", order_by="MeetingAttendance.id"
    )
    declarations: Mapped[list[InterestDeclaration]] = relationship(
        back_populates="meeting", order_by="InterestDeclaration.id"
    )

    @property
    def is_cancelled(self) -> bool:
        """The meeting was cancelled (its reason is kept)."""
        return self.cancelled_at is not None

    @property
    def has_outcomes(self) -> bool:
        """PDEG's outcome is recorded for at least one item: the meeting's arrangements are then fixed."""
        return any(item.outcome is not None for item in self.items)

    def can_change(self, user: Any) -> bool:
        """The secretariat edits, cancels and reorders a meeting until its outcomes are recorded."""
        return self.can_manage(user) and not self.is_cancelled and not self.has_outcomes

    def declarations_at_start(self) -> list[InterestDeclaration]:
        """Interests declared at the start of the meeting (not on one item)."""
        return [d for d in self.declarations if d.agenda_item_id is None]

    def can_view(self, user: Any) -> bool:
        """A PDEG agenda and its outcomes are shared across the partnership."""
        return bool(user is not None and user.is_authenticated)

    def can_manage(self, user: Any) -> bool:
        """The PDEG secretariat runs the meetings: agenda and outcomes."""
        return is_pdeg_secretariat(user)

    def can_read_agenda(self, user: Any) -> bool:
        """The printed agenda, with its register extract, is PDEG's own: the secretariat, the STP Leader and each
        member party's representative and deputy (10.3; Schedule 4, Membership)."""
        if user is None or not user.is_authenticated:
            return False
        if is_pdeg_secretariat(user) or user.is_stp_leader:
            return True
        organisation = user.organisation if user.role.acts_for_organisation else None
        return bool(organisation is not None and organisation.pdeg_eligible
                    and (organisation.is_party or not organisation.withdrawn_at))

    def items_in(self, part: AgendaPart) -> list[AgendaItem]:
        """The agenda items of one part, in order."""
        return [item for item in self.items if item.part is part]


class AgendaItem(db.Model):
    """A recommendation on the agenda of a PDEG meeting, and what PDEG decided about it."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "recommendation_id", name="uq_agenda_item_recommendation"),
        Index("ix_agenda_item_recommendation", "recommendation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("pdeg_meeting.id"))
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"))
    part: Mapped[AgendaPart] = mapped_column(enum_column_type(AgendaPart, "agenda_part"))
    position: Mapped[int] = mapped_column(default=1)
    outcome: Mapped[AgendaOutcome | None] = mapped_column(
        enum_column_type(AgendaOutcome, "agenda_outcome"), default=None
    )
    minute_reference: Mapped[str] = mapped_column(String(120), default="")
    reasons: Mapped[str] = mapped_column(Text, default="")
    amendment: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None, index=True)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    meeting: Mapped[PdegMeeting] = relationship(back_populates="items")
    recommendation: Mapped[Recommendation] = relationship(lazy="joined")

    def can_record_outcome(self, user: Any) -> bool:
        """The PDEG secretariat records the outcome of an item."""
        return is_pdeg_secretariat(user)

    def declarations(self) -> list[InterestDeclaration]:
        """Interests declared on this item."""
        return [d for d in self.meeting.declarations if d.agenda_item_id == self.id]


class AttendanceStatus(StrEnum):
    """How a member party was at a PDEG meeting: its representative, its deputy (10.3), apologies, absent."""

    REPRESENTATIVE = "representative"
    DEPUTY = "deputy"
    APOLOGIES = "apologies"
    ABSENT = "absent"

    @property
    def title(self) -> str:
        """As the minutes print it."""
        return {"representative": "Present (representative)", "deputy": "Present (deputy, clause 10.3)",
                "apologies": "Apologies", "absent": "Absent"}[self.value]

    @property
    def present(self) -> bool:
        """The party was represented: by its representative or its deputy (10.3)."""
        return self in (AttendanceStatus.REPRESENTATIVE, AttendanceStatus.DEPUTY)


class MeetingAttendance(db.Model):
    """One member party's attendance at a PDEG meeting, and who attended for it."""

    __tablename__ = "pdeg_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "organisation_id", name="uq_pdeg_attendance_party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("pdeg_meeting.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    attendee: Mapped[str] = mapped_column(String(200), default="")

    meeting: Mapped[PdegMeeting] = relationship(back_populates="attendance")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def kind(self) -> AttendanceStatus:
        """The attendance as the app's own names."""
        return AttendanceStatus(self.status)


class InterestDeclaration(db.Model):
    """An interest declared at a PDEG meeting: at its start, or on one item."""

    __tablename__ = "pdeg_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("pdeg_meeting.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), default=None, index=True)
    person: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), default=None, index=True)
    interest: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    meeting: Mapped[PdegMeeting] = relationship(back_populates="declarations")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


def is_pdeg_secretariat(user: Any) -> bool:
    """The PDEG secretariat (programme office) runs PDEG's meetings."""
    return bool(user is not None and user.is_authenticated and user.role.value == "pdeg_secretariat")
