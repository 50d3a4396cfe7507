"""The Alembic migrations build the schema the models describe, and keep data when they run.

Each test builds its own app on a fresh, empty database (never the session's, which is made with
``create_all``): a temporary SQLite file, or ``<DATABASE_URL>_migrations`` on PostgreSQL.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import func, inspect, select, text

from govern import ROOT, cases
from govern.audit import chain
from govern.audit.models import AuditEvent
from govern.auth import operations
from govern.auth.models import Role, User
from govern.extensions import db, include_for
from govern.partnership.models import Organisation, Principle
from govern.partnership.seed import seed_partnership
from govern.search.index import is_fts_table
from govern.testing import derived_database_url, drop_postgres_database, ensure_postgres_database
from tests.conftest import PASSWORD, TEST_CONFIG

SCRIPTS = ScriptDirectory(str(ROOT / "migrations"))
#: Every revision that has a predecessor, oldest first: each is stepped down and up with data present.
STEPPED_REVISIONS = [r.revision for r in reversed(list(SCRIPTS.walk_revisions())) if r.down_revision is not None]


def _fresh_database_url(tmp_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql")):
        fresh = derived_database_url(url, "migrations")
        drop_postgres_database(fresh)
        ensure_postgres_database(fresh)
        return fresh
    return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"


@pytest.fixture
def empty_app(make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database, with its app context pushed."""
    app = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": _fresh_database_url(tmp_path)})
    with app.app_context():
        yield app
        db.session.remove()


def _not_fts(name: str | None, type_: str, _parent: object) -> bool:
    # SQLite's FTS5 table for search (and its shadow tables) is made by the migration, not the models.
    return not (type_ == "table" and name is not None and is_fts_table(name))


def _schema_differences() -> list[object]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": _not_fts, "include_object": include_for(connection.dialect.name)})
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    return {t for t in inspect(db.engine).get_table_names() if not is_fts_table(t)} - {"alembic_version"}


def _load_data() -> None:
    """Rows in every kind of table: the seed, an account, its audit events."""
    seed_partnership()
    operations.create_user(
        email="kept@example.nhs.uk", name="Kept Person", password=PASSWORD,
        organisation=db.session.scalar(select(Organisation).where(Organisation.code == "RDE")),
        role=Role.PARTNER_CEO,
    )
    db.session.commit()


def _data_is_intact() -> None:
    db.session.expire_all()
    assert db.session.scalar(select(User.name).where(User.email == "kept@example.nhs.uk")) == "Kept Person"
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 15
    assert db.session.scalar(select(func.count()).select_from(Principle)) == 45
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2
    assert chain.verify().ok


def test_upgrade_builds_the_schema_from_nothing(empty_app: Flask) -> None:
    assert _tables() == set()
    flask_migrate.upgrade()
    assert _tables() == set(db.metadata.tables)


def test_the_migrated_schema_matches_the_models_exactly(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    assert _schema_differences() == []


def test_the_migrated_database_is_ready_for_the_audit_chain(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    _load_data()
    assert chain.verify().ok
    assert [e.seq for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))] == [1, 2]


