"""The one place the API changes a case, through the same operation the pages call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govern.pdeg import operations as pdeg_operations


def act(row: Any, user: Any, trigger: str, payload: Mapping[str, object], *, expected_version: int | None) -> Any:
    """Fire ``trigger`` on the case ``row`` as ``user``, exactly as its page does (the operation checks the
    rules, stores the state, its events and one audit event, and never commits).

    Today a Board's ratification is acted on by the PDEG operation; when cases share one generic
    operation this becomes ``govern.cases.act(row, user, trigger, payload, expected_version=...)``."""
    return pdeg_operations.act_on_ratification(row, user, trigger, payload, expected_version)
