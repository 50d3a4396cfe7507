"""Snapshots of a case that the engine decides on, and the one fold that builds them from events.

:func:`fold` is how recorded events become facts: the app folds a case's stored events, and the
tests fold the events an outcome records, so both read the same history the same way.

Facts are plain frozen values (ints, strs, dates, tuples, frozensets, read-only mappings) so the
workflows never touch the database.  ``events`` maps an event name to the aware datetime of its
latest occurrence; ``extensions`` maps a step key to the STP Leader's extension of its deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

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
    #: At the PDEG meeting whose agenda it is on (None when no meeting is on record): whether its
    #: attendance is recorded, and how many member parties were present (representative or deputy, 10.3).
    meeting_attendance_taken: bool | None = None
    meeting_parties_present: int = 0
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
    #: The day PDEG agreed the version this Board considers (its meeting's date), if known.
    agreed_on: date | None = None


Facts = DisputeFacts | RecommendationFacts | RatificationFacts


class Event(Protocol):
    """A recorded event as the fold reads it: its name, its moment and its data."""

    name: str
    at: datetime
    data: Mapping[str, object]


def _int(value: object) -> int:
    return int(str(value))


def _fold_dispute(facts: DisputeFacts, events: Iterable[Event]) -> DisputeFacts:
    pack, responses = dict(facts.pack_agreements), dict(facts.responses)
    panel, route, authority = list(facts.panel), facts.panel_route, facts.external_authority
    called, invited, arranged = facts.called, facts.invited, facts.hearing_date
    for event in events:
        data = event.data
        match event.name:
            case "pack_agreed":
                pack[_int(data["organisation_id"])] = str(data["digest"])
            case "panel_nominated":
                panel = [PanelMember(_int(o)) for o in data["organisation_ids"]]  # type: ignore[attr-defined]
                route = PanelRoute(str(data.get("route") or PanelRoute.INTERNAL))
                authority = str(data["external_authority"]) if data.get("external_authority") else None
            case "interest_declared":
                status = DeclarationStatus.CONFLICT if data["conflict"] else DeclarationStatus.NO_CONFLICT
                panel = [replace(m, declaration=status) if m.organisation_id == data["organisation_id"] else m
                         for m in panel]
            case "panel_member_replaced":
                panel = [m for m in panel if m.organisation_id != data["replace"]]
                panel.append(PanelMember(_int(data["replacement"])))
            case "parties_called":
                called = frozenset(_int(i) for i in data.get("called") or ())  # type: ignore[attr-defined]
                invited = frozenset(_int(i) for i in data.get("invited") or ())  # type: ignore[attr-defined]
            case "hearing_scheduled":
                day = data.get("hearing_date")
                arranged = date.fromisoformat(str(day)[:10]) if day else None
            case "outcome_accepted" | "outcome_withdrew":
                responses[_int(data["organisation_id"])] = ResponseKind(str(data["response"]))
    return replace(facts, pack_agreements=pack, panel=tuple(panel), panel_route=route, external_authority=authority,
                   responses=responses, called=called, invited=invited, hearing_date=arranged)


def fold(facts: Facts, events: Iterable[Event]) -> Facts:
    """``facts`` as they are after ``events`` (in the order they were recorded).

    Each event's latest moment goes into ``events`` (deadlines run from them) and each extension into
    ``extensions``; a dispute's panel, declarations, pack agreements, calls and responses come from its events;
    a recommendation's agenda date from being placed on an agenda.
    """
    events = list(events)
    moments, extensions = dict(facts.events), dict(facts.extensions)
    for event in events:
        known = moments.get(event.name)
        if known is None or event.at >= known:
            moments[event.name] = event.at  # the latest occurrence of each event counts
        if event.name == "deadline_extended":
            extensions[str(event.data["step"])] = Extension(date.fromisoformat(str(event.data["due_date"])[:10]),
                                                            str(event.data["reason"]))
    facts = replace(facts, events=moments, extensions=extensions)
    if isinstance(facts, DisputeFacts):
        return _fold_dispute(facts, events)
    if isinstance(facts, RecommendationFacts):
        for event in events:
            if event.name == "placed_on_agenda":
                facts = replace(facts, agenda_meeting_date=date.fromisoformat(str(event.data["meeting_date"])[:10]))
            elif event.name == "taken_off_agenda":
                facts = replace(facts, agenda_meeting_date=None)
    return facts
