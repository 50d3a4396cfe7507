"""Disputes under clause 16 and Schedule 8: the four scenarios and bespoke processes (16.2)."""
