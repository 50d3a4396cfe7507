"""The printed PDEG agenda (issue 12): Part One and Part Two in order (Schedule 4's two roles of PDEG), who
raised each item, and the register of interests' extract for the members and for the parties each item
affects; and a member's Part Two papers kept from them when they declared a conflict on the item."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import event

from govern.auth.models import Role, User
from govern.cases import signals
from govern.cases.models import CaseKind
from govern.core import clock
from govern.extensions import db
from govern.interests import operations as interest_ops
from govern.interests.models import DeclaredAt, RegisteredInterest
from govern.interests.queries import agenda_extract, part_two_papers_withheld
from govern.partnership.models import Organisation
from govern.pdeg import operations, queries
from govern.pdeg.models import AgendaPart, PdegMeeting, RaisedBy, Recommendation
from tests.conftest import Page
from tests.test_attachments import XLSX_BYTES

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


def _raise(user: User, org: Callable[[str], Organisation], title: str,
           codes: tuple[str, ...] = ("RDE", "DCC")) -> Recommendation:
    rec = operations.raise_recommendation(
        user, title=title, summary="S", decision_sought="Agree option B", raised_by=RaisedBy.SUBORDINATE_GROUP,
        affected=[org(c) for c in codes], group=user.group)
    db.session.commit()
    return rec


def _meeting(secretariat: User, place: str = "Board Room, County Hall, Exeter") -> PdegMeeting:
    meeting = operations.schedule_meeting(secretariat, meeting_date=TODAY, title="PDEG", place=place)
    db.session.commit()
    return meeting


def _register(user: User, description: str, **extra: object) -> RegisteredInterest:
    found = interest_ops.declare_interest(user, description=description, since=date(2025, 4, 1), **extra)  # type: ignore[arg-type]
    db.session.commit()
    return found


def _panel_conflict(org_id: int, recorder: User) -> None:
    """A conflict declared on a dispute panel (private to the dispute, Schedule 3)."""
    db.session.add(RegisteredInterest(
        organisation_id=org_id, description="Conflict of interest declared on a dispute panel", since=TODAY,
        declared_at=DeclaredAt.DISPUTE_PANEL, dispute_id=1, recorded_by_id=recorder.id, recorded_at=NOW))
    db.session.commit()


def _text(entries: list[RegisteredInterest]) -> list[str]:
    return [e.description for e in entries]


# --- which register entries go on the agenda (the rule, in govern.interests.queries) -----------------------


def test_the_agenda_extract_lists_each_members_and_each_items_current_declarations(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
) -> None:
    rde, pcc = make_user(Role.PARTNER_CEO, "RDE", name="Rita Chief"), make_user(Role.PARTNER_CEO, "PCC")
    rec = _raise(chair, org, "Stroke services", codes=("RDE", "DCC"))
    other = _raise(chair, org, "Back office", codes=("PCC",))
    _register(rde, "Trustee of a hospice")
    _register(rde, "Ended long ago", until=date(2025, 12, 31))
    _register(pcc, "Adviser to the bidder", recommendation_id=rec.id)  # on the item, though PCC is not affected
    _panel_conflict(org("RDE").id, secretariat)

    found = agenda_extract([org("RDE").id, org("PCC").id, org("TC").id],
                           {rec.id: [org("RDE").id, org("DCC").id], other.id: [org("PCC").id]})

    assert {o: _text(e) for o, e in found.members.items()} == {
        org("RDE").id: ["Trustee of a hospice"], org("PCC").id: ["Adviser to the bidder"]}
    assert _text(found.items[rec.id]) == ["Adviser to the bidder", "Trustee of a hospice"]  # on it first
    assert _text(found.items[other.id]) == ["Adviser to the bidder"]
    assert not found.more


def test_the_agenda_extract_prints_at_most_ten_a_member_and_says_there_are_more(
    org: Callable[[str], Organisation], make_user: Callable[..., User],
) -> None:
    ceo = make_user(Role.PARTNER_CEO, "RDE")
    for n in range(11):
        _register(ceo, f"Interest {n}")
    found = agenda_extract([org("RDE").id], {})
    assert len(found.members[org("RDE").id]) == 10 and found.more == {org("RDE").id}


def test_the_agenda_has_both_parts_in_order_with_who_raised_each_item_and_its_extract(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
) -> None:
    rita = make_user(Role.PARTNER_CEO, "RDE", name="Rita Chief")
    first, second, third = (_raise(chair, org, t) for t in ("First", "Second", "Third"))
    meeting = _meeting(secretariat)
    operations.add_to_agenda(meeting, first, secretariat, part=AgendaPart.TWO)
    operations.add_to_agenda(meeting, second, secretariat, part=AgendaPart.ONE)
    item = operations.add_to_agenda(meeting, third, secretariat, part=AgendaPart.TWO)
    operations.declare_interest(meeting, secretariat, person=rita.name, organisation=org("RDE"),
                                interest="Shares in the preferred bidder", item=item)
    db.session.commit()

    agenda = queries.agenda_of(meeting)

    assert [(p, [(e.number, e.item.recommendation.title) for e in entries]) for p, entries in agenda.parts] == [
        (AgendaPart.ONE, [(1, "Second")]), (AgendaPart.TWO, [(1, "First"), (2, "Third")])]
    entry = agenda.parts[1][1][1]
    assert entry.raised_by == "Finance Working Group"
    assert [o.code for o in entry.affected] == sorted(["RDE", "DCC"], key=lambda c: org(c).name)
    assert [d.interest for d in entry.declared] == ["Shares in the preferred bidder"]
    assert [(e.user_id, e.description) for e in entry.register] == [(rita.id, "Shares in the preferred bidder")]
    assert agenda.member_register[org("RDE").id][0].description == "Shares in the preferred bidder"


# --- the place of a meeting ------------------------------------------------------------------------------


def test_the_secretariat_gives_and_changes_where_a_meeting_is(secretariat: User) -> None:
    meeting = _meeting(secretariat, place="  Board Room,\nCounty Hall ")
    assert meeting.place == "Board Room, County Hall"
    operations.edit_meeting(meeting, secretariat, meeting_date=TODAY, title="PDEG", place="Online (Teams)")
    db.session.commit()
    assert meeting.place == "Online (Teams)"
    operations.edit_meeting(meeting, secretariat, meeting_date=TODAY, title="PDEG, December")
    assert meeting.place == "Online (Teams)"  # not given: as it was


# --- the agenda's page and PDF ------------------------------------------------------------------------------


def _agenda_meeting(chair: User, secretariat: User, org: Callable[[str], Organisation],
                    make_user: Callable[..., User]) -> tuple[PdegMeeting, Recommendation]:
    rita = make_user(Role.PARTNER_CEO, "RDE", name="Rita Chief")
    make_user(Role.DEPUTY, "RDE", name="Dan Deputy")
    rec = _raise(chair, org, "Stroke services")
    meeting = _meeting(secretariat)
    item = operations.add_to_agenda(meeting, rec, secretariat, part=AgendaPart.TWO)
    operations.declare_interest(meeting, secretariat, person=rita.name, organisation=org("RDE"),
                                interest="Shares in the preferred bidder", item=item)
    db.session.commit()
    _panel_conflict(org("DCC").id, secretariat)
    return meeting, rec


def test_the_agenda_page_prints_the_meeting_its_items_and_the_register_extract(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    meeting, rec = _agenda_meeting(chair, secretariat, org, make_user)
    client = client_for(secretariat)
    assert "Print the agenda" in (Page.of(client.get(f"/pdeg/meetings/{meeting.id}")).text("meeting-agenda") or "")

    page = Page.of(client.get(f"/pdeg/meetings/{meeting.id}/agenda/print"))
    summary = " ".join((page.text("agenda-summary") or "").split())
    assert "Mon 30 November 2026" in summary and "Board Room, County Hall, Exeter" in summary
    item = " ".join((page.text(f"agenda-item-{rec.reference}") or "").split())
    for expected in ("Part Two, item 1", "Raised byFinance Working Group", "Agree option B",
                     "Devon County Council; Royal Devon and Exeter NHS Foundation Trust",
                     "Rita Chief (Royal Devon and Exeter NHS Foundation Trust): Shares in the preferred bidder",
                     "Since Mon 30 November 2026 (At a PDEG meeting)"):
        assert expected in item, expected
    members = " ".join((page.text("agenda-member-list") or "").split())
    assert "Rita Chief" in members and "Dan Deputy" in members
    assert "Shares in the preferred bidder" in (page.text("agenda-register-member-RDE") or "")
    assert " ".join((page.text("agenda-register-member-DCC") or "").split()) == "Devon County CouncilNone declared"
    assert "Conflict of interest declared on a dispute panel" not in client.get(
        f"/pdeg/meetings/{meeting.id}/agenda/print").get_data(as_text=True)


def test_the_agenda_pdf_says_the_same(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    meeting, rec = _agenda_meeting(chair, secretariat, org, make_user)
    response = client_for(make_user(Role.DEPUTY, "PCC")).get(f"/pdeg/meetings/{meeting.id}/agenda.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="pdeg-agenda-2026-11-30.pdf"'
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
    for expected in ("Mon 30 November 2026", "Board Room, County Hall, Exeter", "Part One", "Part Two, item 1",
                     f"{rec.reference} Stroke services", "Raised by Finance Working Group",
                     "Shares in the preferred bidder", "Register of interests: the members"):
        assert expected in text, expected
    assert "dispute panel:" not in text


@pytest.mark.parametrize(("role", "code", "status"), [
    (Role.PDEG_SECRETARIAT, "STP", 200), (Role.PARTNER_CEO, "PCC", 200), (Role.DEPUTY, "RDE", 200),
    (Role.BOARD_SECRETARY, "RDE", 403), (Role.GROUP_CHAIR, "STP", 403),
])
def test_the_agenda_is_for_the_secretariat_and_the_members(
    secretariat: User, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    role: Role, code: str, status: int,
) -> None:
    meeting = _meeting(secretariat)
    client = client_for(make_user(role, code))
    assert client.get(f"/pdeg/meetings/{meeting.id}/agenda/print").status_code == status
    link = Page.of(client.get(f"/pdeg/meetings/{meeting.id}")).text("meeting-agenda")
    assert (link is not None) == (status == 200)


def test_the_agenda_makes_the_same_number_of_queries_however_long_it_is(
    app: Flask, chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    meeting = _meeting(secretariat)
    client = client_for(secretariat)
    ceos = {code: make_user(Role.PARTNER_CEO, code) for code in ("RDE", "DCC", "PCC", "TC")}
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    def queries_with(items: int) -> int:
        while len(meeting.items) < items:
            n = len(meeting.items)
            codes = tuple(list(ceos)[: 1 + n % 4])
            rec = _raise(chair, org, f"Item {n}", codes=codes)
            item = operations.add_to_agenda(meeting, rec, secretariat,
                                            part=AgendaPart.ONE if n % 2 else AgendaPart.TWO)
            operations.declare_interest(meeting, secretariat, person=f"P {n}", interest="I", item=item,
                                        organisation=org(codes[0]))
            db.session.commit()
            _register(ceos[codes[-1]], f"Register entry {n}", recommendation_id=rec.id)
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/pdeg/meetings/{meeting.id}/agenda/print").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    assert queries_with(1) == queries_with(8)


# --- Part Two papers: kept from a member who declared a conflict on the item (Schedule 4) -------------------


def _paper_on(rec: Recommendation, client: FlaskClient) -> int:
    from govern.attachments.queries import attachments_for

    response = client.post(f"/attachments/recommendation/{rec.id}",
                           data={"file": (io.BytesIO(XLSX_BYTES), "Options.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 302
    [paper] = attachments_for(CaseKind.RECOMMENDATION, rec.id)
    return paper.id


def _conflict_on(rec: Recommendation, person: User, recorder: User) -> None:
    """Declared at a PDEG meeting on the item, as the meeting's record sends it to the register."""
    signals.interest_declared.send(None, user=recorder, person=person.name, organisation_id=person.organisation_id,
                                   description="Shares in the preferred bidder", recommendation_id=rec.id, now=NOW)
    db.session.commit()


