"""The audit trail: one event per operation, a hash chain that names the first tampered event."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, insert, select, update

from govern.audit import chain
from govern.audit.models import AuditEvent, AuditHead
from govern.auth import operations
from govern.auth.models import Role, User, current_stp_leader_assignment
from govern.core import clock
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup
from govern.partnership.seed import seed_partnership
from govern.testing import clean_database
from tests.conftest import PASSWORD

T0 = datetime(2026, 5, 11, 14, 30, tzinfo=UTC)
events = AuditEvent.__table__


def all_events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


# --- one event per operation ------------------------------------------------------------------


@dataclass
class Scene:
    """The people an operation acts on, made before the clock starts."""

    admin: User
    user: User
    leader: User


def _org(code: str) -> Organisation:
    return db.session.scalars(select(Organisation).where(Organisation.code == code)).one()


def _create(s: Scene) -> Any:
    clinical_cabinet = db.session.scalars(select(SubordinateGroup).where(SubordinateGroup.code == "CC")).one()
    return operations.create_user(
        email="new@example.nhs.uk", name="New Person", password=PASSWORD, organisation=_org("RDE"),
        role=Role.GROUP_CHAIR, group=clinical_cabinet, job_title="Medical Director", actor=s.admin,
    )


def _new_user_id(s: Scene) -> int | None:
    return db.session.scalar(select(User.id).where(User.email == "new@example.nhs.uk"))


def _update(s: Scene) -> Any:
    return operations.update_user(
        s.user, email=s.user.email, name="Renamed Person", job_title="Interim CEO", organisation=_org("PHNT"),
        role=Role.DEPUTY, group=None, actor=s.admin,
    )


def _seed(s: Scene) -> Any:
    clean_database()
    return seed_partnership()


def _enable(s: Scene) -> Any:
    s.user.active = False  # a disabled account, as if disabled earlier
    return operations.set_user_active(s.user, True, actor=s.admin)


def _log_out(s: Scene) -> Any:
    return operations.log_out(operations.log_in(s.user.email, PASSWORD, "10.0.0.1"))


def _current_assignment_id(s: Scene) -> int | None:
    assignment = current_stp_leader_assignment()
    return assignment.id if assignment else None


@dataclass(frozen=True)
class Op:
    """An operation, and the event it must write: action, object, actor, some of the changes."""

    run: Callable[[Scene], Any]
    action: str
    object_type: str
    object_id: Callable[[Scene], Any]
    actor: Callable[[Scene], User | None]
    changes: dict[str, list[Any]] | None = None  # None: checked by a test of its own


ADMIN, USER, SYSTEM = (lambda s: s.admin), (lambda s: s.user), (lambda s: None)

# fmt: off
OPERATIONS: dict[str, Op] = {
    "create_user":       Op(_create, "create_user", "user", _new_user_id, ADMIN,
                            {"email": [None, "new@example.nhs.uk"], "role": [None, "group_chair"],
                             "job_title": [None, "Medical Director"], "active": [None, True]}),
    "update_user":       Op(_update, "update_user", "user", lambda s: s.user.id, ADMIN,
                            {"name": ["Rita Chief", "Renamed Person"], "role": ["partner_ceo", "deputy"],
                             "job_title": ["", "Interim CEO"]}),
    "disable_user":      Op(lambda s: operations.set_user_active(s.user, False, actor=s.admin), "disable_user",
                            "user", lambda s: s.user.id, ADMIN, {"active": [True, False]}),
    "enable_user":       Op(_enable, "enable_user", "user", lambda s: s.user.id, ADMIN, {"active": [False, True]}),
    "assign_stp_leader": Op(lambda s: operations.assign_stp_leader(s.leader, authority="PDEG 3/2026", actor=s.admin),
                            "assign_stp_leader", "stp_leader_assignment", _current_assignment_id, ADMIN,
                            {"authority": [None, "PDEG 3/2026"]}),
    "log_in":            Op(lambda s: operations.log_in(s.user.email, PASSWORD, "10.0.0.1"), "log_in", "user",
                            lambda s: s.user.id, USER, {}),
    "log_out":           Op(_log_out, "log_out", "user", lambda s: s.user.id, USER, {}),
    "seed_partnership":  Op(_seed, "seed_partnership", "mou", lambda s: "devon-stp-2016", SYSTEM),
}
# fmt: on


@pytest.fixture
def scene(make_user: Callable[..., User]) -> Scene:
    return Scene(
        admin=make_user(Role.ADMINISTRATOR, "STP", name="Alex Admin"),
        user=make_user(Role.PARTNER_CEO, "RDE", name="Rita Chief"),
        leader=make_user(Role.SYSTEM_LEADERSHIP, "STP", name="Sam Leader"),
    )


def _events_written_by(run: Callable[[Scene], Any], scene: Scene) -> list[AuditEvent]:
    db.session.commit()
    before = db.session.scalar(select(func.coalesce(func.max(AuditEvent.seq), 0)))
    clock.freeze(T0)
    run(scene)
    db.session.commit()
    if run is _seed:
        before = 0
    return [e for e in all_events() if e.seq > before]


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_operation_writes_one_event(scene: Scene, operation: str) -> None:
    op = OPERATIONS[operation]
    written = [(e.action, e.object_type) for e in _events_written_by(op.run, scene)]
    if operation == "log_out":  # logging out needs logging in first, which writes its own event
        assert written == [("log_in", "user"), ("log_out", "user")]
    else:
        assert written == [(op.action, op.object_type)]


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_event_says_who_what_when_and_to_which_object(scene: Scene, operation: str) -> None:
    op = OPERATIONS[operation]
    event = _events_written_by(op.run, scene)[-1]
    actor = op.actor(scene)
    assert (event.action, event.object_type, event.object_id) == (op.action, op.object_type, str(op.object_id(scene)))
    assert event.actor_id == (actor.id if actor else None)
    assert event.actor_label == (f"{actor.name} <{actor.email}>" if actor else "system")
    assert event.occurred_at == T0
    assert event.occurred_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("operation", [name for name, op in OPERATIONS.items() if op.changes is not None])
def test_each_event_records_the_changes_before_and_after(scene: Scene, operation: str) -> None:
    op = OPERATIONS[operation]
    assert op.changes is not None
    event = _events_written_by(op.run, scene)[-1]
    if op.changes:
        assert {name: event.changes.get(name) for name in op.changes} == op.changes
    else:
        assert event.changes == {}


def test_the_seed_event_lists_what_it_created(scene: Scene) -> None:
    event = _events_written_by(_seed, scene)[-1]
    created = event.changes["created"][1]
    assert "mou" in created and "organisation:RDE" in created and "principle:B20" in created


def test_an_update_that_changes_nothing_records_no_field(scene: Scene) -> None:
    def same(s: Scene) -> Any:
        return operations.update_user(
            s.user, email=s.user.email, name=s.user.name, job_title=s.user.job_title,
            organisation=s.user.organisation, role=s.user.role, group=None, actor=s.admin,
        )

    assert _events_written_by(same, scene)[-1].changes == {}


def test_a_refused_login_writes_no_audit_event(scene: Scene) -> None:
    def refused(s: Scene) -> None:
        with pytest.raises(operations.LoginRefused):
            operations.log_in(s.user.email, "wrong password", "10.0.0.1")

    assert _events_written_by(refused, scene) == []


def test_an_operation_that_is_refused_writes_no_event(scene: Scene) -> None:
    def refused(s: Scene) -> None:
        with pytest.raises(operations.OperationError):
            operations.set_user_active(s.admin, False, actor=s.admin)

    assert _events_written_by(refused, scene) == []


# --- audit verify -----------------------------------------------------------------------------


def verify(app: Flask) -> tuple[int, str]:
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


@pytest.fixture
def five_events(make_user: Callable[..., User]) -> None:
    """The seed (event 1) and four accounts (events 2 to 5)."""
    for _ in range(4):
        make_user()
    assert [e.seq for e in all_events()] == [1, 2, 3, 4, 5]


def test_verify_passes_on_an_intact_chain(app: Flask, five_events: None) -> None:
    exit_code, output = verify(app)
    assert exit_code == 0
    assert "Audit trail intact: 5 events verified." in output


def test_verify_passes_on_an_empty_trail(app: Flask) -> None:
    clean_database()
    assert verify(app) == (0, "Audit trail intact: 0 events verified.\n")


def _event(seq: int) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).one()


def _edit_changes() -> None:
    db.session.execute(update(events).where(events.c.seq == 3).values(changes={"email": [None, "forged@example"]}))


def _edit_actor() -> None:
    db.session.execute(update(events).where(events.c.seq == 3).values(actor_label="Someone Else <x@example>"))


def _edit_time() -> None:
    db.session.execute(update(events).where(events.c.seq == 3).values(occurred_at=T0))


def _delete_middle() -> None:
    db.session.execute(delete(events).where(events.c.seq == 3))


def _delete_last() -> None:
    db.session.execute(delete(events).where(events.c.seq == 5))


def _swap_3_and_4() -> None:
    db.session.execute(update(events).where(events.c.seq == 3).values(seq=-1))
    db.session.execute(update(events).where(events.c.seq == 4).values(seq=3))
    db.session.execute(update(events).where(events.c.seq == -1).values(seq=4))


def forger_hash(prev_hash: str, content: str) -> str:
    """What a forger who has the code and can write the database, but not the audit key, can compute:
    the chain's hash as it was before it was keyed (plain SHA-256)."""
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def _forged(seq: int, prev_hash: str) -> dict[str, Any]:
    """An event whose own hash is computed as well as a forger with the code (but not the key) can."""
    fields = {
        "seq": seq, "occurred_at": T0, "actor_id": None, "actor_label": "system", "action": "create_user",
        "object_type": "user", "object_id": "999", "changes": {"note": [None, "forged"]},
    }
    content = chain.canonical_content(**{**fields, "occurred_at": T0.isoformat()})
    return {**fields, "prev_hash": prev_hash, "hash": forger_hash(prev_hash, content)}


