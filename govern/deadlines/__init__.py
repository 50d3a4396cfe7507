"""Deadlines that fire: each case's steps kept in ``case_deadline``, the reminder sweep, the calendar
feed and the STP Leader's dashboard."""