@pytest.mark.parametrize(("part", "declared", "withheld"), [
    (AgendaPart.TWO, "person", {"member"}),
    (AgendaPart.TWO, "organisation", {"member", "colleague"}),
    (AgendaPart.ONE, "person", set()),
    (AgendaPart.ONE, "organisation", set()),
    (None, "person", set()),  # not on an agenda yet: no Part Two papers
])
def test_the_papers_of_a_part_two_item_are_kept_from_whoever_declared_a_conflict_on_it(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    part: AgendaPart | None, declared: str, withheld: set[str],
) -> None:
    people = {"member": make_user(Role.PARTNER_CEO, "RDE", name="Rita Chief"),
              "colleague": make_user(Role.DEPUTY, "RDE"), "other": make_user(Role.PARTNER_CEO, "DCC")}
    rec = _raise(chair, org, "Stroke services")
    if part is not None:
        operations.add_to_agenda(_meeting(secretariat), rec, secretariat, part=part)
        db.session.commit()
    if declared == "person":
        _conflict_on(rec, people["member"], secretariat)
    else:
        _register(people["member"], "Bidding for the contract", for_organisation=True, recommendation_id=rec.id)

    assert {name for name, u in people.items() if part_two_papers_withheld(u, [rec.id])} == withheld
    assert {name for name, u in people.items() if not rec.can_view_papers(u)} == withheld
    assert all(rec.can_view(u) for u in people.values())  # the decision itself stays visible


