"""A partnership years on, written in bulk: many disputes, decisions awaiting Boards, notices, mail.

Shared by the query-count tests (``tests/test_scale_lists.py``, at 1,000 and 10,000 disputes) and the
benchmarks (``benchmarks/``, at 10,000). The rows are what the operations would leave behind
(disputes with their parties, events and ``case_deadline`` rows, decisions with each Board's
ratification, PDEG meetings with their agendas, notices and the outbox), written with
``executemany`` core inserts: going through the operations would take minutes.

``counting_queries`` counts the SQL statements sent to the database (``before_cursor_execute``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, insert, select, text

from govern.auth import operations as auth_ops
from govern.auth.models import Role, User, current_stp_leader_assignment
from govern.cases.models import CaseEvent, CaseKind
from govern.deadlines.models import CaseDeadline
from govern.disputes.models import Dispute, DisputeParty, PanelMember
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage, OutboxStatus
from govern.partnership.models import Organisation
from govern.pdeg.models import (
    AgendaItem,
    AgendaOutcome,
    AgendaPart,
    PdegMeeting,
    RaisedBy,
    Ratification,
    Recommendation,
    RecommendationParty,
)
from workflows import registry
from workflows.calendar import end_of_day, local_day, week_after, working_days_after

#: A Tuesday morning in London: the moment the data is built around.
NOW = datetime(2025, 11, 25, 7, 0, tzinfo=UTC)
BOARDS = 14
PASSWORD = "correct horse battery staple"


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (every dialect, every connection of the engine)."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@dataclass(frozen=True)
class Account:
    """An account of the built partnership (plain values: usable after its session has gone)."""

    id: int
    email: str
    organisation_id: int

    @classmethod
    def of(cls, user: User) -> Account:
        """The account's values."""
        return cls(user.id, user.email, user.organisation_id)


@dataclass
class Partnership:
    """Who the built partnership's pages are seen by, and how much it holds."""

    disputes: int
    decisions: int
    leader: Account
    admin: Account
    secretariat: Account
    ceos: dict[str, Account] = field(default_factory=dict)
    secretaries: dict[str, Account] = field(default_factory=dict)


def _bulk(model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(model), rows[start:start + 5000])


def _next_id(model: Any) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1


def _account(role: Role, organisation: Organisation, local: str) -> User:
    email = f"{local}@scale.govern.test"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = auth_ops.create_user(email=email, name=f"{role.title} {organisation.code}", password=PASSWORD,
                                    organisation=organisation, role=role)
    return user


def build_partnership(disputes: int, decisions: int, *, now: datetime = NOW, seed: int = 2016) -> Partnership:
    """Write ``disputes`` disputes and ``decisions`` decisions awaiting 14 Boards, in bulk; commits.

    Runs on a seeded database, with or without the demo (it adds its own accounts, and uses the STP
    Leader already assigned if there is one). The same ``seed`` gives the same data.
    """
    rng = random.Random(seed)
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.code != "STP").order_by(Organisation.id).limit(BOARDS)
    ).all()
    assert len(organisations) == BOARDS
    stp = db.session.scalar(select(Organisation).where(Organisation.code == "STP"))
    assert stp is not None
    admin = _account(Role.ADMINISTRATOR, stp, "admin")
    secretariat = _account(Role.PDEG_SECRETARIAT, stp, "secretariat")
    assignment = current_stp_leader_assignment()
    if assignment is None:
        leader = _account(Role.SYSTEM_LEADERSHIP, stp, "stp.leader")
        auth_ops.assign_stp_leader(leader, authority="PDEG minute 1/2025", actor=admin)
    else:
        leader = assignment.user
    # Administrators and the STP Leader sign in with a second factor: the tests' authenticator key.
    from tests.conftest import TOTP_SECRET

    admin.totp_secret = leader.totp_secret = admin.totp_secret or TOTP_SECRET
    db.session.flush()
    built = Partnership(disputes, decisions, Account.of(leader), Account.of(admin), Account.of(secretariat))
    for organisation in organisations:
        code = organisation.code.lower()
        built.ceos[organisation.code] = Account.of(_account(Role.PARTNER_CEO, organisation, f"ceo.{code}"))
        _account(Role.DEPUTY, organisation, f"deputy.{code}")
        built.secretaries[organisation.code] = Account.of(
            _account(Role.BOARD_SECRETARY, organisation, f"secretary.{code}"))
    db.session.flush()
    _build_disputes(built, organisations, rng, now)
    _build_decisions(built, organisations, rng, now)
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # the planner's statistics, as a database in use would have them
    db.session.commit()
    return built


