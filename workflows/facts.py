"""Snapshots of a case that the app builds from its database rows and hands to the engine.

Facts are plain frozen values (ints, strs, dates, tuples, frozensets, read-only mappings) so the
workflows never touch the database.  ``events`` maps an event name to the aware datetime of its
latest occurrence; ``extensions`` maps a step key to the STP Leader's extension of its deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from .roles import CaseRole


@dataclass(frozen=True)
class Actor:
    """The user trying to act, the organisation they act for, and their roles relative to the case."""

    user_id: int
    organisation_id: int | None
    roles: frozenset[CaseRole]


@dataclass(frozen=True)
class Extension:
    """A deadline moved by the STP Leader: the new due date and the reason given."""

    due_date: date
    reason: str


class DeclarationStatus(StrEnum):
    """A panel member's declaration of interest (16.2: the panel must be neutral)."""

    PENDING = "pending"
    NO_CONFLICT = "no_conflict"
    CONFLICT = "conflict"


class PanelRoute(StrEnum):
    """Where the panel comes from: the parties (16.2) or external expertise (Schedule 6)."""

    INTERNAL = "internal"
    EXTERNAL = "external"


class ResponseKind(StrEnum):
    """A party's response to the outcome: there is no appeal (Schedule 8, final step; clause 15)."""

    ACCEPTED = "accepted"
    WITHDREW = "withdrew"


class RaiserKind(StrEnum):
    """Who raised a recommendation to PDEG (clause 10, Schedule 4)."""

    SUBORDINATE_GROUP = "subordinate_group"
    MEMBER_ORGANISATION = "member_organisation"
    STP_LEADER = "stp_leader"


class SubordinateGroup(StrEnum):
    """PDEG's subordinate groups (Schedule 4, "Subordinate Groups")."""

    FINANCE_WORKING_GROUP = "finance_working_group"
    CLINICAL_CABINET = "clinical_cabinet"
    SYSTEM_PLAN_DELIVERY_GROUP = "system_plan_delivery_group"
    SYSTEM_EXECUTIVE_GROUP = "system_executive_group"
    SYSTEM_WORKFORCE_AND_OD_GROUP = "system_workforce_and_od_group"


@dataclass(frozen=True)
class DisputeParty:
    """An organisation that is party to a dispute; ``filed`` marks the one that notified it and
    ``respondent`` one named at filing as the other side (it writes no joint pack, but takes part)."""

    organisation_id: int
    filed: bool = False
    respondent: bool = False


@dataclass(frozen=True)
class PanelMember:
    """An organisation nominated to the panel and the state of its declaration of interest."""

    organisation_id: int
    declaration: DeclarationStatus = DeclarationStatus.PENDING


@dataclass(frozen=True)
class DisputeFacts:
    """A dispute (Schedule 8 scenario or bespoke process) as the engine needs to see it.

    ``current_parties``: organisations that are parties to the MoU now (signed, not withdrawn); panels
    are drawn from them (16.2).  ``written_material``: heading key -> text, including per-party keys
    such as ``position_12`` (see ``Heading.field_key``) and ``decision_reference``.
    ``pack_agreements``: Scenario 1 only, organisation id -> ``pack_digest`` of the pack it agreed.
    """

    process_key: str
    state: str
    parties: tuple[DisputeParty, ...]
    current_parties: frozenset[int] = frozenset()
    withdrawn_organisations: frozenset[int] = frozenset()
    written_material: Mapping[str, str] = field(default_factory=dict)
    principles_cited: frozenset[str] = frozenset()
    pack_agreements: Mapping[int, str] = field(default_factory=dict)
    panel: tuple[PanelMember, ...] = ()
    panel_route: PanelRoute = PanelRoute.INTERNAL
    external_authority: str | None = None
    responses: Mapping[int, ResponseKind] = field(default_factory=dict)
    events: Mapping[str, datetime] = field(default_factory=dict)
    extensions: Mapping[str, Extension] = field(default_factory=dict)
    #: The parties the panel last called for clarification, and those invited to be present.
    called: frozenset[int] = frozenset()
    invited: frozenset[int] = frozenset()
    #: The day the panel last arranged to convene (Scenario 1, step three), if it arranged one.
    hearing_date: date | None = None

    @property
    def party_ids(self) -> frozenset[int]:
        """Organisation ids of every party to the dispute."""
        return frozenset(p.organisation_id for p in self.parties)

    @property
    def panel_ids(self) -> frozenset[int]:
        """Organisation ids on the panel."""
        return frozenset(m.organisation_id for m in self.panel)


@dataclass(frozen=True)
class RecommendationFacts:
    """A recommendation to PDEG (clause 10, Schedule 4), or a variation of the MoU (17.2).

    ``affected_parties``: the parties whose Boards must ratify.  ``version`` goes up by one on every
    amendment; ``ratified_by`` holds the parties whose Boards ratified the current version.
    """

    process_key: str
    state: str
    reference: str
    raised_by: RaiserKind
    information: str
    affected_parties: frozenset[int]
    current_parties: frozenset[int]
    subordinate_group: SubordinateGroup | None = None
    is_variation: bool = False
    withdrawn_organisations: frozenset[int] = frozenset()
    version: int = 1
    ratified_by: frozenset[int] = frozenset()
    agenda_meeting_date: date | None = None
    linked_dispute_id: int | None = None
    events: Mapping[str, datetime] = field(default_factory=dict)
    extensions: Mapping[str, Extension] = field(default_factory=dict)


@dataclass(frozen=True)
class RatificationFacts:
    """One party's Board considering one version of a recommendation agreed at PDEG (10.6).

    ``version`` is the recommendation version this ratification is for; ``current_version`` is the
    recommendation's version now (an amendment makes this ratification superseded).
    """

    process_key: str
    state: str
    organisation_id: int
    recommendation_reference: str
    version: int = 1
    current_version: int = 1
    withdrawn_organisations: frozenset[int] = frozenset()
    events: Mapping[str, datetime] = field(default_factory=dict)
    extensions: Mapping[str, Extension] = field(default_factory=dict)


Facts = DisputeFacts | RecommendationFacts | RatificationFacts
