"""Who may open what: every route of the app, for anonymous visitors and every role.

``MATRIX`` is the table: one row per endpoint. Every new route must get a row, or
``test_every_route_is_in_the_matrix`` fails and names it. A row says, for each kind of visitor,
what status they get:

* ``anonymous`` (not logged in), each :class:`Role` by its value, and ``stp_leader`` (a system
  leadership account holding the STP Leader assignment, clause 6);
* a plain status (``200``, ``302``, ``403``...), or ``OwnOther(own=200, other=404)`` where the answer
  depends on whether the object belongs to the visitor's own organisation or another one: the
  route's ``url`` is then called with that organisation, ``url(targets, organisation)``.

Build rows with ``expect(...)``: ``anonymous`` defaults to 302 (to the login page), every other
visitor gets ``everyone_else`` unless named. Requests with side effects act on a throwaway
account made for the test (``targets.throwaway``), never on the visitor.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from govern import cases
from govern.attachments.models import Attachment
from govern.attachments.operations import attach_file
from govern.auth.models import Role, User
from govern.cases.models import CaseKind
from govern.core import clock
from govern.disputes import operations as dispute_ops
from govern.disputes.facts import definition_of
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import (
    AgendaItem,
    AgendaOutcome,
    AgendaPart,
    PdegMeeting,
    RaisedBy,
    Ratification,
    Recommendation,
)
from govern.records.models import BoardPack, PackStatus
from tests import papers
from tests.meetings import quorate
from workflows.definitions import REFERENCE_FIELD

ANONYMOUS = "anonymous"
STP_LEADER = "stp_leader"
VISITORS: tuple[str, ...] = (ANONYMOUS, *(role.value for role in Role), STP_LEADER)


@dataclass(frozen=True)
class OwnOther:
    """The status depends on whose organisation the object belongs to."""

    own: int
    other: int


Status = int | OwnOther


@dataclass
class Targets:
    """Objects routes with ids point at, made for each test."""

    make_user: Callable[..., User]
    _throwaway: User | None = None
    _secretariat: User | None = None
    _recommendation: Recommendation | None = None
    _meeting: PdegMeeting | None = None

    @property
    def throwaway(self) -> User:
        """An account nobody logs in as, safe to change or disable."""
        if self._throwaway is None:
            self._throwaway = self.make_user(Role.PARTNER_CEO, "PHNT", name="Throwaway Account")
        return self._throwaway

    @property
    def token_of_throwaway(self) -> Any:
        """A personal access token of the throwaway account."""
        from govern.api.models import TokenScope
        from govern.api.operations import create_token

        made = create_token(self.throwaway, name="Throwaway token", scope=TokenScope.READ,
                            expires_on=clock.now().date() + timedelta(days=30))
        db.session.commit()
        return made.token

    def user_in(self, organisation: Organisation) -> User:
        """An account at ``organisation`` (for rows where the organisation matters)."""
        return self.make_user(Role.BOARD_SECRETARY, organisation.code)

    @property
    def secretariat(self) -> User:
        """A PDEG secretariat account nobody logs in as, to build meetings with."""
        if self._secretariat is None:
            self._secretariat = self.make_user(Role.PDEG_SECRETARIAT, "STP", name="Target Secretariat")
        return self._secretariat

    def raised_recommendation(self, *codes: str) -> Recommendation:
        """A recommendation raised by the Finance Working Group's chair, affecting ``codes``."""
        chair = self.make_user(Role.GROUP_CHAIR, "STP", group_code="FWG", name="Target Chair")
        affected = db.session.scalars(select(Organisation).where(Organisation.code.in_(codes or ("RDE", "PHNT"))))
        recommendation = pdeg_ops.raise_recommendation(
            chair, title="Target", summary="Target summary", decision_sought="", raised_by=RaisedBy.SUBORDINATE_GROUP,
            affected=list(affected), group=chair.group,
        )
        db.session.commit()
        return recommendation

    @property
    def recommendation(self) -> Recommendation:
        """A raised recommendation, visible to the whole partnership."""
        if self._recommendation is None:
            self._recommendation = self.raised_recommendation()
        return self._recommendation

    @property
    def meeting(self) -> PdegMeeting:
        """A PDEG meeting held yesterday."""
        if self._meeting is None:
            self._meeting = pdeg_ops.schedule_meeting(
                self.secretariat, meeting_date=date.today() - timedelta(days=1), title="Target PDEG"
            )
            quorate(self._meeting, self.secretariat)
            db.session.commit()
        return self._meeting

    @property
    def agenda_item(self) -> AgendaItem:
        """The target recommendation on the target meeting's agenda."""
        item = pdeg_ops.add_to_agenda(self.meeting, self.recommendation, self.secretariat, part=AgendaPart.ONE)
        db.session.commit()
        return item

    def decided_item(self) -> AgendaItem:
        """An agenda item whose outcome PDEG recorded (it has a minute extract)."""
        ratification = self.ratification_in()
        return db.session.scalars(select(AgendaItem).where(
            AgendaItem.recommendation_id == ratification.recommendation_id)).one()

    def decided_ratification(self) -> Ratification:
        """RDE's Board's ratification of a decision agreed at PDEG, with the Board's decision recorded."""
        ratification = self.ratification_in()
        cases.act(ratification, self.make_user(Role.BOARD_SECRETARY, "RDE", name="Target Secretary"), "ratify",
                  {"meeting_date": date.today(), "minute_reference": "B1"})
        db.session.commit()
        return ratification

    def dispute_in(self, organisation: Organisation | None = None) -> Dispute:
        """A Scenario 2 dispute notified by ``organisation`` (by default Plymouth Hospitals)."""
        ceo = self.make_user(Role.PARTNER_CEO, organisation.code if organisation else "PHNT", name="Target CEO")
        dispute = dispute_ops.file_dispute(
            ceo, process_key="scenario_2", title="Target dispute", negotiation_attempted=True,
            negotiation_account="Met twice.", decision_reference="PDEG minute 1",
        )
        db.session.commit()
        return dispute

    def ratification_in(self, organisation: Organisation | None = None) -> Ratification:
        """``organisation``'s (by default RDE's) Board's ratification of a decision agreed at PDEG."""
        recommendation = self.raised_recommendation(organisation.code if organisation else "RDE")
        meeting = self.meeting
        if meeting.has_outcomes:  # a meeting's agenda is closed once its outcomes are recorded: another meeting
            meeting = pdeg_ops.schedule_meeting(self.secretariat, meeting_date=meeting.meeting_date,
                                                title=f"Target PDEG {len(meeting.items) + 1}")
            quorate(meeting, self.secretariat)
        item = pdeg_ops.add_to_agenda(meeting, recommendation, self.secretariat, part=AgendaPart.ONE)
        pdeg_ops.record_outcome(item, self.secretariat, outcome=AgendaOutcome.AGREED, minute_reference="M1",
                                reasons="R")
        db.session.commit()
        return recommendation.ratifications[0]

    def board_pack_in(self, organisation: Organisation | None = None) -> BoardPack:
        """A Board pack made by tick for ``organisation``'s (by default RDE's) Board."""
        organisation = organisation or db.session.scalars(select(Organisation).where(Organisation.code == "RDE")).one()
        pack = BoardPack(organisation_id=organisation.id, requested_by_id=self.user_in(organisation).id,
                         meeting_date=date.today(), decision_count=0, status=PackStatus.READY, attempts=1,
                         requested_at=clock.now(), ready_at=clock.now(), filename="pack.pdf",
                         content=b"%PDF-1.4\n%%EOF\n", last_error="")
        db.session.add(pack)
        db.session.commit()
        return pack


    def _officer(self, code: str) -> User:
        return self.make_user(Role.PARTNER_CEO, code, name=f"Officer of {code}")

    def _leader(self) -> User:
        from govern.auth.models import current_stp_leader_assignment

        assignment = current_stp_leader_assignment()
        assert assignment is not None, "the STP Leader must be assigned before a dispute reaches him"
        return db.session.get(User, assignment.user_id)  # type: ignore[return-value]

    def dispute_with_panel(self, panel: Organisation | None = None, *, to: str = "released") -> Dispute:
        """A Scenario 2 dispute with ``panel`` (by default DCC) on its panel, its papers released to it,
        brought by an organisation that is not on the panel (NDHT, or LSW when the panel is NDHT)."""
        panel_code = panel.code if panel else "DCC"
        filer = self._officer("NDHT" if panel_code != "NDHT" else "LSW")
        dispute = dispute_ops.file_dispute(
            filer, process_key="scenario_2", title="Target dispute", negotiation_attempted=True,
            negotiation_account="Met twice.", decision_reference="PDEG minute 1",
        )
        texts = {h.field_key(None): "Target text" for h in definition_of(dispute).headings}
        texts[REFERENCE_FIELD] = "PDEG minute 1"
        dispute_ops.save_written_material(dispute, filer, texts, ["V1"])
        cases.act(dispute, filer, "submit_report", {})
        leader, member = self._leader(), self._officer(panel_code)
        panel_id = db.session.scalar(select(Organisation.id).where(Organisation.code == panel_code))
        cases.act(dispute, leader, "nominate_panel", {"organisation_ids": [panel_id]})
        cases.act(dispute, member, "declare_interest", {"conflict": False})
        cases.act(dispute, leader, "release_papers", {})
        if to == "proposed":
            cases.act(dispute, member, "make_recommendation", {"recommendation": "Look again", "reasons": "R"})
            cases.act(dispute, leader, "propose_solution", {
                "outcome": "decision_revisited", "proposal": "Secret proposal", "reasons": "Secret reasons"})
        db.session.commit()
        return dispute

    def draft_from_dispute(self, party: Organisation | None = None) -> Recommendation:
        """The draft recommendation the STP Leader's "decision revisited" opened, from a dispute brought
        by ``party`` (by default NDHT) with DCC (or TC) on its panel."""
        code = party.code if party else "NDHT"
        filer = self._officer(code)
        dispute = dispute_ops.file_dispute(
            filer, process_key="scenario_2", title="Target dispute", negotiation_attempted=True,
            negotiation_account="Met twice.", decision_reference="PDEG minute 1",
        )
        texts = {h.field_key(None): "Target text" for h in definition_of(dispute).headings}
        texts[REFERENCE_FIELD] = "PDEG minute 1"
        dispute_ops.save_written_material(dispute, filer, texts, ["V1"])
        cases.act(dispute, filer, "submit_report", {})
        panel_code = "DCC" if code != "DCC" else "TC"
        leader, member = self._leader(), self._officer(panel_code)
        panel_id = db.session.scalar(select(Organisation.id).where(Organisation.code == panel_code))
        cases.act(dispute, leader, "nominate_panel", {"organisation_ids": [panel_id]})
        cases.act(dispute, member, "declare_interest", {"conflict": False})
        cases.act(dispute, leader, "release_papers", {})
        cases.act(dispute, member, "make_recommendation", {"recommendation": "Look again", "reasons": "R"})
        cases.act(dispute, leader, "propose_solution", {
            "outcome": "decision_revisited", "proposal": "Secret proposal", "reasons": "Secret reasons"})
        db.session.commit()
        return db.session.scalars(select(Recommendation).where(Recommendation.linked_dispute_id == dispute.id)).one()


