"""Accounts, roles, sessions and the STP Leader assignment."""