def _build_disputes(built: Partnership, organisations: list[Organisation], rng: random.Random,
                    now: datetime) -> None:
    steps = {key: {s.key: s for s in registry.get(key).steps} for key in ("scenario_2", "scenario_3")}
    first = _next_id(Dispute)
    rows, parties, panels, events, deadlines, notices, mail = [], [], [], [], [], [], []
    for n in range(first, first + built.disputes):
        process_key = "scenario_2" if n % 2 else "scenario_3"
        organisation = organisations[n % BOARDS]
        filed = now - timedelta(days=rng.uniform(0, 25), hours=rng.uniform(0, 9))
        closed = n % 10 == 0  # some have run their course, for the timeliness figures
        reference = f"D2025-{n:05d}"
        report_due = end_of_day(week_after(local_day(filed)))
        row = _deadline_row(steps[process_key], process_key, n, reference)
        deadlines.append(row("notification", 0, done_at=filed))
        events.append(_event(n, "notified", filed))
        next_due = None
        if closed:
            state = "closed"
            received = filed + timedelta(days=rng.uniform(2, 9))
            proposed = received + timedelta(days=rng.uniform(3, 12))
            deadlines.append(row("report", 1, due_at=report_due, done_at=received,
                                 done_on_time=received <= report_due))
            deadlines.append(row("proposal", 6, due_at=received + timedelta(days=7), done_at=proposed))
            events += [_event(n, "report_received", received), _event(n, "solution_proposed", proposed)]
            for member in rng.sample([o for o in organisations if o.id != organisation.id], 2):
                panels.append({"dispute_id": n, "organisation_id": member.id, "active": True})
        elif n % 3 == 0:  # the report is in; the STP Leader must nominate the panel
            state = "report_received"
            received = filed + timedelta(hours=6)
            next_due = end_of_day(working_days_after(local_day(received), 3))
            deadlines.append(row("report", 1, due_at=report_due, done_at=received, done_on_time=True))
            deadlines.append(row("panel_nomination", 2, open=True, due_at=next_due))
            events.append(_event(n, "report_received", received))
        else:
            state = "notified"
            next_due = report_due
            deadlines.append(row("report", 1, due_at=report_due, open=True))
        rows.append({
            "id": n, "reference": reference, "process_key": process_key, "title": f"Dispute {n}",
            "state": state, "version": 1, "filed_by_id": built.ceos[organisation.code].id,
            "closed_at": filed if closed else None,
            "created_at": filed, "updated_at": filed, "next_due_at": next_due,
        })
        parties.append({"dispute_id": n, "organisation_id": organisation.id, "filed": True})
        notices.append({"user_id": built.leader.id, "case_kind": CaseKind.DISPUTE, "case_id": n,
                        "subject": f"{reference}: notified to you", "body": "A dispute has been notified to you.",
                        "link": f"/disputes/{n}", "created_at": filed, "read_at": None if n % 4 else filed})
        failed = n % 20 == 0
        mail.append({"to_address": built.leader.email, "subject": f"{reference}: notified to you",
                     "body": "A dispute has been notified to you.",
                     "status": OutboxStatus.FAILED if failed else OutboxStatus.SENT, "attempts": 20 if failed else 1,
                     "next_attempt_at": filed, "created_at": filed, "sent_at": None if failed else filed,
                     "last_error": "550 mailbox unavailable" if failed else ""})
    _bulk(Dispute, rows)
    _bulk(DisputeParty, parties)
    _bulk(PanelMember, panels)
    _bulk(CaseEvent, events)
    _bulk(CaseDeadline, deadlines)
    _bulk(Notice, notices)
    _bulk(OutboxMessage, mail)


