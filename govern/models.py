"""Every model, imported in one place so Alembic and the tests see the whole schema."""

from govern.audit.models import AuditEvent, AuditHead
from govern.auth.models import LoginAttempt, StpLeaderAssignment, User, UserSession
from govern.partnership.models import Mou, Organisation, Principle, SubordinateGroup

__all__ = [
    "AuditEvent",
    "AuditHead",
    "LoginAttempt",
    "Mou",
    "Organisation",
    "Principle",
    "StpLeaderAssignment",
    "SubordinateGroup",
    "User",
    "UserSession",
]
