"""From rows to the workflows' view of a recommendation and of one Board's ratification."""

from __future__ import annotations

from typing import Any

from govern.cases.models import CaseKind
from govern.cases.runner import recorded_events
from govern.disputes.facts import partnership_standing
from govern.pdeg import states
from govern.pdeg.models import Ratification, Recommendation
from workflows import Actor, CaseRole, RaiserKind, RatificationFacts, RecommendationFacts
from workflows import SubordinateGroup as WfGroup
from workflows.facts import fold

GROUPS = {
    "FWG": WfGroup.FINANCE_WORKING_GROUP,
    "CC": WfGroup.CLINICAL_CABINET,
    "SPDG": WfGroup.SYSTEM_PLAN_DELIVERY_GROUP,
    "SEG": WfGroup.SYSTEM_EXECUTIVE_GROUP,
    "SWOD": WfGroup.SYSTEM_WORKFORCE_AND_OD_GROUP,
}



def recommendation_facts(recommendation: Recommendation) -> RecommendationFacts:
    """A snapshot of the recommendation for the engine."""
    current, withdrawn = partnership_standing()
    ratified = states.board_ratified()
    ratified_by = frozenset(
        r.organisation_id
        for r in recommendation.ratifications
        if r.version == recommendation.amendment_version and r.state in ratified
    )
    return fold(RecommendationFacts(
        process_key="recommendation",
        state=str(recommendation.state),
        reference=recommendation.reference,
        raised_by=RaiserKind(recommendation.raised_by_kind.value),
        information=recommendation.summary,
        affected_parties=frozenset(o.id for o in recommendation.affected),
        current_parties=current,
        subordinate_group=GROUPS.get(recommendation.group.code) if recommendation.group else None,
        is_variation=recommendation.is_variation,
        withdrawn_organisations=withdrawn,
        version=recommendation.amendment_version,
        ratified_by=ratified_by,
        linked_dispute_id=recommendation.linked_dispute_id,
        **_meeting_attendance(recommendation),
    ), recorded_events(CaseKind.RECOMMENDATION, recommendation.id))  # type: ignore[return-value]


def _meeting_attendance(recommendation: Recommendation) -> dict[str, Any]:
    """The attendance at the meeting whose agenda holds the recommendation now (its item without an
    outcome), for the quorum; nothing when it is on no meeting's agenda on record."""
    from sqlalchemy import select

    from govern.extensions import db
    from govern.pdeg.models import AgendaItem

    if recommendation.id is None:
        return {}
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.recommendation_id == recommendation.id,
                                                      AgendaItem.outcome.is_(None)))
    if item is None:
        return {}
    meeting = item.meeting
    return {
        "meeting_attendance_taken": meeting.attendance_recorded_at is not None,
        "meeting_parties_present": sum(1 for a in meeting.attendance if a.kind.present),
    }


def ratification_facts(ratification: Ratification) -> RatificationFacts:
    """A snapshot of one Board's ratification for the engine."""
    _, withdrawn = partnership_standing()
    return fold(RatificationFacts(
        process_key="ratification",
        state=str(ratification.state),
        organisation_id=ratification.organisation_id,
        recommendation_reference=ratification.recommendation.reference,
        version=ratification.version,
        current_version=ratification.recommendation.amendment_version,
        withdrawn_organisations=withdrawn,
        agreed_on=ratification.recommendation.agenda_meeting_date,
    ), recorded_events(CaseKind.RATIFICATION, ratification.id))  # type: ignore[return-value]


def recommendation_actor(recommendation: Recommendation, user: Any) -> Actor:
    """The user's roles relative to a recommendation."""
    roles: set[CaseRole] = set()
    if user.is_stp_leader:
        roles.add(CaseRole.STP_LEADER)
    if user.role.value == "pdeg_secretariat":
        roles.add(CaseRole.PDEG_SECRETARIAT)
    if user.is_administrator:
        roles.add(CaseRole.ADMINISTRATOR)
    if recommendation.raised_by_user_id == user.id or _raises_for(recommendation, user):
        roles.add(CaseRole.RAISER)
    return Actor(user_id=user.id, organisation_id=user.organisation_id, roles=frozenset(roles))


def _raises_for(recommendation: Recommendation, user: Any) -> bool:
    """The chair of the raising group, an officer of the raising organisation, or the STP Leader."""
    from govern.pdeg.models import RaisedBy

    match recommendation.raised_by_kind:
        case RaisedBy.SUBORDINATE_GROUP:
            return user.role.value == "group_chair" and user.group_id == recommendation.group_id
        case RaisedBy.MEMBER_ORGANISATION:
            return user.role.acts_for_organisation and user.organisation_id == recommendation.raising_organisation_id
        case RaisedBy.STP_LEADER:
            return bool(user.is_stp_leader)
    return False


def ratification_actor(ratification: Ratification, user: Any) -> Actor:
    """The user's roles relative to one Board's ratification: its secretary records it."""
    roles: set[CaseRole] = set()
    if user.role.value == "board_secretary" and user.organisation_id == ratification.organisation_id:
        roles.add(CaseRole.BOARD_SECRETARY)
    return Actor(user_id=user.id, organisation_id=user.organisation_id, roles=frozenset(roles))