def _insert_forged_in_the_middle() -> None:
    # Make room at seq 3 (two steps, so no unique constraint is broken on the way), then slot in.
    db.session.execute(update(events).where(events.c.seq >= 3).values(seq=events.c.seq + 1000))
    db.session.execute(update(events).where(events.c.seq >= 1000).values(seq=events.c.seq - 999))
    db.session.execute(insert(events).values(**_forged(3, _event(2).hash)))


def _append_forged() -> None:
    db.session.execute(insert(events).values(**_forged(6, _event(5).hash)))


def _replace_last_with_forgery() -> None:
    prev_hash = _event(4).hash
    db.session.execute(delete(events).where(events.c.seq == 5))
    db.session.execute(insert(events).values(**_forged(5, prev_hash)))


@pytest.mark.parametrize(
    ("tamper", "first_broken", "verified_before"),
    [
        (_edit_changes, 3, 2),
        (_edit_actor, 3, 2),
        (_edit_time, 3, 2),
        (_delete_middle, 4, 2),  # event 3 is missing: the walk finds 4 where 3 should be
        (_delete_last, 5, 4),  # the head still says 5 events
        (_swap_3_and_4, 3, 2),
        (_insert_forged_in_the_middle, 3, 2),  # the forgery links up, but its hash is not keyed
        (_append_forged, 6, 5),  # links up, but the head says the chain ends at 5
        (_replace_last_with_forgery, 5, 4),  # links up, but is not the event the head recorded
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_verify_names_the_first_broken_event(
    app: Flask, five_events: None, tamper: Callable[[], None], first_broken: int, verified_before: int
) -> None:
    tamper()
    exit_code, output = verify(app)
    assert exit_code == 1
    assert f"Audit trail BROKEN at event {first_broken}" in output
    assert f"{verified_before} events before it verified" in output


def test_tampering_with_the_newest_event_is_caught_too(app: Flask, five_events: None) -> None:
    db.session.execute(update(events).where(events.c.seq == 5).values(action="delete_user"))
    assert verify(app)[0] == 1


# --- a forger who can write the database but lacks the key (issue 13, defect 3) ---------------------------


def _recompute(start: int = 3) -> None:
    """Hash the chain again from event ``start`` on, as a forger would after changing it there, and
    move the head to its new end: everything links up, but without the audit key."""
    db.session.expire_all()
    rows = all_events()
    prev = next((e.hash for e in rows if e.seq == start - 1), chain.GENESIS_HASH)
    for event in rows:
        if event.seq < start:
            continue
        digest = forger_hash(prev, chain.event_content(event))
        db.session.execute(update(events).where(events.c.id == event.id).values(prev_hash=prev, hash=digest))
        prev = digest
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=len(rows), last_hash=prev))


