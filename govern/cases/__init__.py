"""What every case shares: its recorded events and the STP Leader's deadline extensions.

A case is a dispute, a recommendation or one Board's ratification. Their due dates are computed
by ``workflows.deadlines`` from these events, so correcting an event's time moves them.
"""

from govern.cases.runner import act, check

__all__ = ["act", "check"]