def test_downgrade_to_base_then_upgrade_again(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")
    assert _tables() == set()
    flask_migrate.upgrade()
    assert _schema_differences() == []


def test_upgrading_a_database_at_head_keeps_its_data(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    _load_data()
    flask_migrate.upgrade()
    _data_is_intact()


@pytest.mark.parametrize("revision", STEPPED_REVISIONS)
def test_each_migration_steps_down_and_up_with_data_present(empty_app: Flask, revision: str) -> None:
    """A later migration is undone and redone on a database holding data, which must survive."""
    script = SCRIPTS.get_revision(revision)
    assert script is not None
    flask_migrate.upgrade()
    _load_data()
    db.session.remove()
    flask_migrate.downgrade(revision=script.down_revision)
    flask_migrate.upgrade()
    _data_is_intact()
    assert _schema_differences() == []


def test_devon_cases_in_flight_carry_on_through_the_agreements_as_data_migration(empty_app: Flask) -> None:
    """A database from before agreements were data (0004), with a Scenario 4 dispute whose practice
    changer is a column and a bespoke process in the old list dialect, upgrades, and the cases carry on:
    the practice changer is a respondent party (refused on the panel by the operation), the bespoke process
    is a process document the engine runs, and the states are as they were."""
    from govern.auth.operations import assign_stp_leader
    from govern.cases.runner import RulesRefused
    from govern.disputes import operations as dispute_ops
    from govern.disputes.models import Dispute

    flask_migrate.upgrade()
    seed_partnership()

    def person(role: Role, code: str) -> User:
        return operations.create_user(
            email=f"{role.value}.{code.lower()}@example.nhs.uk", name=f"{role.value} {code}", password=PASSWORD,
            organisation=db.session.scalar(select(Organisation).where(Organisation.code == code)), role=role)

    ceo, leader, admin = person(Role.PARTNER_CEO, "LSW"), person(Role.SYSTEM_LEADERSHIP, "STP"), person(
        Role.ADMINISTRATOR, "STP")
    assign_stp_leader(leader, authority="PDEG minute 1", actor=admin)
    dpt = db.session.scalar(select(Organisation).where(Organisation.code == "DPT"))
    scenario_4 = dispute_ops.file_dispute(ceo, process_key="scenario_4", title="Discharge criteria",
                                          negotiation_attempted=True, negotiation_account="Met.", respondents=[dpt])
    bespoke = dispute_ops.file_dispute(ceo, process_key="bespoke", title="Data sharing", negotiation_attempted=True,
                                       negotiation_account="Met.")
    dispute_ops.set_out_process(bespoke, leader, "panel_decides", {
        "written_material": (2, "weeks"), "panel_nomination": (3, "working_days"), "hearing": (0, "none"),
        "decision": (0, "same_day")})
    db.session.commit()
    ids, dpt_id = (scenario_4.id, bespoke.id), dpt.id
    db.session.remove()

    flask_migrate.downgrade(revision="0004")  # as the database was before this version
    old = db.session.execute(text("SELECT practice_changed_by_id FROM dispute WHERE id = :i"), {"i": ids[0]}).scalar()
    spec = db.session.execute(text("SELECT bespoke_spec FROM dispute WHERE id = :i"), {"i": ids[1]}).scalar()
    assert old == dpt_id
    assert [s["kind"] for s in (json.loads(spec) if isinstance(spec, str) else spec)] == [
        "written_material", "panel_nomination", "hearing", "panel_decision", "responses"]
    db.session.remove()

    flask_migrate.upgrade()

    first, second = db.session.get(Dispute, ids[0]), db.session.get(Dispute, ids[1])
    assert first is not None and second is not None
    assert (first.state, second.state) == ("notified", "notified")
    assert [(p.organisation.code, p.respondent) for p in first.parties] == [("LSW", False), ("DPT", True)]
    assert [s.key for s in second.definition.steps] == [
        "notification", "written_material", "panel_nomination", "declarations", "papers_release", "hearing",
        "decision", "responses"]
    assert second.bespoke_spec["shape"] == "panel_decides"
    written = next(s for s in second.definition.steps if s.key == "written_material")
    assert written.deadline is not None and written.deadline.text == "Within 2 weeks of notification of the dispute"
    leader = db.session.scalar(select(User).where(User.email == "system_leadership.stp@example.nhs.uk"))
    with pytest.raises(RulesRefused, match="is a party to the dispute and cannot sit on its panel"):
        cases.act(first, leader, "nominate_panel", {"organisation_ids": [dpt_id]})
    db.session.rollback()
    first = db.session.get(Dispute, ids[0])
    nhse = db.session.scalar(select(Organisation).where(Organisation.code == "NHSE"))
    cases.act(first, leader, "nominate_panel", {"organisation_ids": [nhse.id]})  # at notification (16.2)
    db.session.commit()
    assert first.state == "panel_nominated_early"
    assert _schema_differences() == []
    assert chain.verify().ok


# --- the audit chain is re-keyed on upgrade (issue 13, defect 3) ----------------------------------------


def _unkeyed_chain_at_0004(events: int = 3) -> None:
    """A chain as version 0004 wrote it: plain SHA-256, no key."""
    import sqlalchemy as sa

    from govern.audit.models import GENESIS_HASH
    from govern.core import clock

    prev = GENESIS_HASH
    for seq in range(1, events + 1):
        fields = {"seq": seq, "occurred_at": clock.now(), "actor_id": None, "actor_label": "system",
                  "action": "seed_partnership", "object_type": "mou", "object_id": str(seq),
                  "changes": {"n": [None, seq]}}
        content = chain.canonical_content(**{**fields, "occurred_at": fields["occurred_at"].isoformat()})
        digest = chain.unkeyed_chain_hash(prev, content)
        db.session.execute(sa.insert(AuditEvent.__table__).values(**fields, prev_hash=prev, hash=digest))
        prev = digest
    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("last_hash"))
    db.session.execute(head.update().where(head.c.id == 1).values(seq=events, last_hash=prev))
    db.session.commit()


def test_upgrading_re_keys_an_existing_chain_which_then_verifies(empty_app: Flask) -> None:
    flask_migrate.upgrade(revision="0004")
    _unkeyed_chain_at_0004()
    db.session.remove()

    flask_migrate.upgrade()

    result = chain.verify()
    assert (result.ok, result.checked) == (True, 3)
    db.session.remove()  # end the session's transaction: on PostgreSQL it would hold off the ALTER TABLE
    flask_migrate.downgrade(revision="0004")
    flask_migrate.upgrade()
    assert chain.verify().ok


def test_upgrading_refuses_to_re_key_a_chain_that_does_not_verify(empty_app: Flask) -> None:
    import sqlalchemy as sa

    flask_migrate.upgrade(revision="0004")
    _unkeyed_chain_at_0004()
    db.session.execute(sa.update(AuditEvent.__table__).where(AuditEvent.__table__.c.seq == 2)
                       .values(actor_label="Someone Else"))
    db.session.commit()
    db.session.remove()

    with pytest.raises(ValueError, match="does not verify at event 2"):
        flask_migrate.upgrade()


def test_a_stored_ladder_becomes_the_shape_with_the_same_steps_and_deadlines() -> None:
    """0010: the ladder documents 0005 wrote (the default one, and one the STP Leader set out) become shapes."""
    import importlib.util

    def load(name: str):
        path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / name
        spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    v5, v10 = load("0005_agreements_as_data.py"), load("0010_wfexplicit_bespoke_shapes.py")
    assert v10.choice_of(v5._template()) == {"shape": "panel_recommends", "deadlines": {
        "written_material": {"amount": 1, "unit": "weeks"}, "panel_nomination": {"amount": 3, "unit": "working_days"},
        "recommendation": {"amount": 1, "unit": "weeks"}, "proposal": {"amount": 1, "unit": "weeks"}}}
    no_panel = v5._document([{"kind": "written_material"},
                             {"kind": "stp_leader_proposal", "deadline": {"after": ["written_material"], "amount": 5,
                                                                          "unit": "working_days"}},
                             {"kind": "responses"}])
    choice = v10.choice_of(no_panel)
    assert choice == {"shape": "leader_proposes", "deadlines": {"written_material": {"unit": "none"},
                                                               "proposal": {"amount": 5, "unit": "working_days"}}}
    from workflows import registry

    steps = {s.key: s for s in registry.bespoke(choice).steps}
    assert steps["written_material"].deadline is None
    assert steps["proposal"].deadline.text == "Within 5 working days of receipt of the written material"
