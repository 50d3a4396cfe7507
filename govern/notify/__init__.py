"""Notices in the app and email through an outbox that never loses a message."""
