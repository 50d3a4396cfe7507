"""A dispute and what it holds: parties, written material, principles cited, panel, responses.

The state column holds the workflows' state name; the rows below are the facts the engine reads
(see :func:`govern.disputes.facts.dispute_facts`). Privacy (Schedule 3 behaviours: "professionally
and privately"): only the parties, the panel, the STP Leader and administrators may see a dispute.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db
from govern.partnership.models import Organisation, Principle
from workflows import DeclarationStatus, PanelRoute, ResponseKind
from workflows.definitions import ProcessDefinition

if TYPE_CHECKING:
    from govern.auth.models import User


# The workflows' own vocabularies, stored as they are (one definition, no translation).
PanelRouteColumn = PanelRoute
Declaration = DeclarationStatus
Response = ResponseKind


class Dispute(db.Model):
    """One dispute. ``version`` is checked on every change so two conflicting actions cannot both win."""

    __tablename__ = "dispute"
    __table_args__ = (
        Index("ix_dispute_state", "state"),
        # The dispute lists' orders, so a page is read from an index however many disputes there are.
        Index("ix_dispute_next_due", "next_due_at", "id"),
        Index("ix_dispute_created", "created_at", "id"),
        # Open disputes and those overdue among them, counted from this index alone (the lists'
        # default filter counts 9,000 open disputes of 10,000 without reading the table).
        Index("ix_dispute_open_due", "closed_at", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    process_key: Mapped[str] = mapped_column(String(60))
    #: The version of the agreement the dispute started under (its rules for as long as it runs).
    agreement_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_version.id"), default=None, index=True
    )
    #: A process set out for this dispute alone (16.2): a process document in the agreement file's format.
    bespoke_spec: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    title: Mapped[str] = mapped_column(String(200))
    #: A state of the dispute's process, as the agreement names it (checked by the engine, not the schema:
    #: each agreement has its own states).
    state: Mapped[str] = mapped_column(String(60))
    #: When the process reached one of its terminal states (None while it runs).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    version: Mapped[int] = mapped_column(default=1)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    negotiation_account: Mapped[str] = mapped_column(Text, default="")
    panel_route: Mapped[PanelRouteColumn] = mapped_column(
        enum_column_type(PanelRouteColumn, "panel_route"), default=PanelRouteColumn.INTERNAL
    )
    external_authority: Mapped[str | None] = mapped_column(Text, default=None)
    decision_recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendation.id"), default=None, index=True
    )
    # The soonest due moment of its open steps (None when nothing is waiting): a copy of
    # ``case_deadline`` kept by ``govern.deadlines.tracking.refresh`` so lists sort and filter by it.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __mapper_args__ = {"version_id_col": version}

    parties: Mapped[list[DisputeParty]] = relationship(
        back_populates="dispute", cascade="all, delete-orphan", order_by="DisputeParty.id"
    )
    material: Mapped[list[DisputeMaterial]] = relationship(cascade="all, delete-orphan")
    principles: Mapped[list[Principle]] = relationship(secondary="dispute_principle", order_by="Principle.id")
    pack_agreements: Mapped[list[PackAgreement]] = relationship(cascade="all, delete-orphan")
    panel: Mapped[list[PanelMember]] = relationship(
        cascade="all, delete-orphan", order_by="PanelMember.id"
    )
    responses: Mapped[list[PartyResponse]] = relationship(cascade="all, delete-orphan")
    filed_by: Mapped[User] = relationship()

    @property
    def party_ids(self) -> set[int]:
        """Organisation ids of the parties (respondents included: they are parties too)."""
        return {p.organisation_id for p in self.parties}

    @property
    def respondents(self) -> list[DisputeParty]:
        """The parties on the other side, named at filing."""
        return [p for p in self.parties if p.respondent]

    @property
    def definition(self) -> ProcessDefinition:
        """The dispute's process, from the agreement version it started under."""
        from govern.agreements import service

        return service.definition(self.process_key, self.agreement_version_id, self.bespoke_spec)

    @property
    def is_open(self) -> bool:
        """The process has not reached a terminal state."""
        return self.closed_at is None

    @property
    def active_panel(self) -> list[PanelMember]:
        """Panel members who have not been replaced."""
        return [m for m in self.panel if m.active]

    def can_view(self, user: Any) -> bool:
        """The parties' officers, the panel organisations' officers, the STP Leader and administrators.

        A party (and a panel organisation) acts through its chief executive and the deputy it
        nominates (10.3): both see what it sees. A Board secretary sees a dispute only where the
        agreement gives the Board a part in its process (:func:`board_has_part`; in Devon, never).
        """
        if user is None or not user.is_authenticated:
            return False
        if user.is_administrator or user.is_stp_leader:
            return True
        org = user.organisation_id
        if user.role.acts_for_organisation:
            return org in self.party_ids or any(m.organisation_id == org for m in self.active_panel)
        if user.role.value == "board_secretary":
            return org in self.party_ids and board_has_part(self.process_key)
        return False

    def can_view_papers(self, user: Any) -> bool:
        """The papers: parties and the STP Lead always; the panel once they are released to it, which
        happens only after every member has declared no conflict of interest."""
        if not self.can_view(user):
            return False
        if user.is_administrator or user.is_stp_leader or user.organisation_id in self.party_ids:
            return True
        # The panel sees the papers once they are released to it (after every member declared no conflict).
        return self.state in self.definition.states_after("release_papers")


    def can_set_out_process(self, user: Any) -> bool:
        """The STP Leader sets out a bespoke process before any step after the notification (16.2)."""
        from govern.agreements.service import BESPOKE

        return bool(user.is_stp_leader and self.process_key == BESPOKE and self.state == self.definition.filed_state)

    def can_attach(self, user: Any) -> bool:
        """Supporting papers come from the parties (while the dispute is open) and the STP Lead."""
        if not self.is_open or not self.can_view_papers(user):
            return False
        return bool(user.is_stp_leader or (user.role.acts_for_organisation and user.organisation_id in self.party_ids))