@dataclass(frozen=True)
class Route:
    """One endpoint: how to build its URL, the method to use, and each visitor's status."""

    url: str | Callable[..., str]
    method: str = "GET"
    expect: dict[str, Status] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)


def expect(*, everyone_else: Status, anonymous: Status = 302, **by_visitor: Status) -> dict[str, Status]:
    """Each visitor's status: ``anonymous``, anyone named, and ``everyone_else`` for the rest."""
    unknown = set(by_visitor) - set(VISITORS)
    assert not unknown, f"no such visitor: {unknown}"
    return {visitor: by_visitor.get(visitor, everyone_else) for visitor in VISITORS} | {ANONYMOUS: anonymous}


ADMINISTRATORS_ONLY = expect(everyone_else=403, administrator=200)
SIGNED_IN = expect(everyone_else=200)
SECRETARIAT_ONLY = expect(everyone_else=403, pdeg_secretariat=200)
# Schedule 4: a subordinate group's chair, a partner (its chief executive or deputy) or the STP Leader.
RAISERS = expect(everyone_else=403, group_chair=200, partner_ceo=200, deputy=200, stp_leader=200)

# Officers (chief executive or deputy, 10.3) of a party act for it in disputes.
PDEG_AGENDA_READERS = expect(everyone_else=403, pdeg_secretariat=200, stp_leader=200, partner_ceo=200, deputy=200)
PARTY_OFFICERS = expect(everyone_else=403, partner_ceo=200, deputy=200)
# A party acts through its chief executive and its deputy (10.3); a Board secretary has no part in a dispute
# unless the agreement gives the Board one (in Devon it never does), so even its own party's dispute is 404.
DISPUTE_READERS = expect(everyone_else=404, stp_leader=200, administrator=200, partner_ceo=OwnOther(own=200, other=404),
                         deputy=OwnOther(own=200, other=404))

