"""The standing register of interests: declarations per person and per organisation, the annual reminder,
declarations made on a dispute panel (heard through the case signals) and at a PDEG meeting, the extract
on the "nominate the panel" page, and Part Two papers kept from a member with a conflict on the item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from govern.auth.models import User
from govern.cases import signals
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.interests import operations as interest_ops
from govern.interests.models import DeclaredAt, InterestReminder, RegisteredInterest
from govern.interests.queries import extract_for, may_see_part_two
from govern.interests.reminders import send_annual_reminders
from govern.notify.models import Notice
from govern.partnership.models import Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import AgendaPart
from tests.casework import Cast, Run, audit_actions, audit_count, start_run

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def declare(user: User, **extra: Any) -> RegisteredInterest:
    fields = {"description": "Non-executive director of a care home group", "since": date(2022, 4, 1), **extra}
    found = interest_ops.declare_interest(user, **fields)
    db.session.commit()
    return found


def test_a_person_declares_an_interest_and_ends_it(cast: Cast) -> None:
    ceo = cast.ceo("RDE")
    found = declare(ceo)
    assert (found.user_id, found.organisation_id, found.declared_at) == (ceo.id, ceo.organisation_id,
                                                                         DeclaredAt.REGISTER)
    interest_ops.end_interest(found, ceo, until=date(2023, 1, 31))
    db.session.commit()
    assert found.until == date(2023, 1, 31)
    assert audit_actions("interest_declaration", found.id) == ["declare_interest", "end_interest"]
    with pytest.raises(OperationError, match="Only whoever declared it"):
        interest_ops.end_interest(found, cast.ceo("PCC"), until=date(2023, 2, 1))


def test_a_chief_executive_declares_for_the_organisation_and_a_secretary_may_not(cast: Cast) -> None:
    found = declare(cast.deputy("RDE"), for_organisation=True, description="Joint venture with a private provider")
    assert found.user_id is None and found.organisation_id == cast.ceo("RDE").organisation_id
    assert found.can_change(cast.ceo("RDE"))  # the organisation's, kept by its officers (10.3)
    with pytest.raises(OperationError, match="chief executive or deputy") as refused:
        interest_ops.declare_interest(cast.secretary("RDE"), description="x", since=date(2022, 1, 1),
                                      for_organisation=True)
    assert refused.value.clause == "10.3"


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"description": " "}, "description", "Say what the interest is"),
        ({"since": None}, "since", "Enter the date the interest began"),
        ({"until": date(2022, 3, 1)}, "until", "The interest cannot end before it began (Fri 1 Apr 2022)"),
    ],
)
def test_a_bad_declaration_is_refused_beside_its_field(cast: Cast, extra: dict[str, Any], field: str,
                                                       message: str) -> None:
    ceo = cast.ceo("RDE")
    before = audit_count()
    fields = {"description": "Shares", "since": date(2022, 4, 1), **extra}
    with pytest.raises(OperationError) as refused:
        interest_ops.declare_interest(ceo, **fields)
    assert (refused.value.field, refused.value.message) == (field, message)
    db.session.rollback()
    assert audit_count() == before


def test_the_annual_reminder_goes_to_each_chief_executive_and_deputy_once_a_year(cast: Cast) -> None:
    clock.freeze(datetime(2023, 3, 1, 9, tzinfo=UTC))
    ceo, deputy, secretary = cast.ceo("RDE"), cast.deputy("RDE"), cast.secretary("RDE")  # accounts made today

    def sweep(day: date) -> int:
        clock.freeze(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
        sent = send_annual_reminders()
        db.session.commit()
        return sent

    assert sweep(date(2023, 3, 1)) == 0    # a new account: not yet a year
    assert sweep(date(2024, 2, 29)) == 0
    assert sweep(date(2024, 3, 1)) == 2    # the first anniversary
    assert sweep(date(2024, 3, 1)) == 0    # once, however often tick runs
    assert sweep(date(2024, 11, 30)) == 0
    assert sweep(date(2025, 3, 1)) == 2    # the second
    reminded = db.session.execute(select(InterestReminder.user_id, InterestReminder.year)).all()
    assert sorted(reminded) == sorted([(ceo.id, 1), (deputy.id, 1), (ceo.id, 2), (deputy.id, 2)])
    assert secretary.id not in {user_id for user_id, _ in reminded}
    assert db.session.scalar(select(func.count(Notice.id)).where(Notice.user_id == ceo.id,
                                                                   Notice.link == "/interests")) == 2


def test_a_conflict_declared_on_a_dispute_panel_goes_into_the_register(run: Run, cast: Cast) -> None:
    dispute = run.file("RDE", "scenario_2", decision_reference="PDEG minute 2023/07")
    run.run([("leader", "nominate_panel", {"organisation_ids": ["DCC", "PCC"]}),
             ("DCC", "declare_interest", {"conflict": False}),
             ("PCC", "declare_interest", {"conflict": True, "details": "Our medical director advised RDE"})])
    rows = db.session.scalars(select(RegisteredInterest)).all()
    assert [(r.organisation.code, r.declared_at, r.dispute_id) for r in rows] == [
        ("PCC", DeclaredAt.DISPUTE_PANEL, dispute.id)]
    assert rows[0].description == "Conflict of interest declared on a dispute panel: Our medical director advised RDE"
    assert rows[0].user_id == cast.ceo("PCC").id


def test_a_dispute_panels_declaration_is_shown_only_to_its_organisation_and_the_stp_leader(
    run: Run, cast: Cast, client_for: Callable[[User], Any],
) -> None:
    run.file("RDE", "scenario_2", decision_reference="PDEG minute 2023/07")
    run.run([("leader", "nominate_panel", {"organisation_ids": ["PCC"]}),
             ("PCC", "declare_interest", {"conflict": True, "details": "Advised RDE"})])
    for user, shown in ((cast.ceo("PCC"), True), (cast.leader, True), (cast.ceo("TC"), False)):
        html = client_for(user).get("/interests/register").get_data(as_text=True)
        assert ("Advised RDE" in html) is shown, user.email


def test_a_declaration_at_a_pdeg_meeting_goes_into_the_register(cast: Cast) -> None:
    member = cast.ceo("NDHT")
    signals.interest_declared.send(None, user=cast.secretariat, person=member.name.upper(),
                                   organisation_id=member.organisation_id,
                                   description="Partner runs a bidding provider", recommendation_id=None,
                                   now=clock.now())
    signals.interest_declared.send(None, user=cast.secretariat, person="Dr A Visitor", organisation_id=None,
                                   description="Advises a bidder", recommendation_id=None, now=clock.now())
    db.session.commit()
    found = db.session.scalars(select(RegisteredInterest).order_by(RegisteredInterest.id)).all()
    assert [(f.user_id, f.person_name, f.organisation_id, f.declared_at) for f in found] == [
        (member.id, "", member.organisation_id, DeclaredAt.PDEG_MEETING),
        (None, "Dr A Visitor", None, DeclaredAt.PDEG_MEETING)]
    assert not found[1].can_change(cast.ceo("NDHT"))


def test_the_extract_lists_each_proposed_organisations_current_declarations(
    cast: Cast, org: Callable[[str], Organisation],
) -> None:
    clock.freeze(datetime(2023, 3, 1, 9, tzinfo=UTC))
    declare(cast.ceo("DCC"), description="Trustee of a hospice")
    declare(cast.ceo("DCC"), description="Ended one", until=date(2022, 12, 31))
    declare(cast.ceo("PCC"), description="Adviser to a bidder", for_organisation=True)
    found = extract_for([org("DCC").id, org("PCC").id, org("TC").id])
    assert {k: [d.description for d in v] for k, v in found.items()} == {
        org("DCC").id: ["Trustee of a hospice"], org("PCC").id: ["Adviser to a bidder"]}


def test_the_nominate_the_panel_page_shows_the_register_extract(run: Run, cast: Cast,
                                                                client_for: Callable[[User], Any]) -> None:
    dispute = run.file("RDE", "scenario_2", decision_reference="PDEG minute 2023/07")
    declare(cast.ceo("DCC"), description="Trustee of a hospice", since=date(2022, 1, 1))
    page = client_for(cast.leader).get(f"/disputes/{dispute.id}/actions/nominate_panel")
    assert page.status_code == 200
    html = " ".join(page.get_data(as_text=True).split())
    assert "From the register of interests" in html
    assert "Trustee of a hospice" in html


# --- Part Two papers ---------------------------------------------------------------------------------------


def test_a_member_with_a_conflict_on_a_part_two_item_does_not_see_its_papers(
    cast: Cast, org: Callable[[str], Organisation],
) -> None:
    from tests.test_pdeg_operations import Pdeg

    pdeg = Pdeg(cast, org)
    rec = pdeg.raise_()
    meeting = pdeg_ops.schedule_meeting(cast.secretariat, meeting_date=pdeg.today, title="PDEG")
    item = pdeg_ops.add_to_agenda(meeting, rec, cast.secretariat, part=AgendaPart.TWO)
    db.session.commit()
    member, colleague, other = cast.ceo("NDHT"), cast.deputy("NDHT"), cast.ceo("RDE")
    assert may_see_part_two(member, item)

    signals.interest_declared.send(None, user=cast.secretariat, person=member.name,
                                   organisation_id=member.organisation_id, description="Shares in the preferred bidder",
                                   recommendation_id=rec.id, now=clock.now())
    db.session.commit()
    assert not may_see_part_two(member, item)
    assert may_see_part_two(colleague, item)  # a person's conflict is their own
    assert may_see_part_two(other, item)

    declare(cast.ceo("RDE"), for_organisation=True, description="Bidding", since=pdeg.today,
            recommendation_id=rec.id)
    assert not may_see_part_two(cast.deputy("RDE"), item)  # an organisation's conflict is its people's

    item.part = AgendaPart.ONE
    assert may_see_part_two(member, item)  # Part One is not restricted


def test_the_register_pages(cast: Cast, client_for: Callable[[User], Any], org: Callable[[str], Organisation]) -> None:
    browser = client_for(cast.ceo("RDE"))
    bad = browser.post("/interests", data={"description": "", "since[day]": "1", "since[month]": "4",
                                           "since[year]": "2022"})
    assert bad.status_code == 400 and "Say what the interest is" in bad.get_data(as_text=True)
    good = browser.post("/interests", data={"description": "Governor of a college", "since[day]": "1",
                                            "since[month]": "4", "since[year]": "2022"})
    assert good.status_code == 302
    register = client_for(cast.secretary("PCC")).get(f"/interests/register?organisation={org('RDE').id}")
    assert "Governor of a college" in register.get_data(as_text=True)
