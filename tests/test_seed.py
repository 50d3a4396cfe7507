"""``flask --app govern seed`` loads the Devon STP MoU; ``demo`` adds an account for every role.

The MoU text in /work/shared/mou is the source the seed must match word for word.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from sqlalchemy import func, select

from govern.audit.models import AuditEvent
from govern.auth.models import Role, User, current_stp_leader_assignment
from govern.extensions import db
from govern.partnership.models import (
    Mou,
    MouStatus,
    Organisation,
    OrganisationKind,
    Principle,
    PrincipleSection,
    SubordinateGroup,
)
from govern.testing import clean_database

MOU_TEXT = Path("/work/shared/mou/devon-stp-mou.txt")

needs_mou_text = pytest.mark.skipif(not MOU_TEXT.is_file(), reason=f"{MOU_TEXT} is not on this machine")


def run(app: Flask, *args: str) -> str:
    """Run a ``flask --app govern`` command; it must succeed. Returns its output."""
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def row_counts() -> dict[str, int]:
    """Rows in every table (the audit head included)."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def parties() -> list[Organisation]:
    return [o for o in db.session.scalars(select(Organisation)) if o.is_party]


def organisation(code: str) -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.code == code))
    assert found is not None
    return found


def schedule_3_bullets() -> dict[PrincipleSection, list[str]]:
    """The bullets under each heading of Schedule 3 in the MoU text, continuation lines joined."""
    text = MOU_TEXT.read_text(encoding="utf-8")
    schedule = text[text.index("Schedule 3 - Agreed Principles"):text.index("Partnership Agreement Appendix1")]
    sections: dict[PrincipleSection, list[str]] = {}
    current: list[str] | None = None
    in_list = False
    for line in schedule.splitlines():
        heading = next((s for s in PrincipleSection if line.strip() == s.title), None)
        if heading is not None:
            current, in_list = sections.setdefault(heading, []), False
        elif current is None or not line.strip():
            continue
        elif line.startswith("- "):
            current.append(line[2:].strip())
            in_list = True
        elif line.startswith(" ") and in_list:
            # An indented line continues the bullet above it, or (once, under Outcomes) is a
            # bullet that lost its dash in the MoU's layout.
            current[-1] += " " + line.strip()
        elif line.startswith(" "):
            current.append(line.strip())
            in_list = True
    return sections


# --- seed: what it loads ----------------------------------------------------------------------


def test_thirteen_parties(app: Flask) -> None:
    assert len(parties()) == 13


@pytest.mark.parametrize(
    ("kind", "count"),
    [
        (OrganisationKind.COMMISSIONER, 2),
        (OrganisationKind.LOCAL_AUTHORITY, 3),
        (OrganisationKind.PROVIDER, 6),
        (OrganisationKind.REGULATOR, 2),
    ],
)
def test_parties_by_kind(app: Flask, kind: OrganisationKind, count: int) -> None:
    assert sum(1 for o in parties() if o.kind is kind) == count


@pytest.mark.parametrize(
    ("name", "kind", "status", "is_party", "pdeg_eligible"),
    [
        ("NHS Improvement", OrganisationKind.REGULATOR, MouStatus.SIGNED_SUBJECT_TO_RATIFICATION, True, False),
        ("NHS England", OrganisationKind.REGULATOR, MouStatus.SIGNED, True, False),
        ("South Western Ambulance Service Trust", OrganisationKind.PROVIDER, MouStatus.ELIGIBLE_NOT_SIGNED,
         False, True),
        ("Royal Devon and Exeter NHS Foundation Trust", OrganisationKind.PROVIDER, MouStatus.SIGNED, True, True),
        ("Torbay Council", OrganisationKind.LOCAL_AUTHORITY, MouStatus.SIGNED, True, True),
        ("South Devon and Torbay CCG", OrganisationKind.COMMISSIONER, MouStatus.SIGNED, True, True),
    ],
)
def test_organisation_standing(
    app: Flask, name: str, kind: OrganisationKind, status: MouStatus, is_party: bool, pdeg_eligible: bool
) -> None:
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    assert found is not None
    assert (found.kind, found.mou_status, found.is_party, found.pdeg_eligible) == (
        kind, status, is_party, pdeg_eligible
    )


def test_nhs_improvement_signed_subject_to_board_ratification(app: Flask) -> None:
    assert organisation("NHSI").mou_status.title == "Signed, subject to Board ratification"


def test_five_subordinate_groups_with_their_schedule_4_names(app: Flask) -> None:
    names = set(db.session.scalars(select(SubordinateGroup.name)))
    assert names == {
        "Finance Working Group",
        "Clinical Cabinet",
        "System Plan Delivery Group/System Performance Group",
        "System Executive Group",
        "System Workforce and OD Group",
    }


@needs_mou_text
def test_subordinate_group_names_are_those_of_the_mou(app: Flask) -> None:
    text = MOU_TEXT.read_text(encoding="utf-8")
    listed = text[text.index("Subordinate Groups:"):text.index("Delegation to subordinate groups")]
    in_mou = {re.sub(r"\s*\(FWG\)$", "", line.strip()).lower() for line in listed.splitlines()[1:] if line.strip()}
    assert {n.lower() for n in db.session.scalars(select(SubordinateGroup.name))} == in_mou


