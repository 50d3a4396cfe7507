"""Demo accounts, one or more per role, so a newcomer sees a living system."""

from __future__ import annotations

from sqlalchemy import select

from govern.auth import operations
from govern.auth.models import Role, User, current_stp_leader_assignment
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup
from govern.partnership.seed import seed_partnership

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published in the README for the demo only
DEMO_DOMAIN = "demo.govern.test"
# The demo's administrator and STP Leader must give a second factor like everyone in their roles; their
# authenticator secret is published with the demo password (README) so a visitor can add it to an app.
DEMO_TOTP_SECRET = "GOVERNDEMOTOTPSECRETFORTRYING234"  # noqa: S105 - published in the README for the demo only
DEMO_MFA_ACCOUNTS = ("admin", "stp.leader")

# (email local part, name, role, organisation code, group code)
SYSTEM_ACCOUNTS: tuple[tuple[str, str, Role, str, str | None], ...] = (
    ("admin", "Alex Admin", Role.ADMINISTRATOR, "STP", None),
    ("stp.leader", "Sam Leader", Role.SYSTEM_LEADERSHIP, "STP", None),
    ("secretariat", "Pat Secretariat", Role.PDEG_SECRETARIAT, "STP", None),
)
CHAIRS = {"FWG": "Fran Finance", "CC": "Chris Clinical", "SPDG": "Dana Delivery", "SEG": "Evan Exec",
          "SWOD": "Wren Workforce"}


def demo_accounts() -> list[tuple[str, str, Role, str, str | None]]:
    """Every demo account: the system's, each party's CEO, deputy and Board secretary, each chair."""
    accounts = list(SYSTEM_ACCOUNTS)
    for org in db.session.scalars(select(Organisation).order_by(Organisation.name)):
        if org.code == "STP":
            continue
        slug = org.code.lower()
        accounts.append((f"ceo.{slug}", f"Chief Executive, {org.short_name}", Role.PARTNER_CEO, org.code, None))
        accounts.append((f"deputy.{slug}", f"Deputy, {org.short_name}", Role.DEPUTY, org.code, None))
        accounts.append((f"secretary.{slug}", f"Board Secretary, {org.short_name}", Role.BOARD_SECRETARY,
                         org.code, None))
    for code, name in CHAIRS.items():
        accounts.append((f"chair.{code.lower()}", name, Role.GROUP_CHAIR, "STP", code))
    return accounts


def load_demo() -> int:
    """Seed the partnership and add the demo accounts; safe to run twice. Returns accounts added."""
    seed_partnership()
    added = 0
    organisations = {o.code: o for o in db.session.scalars(select(Organisation))}
    groups = {g.code: g for g in db.session.scalars(select(SubordinateGroup))}
    existing = set(db.session.scalars(select(User.email)))
    for local, name, role, org_code, group_code in demo_accounts():
        email = f"{local}@{DEMO_DOMAIN}"
        if email in existing:
            continue
        user = operations.create_user(
            email=email, name=name, password=DEMO_PASSWORD, organisation=organisations[org_code], role=role,
            group=groups.get(group_code) if group_code else None,
        )
        if local in DEMO_MFA_ACCOUNTS:
            user.totp_secret = DEMO_TOTP_SECRET
            user.totp_enabled_at = user.created_at
        added += 1
    if current_stp_leader_assignment() is None:
        leader = db.session.scalar(select(User).where(User.email == f"stp.leader@{DEMO_DOMAIN}"))
        admin = db.session.scalar(select(User).where(User.email == f"admin@{DEMO_DOMAIN}"))
        assert leader is not None
        operations.assign_stp_leader(leader, authority="Designated in the MoU (clause 6.1)", actor=admin)
    from govern.disputes.demo import load_demo_disputes

    load_demo_disputes()
    from govern.pdeg.demo import load_demo_recommendations

    load_demo_recommendations()
    return added