def board_has_part(process_key: str) -> bool:
    """Does the agreement give a party's Board (its secretary) a step in this dispute process? Read
    from the declared process, so an agreement whose Boards take part needs no change here. No
    Schedule 8 scenario of the Devon MoU does, and a bespoke process (16.2) is built from the same
    kinds of step, so there a Board secretary never sees a dispute (Schedule 3: privately)."""
    return process_key in board_part_processes()


def board_part_processes() -> frozenset[str]:
    """The agreement's dispute processes in which the Board secretary acts (none in Devon's MoU)."""
    from govern.agreements import service
    from workflows import CaseRole

    return frozenset(
        d.key for d in service.current().dispute_processes
        if any(CaseRole.BOARD_SECRETARY in t.roles for t in d.transitions)
    )


class DisputeParty(db.Model):
    """An organisation that is party to a dispute; ``filed`` marks the one that notified it, and
    ``respondent`` one named at filing as the other side (Scenario 4's organisation whose practice
    changed, the other side of a 16.2 dispute): a party all the same, never on the panel."""

    __tablename__ = "dispute_party"
    __table_args__ = (
        UniqueConstraint("dispute_id", "organisation_id", name="uq_dispute_party_org"),
        # An organisation's disputes read from the index alone (its dispute list, its steps to do).
        Index("ix_dispute_party_org_filed_dispute", "organisation_id", "filed", "dispute_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    filed: Mapped[bool] = mapped_column(default=False)
    respondent: Mapped[bool] = mapped_column(default=False)

    dispute: Mapped[Dispute] = relationship(back_populates="parties")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class DisputeMaterial(db.Model):
    """The text under one heading of the written material (saved as a draft as the user writes)."""

    __tablename__ = "dispute_material"
    __table_args__ = (UniqueConstraint("dispute_id", "key", name="uq_dispute_material_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"))
    key: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DisputePrinciple(db.Model):
    """A Schedule 3 principle the written material cites."""

    __tablename__ = "dispute_principle"

    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), primary_key=True)
    principle_id: Mapped[int] = mapped_column(ForeignKey("principle.id"), primary_key=True, index=True)


class PackAgreement(db.Model):
    """Scenario 1: a party agreed the joint pack as it stood (``digest`` of its text)."""

    __tablename__ = "pack_agreement"
    __table_args__ = (UniqueConstraint("dispute_id", "organisation_id", name="uq_pack_agreement_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    agreed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PanelMember(db.Model):
    """An organisation nominated to the panel; its CEO (or regulator equivalent) sits on it."""

    __tablename__ = "panel_member"
    # The disputes an organisation sits on the panel of, read from the index alone.
    __table_args__ = (Index("ix_panel_member_org_active_dispute", "organisation_id", "active", "dispute_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    declaration: Mapped[Declaration] = mapped_column(
        enum_column_type(Declaration, "declaration"), default=Declaration.PENDING
    )
    declaration_note: Mapped[str] = mapped_column(Text, default="")
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None, index=True)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    active: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class PartyResponse(db.Model):
    """A party's response to the outcome."""

    __tablename__ = "party_response"
    __table_args__ = (UniqueConstraint("dispute_id", "organisation_id", name="uq_party_response_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    response: Mapped[Response] = mapped_column(enum_column_type(Response, "party_response_kind"))
    responded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime())