def test_an_ended_conflict_no_longer_keeps_the_papers(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
) -> None:
    member = make_user(Role.PARTNER_CEO, "RDE")
    rec = _raise(chair, org, "Stroke services")
    operations.add_to_agenda(_meeting(secretariat), rec, secretariat, part=AgendaPart.TWO)
    declaration = _register(member, "Bidding", recommendation_id=rec.id)
    assert not rec.can_view_papers(member)
    interest_ops.end_interest(declaration, member, until=date(2026, 11, 1))
    db.session.commit()
    assert rec.can_view_papers(member)


def test_the_page_says_why_the_papers_are_not_shown_and_the_download_is_refused(
    chair: User, secretariat: User, org: Callable[[str], Organisation], make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    member, colleague = make_user(Role.PARTNER_CEO, "RDE", name="Rita Chief"), make_user(Role.DEPUTY, "RDE")
    rec = _raise(chair, org, "Stroke services")
    paper_id = _paper_on(rec, client_for(chair))
    operations.add_to_agenda(_meeting(secretariat), rec, secretariat, part=AgendaPart.TWO)
    db.session.commit()
    _conflict_on(rec, member, secretariat)

    conflicted = client_for(member)
    page = Page.of(conflicted.get(f"/recommendations/{rec.id}"))
    assert " ".join((page.text("papers-withheld") or "").split()) == (
        "Supporting papers Information: You declared an interest in this item, so its Part Two papers are not "
        "shown to you (Schedule 4, PDEG Terms of Reference: Part Two).")
    assert "Options.xlsx" not in conflicted.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert conflicted.get(f"/attachments/{paper_id}/download").status_code == 404
    upload = conflicted.post(f"/attachments/recommendation/{rec.id}",
                             data={"file": (io.BytesIO(XLSX_BYTES), "More.xlsx")}, content_type="multipart/form-data")
    assert upload.status_code == 404

    other = client_for(colleague)
    assert "Options.xlsx" in (Page.of(other.get(f"/recommendations/{rec.id}")).text("attachments") or "")
    assert other.get(f"/attachments/{paper_id}/download").status_code == 200