@pytest.mark.parametrize(
    ("section", "codes"),
    [
        (PrincipleSection.VALUES, [f"V{n}" for n in range(1, 16)]),
        (PrincipleSection.OUTCOMES, [f"O{n}" for n in range(1, 11)]),
        (PrincipleSection.BEHAVIOURS, [f"B{n}" for n in range(1, 21)]),
    ],
)
def test_principles_have_stable_codes_in_mou_order(app: Flask, section: PrincipleSection, codes: list[str]) -> None:
    rows = db.session.scalars(select(Principle).where(Principle.section == section).order_by(Principle.position))
    assert [p.code for p in rows] == codes


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("V1", "First and foremost impact on people who uses services and their carers"),
        ("V15", "We are committed to ensuring that we behave fairly and justly to all parties irrespective of "
                "political affiliation."),
        ("O1", "Service delivery will be quality outcome focussed, prioritising people's care and experience by "
               "working towards an improvement in health and well-being and a reduction in health inequality"),
        ("B2", "We will identify where it is mutually beneficial to share information to advance an evidenced "
               "individual and/or system benefit, and to do so on the basis that the information requested is "
               "reasonable for the purpose only, and not excessive. Where information is shared, it is agreed "
               "that it will be used for the stated purpose only"),
        ("B20", "We agree to challenge openly when there is a disagreement and use peer review plans to ensure all "
                "partners keep with the pace required of the STP."),
    ],
)
def test_principle_text_spot_checks(app: Flask, code: str, text: str) -> None:
    assert db.session.scalar(select(Principle.text).where(Principle.code == code)) == text


@needs_mou_text
@pytest.mark.parametrize("section", list(PrincipleSection))
def test_every_principle_is_word_for_word_the_mou(app: Flask, section: PrincipleSection) -> None:
    in_mou = schedule_3_bullets()[section]
    seeded = db.session.scalars(select(Principle.text).where(Principle.section == section).order_by(Principle.position))
    assert list(seeded) == in_mou


def test_the_mou_was_made_on_16_december_2016(app: Flask) -> None:
    mou = db.session.scalars(select(Mou)).one()
    assert mou.made_on == date(2016, 12, 16)


# --- seed: the command, twice -----------------------------------------------------------------


def test_seed_on_an_empty_database_loads_everything_and_says_so(app: Flask) -> None:
    clean_database()
    output = run(app, "seed")
    assert output.startswith("Seeded ")
    counts = row_counts()
    assert (counts["organisation"], counts["subordinate_group"], counts["principle"], counts["mou"]) == (15, 5, 45, 1)
    assert counts["audit_event"] == 1


def test_seeding_again_changes_nothing_and_says_so(app: Flask) -> None:
    before = row_counts()
    output = run(app, "seed")
    assert row_counts() == before
    assert output.strip() == "Already seeded: nothing changed."


def test_seeding_again_writes_no_audit_event(app: Flask) -> None:
    before = db.session.scalar(select(func.max(AuditEvent.seq)))
    run(app, "seed")
    assert db.session.scalar(select(func.max(AuditEvent.seq))) == before


def test_an_administrators_change_survives_seeding_again(app: Flask) -> None:
    nhsi = organisation("NHSI")
    nhsi.mou_status = MouStatus.WITHDRAWN
    nhsi.withdrawal_notice = "Notice under clause 15"
    db.session.commit()
    run(app, "seed")
    nhsi = organisation("NHSI")
    assert (nhsi.mou_status, nhsi.withdrawal_notice) == (MouStatus.WITHDRAWN, "Notice under clause 15")


def test_a_renamed_principle_is_not_overwritten_by_seeding_again(app: Flask) -> None:
    principle = db.session.scalar(select(Principle).where(Principle.code == "V6"))
    assert principle is not None
    principle.text = "Mutual respect and trust (as amended)"
    db.session.commit()
    run(app, "seed")
    assert db.session.scalar(select(Principle.text).where(Principle.code == "V6")) == (
        "Mutual respect and trust (as amended)"
    )


# --- demo -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_demo_has_an_account_for_every_role(app: Flask, role: Role) -> None:
    run(app, "demo")
    assert db.session.scalar(
        select(func.count()).select_from(User).where(User.role == role, User.email.like("%@demo.govern.test"))
    ) >= 1


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("admin@demo.govern.test", Role.ADMINISTRATOR),
        ("stp.leader@demo.govern.test", Role.SYSTEM_LEADERSHIP),
        ("ceo.rde@demo.govern.test", Role.PARTNER_CEO),
        ("chair.fwg@demo.govern.test", Role.GROUP_CHAIR),
    ],
)
def test_demo_accounts_by_name(app: Flask, email: str, role: Role) -> None:
    run(app, "demo")
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None and user.active and user.role is role


def test_the_demo_stp_leader_holds_the_assignment(app: Flask) -> None:
    run(app, "demo")
    assignment = current_stp_leader_assignment()
    assert assignment is not None
    assert assignment.user.email == "stp.leader@demo.govern.test"


def test_demo_accounts_can_log_in_with_the_published_password(app: Flask) -> None:
    output = run(app, "demo")
    password = output.rsplit("Demo password: ", 1)[1].strip()
    key = re.search(r"with the key (\w+)", output).group(1)  # type: ignore[union-attr]
    client = app.test_client()
    response = client.post("/login", data={"email": "admin@demo.govern.test", "password": password})
    assert response.headers["Location"] == "/login/code", "the administrator must give a second factor"
    response = client.post("/login/code", data={"code": pyotp.TOTP(key).now()})
    assert (response.status_code, response.headers["Location"]) == (302, "/")


def test_running_demo_twice_adds_nothing(app: Flask) -> None:
    run(app, "demo")
    before = row_counts()
    output = run(app, "demo")
    assert row_counts() == before
    assert "0 new accounts" in output
