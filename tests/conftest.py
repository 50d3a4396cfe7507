"""Shared fixtures: the app on a test database, a clean database per test, users by role, login.

The database is SQLite in a temporary folder unless ``DATABASE_URL`` is set (``.ci/run`` sets it
to PostgreSQL for the second run). Each test starts from an empty schema with the Devon
partnership seeded and the clock unfrozen.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from govern import create_app
from govern.auth import operations as auth_ops
from govern.auth.models import Role, User
from govern.core import clock
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup
from govern.partnership.seed import seed_partnership
from govern.testing import clean_database, create_schema, derived_database_url, use_fast_password_hashing

PASSWORD = "correct horse battery staple"


def database_url(tmp_root: Path) -> str:
    """The URL tests run against."""
    if os.environ.get("DATABASE_URL"):
        return derived_database_url(os.environ["DATABASE_URL"], "pytest")
    return f"sqlite:///{tmp_root / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application, configured for tests, with the schema created once."""
    root = tmp_path_factory.mktemp("govern")
    os.environ["GOVERN_INSTANCE_PATH"] = str(root / "instance")
    use_fast_password_hashing()
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url(root),
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    with application.app_context():
        create_schema()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the app starts with an empty, seeded database and a free clock."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        clean_database()
        seed_partnership()
        db.session.commit()
        db.session.remove()
    ctx = application.app_context()
    ctx.push()
    try:
        yield
    finally:
        clock.freeze(None)
        db.session.remove()
        ctx.pop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client with no one logged in."""
    return app.test_client()


@pytest.fixture
def org() -> Callable[[str], Organisation]:
    """Look up a seeded organisation by its code, e.g. ``org("RDE")``."""

    def lookup(code: str) -> Organisation:
        found = db.session.scalar(select(Organisation).where(Organisation.code == code))
        assert found is not None, code
        return found

    return lookup


_counter = itertools.count(1)


@pytest.fixture
def make_user(org: Callable[[str], Organisation]) -> Callable[..., User]:
    """Create an account (committed): ``make_user(Role.PARTNER_CEO, "RDE")``."""

    def make(role: Role = Role.PARTNER_CEO, org_code: str = "RDE", *, group_code: str | None = None,
             email: str | None = None, name: str | None = None, active: bool = True) -> User:
        n = next(_counter)
        group = None
        if role is Role.GROUP_CHAIR:
            group = db.session.scalar(select(SubordinateGroup).where(SubordinateGroup.code == (group_code or "FWG")))
        user = auth_ops.create_user(
            email=email or f"{role.value}.{org_code.lower()}.{n}@example.nhs.uk",
            name=name or f"{role.title} {org_code} {n}",
            password=PASSWORD,
            organisation=org(org_code),
            role=role,
            group=group,
        )
        user.active = active
        db.session.commit()
        return user

    return make


@dataclass
class Auth:
    """Log in and out through the real pages."""

    client: FlaskClient

    def login(self, user_or_email: User | str, password: str = PASSWORD) -> object:
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self) -> object:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    """Login helper bound to ``client``."""
    return Auth(client)


@pytest.fixture
def stp_leader(make_user: Callable[..., User]) -> User:
    """A user holding the STP Leader assignment (clause 6)."""
    leader = make_user(Role.SYSTEM_LEADERSHIP, "STP", name="Sam Leader")
    admin = make_user(Role.ADMINISTRATOR, "STP")
    auth_ops.assign_stp_leader(leader, authority="PDEG minute 1/2026", actor=admin)
    db.session.commit()
    return leader
