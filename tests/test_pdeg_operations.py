"""Recommendations to PDEG and each Board's ratification, through the operations (clause 10, Schedule 4, 17.2).

PDEG cannot bind the parties (10.6): an agreed recommendation goes to the Board of each affected
party, and becomes a ratified decision only when every one of them has ratified the current version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from govern import cases
from govern.audit import chain
from govern.auth.models import User
from govern.cases.models import CaseKind
from govern.cases.runner import RulesRefused
from govern.core.errors import OperationError
from govern.extensions import db
from govern.partnership import operations as partnership_ops
from govern.partnership.models import MouStatus, Organisation, SubordinateGroup
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import RaisedBy, Ratification, Recommendation
from tests.casework import Cast, Clock, audit_actions, audit_count, event_names

PARTIES = ("NEWD-CCG", "SDT-CCG", "DCC", "PCC", "TC", "DPT", "LSW", "NDHT", "PHNT", "RDE", "TSDFT", "NHSE", "NHSI")
AFFECTED = ("RDE", "NDHT", "PCC")
MINUTE = {"minute_reference": "PDEG 2023/14", "reasons": "Best value for the system"}


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


class Pdeg:
    """The PDEG cases of one test: the people, the clock, and steps that commit like requests."""

    def __init__(self, cast: Cast, org: Callable[[str], Organisation]) -> None:
        self.cast, self.org = cast, org
        for code in AFFECTED:
            cast.secretary(code)
        cast.secretariat, cast.chair("FWG"), cast.ceo("RDE")
        self.clock = Clock()

    @property
    def today(self) -> date:
        return self.clock.now.date()

    def group(self, code: str) -> SubordinateGroup:
        found = db.session.scalars(select(SubordinateGroup).where(SubordinateGroup.code == code)).one()
        return found

    def raise_(self, by: str = "leader", affected: tuple[str, ...] = AFFECTED, **extra: Any) -> Recommendation:
        """Raise a recommendation: ``by`` is ``leader``, ``chair`` (Finance Working Group) or ``ceo`` (RDE)."""
        self.clock.tick()
        fields: dict[str, Any] = {
            "leader": {"raised_by": RaisedBy.STP_LEADER},
            "chair": {"raised_by": RaisedBy.SUBORDINATE_GROUP, "group": self.group("FWG")},
            "ceo": {"raised_by": RaisedBy.MEMBER_ORGANISATION, "raising_organisation": self.org("RDE")},
        }[by]
        user = {"leader": self.cast.leader, "chair": self.cast.chair("FWG"), "ceo": self.cast.ceo("RDE")}[by]
        recommendation = pdeg_ops.raise_recommendation(
            user, title="One stroke unit for the east", summary="Options and costs attached",
            decision_sought="Agree option B", affected=[self.org(c) for c in affected], **fields, **extra,
        )
        db.session.commit()
        return recommendation

    def pdeg(self, recommendation: Recommendation, trigger: str, payload: dict[str, Any] | None = None) -> None:
        """The PDEG secretariat records a step (agenda, outcome) for PDEG."""
        self.clock.tick()
        cases.act(recommendation, self.cast.secretariat, trigger, payload)
        db.session.commit()

    def agreed(self, **extra: Any) -> Recommendation:
        """A recommendation PDEG agreed today: its Boards are asked to ratify."""
        recommendation = self.raise_(**extra)
        self.pdeg(recommendation, "place_on_agenda", {"meeting_date": self.today})
        self.pdeg(recommendation, "agree", MINUTE)
        return recommendation

    def ratification(self, recommendation: Recommendation, code: str, version: int | None = None) -> Ratification:
        organisation_id = self.org(code).id
        return next(
            r for r in recommendation.ratifications
            if r.organisation_id == organisation_id and r.version == (version or recommendation.amendment_version)
        )

    def board(self, recommendation: Recommendation, code: str, trigger: str = "ratify", **extra: Any) -> Ratification:
        """The Board secretary of ``code`` records the Board's decision of today's meeting."""
        self.clock.tick()
        ratification = self.ratification(recommendation, code)
        payload = {"meeting_date": self.today, "minute_reference": f"{code} Board 23/41", **extra}
        cases.act(ratification, self.cast.secretary(code), trigger, payload)
        db.session.commit()
        return ratification


@pytest.fixture
def pdeg(cast: Cast, org: Callable[[str], Organisation]) -> Pdeg:
    return Pdeg(cast, org)


def states(recommendation: Recommendation) -> list[tuple[str, int, str]]:
    """Each ratification as (organisation code, version, state)."""
    db.session.refresh(recommendation)
    return sorted((r.organisation.code, r.version, r.state) for r in recommendation.ratifications)


# --- raising --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("by", "kind"),
    [
        ("chair", RaisedBy.SUBORDINATE_GROUP),
        ("ceo", RaisedBy.MEMBER_ORGANISATION),
        ("leader", RaisedBy.STP_LEADER),
    ],
)
def test_a_recommendation_is_raised_for_pdeg(pdeg: Pdeg, by: str, kind: RaisedBy) -> None:
    recommendation = pdeg.raise_(by)

    assert (recommendation.state, recommendation.raised_by_kind) == ("raised", kind)
    assert recommendation.reference == f"R2023-{recommendation.id:04d}"
    assert event_names(CaseKind.RECOMMENDATION, recommendation.id) == ["raised"]
    assert audit_actions("recommendation", recommendation.id) == ["draft_recommendation", "raise_recommendation"]


def test_a_group_chair_records_a_decision_within_delegated_powers_without_pdeg(pdeg: Pdeg) -> None:
    recommendation = pdeg.raise_("chair")
    cases.act(recommendation, pdeg.cast.chair("FWG"), "record_within_delegation",
                                   {"basis": "Within each member's scheme of delegation"})
    db.session.commit()

    assert recommendation.state == "recorded_under_delegation"
    assert event_names(CaseKind.RECOMMENDATION, recommendation.id) == ["raised", "recorded_under_delegation"]
    assert recommendation.ratifications == []


@pytest.mark.parametrize(
    ("by", "extra", "message", "clause"),
    [
        ("ceo", {}, "Only a subordinate group may decide within its members' delegated powers",
         "Schedule 4 (Delegation to subordinate groups)"),
        ("chair", {"is_variation": True, "affected": PARTIES},
         "A variation of the MoU needs the written agreement of all the Parties", "17.2"),
    ],
)
def test_recording_within_delegated_powers_is_refused(
    pdeg: Pdeg, by: str, extra: dict[str, Any], message: str, clause: str
) -> None:
    recommendation = pdeg.raise_(by, **extra)
    user = pdeg.cast.chair("FWG") if by == "chair" else pdeg.cast.ceo("RDE")
    before = audit_count()

    with pytest.raises(RulesRefused) as refused:
        cases.act(recommendation, user, "record_within_delegation", {"basis": "Delegated"})
    db.session.rollback()

    assert [(p.message, p.clause) for p in refused.value.problems] == [(message, clause)]
    assert recommendation.state == "raised"
    assert (event_names(CaseKind.RECOMMENDATION, recommendation.id), audit_count()) == (["raised"], before)


# --- PDEG and the Boards ------------------------------------------------------------------------------


def test_an_agreed_recommendation_goes_to_the_board_of_each_affected_party(pdeg: Pdeg) -> None:
    recommendation = pdeg.agreed()

    assert recommendation.state == "awaiting_ratification"
    assert recommendation.agenda_meeting_date == pdeg.today
    assert states(recommendation) == [(code, 1, "awaiting_board") for code in sorted(AFFECTED)]
    assert event_names(CaseKind.RECOMMENDATION, recommendation.id) == ["raised", "placed_on_agenda", "pdeg_agreed"]


def test_the_decision_is_ratified_only_when_every_affected_board_has_ratified(pdeg: Pdeg) -> None:
    recommendation = pdeg.agreed()
    seen = []
    for code in AFFECTED:
        pdeg.board(recommendation, code)
        seen.append(recommendation.state)

    assert seen == ["awaiting_ratification"] * 2 + ["ratified"]
    assert event_names(CaseKind.RECOMMENDATION, recommendation.id)[-1] == "ratified"
    assert chain.verify().ok


def test_a_board_secretary_records_the_meeting_and_minute(pdeg: Pdeg) -> None:
    recommendation = pdeg.agreed()
    ratification = pdeg.board(recommendation, "PCC")

    assert (ratification.state, ratification.meeting_date, ratification.minute_reference) == (
        "ratified", pdeg.today, "PCC Board 23/41"
    )
    assert ratification.recorded_by_id == pdeg.cast.secretary("PCC").id
    assert event_names(CaseKind.RATIFICATION, ratification.id) == ["board_ratified"]
    assert audit_actions("ratification", ratification.id) == ["ratify"]


@pytest.mark.parametrize(
    ("first", "extra", "state_between"),
    [
        ("not_ratify", {"reasons": "Unaffordable this year"}, "not_ratified"),
        ("defer", {"next_meeting_date": "2023-04-05"}, "deferred"),
    ],
)
def test_a_board_that_did_not_ratify_or_deferred_may_ratify_later(
    pdeg: Pdeg, first: str, extra: dict[str, Any], state_between: str
) -> None:
    recommendation = pdeg.agreed()
    pdeg.board(recommendation, "RDE")
    pdeg.board(recommendation, "NDHT")
    ratification = pdeg.board(recommendation, "PCC", first, **extra)
    between = (ratification.state, recommendation.state)
    pdeg.clock.tick(timedelta(days=14))
    pdeg.board(recommendation, "PCC")

    assert between == (state_between, "awaiting_ratification")
    assert (ratification.state, recommendation.state) == ("ratified", "ratified")


@pytest.mark.parametrize(
    ("trigger", "state", "event"),
    [
        ("defer", "raised", "pdeg_deferred"),
        ("not_agree", "not_agreed", "pdeg_not_agreed"),
    ],
)
def test_pdeg_defers_or_does_not_agree_and_no_board_is_asked(
    pdeg: Pdeg, trigger: str, state: str, event: str
) -> None:
    recommendation = pdeg.raise_()
    pdeg.pdeg(recommendation, "place_on_agenda", {"meeting_date": pdeg.today})
    pdeg.pdeg(recommendation, trigger, MINUTE)

    assert recommendation.state == state
    assert event_names(CaseKind.RECOMMENDATION, recommendation.id)[-1] == event
    assert recommendation.ratifications == []


def test_an_amendment_supersedes_open_ratifications_and_asks_every_board_again(pdeg: Pdeg) -> None:
    recommendation = pdeg.agreed()
    pdeg.board(recommendation, "RDE")
    pdeg.board(recommendation, "NDHT", "defer")
    pdeg.pdeg(recommendation, "amend", {"amendment": "Phase the move over two years", **MINUTE})

    assert (recommendation.amendment_version, recommendation.amendment) == (2, "Phase the move over two years")
    assert recommendation.state == "awaiting_ratification"
    assert states(recommendation) == [
        ("NDHT", 1, "superseded"),
        ("NDHT", 2, "awaiting_board"),
        ("PCC", 1, "superseded"),
        ("PCC", 2, "awaiting_board"),
        ("RDE", 1, "ratified"),
        ("RDE", 2, "awaiting_board"),
    ]
    assert chain.verify().ok


def test_ratifications_of_an_earlier_version_do_not_count_after_an_amendment(pdeg: Pdeg) -> None:
    recommendation = pdeg.agreed()
    pdeg.board(recommendation, "RDE")
    pdeg.pdeg(recommendation, "amend", {"amendment": "Phase it", **MINUTE})
    pdeg.board(recommendation, "NDHT")
    pdeg.board(recommendation, "PCC")
    waiting = recommendation.state
    pdeg.board(recommendation, "RDE")

    assert (waiting, recommendation.state) == ("awaiting_ratification", "ratified")


def test_pdeg_may_amend_and_agree_at_once(pdeg: Pdeg) -> None:
    recommendation = pdeg.raise_()
    pdeg.pdeg(recommendation, "place_on_agenda", {"meeting_date": pdeg.today})
    pdeg.pdeg(recommendation, "amend_and_agree", {"amendment": "Option B with a review", **MINUTE})

    assert recommendation.amendment_version == 2
    assert states(recommendation) == [(code, 2, "awaiting_board") for code in sorted(AFFECTED)]


def test_a_variation_of_the_mou_goes_to_every_party(pdeg: Pdeg) -> None:
    recommendation = pdeg.agreed(is_variation=True, affected=PARTIES)

    assert recommendation.reference.startswith("V2023-")
    assert [code for code, _, _ in states(recommendation)] == sorted(PARTIES)


def test_a_variation_that_leaves_a_party_out_is_not_raised(pdeg: Pdeg) -> None:
    before = audit_count()
    with pytest.raises(RulesRefused) as refused:
        pdeg.raise_(is_variation=True, affected=PARTIES[:-1])
    db.session.rollback()

    assert refused.value.clause == "17.2"
    assert f"organisation {pdeg.org('NHSI').id} is left out" in refused.value.message
    assert (db.session.scalars(select(Recommendation)).all(), audit_count()) == ([], before)


@pytest.mark.parametrize(
    "someone_else",
    [
        lambda cast: cast.secretary("NDHT"),  # another party's Board secretary
        lambda cast: cast.ceo("RDE"),  # the party's chief executive, not its Board secretary
        lambda cast: cast.secretariat,
    ],
    ids=["other_boards_secretary", "partys_ceo", "pdeg_secretariat"],
)
def test_only_the_partys_own_board_secretary_records_its_decision(
    pdeg: Pdeg, someone_else: Callable[[Cast], User]
) -> None:
    recommendation = pdeg.agreed()
    ratification = pdeg.ratification(recommendation, "RDE")
    before = audit_count()

    with pytest.raises(OperationError, match="Only the Board secretary may") as refused:
        cases.act(ratification, someone_else(pdeg.cast), "ratify",
                                     {"meeting_date": pdeg.today, "minute_reference": "B/1"})
    db.session.rollback()

    assert refused.value.clause == "10.6"
    assert (ratification.state, audit_count()) == ("awaiting_board", before)


@pytest.mark.parametrize(
    ("who", "trigger", "payload", "message", "clause"),
    [
        ("secretary", "ratify", {"meeting_date": "2023-03-09", "minute_reference": "B/1"},
         "The meeting date cannot be in the future", "10.6"),
        ("secretary", "ratify", {"minute_reference": "B/1"}, "Enter the Board meeting date", "10.6"),
        ("secretariat", "agree", {"minute_reference": "PDEG 2023/14"}, "Enter the reasons", "10.6"),
    ],
)
def test_a_board_or_pdeg_record_missing_what_the_mou_needs_is_refused(
    pdeg: Pdeg, who: str, trigger: str, payload: dict[str, Any], message: str, clause: str
) -> None:
    recommendation = pdeg.raise_()
    pdeg.pdeg(recommendation, "place_on_agenda", {"meeting_date": pdeg.today})
    if who == "secretary":
        pdeg.pdeg(recommendation, "agree", MINUTE)
    before = audit_count()

    with pytest.raises(RulesRefused) as refused:
        if who == "secretary":
            cases.act(pdeg.ratification(recommendation, "RDE"), pdeg.cast.secretary("RDE"),
                                         trigger, payload)
        else:
            cases.act(recommendation, pdeg.cast.secretariat, trigger, payload)
    db.session.rollback()

    assert (refused.value.message, refused.value.clause) == (message, clause)
    assert audit_count() == before


def test_pdeg_outcome_cannot_be_recorded_before_the_meeting(pdeg: Pdeg) -> None:
    recommendation = pdeg.raise_()
    pdeg.pdeg(recommendation, "place_on_agenda", {"meeting_date": pdeg.today + timedelta(days=7)})

    with pytest.raises(RulesRefused) as refused:
        pdeg.pdeg(recommendation, "agree", MINUTE)
    db.session.rollback()

    assert refused.value.clause == "10.5"
    assert recommendation.state == "on_agenda"


# --- clause 15: a party withdraws ------------------------------------------------------------------


def test_a_withdrawing_party_s_pending_ratifications_lapse(pdeg: Pdeg) -> None:
    recommendation = pdeg.agreed()
    pdeg.board(recommendation, "RDE")
    pdeg.clock.tick()
    partnership_ops.withdraw_party(pdeg.org("PCC"), pdeg.cast.leader, notice="Cabinet resolution 12/23")
    db.session.commit()

    assert pdeg.org("PCC").mou_status is MouStatus.WITHDRAWN
    assert states(recommendation) == [
        ("NDHT", 1, "awaiting_board"),
        ("PCC", 1, "lapsed"),
        ("RDE", 1, "ratified"),
    ]
    assert chain.verify().ok


def test_once_the_last_pending_board_withdraws_the_decision_is_ratified_by_the_rest(pdeg: Pdeg) -> None:
    recommendation = pdeg.agreed()
    pdeg.board(recommendation, "RDE")
    pdeg.board(recommendation, "NDHT")
    partnership_ops.withdraw_party(pdeg.org("PCC"), pdeg.cast.leader)
    db.session.commit()

    assert recommendation.state == "ratified"


def test_an_organisation_that_is_not_a_party_cannot_withdraw(pdeg: Pdeg) -> None:
    with pytest.raises(OperationError, match="is not a current party to the MoU") as refused:
        partnership_ops.withdraw_party(pdeg.org("SWAST"), pdeg.cast.leader)

    assert refused.value.clause == "15"


def test_a_withdrawn_party_is_not_asked_to_ratify(pdeg: Pdeg) -> None:
    partnership_ops.withdraw_party(pdeg.org("PCC"), pdeg.cast.leader)
    db.session.commit()

    with pytest.raises(RulesRefused, match="has withdrawn from the MoU") as refused:
        pdeg.raise_()
    assert refused.value.clause == "15"
