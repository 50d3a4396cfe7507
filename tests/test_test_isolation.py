"""The test set-up itself: the partnership seeded once, each test rolled back (``tests/conftest.py``).

These drive :class:`govern.testing.RolledBack` by hand from a test that commits for real, so they can
look at the database after the rolled-back part has ended, from a connection of their own.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from govern.audit.models import AuditEvent, AuditHead
from govern.auth.models import Role, User, UserSession
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.testing import RolledBack
from tests.conftest import Auth


def counts(rolled_back: RolledBack) -> tuple[int, int, int, int]:
    """Users, user sessions, audit events and organisations, as another connection sees them."""
    with rolled_back.app_engine.connect() as connection:
        return (
            connection.scalar(select(func.count()).select_from(User)) or 0,
            connection.scalar(select(func.count()).select_from(UserSession)) or 0,
            connection.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            connection.scalar(select(func.count()).select_from(Organisation)) or 0,
        )


@pytest.mark.real_commits
def test_what_a_test_and_its_requests_commit_is_seen_inside_it_and_gone_after_it(
    app: Flask, _rolled_back: RolledBack, make_user: Callable[..., User], client: FlaskClient,
) -> None:
    before = counts(_rolled_back)
    assert before[3] > 0  # the partnership is seeded

    with _rolled_back.test(), app.app_context():
        user = make_user(Role.PARTNER_CEO, "RDE")  # commits (a savepoint released)
        response = Auth(client).login(user)  # the login page commits a session row, in its own app context
        assert response.status_code == 302
        signed_in = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
        assert signed_in is not None  # the request's commit is seen by the test's session
        assert counts(_rolled_back) == before  # ... and by no other connection

        with db.engine.begin() as connection:  # the app's own short transactions work too
            connection.execute(update(User).where(User.id == user.id).values(name="Renamed"))
        db.session.expire_all()
        assert db.session.get(User, user.id).name == "Renamed"  # type: ignore[union-attr]

    assert counts(_rolled_back) == before
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == user.email)) is None


@pytest.mark.real_commits
def test_a_failed_operation_rolls_back_to_its_savepoint_and_the_test_carries_on(
    app: Flask, _rolled_back: RolledBack, make_user: Callable[..., User],
) -> None:
    before = counts(_rolled_back)

    with _rolled_back.test(), app.app_context():
        kept = make_user()
        db.session.add(User(email=kept.email, name="Same address", password_hash="x", created_at=kept.created_at,
                            organisation_id=kept.organisation_id, role=Role.PARTNER_CEO))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(User.name).where(User.email == kept.email)) == kept.name
        head = db.session.get(AuditHead, 1)
        assert head is not None and head.seq > 0

    assert counts(_rolled_back) == before


def test_a_test_that_builds_a_second_app_commits_for_real(
    request: pytest.FixtureRequest, make_app: Callable[..., Flask],
) -> None:
    assert request.node.get_closest_marker("real_commits") is not None


def test_an_ordinary_test_runs_on_the_test_connection(app: Flask, _rolled_back: RolledBack) -> None:
    assert db.engine is not _rolled_back.app_engine
    assert db.session.connection().in_nested_transaction()
