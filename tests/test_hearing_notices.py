"""Parties are told they are called, and when and where the panel convenes (issue 11, defect 4): the
notice and the mail reach each party's officers (chief executive and deputy, 10.3), respondents too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from govern.auth.models import User
from govern.extensions import db
from govern.notify.models import Notice, OutboxMessage
from govern.partnership.models import Organisation
from tests.casework import Cast, Run, start_run
from tests.test_dispute_operations import NO_CONFLICT, SCENARIO_1


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def told(user: User) -> str:
    """Everything ``user`` was told, in the app and by mail."""
    notices = db.session.scalars(select(Notice.body).where(Notice.user_id == user.id)).all()
    mails = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_address == user.email)).all()
    return "\n".join([*notices, "--- mail ---", *mails])


def test_the_party_called_and_the_party_invited_are_each_told_which(run: Run, cast: Cast) -> None:
    run.file("RDE", "scenario_1", other="NDHT")
    deputy = cast.deputy("NDHT")
    run.run(SCENARIO_1[:9])  # DCC calls RDE for clarification and invites NDHT to be present

    for user in (cast.ceo("RDE"),):
        notices, mails = told(user).split("--- mail ---")
        assert "The panel calls your organisation for clarification (Schedule 8, scenario 1, step three)" \
            in notices
        assert "for clarification" in mails
    for user in (cast.ceo("NDHT"), deputy):
        notices, mails = told(user).split("--- mail ---")
        assert ("Your organisation is invited to be present: the panel has called Royal Devon and Exeter NHS "
                "Foundation Trust for clarification") in notices
        assert "invited to be present" in mails


def test_every_party_respondents_included_is_told_when_and_where_the_panel_convenes(run: Run, cast: Cast,
                                                                                   org: Callable[[str], Organisation]
                                                                                   ) -> None:
    from govern.disputes import operations as ops

    dispute = run.file("TC", "bespoke", respondents=[org("DCC")])
    ops.set_out_process(dispute, cast.leader, "panel_decides", {})  # the panel hears the parties and decides
    db.session.commit()
    respondent_deputy = cast.deputy("DCC")
    run.run([
        ("TC", "save", {"background": "Shared care records", "issue": "Who pays", "suggested_remedy": "Share",
                        "principles": ["V1"]}),
        ("TC", "submit_written_material", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["LSW", "NHSI"]}),
        ("LSW", "declare_interest", NO_CONFLICT),
        ("NHSI", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
        ("LSW", "schedule_hearing", {"hearing_date": date(2023, 3, 6),
                                     "arrangements": "10:00, Room 2, County Hall, Exeter"}),
    ])

    for user in (cast.ceo("TC"), cast.ceo("DCC"), respondent_deputy, cast.ceo("NHSI")):
        notices, mails = told(user).split("--- mail ---")
        for text in (notices, mails):
            assert "The panel convenes on Mon 6 Mar 2023: 10:00, Room 2, County Hall, Exeter" in text


def test_scenario_1_both_parties_are_told_when_and_where_the_panel_convenes(run: Run, cast: Cast) -> None:
    """Scenario 1 is brought jointly: the panel's arrangements reach both organisations, not only the one
    that filed (nor only the one called)."""
    run.file("RDE", "scenario_1", other="NDHT")
    other_deputy = cast.deputy("NDHT")
    run.run([*SCENARIO_1[:9],
             ("DCC", "schedule_hearing", {"hearing_date": date(2023, 3, 6),
                                          "arrangements": "14:00, Board room, Derriford"})])

    for user in (cast.ceo("RDE"), cast.ceo("NDHT"), other_deputy, cast.ceo("NHSE")):
        notices, mails = told(user).split("--- mail ---")
        for text in (notices, mails):
            assert "The panel convenes on Mon 6 Mar 2023: 14:00, Board room, Derriford" in text
