"""The one place the API changes a case, through the same operation the pages call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govern import cases


def act(row: Any, user: Any, trigger: str, payload: Mapping[str, object], *, expected_version: int | None) -> Any:
    """Fire ``trigger`` on the case ``row`` as ``user``, exactly as its page does (the operation checks the
    rules, stores the state, its events and one audit event, and never commits): ``govern.cases.act``."""
    return cases.act(row, user, trigger, payload, expected_version)