# fmt: off
MATRIX: dict[str, Route] = {
    # endpoint               route
    "main.home":             Route("/", expect=SIGNED_IN),
    # The agreement is the partnership's own, read by everyone signed in (not a private paper).
    "agreement.index":       Route("/agreement", expect=SIGNED_IN),
    "agreement.process":     Route("/agreement/processes/scenario_4", expect=SIGNED_IN),
    "agreement.diagram":     Route("/agreement/processes/recommendation/diagram.svg", expect=SIGNED_IN),
    "auth.login":            Route("/login", expect=expect(anonymous=200, everyone_else=302)),
    "auth.logout":           Route("/logout", "POST", expect=expect(everyone_else=302)),
    # Signing in, the second factor and passwords (issue 13). The second step needs a first step in the
    # same browser: without one, back to /login. A link's token is checked before anything else.
    "auth.code":             Route("/login/code", expect=expect(everyone_else=302)),
    "auth.set_up_code":      Route("/login/set-up-code", expect=expect(everyone_else=302)),
    "auth.forgot_password":  Route("/password/forgot", expect=expect(anonymous=200, everyone_else=200)),
    "auth.reset_password":   Route("/password/reset/not-a-token", expect=expect(anonymous=404, everyone_else=404)),
    "auth.accept_invitation": Route("/invitation/not-a-token", expect=expect(anonymous=404, everyone_else=404)),
    "auth.sso_start":        Route("/login/sso/rde", expect=expect(anonymous=404, everyone_else=404)),
    "auth.sso_callback":     Route("/login/sso/rde/callback", expect=expect(anonymous=404, everyone_else=404)),
    "auth.account":          Route("/account", expect=SIGNED_IN),
    "auth.change_password":  Route("/account/password", expect=SIGNED_IN),
    # Administrators and the STP Leader have an app already (they must): back to their account page.
    "auth.set_up_authenticator": Route("/account/authenticator",
                                       expect=expect(everyone_else=200, administrator=302, stp_leader=302)),
    "auth.recovery_codes":   Route("/account/recovery-codes", expect=expect(everyone_else=302)),
    "auth.new_recovery_codes": Route("/account/authenticator/recovery-codes", "POST",
                                     expect=expect(everyone_else=302)),
    "auth.remove_authenticator": Route("/account/authenticator/remove", "POST", expect=expect(everyone_else=302)),
    "auth.forget_devices":   Route("/account/devices/forget", "POST", expect=expect(everyone_else=302)),
    "admin.reset_authenticator": Route(lambda t: f"/admin/users/{t.throwaway.id}/authenticator/reset", "POST",
                                       expect=expect(everyone_else=403, administrator=302)),
    "admin.resend_invitation": Route(lambda t: f"/admin/users/{t.throwaway.id}/invitation", "POST",
                                     expect=expect(everyone_else=403, administrator=302)),
    "admin.users":           Route("/admin/users", expect=ADMINISTRATORS_ONLY),
    "admin.new_user":        Route("/admin/users/new", expect=ADMINISTRATORS_ONLY),
    "admin.edit_user":       Route(lambda t: f"/admin/users/{t.throwaway.id}", expect=ADMINISTRATORS_ONLY),
    "admin.disable_user":    Route(lambda t: f"/admin/users/{t.throwaway.id}/disable", "POST",
                                   expect=expect(everyone_else=403, administrator=302)),
    "admin.enable_user":     Route(lambda t: f"/admin/users/{t.throwaway.id}/enable", "POST",
                                   expect=expect(everyone_else=403, administrator=302)),
    "admin.stp_leader":      Route("/admin/stp-leader", expect=ADMINISTRATORS_ONLY),
    # A dispute's papers are as private as the dispute: its readers download (200) and may add one (no
    # file chosen: an error and back to the dispute, 302); anyone else gets 404, as for the dispute.
    "attachments.download":  Route(lambda t, o=None: f"/attachments/{paper_on(t.dispute_in(o)).id}/download",
                                   expect=DISPUTE_READERS),
    "attachments.upload":    Route(lambda t, o=None: f"/attachments/dispute/{t.dispute_in(o).id}", "POST",
                                   # Papers come from the parties' officers and the STP Leader; others who may
                                   # read them (administrators) may not add any.
                                   expect=expect(everyone_else=404, stp_leader=302, administrator=403,
                                                 partner_ceo=OwnOther(own=302, other=404),
                                                 deputy=OwnOther(own=302, other=404))),
    # PDEG decisions are shared across the partnership; changing them is for the role that acts.
    "pdeg.new_recommendation": Route("/recommendations/new", expect=RAISERS),
    "pdeg.recommendation":   Route(lambda t: f"/recommendations/{t.recommendation.id}", expect=SIGNED_IN),
    # The raising group's chair may record it as within delegation (an empty basis: 400); the secretariat
    # and STP Leader are told it is not theirs to do now (302); nobody else may act on it.
    "pdeg.act":              Route(lambda t: f"/recommendations/{t.recommendation.id}/actions/record_within_delegation",
                                   "POST", expect=expect(everyone_else=403, group_chair=400, pdeg_secretariat=302,
                                                         stp_leader=302)),
    # Only a draft's holder writes it; a raised recommendation is no longer a draft (403 to who sees it).
    "pdeg.write_draft":      Route(lambda t: f"/recommendations/{t.recommendation.id}/draft",
                                   expect=expect(everyone_else=403)),
    "pdeg.meetings":         Route("/pdeg/meetings", expect=SIGNED_IN),
    "pdeg.new_meeting":      Route("/pdeg/meetings/new", expect=SECRETARIAT_ONLY),
    "pdeg.meeting":          Route(lambda t: f"/pdeg/meetings/{t.meeting.id}", expect=SIGNED_IN),
    "pdeg.add_item":         Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/agenda", "POST",
                                   expect=expect(everyone_else=403, pdeg_secretariat=400)),
    "pdeg.item_outcome":     Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/items/{t.agenda_item.id}",
                                   expect=SECRETARIAT_ONLY),
    # The raiser alone changes it until PDEG considers it (none of the visitors raised the target).
    "pdeg.edit":             Route(lambda t: f"/recommendations/{t.recommendation.id}/edit",
                                   expect=expect(everyone_else=403)),
    "pdeg.raised":           Route(lambda t: f"/recommendations/{t.recommendation.id}/raised", expect=SIGNED_IN),
    # The secretariat runs a meeting's record: its arrangements, attendance and declarations.
    "pdeg.edit_meeting":     Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/edit", expect=SECRETARIAT_ONLY),
    "pdeg.cancel_meeting":   Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/cancel", expect=SECRETARIAT_ONLY),
    "pdeg.move_item":        Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/items/{t.agenda_item.id}/move", "POST",
                                   expect=expect(everyone_else=403, pdeg_secretariat=302)),
    "pdeg.remove_item":      Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/items/{t.agenda_item.id}/remove",
                                   "POST", expect=expect(everyone_else=403, pdeg_secretariat=302)),
    "pdeg.record_attendance": Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/attendance", "POST",
                                    expect=expect(everyone_else=403, pdeg_secretariat=400)),
    "pdeg.declare_interest": Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/declarations", "POST",
                                   expect=expect(everyone_else=403, pdeg_secretariat=400)),
    "pdeg.minute_extract":   Route(lambda t: (lambda i: f"/pdeg/meetings/{i.meeting_id}/items/{i.id}/extract")(
                                   t.decided_item()), expect=SIGNED_IN),
    # The confirmation after PDEG's outcome: what the agenda and the minute extract already show everyone.
    "pdeg.outcome_recorded": Route(lambda t: (lambda i: f"/pdeg/meetings/{i.meeting_id}/items/{i.id}/recorded")(
                                   t.decided_item()), expect=SIGNED_IN),
    # The printed agenda, with its register extract, is PDEG's own: the secretariat, the STP Leader, the members.
    "pdeg.agenda":           Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/agenda/print", expect=PDEG_AGENDA_READERS),
    "pdeg.agenda_pdf":       Route(lambda t: f"/pdeg/meetings/{t.meeting.id}/agenda.pdf", expect=PDEG_AGENDA_READERS),
    "pdeg.awaiting":         Route("/boards/awaiting", expect=expect(everyone_else=403, board_secretary=200)),
    # Each Board secretary keeps their own Board's meeting dates (10.6): another Board's meeting is 404.
    "boards.meetings":       Route("/boards/meetings", expect=expect(everyone_else=403, board_secretary=200)),
    "boards.edit_meeting":   Route(lambda t, o=None: f"/boards/meetings/{board_meeting_in(t, o).id}",
                                   expect=expect(everyone_else=403, board_secretary=OwnOther(own=200, other=404))),
    "boards.remove_meeting": Route(lambda t, o=None: f"/boards/meetings/{board_meeting_in(t, o).id}/remove", "POST",
                                   expect=expect(everyone_else=403, board_secretary=OwnOther(own=302, other=404))),
    # The certificate exists once every Board has ratified; the target decision is only raised (404 to all).
    "boards.certificate":    Route(lambda t: f"/recommendations/{t.recommendation.id}/certificate.pdf",
                                   expect=expect(everyone_else=404)),
    # Actions follow a ratified decision: the target decision is only raised, so nobody may add one yet.
    "actions.new_action":    Route(lambda t: f"/recommendations/{t.recommendation.id}/follow-up/new",
                                   expect=expect(everyone_else=403)),
    "actions.review":        Route(lambda t: f"/recommendations/{t.recommendation.id}/follow-up/review",
                                   expect=expect(everyone_else=403)),
    # An action on a decision is as visible as the decision; only its owner changes its status.
    "actions.action":        Route(lambda t: f"/actions/{follow_up_of(t).id}", expect=SIGNED_IN),
    "interests.mine":        Route("/interests", expect=SIGNED_IN),
    "interests.register":    Route("/interests/register", expect=SIGNED_IN),
    # Only whoever declared an interest says when it ended (someone else's declaration: 404).
    "interests.end":         Route(lambda t: f"/interests/{declaration_of(t).id}/end",
                                   expect=expect(everyone_else=404)),
    # Anyone signed in sees where a Board stands; only that party's Board secretary records its decision.
    "pdeg.ratification":     Route(lambda t, o=None: f"/ratifications/{t.ratification_in(o).id}", "POST",
                                   expect=expect(everyone_else=403, board_secretary=OwnOther(own=400, other=403))),
    # The confirmation after a Board's decision: what the decision's page already shows everyone.
    "pdeg.board_decision_recorded": Route(lambda t: f"/ratifications/{t.decided_ratification().id}/recorded",
                                          expect=SIGNED_IN),
    "pdeg.register":         Route("/register", expect=SIGNED_IN),
    # Disputes are private (Schedule 3 behaviours): their parties (officers and Board secretary), their
    # panel, the STP Leader and administrators; anyone else gets 404, as if there were no such dispute.
    "disputes.index":        Route("/disputes", expect=SIGNED_IN),
    "disputes.choose":       Route("/disputes/new", expect=PARTY_OFFICERS),
    "disputes.file":         Route("/disputes/new/scenario_2", expect=PARTY_OFFICERS),
    "disputes.show":         Route(lambda t, o=None: f"/disputes/{t.dispute_in(o).id}", expect=DISPUTE_READERS),
    "disputes.papers":       Route(lambda t, o=None: f"/disputes/{t.dispute_in(o).id}/papers",
                                   expect=DISPUTE_READERS),
    # The confirmation page after an irreversible step: whoever may see the dispute.
    "disputes.confirmed":    Route(lambda t, o=None: f"/disputes/{t.dispute_in(o).id}/confirmed/nominate_panel",
                                   expect=DISPUTE_READERS),
    # Setting out a bespoke process is the STP Leader's, and only for a dispute no scenario fits (16.2): the
    # target dispute follows Scenario 2, so even the STP Leader is refused.
    "disputes.set_out_process": Route(lambda t, o=None: f"/disputes/{t.dispute_in(o).id}/process",
                                   expect=expect(everyone_else=404, stp_leader=403, administrator=403,
                                                 partner_ceo=OwnOther(own=403, other=404),
                                                 deputy=OwnOther(own=403, other=404))),
    # Nominating the panel is the STP Leader's; a party sees it is not theirs and goes back to the dispute.
    "disputes.action":       Route(lambda t, o=None: f"/disputes/{t.dispute_in(o).id}/actions/nominate_panel",
                                   expect=expect(everyone_else=404, stp_leader=200, administrator=302,
                                                 partner_ceo=OwnOther(own=302, other=404),
                                                 deputy=OwnOther(own=302, other=404))),
    # Decision records (PDF): whoever may see the case they record (disputes stay private); the Board
    # pack is always the Board secretary's own Board's, so there is no other organisation to ask for.
    "records.dispute_record": Route(lambda t, o=None: f"/disputes/{t.dispute_in(o).id}/record.pdf",
                                    expect=DISPUTE_READERS),
    "records.recommendation_record": Route(lambda t: f"/recommendations/{t.recommendation.id}/record.pdf",
                                           expect=SIGNED_IN),
    "records.board_pack":    Route("/boards/pack.pdf", expect=expect(everyone_else=403, board_secretary=200)),
    # Packs made by tick: asked for and downloaded by the Board's own secretary only.
    "records.board_packs":   Route("/boards/packs", expect=expect(everyone_else=403, board_secretary=200)),
    "records.stored_board_pack": Route(lambda t, o=None: f"/boards/packs/{t.board_pack_in(o).id}.pdf",
                                       expect=expect(everyone_else=403,
                                                     board_secretary=OwnOther(own=200, other=404))),
    # For load balancers: no sign-in, and the same answer for everyone (no sweep has run here: 503).
    "ops.healthz":           Route("/healthz", expect=expect(anonymous=503, everyone_else=503)),
    # Notices are each person's own; the outbox (mail that failed) is for administrators.
    "notify.notices":        Route("/notices", expect=SIGNED_IN),
    "notify.mark_read":      Route("/notices/read", "POST", expect=expect(everyone_else=302)),
    "notify.outbox":         Route("/admin/outbox", expect=ADMINISTRATORS_ONLY),
    "notify.retry":          Route("/admin/outbox/999999/retry", "POST",
                                   expect=expect(everyone_else=403, administrator=404)),
    # A calendar feed is each person's own; the feed itself needs no login but an unknown token is 404.
    "deadlines.calendar":    Route("/calendar", expect=SIGNED_IN),
    "deadlines.reset_calendar": Route("/calendar/reset", "POST", expect=expect(everyone_else=302)),
    "deadlines.calendar_feed": Route("/calendar/not-a-token.ics", expect=expect(anonymous=404, everyone_else=404)),
    "deadlines.dashboard":   Route("/dashboard", expect=expect(everyone_else=403, administrator=200, stp_leader=200)),
    # Personal access tokens: each person's own (another's token is 404, as if there were none).
    "api_tokens.index":      Route("/account/tokens", expect=SIGNED_IN),
    "api_tokens.new":        Route("/account/tokens/new", expect=SIGNED_IN),
    "api_tokens.revoke":     Route(lambda t: f"/account/tokens/{t.token_of_throwaway.id}/revoke",
                                   expect=expect(everyone_else=404)),
    # The JSON API opens with a token only, never with a signed-in browser's session (401 to all here);
    # tests/test_api_access.py runs this matrix over it with each visitor's token. Its description is public.
    **{endpoint: Route(url, method, expect=expect(anonymous=401, everyone_else=401)) for endpoint, url, method in (
        ("api.register", "/api/v1/register", "GET"), ("api.decision", "/api/v1/decisions/1", "GET"),
        ("api.ratification", "/api/v1/ratifications/1", "GET"),
        ("api.record_decision", "/api/v1/ratifications/1/decision", "POST"),
        ("api.awaiting", "/api/v1/boards/awaiting", "GET"), ("api.meetings", "/api/v1/pdeg/meetings", "GET"),
        ("api.meeting", "/api/v1/pdeg/meetings/1", "GET"), ("api.disputes", "/api/v1/disputes", "GET"),
        ("api.dispute", "/api/v1/disputes/1", "GET"), ("api.me", "/api/v1/me", "GET"),
        ("api.todo", "/api/v1/me/todo", "GET"), ("api.notices", "/api/v1/me/notices", "GET"),
    )},
    "api.openapi":           Route("/api/v1/openapi.json", expect=expect(anonymous=200, everyone_else=200)),
    "api.docs":              Route("/api/v1/docs", expect=expect(anonymous=200, everyone_else=200)),
    # Checking a record needs no sign-in (what a private record reflects is shown only to its readers);
    # a check with nothing filled in is bad input for everyone.
    "verify.index":          Route("/verify", expect=expect(anonymous=200, everyone_else=200)),
    "verify.check":          Route("/verify", "POST", expect=expect(anonymous=400, everyone_else=400)),
    # Search returns only what each person may see (tests/test_search.py); the page is for everyone signed in.
    "search.index":          Route("/search?q=target", expect=SIGNED_IN),
    # The register's exports: as the register.
    "exports.register_csv":  Route("/register.csv", expect=SIGNED_IN),
    "exports.register_json": Route("/register.json", expect=SIGNED_IN),
    # A whole dispute as a zip: as the dispute.
    "exports.dispute_zip":   Route(lambda t, o=None: f"/disputes/{t.dispute_in(o).id}/case.zip",
                                   expect=DISPUTE_READERS),
    # A whole PDEG decision as a zip: as its page and its ratification record.
    "exports.recommendation_zip": Route(lambda t: f"/recommendations/{t.recommendation.id}/case.zip",
                                        expect=SIGNED_IN),
}
# fmt: on