def _recompute_after_editing_the_actor() -> None:
    _edit_actor()
    _recompute()


def _recompute_after_deleting_the_middle() -> None:
    _delete_middle()
    # One event at a time, lowest first: PostgreSQL checks the unique seq row by row, in whatever order
    # it visits the rows, so a single "seq - 1" over 4 and 5 fails when it reaches 5 first.
    for seq in (4, 5):
        db.session.execute(update(events).where(events.c.seq == seq).values(seq=seq - 1))
    _recompute()


def _recompute_after_reordering() -> None:
    _swap_3_and_4()
    _recompute()


def _recompute_after_inserting() -> None:
    _insert_forged_in_the_middle()
    _recompute()


def _recompute_after_forging_the_newest() -> None:
    _replace_last_with_forgery()
    _recompute(5)


@pytest.mark.parametrize(
    ("tamper", "first_broken"),
    [
        (_recompute_after_editing_the_actor, 3),
        (_recompute_after_deleting_the_middle, 3),
        (_recompute_after_reordering, 3),
        (_recompute_after_inserting, 3),
        (_recompute_after_forging_the_newest, 5),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_verify_catches_a_chain_recomputed_without_the_key(
    app: Flask, five_events: None, tamper: Callable[[], None], first_broken: int
) -> None:
    tamper()
    exit_code, output = verify(app)
    assert exit_code == 1
    assert f"Audit trail BROKEN at event {first_broken}" in output
    assert "without the audit key" in output


def _checkpoint(app: Flask) -> str:
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    return result.output


def _truncate_to(seq: int) -> None:
    """Cut the newest events off and move the head back to the new end: the chain still links up."""
    db.session.execute(delete(events).where(events.c.seq > seq))
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, last_hash=_event(seq).hash))


