"""PDEG meetings in tests: a quorate attendance, so that outcomes can be recorded (the agreement's quorum)."""

from __future__ import annotations

from typing import Any

from govern.pdeg import operations
from govern.pdeg.models import AttendanceStatus, PdegMeeting


def quorate(meeting: PdegMeeting, secretariat: Any) -> PdegMeeting:
    """Record every member party as present by its representative."""
    return operations.record_attendance(meeting, secretariat, {
        o.id: (AttendanceStatus.REPRESENTATIVE, f"Chief executive of {o.short_name}") for o in operations.pdeg_members()
    })