IGNORED_ENDPOINTS = {"static"}

# Where the object's organisation is not a party but sits on the panel, or the object is a draft born from
# a dispute, the same routes answer differently. "own" is then: the visitor's organisation is on the panel
# (PANEL rows), or is the party that brought the dispute (DRAFT rows).
NOBODY_BUT_THE_STP_LEADER = expect(everyone_else=404, stp_leader=200, partner_ceo=OwnOther(own=404, other=404),
                                   deputy=OwnOther(own=404, other=404), board_secretary=OwnOther(own=404, other=404))
PANEL_READERS = expect(everyone_else=404, stp_leader=200, administrator=200, partner_ceo=OwnOther(own=200, other=404),
                       deputy=OwnOther(own=200, other=404), board_secretary=OwnOther(own=404, other=404))

# fmt: off
PRIVATE_MATRIX: dict[str, tuple[str, Route]] = {
    # row                        (endpoint, route)
    "panel: dispute":            ("disputes.show", Route(lambda t, o=None: f"/disputes/{t.dispute_with_panel(o).id}",
                                                         expect=PANEL_READERS)),
    "panel: papers":             ("disputes.papers", Route(lambda t, o=None:
                                                           f"/disputes/{t.dispute_with_panel(o).id}/papers",
                                                           expect=PANEL_READERS)),
    "panel: paper download":     ("attachments.download", Route(
        lambda t, o=None: f"/attachments/{paper_on(t.dispute_with_panel(o)).id}/download", expect=PANEL_READERS)),
    "panel: case zip":           ("exports.dispute_zip", Route(
        lambda t, o=None: f"/disputes/{t.dispute_with_panel(o, to='proposed').id}/case.zip", expect=PANEL_READERS)),
    "panel: record":             ("records.dispute_record", Route(
        lambda t, o=None: f"/disputes/{t.dispute_with_panel(o, to='proposed').id}/record.pdf", expect=PANEL_READERS)),
    # The draft a dispute's outcome opens is the STP Leader's alone: not the secretariat's, not the parties'.
    "draft: page":               ("pdeg.recommendation", Route(
        lambda t, o=None: f"/recommendations/{t.draft_from_dispute(o).id}", expect=NOBODY_BUT_THE_STP_LEADER)),
    "draft: record":             ("records.recommendation_record", Route(
        lambda t, o=None: f"/recommendations/{t.draft_from_dispute(o).id}/record.pdf",
        expect=NOBODY_BUT_THE_STP_LEADER)),
    "draft: case zip":           ("exports.recommendation_zip", Route(
        lambda t, o=None: f"/recommendations/{t.draft_from_dispute(o).id}/case.zip",
        expect=NOBODY_BUT_THE_STP_LEADER)),
    "draft: write":              ("pdeg.write_draft", Route(
        lambda t, o=None: f"/recommendations/{t.draft_from_dispute(o).id}/draft", expect=NOBODY_BUT_THE_STP_LEADER)),
    # Raising it unwritten is not on offer (the STP Leader is sent back to it, 302); nobody else may find it.
    "draft: raise":              ("pdeg.act", Route(
        lambda t, o=None: f"/recommendations/{t.draft_from_dispute(o).id}/actions/raise_recommendation", "POST",
        expect={**NOBODY_BUT_THE_STP_LEADER, STP_LEADER: 302})),
    # No file chosen: the STP Leader is sent back with the error (302); nobody else may find it.
    "draft: attach":             ("attachments.upload", Route(
        lambda t, o=None: f"/attachments/recommendation/{t.draft_from_dispute(o).id}", "POST",
        expect={**NOBODY_BUT_THE_STP_LEADER, STP_LEADER: 302})),
}
# fmt: on


