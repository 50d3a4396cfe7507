"""Issue 11, defect 6: the small things a partner chief executive trips over on the dispute pages, each
checked through the operation where it is a rule and through the page where it is what is shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from govern.auth.models import User
from govern.cases.runner import RulesRefused
from govern.core import clock
from govern.core.errors import OperationError
from govern.disputes.facts import dispute_actor, dispute_facts
from govern.extensions import db
from govern.notify.models import Notice
from govern.partnership.models import Organisation
from tests.casework import Cast, Run, audit_count, start_run
from tests.test_dispute_operations import NO_CONFLICT, SCENARIO_1
from tests.test_dispute_views import FormPage
from workflows import engine as wf_engine


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


@pytest.fixture
def as_(run: Run, client_for: Callable[[User], FlaskClient]) -> Callable[[str], FlaskClient]:
    clients: dict[str, FlaskClient] = {}

    def client(name: str) -> FlaskClient:
        if name not in clients:
            clients[name] = client_for(run.who(name))
        return clients[name]

    return client


def offered(run: Run, who: str) -> set[str]:
    dispute = run.dispute
    assert dispute is not None
    return {t.trigger for t in wf_engine.available(dispute.definition, dispute_facts(dispute),
                                                   dispute_actor(dispute, run.who(who)), clock.now())}


def test_a_panel_member_who_has_declared_is_not_offered_the_declaration_again_and_is_refused(run: Run) -> None:
    run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:5])
    assert "declare_interest" in offered(run, "DCC")
    run.do("DCC", "declare_interest", NO_CONFLICT)

    assert "declare_interest" not in offered(run, "DCC")
    before = audit_count()
    with pytest.raises(OperationError, match="already declared"):
        run.do("DCC", "declare_interest", {"conflict": True, "details": "Changed my mind"})
    db.session.rollback()
    assert audit_count() == before


def test_the_stp_leader_is_told_when_a_panel_member_declares_a_conflict(run: Run, cast: Cast) -> None:
    run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:5])
    run.do("NHSE", "declare_interest", NO_CONFLICT)
    told_before = db.session.scalars(select(Notice.body).where(Notice.user_id == cast.leader.id)).all()
    assert not any("conflict of interest" in b for b in told_before)

    run.do("DCC", "declare_interest", {"conflict": True, "details": "Our medical director advises RDE"})

    told = "\n".join(db.session.scalars(select(Notice.body).where(Notice.user_id == cast.leader.id)))
    assert "Devon County Council has declared a conflict of interest: Our medical director advises RDE" in told


def test_replacing_a_panel_member_offers_the_members_then_the_candidates_each_once(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:5])

    page = SelectPage(as_("leader").get(f"/disputes/{dispute.id}/actions/replace_panel_member").get_data(as_text=True))

    replace = [v for v in page_options(page, "replace") if v]
    replacement = [v for v in page_options(page, "replacement") if v]
    assert sorted(replace) == sorted(str(i) for i in run.ids("DCC", "NHSE"))
    assert len(replacement) == len(set(replacement))
    assert not set(replace) & set(replacement)


class SelectPage(FormPage):
    """A page that also knows each select's options (``selects``: values by name)."""

    def __init__(self, html: str) -> None:
        self.selects: dict[str, list[str]] = {}
        self._in_select: str | None = None
        super().__init__(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "select":
            self._in_select = attributes.get("name")
        elif tag == "option" and self._in_select:
            self.selects.setdefault(self._in_select, []).append(attributes.get("value") or "")
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._in_select = None
        super().handle_endtag(tag)


def page_options(page: SelectPage, name: str) -> list[str]:
    return page.selects.get(name, [])


def test_extending_a_deadline_offers_only_steps_not_done_with_their_current_due_dates(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:4])  # the documentation is in (Wed 1 Mar 2023): the panel is due in 3 working days

    page = FormPage.of(as_("leader").get(f"/disputes/{dispute.id}/actions/extend_deadline"))

    assert "documentation" not in page.options["step"]
    assert "panel_nomination" in page.options["step"]
    assert "Panel nominated: due Mon 6 Mar 2023" in (page.text("maincontent") or "")


def test_an_extension_to_a_saturday_is_refused_with_a_clear_message(run: Run) -> None:
    run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:4])

    with pytest.raises(RulesRefused) as refused:
        run.do("leader", "extend_deadline", {"step": "panel_nomination", "due_date": date(2023, 3, 11),
                                             "reason": "Panel members away"})
    db.session.rollback()
    problem = refused.value.problems[0]
    assert problem.field == "due_date"
    assert "Sat 11 Mar 2023 is not a working day (a Saturday)" in problem.message


def test_the_record_is_the_dispute_record_until_there_is_a_decision(
    run: Run, as_: Callable[[str], FlaskClient], client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    page = FormPage.of(as_("RDE").get(f"/disputes/{dispute.id}"))
    assert page.text("decision-record") == "Download the dispute record (PDF)"

    run.run(SCENARIO_1[:11])  # the panel presents its decision
    response = client_for(run.who("RDE")).get(f"/disputes/{dispute.id}")  # signed in afresh, hours later
    page = FormPage.of(response)
    assert page.text("decision-record") == "Download the decision record (PDF)"


def test_the_record_downloads_under_the_name_its_link_gives_it(
    run: Run, as_: Callable[[str], FlaskClient], client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    before = as_("RDE").get(f"/disputes/{dispute.id}/record.pdf")
    assert before.headers["Content-Disposition"] == f'attachment; filename="{dispute.reference}-dispute-record.pdf"'

    run.run(SCENARIO_1[:11])  # the panel presents its decision
    after = client_for(run.who("RDE")).get(f"/disputes/{dispute.id}/record.pdf")
    assert after.headers["Content-Disposition"] == f'attachment; filename="{dispute.reference}-decision-record.pdf"'


def test_scenario_1_papers_offer_agree_from_the_start_and_send_only_once_every_party_agreed(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    papers = f"/disputes/{dispute.id}/papers"

    assert FormPage.of(as_("RDE").get(papers)).buttons == ["save", "agree"]
    run.run(SCENARIO_1[:2])  # RDE writes and agrees
    assert FormPage.of(as_("NDHT").get(papers)).buttons == ["save", "agree"]
    run.do("NDHT", "agree_pack", {})
    assert FormPage.of(as_("NDHT").get(papers)).buttons == ["save", "submit"]


def test_where_it_stands_says_what_happened_last(run: Run, as_: Callable[[str], FlaskClient]) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:7])  # both panel members have declared no conflict

    page = FormPage.of(as_("RDE").get(f"/disputes/{dispute.id}"))

    assert "Latest: Panel members declare any conflict of interest, 1 March 2023" in (
        page.text("dispute-latest") or "")
