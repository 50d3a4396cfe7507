"""Helpers for the tests that run cases through the operations: the people, the clock, what is stored.

The people are real accounts: each party's partner chief executive (who also sits on panels for
their organisation), the STP Leader, the PDEG secretariat, Board secretaries and group chairs.
Time is frozen and moved on by hand so the events' moments (and so the due dates) are known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from govern import cases
from govern.audit.models import AuditEvent
from govern.auth.models import Role, User
from govern.cases.models import CaseEvent, CaseKind
from govern.core import clock
from govern.disputes import operations as ops
from govern.disputes.facts import definition_of
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import Organisation
from workflows.definitions import REFERENCE_FIELD

#: A Wednesday with no bank holiday near, 10:00 in London (GMT).
START = datetime(2023, 3, 1, 10, 0, tzinfo=UTC)


@dataclass
class Cast:
    """The people who act in the cases, created on first use: ``cast.ceo("RDE")``, ``cast.leader``."""

    make_user: Callable[..., User]
    leader: User
    _users: dict[tuple[Role, str, str | None], User] = field(default_factory=dict)

    def user(self, role: Role, code: str, group_code: str | None = None) -> User:
        """The (one) user with ``role`` at organisation ``code``."""
        key = (role, code, group_code)
        if key not in self._users:
            self._users[key] = self.make_user(role, code, group_code=group_code)
        return self._users[key]

    def ceo(self, code: str) -> User:
        """The partner chief executive of ``code``: acts for the party and sits on its panels."""
        return self.user(Role.PARTNER_CEO, code)

    def deputy(self, code: str) -> User:
        """The deputy ``code`` nominated (clause 10.3)."""
        return self.user(Role.DEPUTY, code)

    def secretary(self, code: str) -> User:
        """The Board secretary of ``code``."""
        return self.user(Role.BOARD_SECRETARY, code)

    @property
    def secretariat(self) -> User:
        """The PDEG secretariat at the programme office."""
        return self.user(Role.PDEG_SECRETARIAT, "STP")

    def chair(self, group_code: str = "FWG", org_code: str = "RDE") -> User:
        """The chair of a subordinate group."""
        return self.user(Role.GROUP_CHAIR, org_code, group_code)


class Clock:
    """The frozen clock, moved on by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start
        clock.freeze(start)

    def tick(self, by: timedelta = timedelta(hours=1)) -> datetime:
        """Move the clock on by ``by`` and return the new moment."""
        self.now += by
        clock.freeze(self.now)
        return self.now


def audit_count() -> int:
    """How many audit events are stored."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def audit_actions(object_type: str, object_id: int) -> list[str]:
    """The audit events recorded for one object, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.seq)
        )
    )


def event_names(kind: CaseKind, case_id: int) -> list[str]:
    """The case's stored events, in the order they were recorded."""
    return list(
        db.session.scalars(
            select(CaseEvent.name)
            .where(CaseEvent.case_kind == kind, CaseEvent.case_id == case_id)
            .order_by(CaseEvent.id)
        )
    )


def stored_event(kind: CaseKind, case_id: int, name: str) -> CaseEvent:
    """The latest stored event called ``name``."""
    row = db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_kind == kind, CaseEvent.case_id == case_id, CaseEvent.name == name)
        .order_by(CaseEvent.id.desc())
    ).first()
    assert row is not None, f"no {name} event"
    return row


def complete_texts(dispute: Dispute) -> dict[str, str]:
    """Text under every heading the dispute's process asks for (per party where asked)."""
    texts: dict[str, str] = {}
    for heading in definition_of(dispute).headings:
        orgs: list[int | None] = sorted(dispute.party_ids) if heading.per_party else [None]
        for org in orgs:
            texts[heading.field_key(org)] = f"What we say under {heading.title}"
        if heading.reference:
            texts[REFERENCE_FIELD] = "PDEG minute 2023/07"
    return texts


def snapshot(dispute: Dispute) -> dict[str, Any]:
    """What is stored about a dispute, to compare before and after a refused action."""
    db.session.expire_all()
    fresh = db.session.get(Dispute, dispute.id)
    assert fresh is not None
    return {
        "state": fresh.state,
        "version": fresh.version,
        "events": event_names(CaseKind.DISPUTE, fresh.id),
        "panel": [(m.organisation_id, m.declaration, m.active) for m in fresh.panel],
        "responses": [(r.organisation_id, r.response) for r in fresh.responses],
        "material": {m.key: m.text for m in fresh.material},
        "audit": audit_count(),
    }

#: The organisations whose chief executives act in these cases.
PEOPLE = ("RDE", "NDHT", "DCC", "PCC", "NHSE", "NHSI", "TC", "LSW")

Step = tuple[str, str, dict[str, Any]]


@dataclass
class Run:
    """A dispute being run: who is who, the clock, and the operations done so far."""

    cast: Cast
    org: Callable[[str], Organisation]
    clock: Clock
    dispute: Dispute | None = None
    operations: int = 0

    def who(self, name: str) -> User:
        """``leader``, or the partner chief executive of an organisation code (``RDE``)."""
        return self.cast.leader if name == "leader" else self.cast.ceo(name)

    def ids(self, *codes: str) -> list[int]:
        return [self.org(code).id for code in codes]

    def file(self, by: str, process_key: str, *, other: str | None = None, **extra: Any) -> Dispute:
        """File (notify) the dispute: the first operation."""
        self.clock.tick()
        if process_key == "scenario_4":
            # Scenario 4 names the organisation whose practice changed: a respondent, never on the panel.
            extra.setdefault("respondents", [self.org("SDT-CCG")])
        if process_key in ("scenario_2", "scenario_3"):
            # Scenarios 2 and 3 name the decision at filing (the report later cites the same reference).
            extra.setdefault("decision_reference", "PDEG minute 2023/07")
        self.dispute = ops.file_dispute(
            self.who(by),
            process_key=process_key,
            title="Where the hyper-acute stroke unit goes",
            negotiation_attempted=True,
            negotiation_account="Chief executives met three times in January.",
            other_parties=[self.org(other)] if other else [],
            **extra,
        )
        db.session.commit()
        self.operations += 1
        return self.dispute

    def do(self, by: str, action: str, payload: dict[str, Any] | None = None) -> None:
        """One operation as one request: ``save`` writes the material, anything else is a trigger."""
        assert self.dispute is not None
        self.clock.tick()
        payload = dict(payload or {})
        user = self.who(by)
        if action == "save":
            # An empty payload writes every heading; otherwise the headings (and principles) given.
            texts = dict(payload) if payload else complete_texts(self.dispute)
            principles = texts.pop("principles", None)
            ops.save_written_material(self.dispute, user, texts, principles)
        else:
            for key in ("organisation_ids", "called", "invited", "attended"):
                if key in payload:
                    payload[key] = self.ids(*payload[key])
            cases.act(self.dispute, user, action, payload)
        db.session.commit()
        self.operations += 1

    def run(self, steps: list[Step]) -> None:
        for by, action, payload in steps:
            self.do(by, action, payload)


def start_run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    """A run with every chief executive's account made (and audited) before the clock starts."""
    for code in PEOPLE:
        cast.ceo(code)
    return Run(cast, org, Clock())