def _event(case_id: int, name: str, at: datetime, kind: CaseKind = CaseKind.DISPUTE) -> dict[str, Any]:
    return {"case_kind": kind, "case_id": case_id, "name": name, "occurred_at": at, "data": {}, "recorded_at": at,
            "correction_reason": ""}


def _deadline_row(steps: dict[str, Any], process_key: str, n: int, reference: str) -> Callable[..., dict[str, Any]]:
    """Makes the ``case_deadline`` rows of dispute ``n``."""

    def row(step: str, position: int, **values: Any) -> dict[str, Any]:
        spec = steps[step]
        return {"case_kind": CaseKind.DISPUTE, "case_id": n, "reference": reference,
                "process_key": process_key, "step_key": step, "position": position, "title": spec.title,
                "clause": spec.clause, "roles": [str(r) for r in spec.roles], "due_at": None, "done_at": None,
                "open": False, "done_on_time": None, "reminded_stage": 0,
                "changed_at": values.get("done_at") or values.get("due_at")} | values

    return row


def _build_decisions(built: Partnership, organisations: list[Organisation], rng: random.Random,
                     now: datetime) -> None:
    """Decisions agreed at PDEG, twenty to a meeting, each awaiting the Boards of the parties it affects."""
    first = _next_id(Recommendation)
    first_meeting = _next_id(PdegMeeting)
    recommendations, affected, ratifications, meetings, items = [], [], [], [], []
    per_meeting = 20
    for m in range((built.decisions + per_meeting - 1) // per_meeting):
        held: date = local_day(now) - timedelta(days=7 * (m + 1))
        meetings.append({"id": first_meeting + m, "meeting_date": held, "title": f"PDEG meeting {m + 1}",
                         "created_by_id": built.secretariat.id, "created_at": now - timedelta(days=7 * (m + 2)),
                         "lock_version": 1})
    for i in range(built.decisions):
        n = first + i
        meeting = meetings[i // per_meeting]
        agreed = datetime.combine(meeting["meeting_date"], datetime.min.time(), UTC) + timedelta(hours=12)
        recommendations.append({
            "id": n, "reference": f"R2025-{n:05d}", "title": f"Decision {n}", "raised_by_kind": RaisedBy.STP_LEADER,
            "raised_by_user_id": built.leader.id, "state": "awaiting_ratification",
            "amendment_version": 1, "agenda_meeting_date": meeting["meeting_date"], "created_at": agreed,
            "updated_at": agreed, "lock_version": 1, "summary": "", "decision_sought": "", "amendment": "",
            "is_variation": False,
        })
        items.append({"meeting_id": meeting["id"], "recommendation_id": n, "part": AgendaPart.ONE,
                      "position": i % per_meeting + 1, "outcome": AgendaOutcome.AGREED,
                      "minute_reference": f"{i % per_meeting + 1}/{meeting['id']}", "reasons": "", "amendment": "",
                      "lock_version": 1})
        for organisation in rng.sample(organisations, rng.randint(2, BOARDS)):
            affected.append({"recommendation_id": n, "organisation_id": organisation.id})
            ratifications.append({
                "recommendation_id": n, "organisation_id": organisation.id, "version": 1,
                "state": rng.choice(["awaiting_board", "ratified",
                                     "deferred"]),
                "created_at": agreed, "updated_at": agreed, "minute_reference": "", "lock_version": 1,
            })
    _bulk(PdegMeeting, meetings)
    _bulk(Recommendation, recommendations)
    _bulk(RecommendationParty, affected)
    _bulk(AgendaItem, items)
    _bulk(Ratification, ratifications)
