"""Every model, imported in one place so Alembic and the tests see the whole schema."""

from govern.actions.models import ActionReminder, FollowUp, Review
from govern.agreements.models import AgreementVersion
from govern.api.models import ApiRateWindow, ApiToken
from govern.attachments.models import Attachment
from govern.audit.models import AuditEvent, AuditHead
from govern.auth.models import (
    AccountToken,
    LoginAttempt,
    RecoveryCode,
    RememberedDevice,
    StpLeaderAssignment,
    User,
    UserSession,
)
from govern.boards.models import BoardChaser, BoardMeeting, RatificationCertificate
from govern.cases.models import CaseEvent, DeadlineExtension
from govern.deadlines.models import CalendarFeed, CaseDeadline, Reminder
from govern.disputes.models import (
    Dispute,
    DisputeMaterial,
    DisputeParty,
    DisputePrinciple,
    PackAgreement,
    PanelMember,
    PartyResponse,
)
from govern.interests.models import InterestReminder, RegisteredInterest
from govern.notify.models import Notice, OutboxMessage
from govern.ops.models import Heartbeat
from govern.partnership.models import Mou, Organisation, Principle, SubordinateGroup
from govern.pdeg.models import AgendaItem, PdegMeeting, Ratification, Recommendation, RecommendationParty
from govern.records.models import BoardPack
from govern.search.models import SearchDocument
from govern.verify.models import IssuedRecord, VerifyCheck

__all__ = [
    "AccountToken",
    "ActionReminder",
    "AgendaItem",
    "AgreementVersion",
    "ApiRateWindow",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "BoardChaser",
    "BoardMeeting",
    "BoardPack",
    "CalendarFeed",
    "CaseDeadline",
    "CaseEvent",
    "DeadlineExtension",
    "Dispute",
    "DisputeMaterial",
    "DisputeParty",
    "DisputePrinciple",
    "FollowUp",
    "Heartbeat",
    "InterestReminder",
    "IssuedRecord",
    "LoginAttempt",
    "Mou",
    "Notice",
    "Organisation",
    "OutboxMessage",
    "PackAgreement",
    "PanelMember",
    "PartyResponse",
    "PdegMeeting",
    "Principle",
    "Ratification",
    "RatificationCertificate",
    "Recommendation",
    "RecommendationParty",
    "RecoveryCode",
    "RegisteredInterest",
    "RememberedDevice",
    "Reminder",
    "Review",
    "SearchDocument",
    "StpLeaderAssignment",
    "SubordinateGroup",
    "User",
    "UserSession",
    "VerifyCheck",
]