def test_a_chain_cut_short_is_caught_by_a_signed_checkpoint(app: Flask, five_events: None) -> None:
    assert "Checkpoint: 5 events" in _checkpoint(app)
    assert verify(app)[0] == 0

    _truncate_to(3)
    exit_code, output = verify(app)

    assert exit_code == 1
    assert "Audit trail BROKEN at event 4" in output
    assert "events were cut from its end" in output


def test_a_mailed_checkpoint_catches_the_cut_even_when_the_servers_file_is_gone(
    app: Flask, five_events: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    from govern.audit.checkpoints import checkpoint_file
    from govern.notify.models import OutboxMessage

    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_RECIPIENTS", ["auditor@devon-stp.test"])
    _checkpoint(app)
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "auditor@devon-stp.test")).one()
    saved = tmp_path / "checkpoint-mail.txt"
    saved.write_text(mail.body)
    checkpoint_file().unlink()

    _truncate_to(2)
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--checkpoints", str(saved)])

    assert result.exit_code == 1
    assert "Audit trail BROKEN at event 3" in result.output


def test_a_checkpoint_that_was_altered_is_not_trusted(app: Flask, five_events: None) -> None:
    from govern.audit.checkpoints import checkpoint_file

    _checkpoint(app)
    path = checkpoint_file()
    path.write_text(path.read_text().replace('"seq":5', '"seq":3'))

    exit_code, output = verify(app)

    assert exit_code == 1
    assert "signature that does not match" in output


