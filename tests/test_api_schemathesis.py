"""Schemathesis over the whole API, from its own OpenAPI document, with its default checks: no 500,
every answer's status, content type, headers and body as the document says.

Requests carry a token: the STP Leader's (who sees every dispute) for reading, and a Board secretary's
(``read+record``) for their Board's list and for recording a decision, so the answers have data in them.
Examples are limited to keep the run well under a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from govern.api import operations as token_ops
from govern.api.models import TokenScope
from govern.auth.models import Role, User
from govern.core import clock
from govern.extensions import db
from govern.partnership.models import Organisation
from tests.test_access_matrix import Targets


@pytest.fixture
def api_schema(app: Flask) -> Iterator[object]:
    """The API's own OpenAPI document, loaded by Schemathesis, calling the app in this process."""
    limit = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = 1_000_000  # this test is not about the rate limit
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    finally:
        app.config["API_RATE_LIMIT"] = limit


@pytest.fixture
def tokens(stp_leader: User, make_user: Callable[..., User], org: Callable[[str], Organisation]) -> dict[str, str]:
    """Authorization headers for reading (the STP Leader) and for a Board's list and decisions (RDE's secretary),
    with a decision awaiting RDE's Board, a PDEG meeting and disputes to read (one with its outcome)."""
    targets = Targets(make_user)
    targets.ratification_in(org("RDE"))
    targets.dispute_in(org("PHNT"))
    targets.dispute_with_panel(to="proposed")  # with an outcome: the panel's recommendation, the proposal
    headers = {}
    for key, user, scope in (("read", stp_leader, TokenScope.READ),
                             ("board", make_user(Role.BOARD_SECRETARY, "RDE"), TokenScope.READ_RECORD)):
        made = token_ops.create_token(user, name="Schemathesis", scope=scope,
                                      expires_on=clock.now().date() + timedelta(days=7))
        headers[key] = f"Bearer {made.secret}"
    db.session.commit()
    return headers


def test_the_api_keeps_to_its_openapi_document(api_schema: object, tokens: dict[str, str]) -> None:
    # Schemathesis's own pytest plugin does not run under this pytest; its Python API does, one
    # Hypothesis run per operation of the document.
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[attr-defined]
    assert len(operations) >= 12
    for operation in operations:
        _check_operation(operation, tokens)


def _check_operation(operation: Any, tokens: dict[str, str]) -> None:
    board = operation.method.upper() == "POST" or operation.path.startswith("/api/v1/boards")
    headers = {"Authorization": tokens["board" if board else "read"]}

    @given(case=operation.as_strategy())
    @settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        # Recording a Board's decision may be refused by the agreement's rules with data the document
        # allows (a meeting date in the future, a decision already recorded): a 422 with the rule's
        # message and clause, by design. Every other check still applies to it.
        excluded = [positive_data_acceptance] if operation.method.upper() == "POST" else []
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()