def paper_on(dispute: Dispute) -> Attachment:
    """A PDF its filer attached to ``dispute``."""
    paper = attach_file(CaseKind.DISPUTE, dispute.id, dispute.filed_by,
                        FileStorage(io.BytesIO(papers.pdf()), "Target paper.pdf"))
    db.session.commit()
    return paper


def _cases(matrix: dict[str, Route]) -> list[Any]:
    """One case per (endpoint, visitor), two (own and other organisation) where the row says OwnOther."""
    cases = []
    for endpoint, route in matrix.items():
        for visitor in VISITORS:
            status = route.expect.get(visitor)
            if isinstance(status, OwnOther):
                cases.append(pytest.param(endpoint, visitor, "own", status.own, id=f"{endpoint}-{visitor}-own"))
                cases.append(pytest.param(endpoint, visitor, "other", status.other, id=f"{endpoint}-{visitor}-other"))
            else:
                cases.append(pytest.param(endpoint, visitor, None, status, id=f"{endpoint}-{visitor}"))
    return cases


def test_every_private_row_names_a_route_and_every_visitor(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for name, (endpoint, route) in PRIVATE_MATRIX.items():
        assert endpoint in endpoints, name
        assert set(route.expect) == set(VISITORS), name


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - IGNORED_ENDPOINTS
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, f"routes with no row in MATRIX (add one saying who may use them): {missing}"
    stale = sorted(set(MATRIX) - endpoints)
    assert not stale, f"MATRIX rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_every_row_covers_every_visitor(endpoint: str) -> None:
    row = MATRIX[endpoint].expect
    assert set(row) == set(VISITORS), f"{endpoint} does not say what happens to {set(VISITORS) - set(row)}"


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_every_row_uses_a_method_the_route_allows(app: Flask, endpoint: str) -> None:
    methods = set().union(*(rule.methods or set() for rule in app.url_map.iter_rules(endpoint)))
    assert MATRIX[endpoint].method in methods


def test_own_or_other_rows_are_checked_both_ways() -> None:
    row = {"x": Route(lambda t, o: "/", expect=expect(everyone_else=OwnOther(own=200, other=404)))}
    cases = [tuple(case.values) for case in _cases(row) if case.values[1] == Role.DEPUTY.value]
    assert cases == [("x", "deputy", "own", 200), ("x", "deputy", "other", 404)]


def other_organisation(code: str) -> str:
    """Somebody else's organisation, for the 'other' half of an OwnOther row."""
    return "PHNT" if code != "PHNT" else "RDE"


@pytest.fixture
def visitor_client(
    request: pytest.FixtureRequest, client: FlaskClient, make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> Callable[[str], tuple[FlaskClient, User | None]]:
    """A client for a visitor: not logged in, logged in with a role, or as the STP Leader."""

    def visit(visitor: str) -> tuple[FlaskClient, User | None]:
        if visitor == ANONYMOUS:
            return client, None
        if visitor == STP_LEADER:
            leader: User = request.getfixturevalue("stp_leader")
            return client_for(leader), leader
        role = Role(visitor)
        user = make_user(role, "STP" if role in (Role.ADMINISTRATOR, Role.SYSTEM_LEADERSHIP) else "RDE")
        return client_for(user), user

    return visit


def _check(
    route: Route, visitor: str, whose: str | None, status: int,
    visitor_client: Callable[[str], tuple[FlaskClient, User | None]], make_user: Callable[..., User],
    org: Callable[[str], Organisation],
) -> None:
    client, user = visitor_client(visitor)
    targets = Targets(make_user)
    if callable(route.url):
        if whose is None:
            url = route.url(targets)
        else:
            own = user.organisation.code if user else "RDE"
            url = route.url(targets, org(own if whose == "own" else other_organisation(own)))
    else:
        url = route.url

    response = client.open(url, method=route.method, data=route.data)

    assert response.status_code == status, f"{visitor} {route.method} {url}"
    if status == 302 and visitor == ANONYMOUS:
        assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.mark.parametrize(("endpoint", "visitor", "whose", "status"), _cases(MATRIX))
def test_access(
    endpoint: str, visitor: str, whose: str | None, status: int,
    visitor_client: Callable[[str], tuple[FlaskClient, User | None]], make_user: Callable[..., User],
    org: Callable[[str], Organisation],
) -> None:
    _check(MATRIX[endpoint], visitor, whose, status, visitor_client, make_user, org)


@pytest.mark.parametrize(("row", "visitor", "whose", "status"),
                         _cases({name: route for name, (_, route) in PRIVATE_MATRIX.items()}))
def test_access_to_private_cases(
    row: str, visitor: str, whose: str | None, status: int, stp_leader: User,
    visitor_client: Callable[[str], tuple[FlaskClient, User | None]], make_user: Callable[..., User],
    org: Callable[[str], Organisation],
) -> None:
    _check(PRIVATE_MATRIX[row][1], visitor, whose, status, visitor_client, make_user, org)


def board_meeting_in(targets: Targets, organisation: Organisation | None = None) -> Any:
    """A future meeting of ``organisation``'s (by default RDE's) Board."""
    from govern.boards.models import BoardMeeting

    code = organisation.code if organisation else "RDE"
    secretary = targets.make_user(Role.BOARD_SECRETARY, code, name="Target Secretary")
    meeting = BoardMeeting(organisation_id=secretary.organisation_id, meeting_date=date.today() + timedelta(days=30),
                           papers_due=date.today() + timedelta(days=20), created_by_id=secretary.id,
                           created_at=clock.now(), updated_at=clock.now())
    db.session.add(meeting)
    db.session.commit()
    return meeting


def follow_up_of(targets: Targets) -> Any:
    """An action on the target decision, owned by the throwaway account."""
    from govern.actions.models import ActionStatus, FollowUp

    action = FollowUp(recommendation_id=targets.recommendation.id, owner_id=targets.throwaway.id, description="Target",
                      due_date=date.today() + timedelta(days=30), status=ActionStatus.NOT_STARTED, status_note="",
                      created_by_id=targets.throwaway.id, created_at=clock.now(), updated_at=clock.now())
    db.session.add(action)
    db.session.commit()
    return action


def declaration_of(targets: Targets) -> Any:
    """An interest the throwaway account declared."""
    from govern.interests.operations import declare_interest

    found = declare_interest(targets.throwaway, description="Target", since=date.today())
    db.session.commit()
    return found