def test_tick_publishes_a_checkpoint_once_a_day(app: Flask, five_events: None) -> None:
    from govern.audit.checkpoints import load

    db.session.commit()
    clock.freeze(T0)
    runner = app.test_cli_runner()
    assert "Audit checkpoint: 5 events" in runner.invoke(args=["tick", "--no-send"]).output
    clock.freeze(T0 + timedelta(hours=23))
    assert "Audit checkpoint" not in runner.invoke(args=["tick", "--no-send"]).output
    clock.freeze(T0 + timedelta(hours=24))
    assert "Audit checkpoint: 6 events" in runner.invoke(args=["tick", "--no-send"]).output

    assert [c.seq for c in load()] == [5, 6]
    assert verify(app)[0] == 0


def test_the_keys_are_generated_outside_the_database_readable_by_the_owner_only(
    make_app: Callable[..., Flask], tmp_path: Any,
) -> None:
    from govern.audit.keys import audit_key, signing_key

    instance = tmp_path / "keys-instance"
    app = make_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite3'}"},
                   instance=instance)
    with app.app_context():
        key = audit_key()
        signing_key()
    for name in ("audit_key", "audit_signing_key"):
        assert stat.S_IMODE((instance / name).stat().st_mode) == 0o600
    assert bytes.fromhex((instance / "audit_key").read_text().strip()) == key
    assert len(key) == 32


def test_a_configured_audit_key_is_used_and_a_short_one_refused(
    make_app: Callable[..., Flask], tmp_path: Any,
) -> None:
    from govern.audit.keys import AuditKeyError, audit_key

    app = make_app({"SECRET_KEY": "x", "AUDIT_KEY": "ab" * 32,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite3'}"})
    with app.app_context():
        assert audit_key() == bytes.fromhex("ab" * 32)
    short = make_app({"SECRET_KEY": "x", "AUDIT_KEY": "abcd",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite3'}"})
    with short.app_context(), pytest.raises(AuditKeyError):
        audit_key()


def test_verify_says_when_the_server_runs_with_another_key(app: Flask, five_events: None) -> None:
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(key_id="0123456789abcdef"))

    exit_code, output = verify(app)

    assert exit_code == 1
    assert "keyed with audit key 0123456789abcdef" in output


# --- concurrent writers -----------------------------------------------------------------------

WRITERS, EVENTS_EACH = 8, 5


def _write_concurrently(app: Flask) -> list[BaseException]:
    """WRITERS threads, each in its own app context and session, append events at the same moment."""
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(EVENTS_EACH):
                    chain.record("test_write", "writer", n, {"i": [None, i]})
                    db.session.commit()
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _assert_one_chain() -> None:
    result = chain.verify()
    assert result.ok, result.reason
    seqs = [e.seq for e in all_events()]
    assert seqs == list(range(1, 2 + WRITERS * EVENTS_EACH))


@pytest.mark.real_commits  # threads, each with its own connection
def test_concurrent_writers_keep_one_chain(app: Flask) -> None:
    db.session.commit()
    errors = _write_concurrently(app)
    assert errors == []
    _assert_one_chain()


@pytest.mark.real_commits  # threads, each with its own connection
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql")),
    reason="row locks under real concurrency: run with DATABASE_URL set to PostgreSQL",
)
def test_concurrent_writers_keep_one_chain_on_postgresql(app: Flask) -> None:
    assert db.engine.dialect.name == "postgresql"
    db.session.commit()
    for _ in range(3):  # a few rounds: a race rarely shows on the first
        clean_database()
        seed_partnership()
        db.session.commit()
        assert _write_concurrently(app) == []
        _assert_one_chain()
