"""Who must act on a step, resolved in bulk: a fixed number of queries however many cases.

A step names roles relative to its case (``workflows.roles.CaseRole``); here they become accounts:
the officers (partner chief executive and deputy, 10.3) of the dispute's parties and of the
organisations on its panel, the STP Leader (whoever holds the assignment now),
the Board secretary of a ratification's party and the PDEG secretariat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from govern.auth.models import Role, StpLeaderAssignment, User
from govern.cases.models import CaseKind
from govern.disputes.models import DisputeParty, PanelMember
from govern.extensions import db
from govern.pdeg.models import Ratification
from workflows import CaseRole

Case = tuple[CaseKind, int]
_SIDES = {CaseRole.FILING_PARTY: "filed", CaseRole.OTHER_PARTY: "co_party", CaseRole.RESPONDENT: "respondent"}


@dataclass
class Audiences:
    """The accounts behind each role of each case, and everyone's email address."""

    #: dispute -> [(org, side)], side "filed", "co_party" or "respondent"
    parties: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    panels: dict[int, set[int]] = field(default_factory=dict)  # dispute -> panel orgs
    ratification_orgs: dict[int, int] = field(default_factory=dict)  # ratification -> org
    officers: dict[int, set[int]] = field(default_factory=dict)  # org -> CEO and deputy user ids
    ceos: dict[int, set[int]] = field(default_factory=dict)  # org -> CEO user ids
    secretaries: dict[int, set[int]] = field(default_factory=dict)  # org -> Board secretary user ids
    secretariat: set[int] = field(default_factory=set)
    stp_leader_id: int | None = None
    emails: dict[int, str] = field(default_factory=dict)

    def users(self, case: Case, roles: Iterable[str]) -> set[int]:
        """The accounts that hold any of ``roles`` in ``case``."""
        kind, case_id = case
        found: set[int] = set()
        for role in roles:
            match role:
                case (CaseRole.PARTY | CaseRole.FILING_PARTY | CaseRole.OTHER_PARTY
                      | CaseRole.RESPONDENT) if kind is CaseKind.DISPUTE:
                    for org, side in self.parties.get(case_id, ()):
                        if role == CaseRole.PARTY or _SIDES[role] == side:
                            found |= self.officers.get(org, set())
                case CaseRole.PANEL_MEMBER if kind is CaseKind.DISPUTE:
                    # A panel organisation acts through its chief executive and its deputy (10.3).
                    for org in self.panels.get(case_id, ()):
                        found |= self.officers.get(org, set())
                case CaseRole.STP_LEADER if self.stp_leader_id is not None:
                    found.add(self.stp_leader_id)
                case CaseRole.PDEG_SECRETARIAT:
                    found |= self.secretariat
                case CaseRole.BOARD_SECRETARY if kind is CaseKind.RATIFICATION:
                    found |= self.secretaries.get(self.ratification_orgs.get(case_id, -1), set())
        return found


def resolve(
    cases: Iterable[Case],
    *,
    panel_override: Mapping[int, Iterable[int]] | None = None,
    extra_orgs: Iterable[int] = (),
    roles: Iterable[str] = tuple(CaseRole),
) -> Audiences:
    """Load, in a handful of queries, who holds each role in ``cases``.

    ``panel_override``: a dispute's panel as it is being nominated in this transaction (the panel rows
    are written after the transition is stored). ``extra_orgs``: organisations whose officers or Board
    secretaries are wanted besides the cases' own. ``roles``: the roles asked for (skips queries).
    """
    wanted = {str(r) for r in roles}
    audiences = Audiences()
    disputes = sorted({case_id for kind, case_id in cases if kind is CaseKind.DISPUTE})
    ratifications = sorted({case_id for kind, case_id in cases if kind is CaseKind.RATIFICATION})
    orgs: set[int] = set(extra_orgs)
    if disputes:
        parties: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for dispute_id, org, filed, respondent in db.session.execute(
            select(DisputeParty.dispute_id, DisputeParty.organisation_id, DisputeParty.filed, DisputeParty.respondent)
            .where(DisputeParty.dispute_id.in_(disputes))
        ):
            parties[dispute_id].append((org, "filed" if filed else ("respondent" if respondent else "co_party")))
            orgs.add(org)
        audiences.parties = dict(parties)
        if CaseRole.PANEL_MEMBER in wanted:
            panels: dict[int, set[int]] = defaultdict(set)
            for dispute_id, org in db.session.execute(
                select(PanelMember.dispute_id, PanelMember.organisation_id)
                .where(PanelMember.dispute_id.in_(disputes), PanelMember.active.is_(True))
            ):
                panels[dispute_id].add(org)
            for dispute_id, override in (panel_override or {}).items():
                panels[dispute_id] = set(override)
            audiences.panels = dict(panels)
            orgs |= set().union(*audiences.panels.values()) if audiences.panels else set()
    if ratifications:
        audiences.ratification_orgs = dict(
            db.session.execute(
                select(Ratification.id, Ratification.organisation_id).where(Ratification.id.in_(ratifications))
            ).all()
        )
        orgs |= set(audiences.ratification_orgs.values())
    if orgs:
        officers: dict[int, set[int]] = defaultdict(set)
        ceos: dict[int, set[int]] = defaultdict(set)
        secretaries: dict[int, set[int]] = defaultdict(set)
        for user_id, email, org, role in db.session.execute(
            select(User.id, User.email, User.organisation_id, User.role).where(
                User.active.is_(True),
                User.organisation_id.in_(sorted(orgs)),
                User.role.in_((Role.PARTNER_CEO, Role.DEPUTY, Role.BOARD_SECRETARY)),
            )
        ):
            audiences.emails[user_id] = email
            if role is Role.BOARD_SECRETARY:
                secretaries[org].add(user_id)
            else:
                officers[org].add(user_id)
                if role is Role.PARTNER_CEO:
                    ceos[org].add(user_id)
        audiences.officers, audiences.ceos, audiences.secretaries = dict(officers), dict(ceos), dict(secretaries)
    if CaseRole.STP_LEADER in wanted:
        # Not the per-request cache: the sweep runs outside requests and the assignment may move.
        leader = db.session.execute(
            select(User.id, User.email)
            .join(StpLeaderAssignment, StpLeaderAssignment.user_id == User.id)
            .where(StpLeaderAssignment.ended_at.is_(None), User.active.is_(True))
            .order_by(StpLeaderAssignment.started_at.desc())
            .limit(1)
        ).first()
        if leader is not None:
            audiences.stp_leader_id = leader.id
            audiences.emails[leader.id] = leader.email
    if CaseRole.PDEG_SECRETARIAT in wanted:
        for user_id, email in db.session.execute(
            select(User.id, User.email).where(User.active.is_(True), User.role == Role.PDEG_SECRETARIAT)
        ):
            audiences.secretariat.add(user_id)
            audiences.emails[user_id] = email
    return audiences
