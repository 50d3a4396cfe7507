"""Every model, imported in one place so Alembic and the tests see the whole schema."""

from govern.audit.models import AuditEvent, AuditHead
from govern.auth.models import LoginAttempt, StpLeaderAssignment, User, UserSession
from govern.cases.models import CaseEvent, DeadlineExtension
from govern.disputes.models import (
    Dispute,
    DisputeMaterial,
    DisputeParty,
    DisputePrinciple,
    PackAgreement,
    PanelMember,
    PartyResponse,
)
from govern.partnership.models import Mou, Organisation, Principle, SubordinateGroup
from govern.pdeg.models import Ratification, Recommendation, RecommendationParty

__all__ = [
    "AuditEvent",
    "AuditHead",
    "CaseEvent",
    "DeadlineExtension",
    "Dispute",
    "DisputeMaterial",
    "DisputeParty",
    "DisputePrinciple",
    "LoginAttempt",
    "Mou",
    "Organisation",
    "PackAgreement",
    "PanelMember",
    "PartyResponse",
    "Principle",
    "Ratification",
    "Recommendation",
    "RecommendationParty",
    "StpLeaderAssignment",
    "SubordinateGroup",
    "User",
    "UserSession",
]
