"""The dispute pages with bad input: every form keeps what was typed, shows the problem beside its
field with the MoU's clause, and stores nothing it should not; a second submission changes nothing;
an action no longer allowed says so; and nobody outside the dispute can see it (Schedule 3,
"professionally and privately").

Cases are put into the state a test needs through the operations (``tests.casework``), then the
test acts through the pages as the person concerned, logged in through the real login page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from govern.auth.models import Role, User
from govern.cases.models import CaseKind
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import Organisation
from tests.casework import (
    Cast,
    Run,
    Step,
    audit_count,
    complete_texts,
    event_names,
    snapshot,
    start_run,
    stored_event,
)
from tests.conftest import Page

NO_CONFLICT = {"conflict": False}

#: Written material with every heading filled in and a principle cited (scenarios 2-4).
WITH_PRINCIPLE = "with principle"

#: Each scenario's ordinary path, a step at a time, as far as the papers being with the panel.
TO_PANEL: dict[str, list[Step]] = {
    "scenario_1": [
        ("RDE", "save", {}),
        ("RDE", "agree_pack", {}),
        ("NDHT", "agree_pack", {}),
        ("NDHT", "submit_documentation", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC", "NHSE"]}),
        ("DCC", "declare_interest", NO_CONFLICT),
        ("NHSE", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
    ],
    "scenario_2": [
        ("RDE", "save", {WITH_PRINCIPLE: True}),
        ("RDE", "submit_report", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
        ("DCC", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
    ],
    "scenario_4": [
        ("RDE", "save", {WITH_PRINCIPLE: True}),
        ("RDE", "submit_report", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
        ("DCC", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
    ],
}


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


@pytest.fixture
def as_(run: Run, client_for: Callable[[User], FlaskClient]) -> Callable[[str], FlaskClient]:
    """A client logged in as ``leader`` or the chief executive of an organisation code (one each)."""
    clients: dict[str, FlaskClient] = {}

    def client(name: str) -> FlaskClient:
        if name not in clients:
            clients[name] = client_for(run.who(name))
        return clients[name]

    return client


def _file(run: Run, process_key: str) -> Dispute:
    """RDE notifies a dispute of ``process_key`` (Scenario 1 jointly with NDHT)."""
    extra: dict[str, Any] = {}
    if process_key in ("scenario_2", "scenario_3"):
        extra["decision_reference"] = "PDEG minute 2026/41"
    if process_key == "scenario_4":
        extra["respondents"] = [run.org("DPT")]
    return run.file("RDE", process_key, other="NDHT" if process_key == "scenario_1" else None, **extra)


def _steps(run: Run, steps: list[Step]) -> None:
    assert run.dispute is not None
    for by, action, payload in steps:
        if payload.get(WITH_PRINCIPLE):
            payload = {**complete_texts(run.dispute), "principles": ["V1"]}
        run.do(by, action, payload)


def _at(run: Run, process_key: str, steps: list[Step] | None = None) -> Dispute:
    """A dispute of ``process_key`` filed by RDE and taken through ``steps``."""
    dispute = _file(run, process_key)
    _steps(run, steps or [])
    return dispute


class FormPage(Page):
    """A page that also knows its checkboxes and radios (``options``, ``checked``: values by name) and
    the papers' buttons (``buttons``: the ``intent`` each sends)."""

    def __init__(self, html: str) -> None:
        self.checked: dict[str, list[str]] = {}
        self.options: dict[str, list[str]] = {}
        self.buttons: list[str] = []
        super().__init__(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name, value = attributes.get("name") or "", attributes.get("value") or ""
        if tag == "input" and attributes.get("type") in ("checkbox", "radio") and name:
            self.options.setdefault(name, []).append(value)
            if "checked" in attributes:
                self.checked.setdefault(name, []).append(value)
        if tag == "button" and name == "intent":
            self.buttons.append(value)
        super().handle_starttag(tag, attrs)

    @classmethod
    def of(cls, response: Any) -> FormPage:
        return cls(response.get_data(as_text=True))


def _fresh(dispute: Dispute) -> Dispute:
    db.session.expire_all()
    found = db.session.get(Dispute, dispute.id)
    assert found is not None
    return found


def _dispute_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Dispute)) or 0


def _action(dispute: Dispute, trigger: str) -> str:
    return f"/disputes/{dispute.id}/actions/{trigger}"


def _post_action(client: FlaskClient, dispute: Dispute, trigger: str, data: dict[str, Any],
                 version: int | None = None) -> Any:
    """Post an action form as the page would: with the version the page was drawn from."""
    if version is None:
        version = _fresh(dispute).version
    # An irreversible step's check page is confirmed as the person would (tests/test_check_answers.py).
    return client.post(_action(dispute, trigger), data={"expected_version": str(version), "confirmed": "1", **data})


# --- filing: the notification to the STP Leader -------------------------------------------------------


def _filing(org: Callable[[str], Organisation], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Where the stroke unit goes",
        "negotiation_attempted": "y",
        "negotiation_account": "The chief executives met three times in January.",
        "other_party_ids": str(org("NDHT").id),
        "decision_reference": "PDEG minute 2026/41",
        "respondent_ids": str(org("DPT").id),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


FILING_PROBLEMS = [
    # (scenario, what the form lacks, the field it is shown beside, what it says)
    ("scenario_4", {"title": ""}, "title", "Give the dispute a short title"),
    ("scenario_4", {"title": "x" * 201}, "title", "200"),
    ("scenario_4", {"negotiation_attempted": None}, "negotiation_attempted",
     "Confirm that the parties have tried to resolve the dispute by negotiation in good faith (clause 16.1)"),
    ("scenario_4", {"negotiation_account": ""}, "negotiation_account",
     "Give a short account of the negotiation you tried"),
    ("scenario_1", {"other_party_ids": None}, "other_party_ids",
     "The other organisation bringing the dispute: name exactly 1 (Schedule 8, scenario 1)"),
    ("scenario_2", {"decision_reference": ""}, "decision_id",
     "Choose the decision from the register, or give the reference of the document that contains it."),
    ("scenario_3", {"decision_reference": "   "}, "decision_id", "Schedule 8, scenario 3, step one"),
    ("scenario_4", {"respondent_ids": None}, "respondent_ids",
     "The organisation whose change of practice causes the problem: name exactly 1 (Schedule 8, scenario 4)"),
]


@pytest.mark.parametrize(("process_key", "changes", "field", "message"), FILING_PROBLEMS)
def test_filing_with_bad_input_shows_the_problem_beside_the_field_and_stores_nothing(
    run: Run, as_: Callable[[str], FlaskClient], org: Callable[[str], Organisation],
    process_key: str, changes: dict[str, Any], field: str, message: str,
) -> None:
    client = as_("RDE")
    audit_before = audit_count()
    data = _filing(org, **changes)

    response = client.post(f"/disputes/new/{process_key}", data=data)

    assert response.status_code == 400
    page = Page.of(response)
    assert message in (page.text(f"{field}-error") or "")
    assert _dispute_count() == 0
    assert audit_count() == audit_before


@pytest.mark.parametrize(("process_key", "changes", "field", "message"), FILING_PROBLEMS)
def test_filing_with_bad_input_keeps_what_was_typed(
    run: Run, as_: Callable[[str], FlaskClient], org: Callable[[str], Organisation],
    process_key: str, changes: dict[str, Any], field: str, message: str,
) -> None:
    data = _filing(org, **changes)

    page = FormPage.of(as_("RDE").post(f"/disputes/new/{process_key}", data=data))

    assert page.values["title"] == data["title"]
    assert page.text("negotiation_account") == data["negotiation_account"]
    assert ("negotiation_attempted" in page.checked) == ("negotiation_attempted" in data)
    for field_name in ("other_party_ids", "respondent_ids"):
        if field_name in page.options:
            assert page.checked.get(field_name, []) == ([data[field_name]] if data.get(field_name) else [])


def test_the_filing_form_shows_all_its_problems_at_once(
    run: Run, as_: Callable[[str], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    data = _filing(org, title="", negotiation_attempted=None, negotiation_account="", other_party_ids=None)

    response = as_("RDE").post("/disputes/new/scenario_1", data=data)

    assert response.status_code == 400
    page = Page.of(response)
    for field, message in (
        ("title", "Give the dispute a short title"),
        ("negotiation_attempted", "negotiation in good faith (clause 16.1)"),
        ("negotiation_account", "Give a short account of the negotiation you tried"),
        ("other_party_ids", "name exactly 1 (Schedule 8, scenario 1)"),
    ):
        assert message in (page.text(f"{field}-error") or ""), field
    assert _dispute_count() == 0


# --- the written material ---------------------------------------------------------------------------


def _papers(dispute: Dispute) -> str:
    return f"/disputes/{dispute.id}/papers"


def _material(texts: dict[str, str], intent: str, principles: tuple[str, ...] = ()) -> dict[str, Any]:
    """The papers form as a browser posts it: one text area per heading, ticked principles, a button."""
    return {**{f"h_{key}": text for key, text in texts.items()}, "principles": list(principles), "intent": intent}


def _stored_material(dispute: Dispute) -> dict[str, str]:
    return {m.key: m.text for m in _fresh(dispute).material}


SCENARIO_2_HEADINGS = [
    # (heading key, what the page says beside it)
    ("background", "'Background' is missing"),
    ("decision_reference", "needs a reference to the document that contains the decision"),
    ("decision_not_supported", "'The decision not supported' is missing"),
    ("why", "'Why the decision cannot be supported' is missing"),
    ("impact", "'Impact' is missing"),
    ("suggested_remedy", "'Suggested remedy/alternative decision' is missing"),
]


@pytest.mark.parametrize(("missing", "message"), SCENARIO_2_HEADINGS)
def test_a_report_missing_a_heading_is_not_submitted_and_the_problem_is_shown_beside_it_with_its_clause(
    run: Run, as_: Callable[[str], FlaskClient], missing: str, message: str,
) -> None:
    dispute = _at(run, "scenario_2")
    texts = {**complete_texts(dispute), missing: ""}

    response = as_("RDE").post(_papers(dispute), data=_material(texts, "submit", ("V1",)))

    assert response.status_code == 400
    beside = Page.of(response).text(f"h_{missing}-error") or ""
    assert message in beside
    assert "(Schedule 8, scenario 2, step one)" in beside
    assert _fresh(dispute).state == "notified"
    assert "report_received" not in event_names(CaseKind.DISPUTE, dispute.id)


@pytest.mark.parametrize(("missing", "message"), SCENARIO_2_HEADINGS)
def test_a_report_refused_for_a_missing_heading_keeps_everything_typed_as_a_draft(
    run: Run, as_: Callable[[str], FlaskClient], missing: str, message: str,
) -> None:
    dispute = _at(run, "scenario_2")
    texts = {**complete_texts(dispute), missing: ""}

    page = FormPage.of(as_("RDE").post(_papers(dispute), data=_material(texts, "submit", ("V1",))))

    typed = {key: text for key, text in texts.items() if text}
    assert {k: v for k, v in _stored_material(dispute).items() if v} == typed
    assert [p.code for p in _fresh(dispute).principles] == ["V1"]
    for key, text in typed.items():
        assert page.text(f"h_{key}") == text
    assert page.checked.get("principles") == ["V1"]


def test_a_report_citing_no_principle_is_not_submitted_and_says_so_beside_the_principles(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _at(run, "scenario_2")

    response = as_("RDE").post(_papers(dispute), data=_material(complete_texts(dispute), "submit"))

    assert response.status_code == 400
    assert "Cite at least one agreed principle from Schedule 3" in (Page.of(response).text("principles-error") or "")
    assert _fresh(dispute).state == "notified"
    assert _stored_material(dispute) == complete_texts(dispute)


def test_saving_a_draft_sends_nothing_to_the_stp_lead(run: Run, as_: Callable[[str], FlaskClient]) -> None:
    dispute = _at(run, "scenario_3")

    response = as_("RDE").post(_papers(dispute), data=_material({"background": "Only this so far"}, "save"),
                               follow_redirects=True)

    assert "Draft saved. Nothing has been sent yet." in response.get_data(as_text=True)
    assert _stored_material(dispute)["background"] == "Only this so far"
    assert _fresh(dispute).state == "notified"


def test_scenario_1_papers_cannot_go_to_the_stp_lead_before_both_parties_agree_them(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _at(run, "scenario_1", [("RDE", "save", {}), ("RDE", "agree_pack", {})])

    response = as_("RDE").post(_papers(dispute), data=_material(complete_texts(dispute), "submit"))

    assert response.status_code == 400
    summary = Page.of(response).text("maincontent") or ""
    assert "Northern Devon Healthcare NHS Trust has not agreed the pack as it now stands" in summary
    assert "Schedule 8, scenario 1, step one" in summary
    assert _fresh(dispute).state == "notified"


def test_scenario_1_an_edit_after_a_party_agreed_means_that_party_must_agree_again(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _at(run, "scenario_1", [("RDE", "save", {}), ("RDE", "agree_pack", {})])
    edited = {**complete_texts(dispute), "background": "NDHT's better background"}

    as_("NDHT").post(_papers(dispute), data=_material(edited, "agree"))
    page = FormPage.of(as_("RDE").get(_papers(dispute)))

    assert page.text("pack-agreed-by") == "Agreed so far by: Northern Devon Healthcare NHS Trust."
    assert "agree" in page.buttons
    response = as_("NDHT").post(_papers(dispute), data=_material(edited, "submit"))
    assert "Royal Devon and Exeter NHS Foundation Trust has not agreed the pack as it now stands" in (
        Page.of(response).text("maincontent") or "")
    assert _fresh(dispute).state == "notified"


def test_papers_that_have_gone_to_the_stp_lead_cannot_be_changed(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _at(run, "scenario_2", TO_PANEL["scenario_2"][:2])
    client = as_("RDE")
    before = snapshot(dispute)

    response = client.post(_papers(dispute), data=_material({"background": "Rewritten"}, "save"),
                           follow_redirects=True)

    assert "The papers can no longer be changed" in response.get_data(as_text=True)
    assert snapshot(dispute) == before


# --- the action forms -----------------------------------------------------------------------------


def _offered(page: FormPage, name: str) -> set[str]:
    return set(page.options.get(name, []))


def test_the_panel_form_does_not_offer_the_parties(run: Run, as_: Callable[[str], FlaskClient],
                                                   org: Callable[[str], Organisation]) -> None:
    dispute = _at(run, "scenario_1", TO_PANEL["scenario_1"][:4])

    page = FormPage.of(as_("leader").get(_action(dispute, "nominate_panel")))

    offered = _offered(page, "organisation_ids")
    assert str(org("RDE").id) not in offered
    assert str(org("NDHT").id) not in offered
    assert {str(org("DCC").id), str(org("NHSE").id)} <= offered


PANEL_PROBLEMS = [
    # (scenario, panel chosen, what is said beside the panel)
    ("scenario_2", ("RDE",), "Royal Devon and Exeter NHS Foundation Trust is a party to the dispute and cannot sit "
                             "on its panel (16.2)"),
    ("scenario_1", ("DCC", "NDHT"), "Northern Devon Healthcare NHS Trust is a party to the dispute and cannot sit "
                                    "on its panel (16.2)"),
    ("scenario_1", ("DCC",), "The panel needs at least 2 organisations (Schedule 8, scenario 1, step two)"),
    ("scenario_2", (), "Choose the organisations on the panel (Schedule 8, scenario 2, step three)"),
    ("scenario_4", ("DPT",), "Devon Partnership NHS Trust is on the other side of the dispute and cannot "
                             "sit on its panel (16.2)"),
]


@pytest.mark.parametrize(("process_key", "panel", "message"), PANEL_PROBLEMS)
def test_a_panel_that_is_not_neutral_or_too_small_is_refused_with_its_clause(
    run: Run, as_: Callable[[str], FlaskClient], process_key: str, panel: tuple[str, ...], message: str,
) -> None:
    dispute = _at(run, process_key, TO_PANEL[process_key][: 4 if process_key == "scenario_1" else 2])
    leader = as_("leader")
    before = snapshot(dispute)

    response = _post_action(leader, dispute, "nominate_panel",
                            {"organisation_ids": [str(i) for i in run.ids(*panel)]})

    assert response.status_code == 400
    assert message in (Page.of(response).text("organisation_ids-error") or "")
    assert snapshot(dispute) == before


def test_a_withdrawn_party_is_not_offered_for_a_panel_and_cannot_be_nominated(
    run: Run, as_: Callable[[str], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    from govern.partnership import operations as partnership_ops

    dispute = _at(run, "scenario_2", TO_PANEL["scenario_2"][:2])
    partnership_ops.withdraw_party(org("PCC"), run.cast.leader, notice="Leaving the partnership")
    db.session.commit()
    leader = as_("leader")

    assert str(org("PCC").id) not in _offered(FormPage.of(leader.get(_action(dispute, "nominate_panel"))),
                                              "organisation_ids")
    response = _post_action(leader, dispute, "nominate_panel", {"organisation_ids": [str(org("PCC").id)]})
    assert response.status_code == 400
    assert "Plymouth City Council has withdrawn from the MoU and cannot sit on a panel (15)" in (
        Page.of(response).text("organisation_ids-error") or "")
    assert _fresh(dispute).active_panel == []


SCENARIO_2_TO_DECLARATIONS = TO_PANEL["scenario_2"][:3]
SCENARIO_1_WITH_PANEL = TO_PANEL["scenario_1"]
SCENARIO_1_HEARD = [*TO_PANEL["scenario_1"], ("DCC", "hold_hearing", {})]
SCENARIO_2_RECOMMENDED = [*TO_PANEL["scenario_2"],
                          ("DCC", "make_recommendation", {"recommendation": "Review it", "reasons": "New facts"})]

ACTION_PROBLEMS = [
    # (scenario, steps before, who, action, what they send, the field, what is said beside it)
    ("scenario_2", SCENARIO_2_TO_DECLARATIONS, "DCC", "declare_interest", {}, "conflict",
     "Answer: my organisation has a conflict of interest"),
    ("scenario_2", SCENARIO_2_TO_DECLARATIONS, "DCC", "declare_interest", {"conflict": "yes"}, "details",
     "Describe the conflict of interest (clause 16.2)"),
    ("scenario_1", SCENARIO_1_WITH_PANEL, "DCC", "call_parties", {"called": ["RDE"]}, "invited",
     "Northern Devon Healthcare NHS Trust must be invited to be present when the other party is called "
     "(Schedule 8, scenario 1, step three)"),
    ("scenario_1", SCENARIO_1_WITH_PANEL, "DCC", "hold_hearing", {"held_at": "2099-01-01T10:00"}, "held_at",
     "This cannot be in the future"),
    ("scenario_1", SCENARIO_1_WITH_PANEL, "DCC", "schedule_hearing",
     {"hearing_date[day]": "2", "hearing_date[month]": "1", "hearing_date[year]": "2023"}, "hearing_date",
     "The date cannot be in the past"),
    ("scenario_1", SCENARIO_1_WITH_PANEL, "DCC", "schedule_hearing", {"arrangements": "Exeter, 10am"},
     "hearing_date", "Enter date of the hearing"),
    ("scenario_1", SCENARIO_1_HEARD, "NHSE", "present_decision", {"decision": "Exeter"}, "reasons",
     "Enter the reasons, as fully as is reasonably practical"),
    ("scenario_1", SCENARIO_1_HEARD, "NHSE", "present_decision", {"reasons": "Travel times"}, "decision",
     "Enter the decision"),
    ("scenario_2", TO_PANEL["scenario_2"], "DCC", "make_recommendation", {"reasons": "New facts"},
     "recommendation", "Enter the recommendation"),
    ("scenario_2", SCENARIO_2_RECOMMENDED, "leader", "propose_solution",
     {"proposal": "Revisit it", "reasons": "New facts"}, "outcome", "Choose the proposal"),
    ("scenario_2", [], "leader", "extend_deadline",
     {"step": "report", "due_date[day]": "31", "due_date[month]": "2", "due_date[year]": "2023",
      "reason": "Illness"}, "due_date", "must be a real date"),
    ("scenario_2", [], "leader", "extend_deadline",
     {"step": "report", "due_date[day]": "2", "due_date[month]": "3", "due_date[year]": "2023",
      "reason": "Illness"}, "due_date",
     "The new date must be after the current due date (Wed 8 Mar 2023) (clause 16.2)"),
    ("scenario_2", [], "leader", "extend_deadline",
     {"step": "report", "due_date[day]": "20", "due_date[month]": "3", "due_date[year]": "2023"}, "reason",
     "Enter reason"),
]


@pytest.mark.parametrize(("process_key", "steps", "who", "trigger", "data", "field", "message"), ACTION_PROBLEMS)
def test_an_action_with_bad_input_is_refused_beside_the_field_and_changes_nothing(
    run: Run, as_: Callable[[str], FlaskClient], process_key: str, steps: list[Step], who: str, trigger: str,
    data: dict[str, Any], field: str, message: str,
) -> None:
    dispute = _at(run, process_key, steps)
    client = as_(who)
    before = snapshot(dispute)
    for key in ("called", "invited"):
        if key in data:
            data = {**data, key: [str(i) for i in run.ids(*data[key])]}

    response = _post_action(client, dispute, trigger, data)

    assert response.status_code == 400
    assert message in (Page.of(response).text(f"{field}-error") or "")
    assert snapshot(dispute) == before


@pytest.mark.parametrize(("process_key", "steps", "who", "trigger", "data", "field", "message"), ACTION_PROBLEMS)
def test_an_action_with_bad_input_keeps_what_was_typed(
    run: Run, as_: Callable[[str], FlaskClient], process_key: str, steps: list[Step], who: str, trigger: str,
    data: dict[str, Any], field: str, message: str,
) -> None:
    dispute = _at(run, process_key, steps)
    client = as_(who)
    for key in ("called", "invited"):
        if key in data:
            data = {**data, key: [str(i) for i in run.ids(*data[key])]}

    page = FormPage.of(_post_action(client, dispute, trigger, data))

    for name, value in data.items():
        if name in page.options:  # radios and checkboxes: the ones ticked
            assert page.checked.get(name) == (value if isinstance(value, list) else [value]), name
        elif name == "held_at":  # a datetime-local box
            assert page.values[name].replace("T", " ").startswith(value.replace("T", " ")), name
        else:
            assert (page.values.get(name) or page.text(name)) == value, name


def test_the_panel_arranges_the_hearing_and_records_who_was_present(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _at(run, "scenario_1", SCENARIO_1_WITH_PANEL)
    panel = as_("DCC")

    arranged = _post_action(panel, dispute, "schedule_hearing", {
        "hearing_date[day]": "1", "hearing_date[month]": "3", "hearing_date[year]": "2023",  # today: held as arranged
        "arrangements": "County Hall, Exeter, 10am",
    })
    held = _post_action(panel, dispute, "hold_hearing", {"attended": [str(i) for i in run.ids("RDE", "NDHT")]})

    assert (arranged.status_code, held.status_code) == (302, 302)
    page = panel.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "Hearing arranged for" in page and "1 March 2023. County Hall, Exeter, 10am" in page
    assert "Parties present" in page
    assert "Royal Devon and Exeter NHS Foundation Trust, Northern Devon Healthcare NHS Trust" in page


DOUBLE_SUBMITS = [
    # (steps before, who, action, what they send, the event it records, what the second submission is told,
    #  where the dispute then stands)
    (SCENARIO_2_TO_DECLARATIONS, "DCC", "declare_interest", {"conflict": "no"}, "interest_declared",
     "That action is no longer available",  # a member declares once (issue 11): not offered again
     "Panel nominated; awaiting each member's declaration of interest"),
    (TO_PANEL["scenario_2"][:4], "leader", "release_papers", {}, "papers_released",
     "That action is no longer available", "Papers with the panel"),
    (TO_PANEL["scenario_2"][:2], "leader", "nominate_panel", {"organisation_ids": "DCC"}, "panel_nominated",
     "That action is no longer available", "Panel nominated; awaiting each member's declaration of interest"),
]


@pytest.mark.parametrize(("steps", "who", "trigger", "data", "event", "message", "state_title"), DOUBLE_SUBMITS)
def test_a_second_submission_of_the_same_page_changes_nothing_and_says_why(
    run: Run, as_: Callable[[str], FlaskClient], steps: list[Step], who: str, trigger: str, data: dict[str, Any],
    event: str, message: str, state_title: str,
) -> None:
    dispute = _at(run, "scenario_2", steps)
    client = as_(who)
    if "organisation_ids" in data:
        data = {"organisation_ids": [str(i) for i in run.ids(data["organisation_ids"])]}
    version = _fresh(dispute).version

    first = _post_action(client, dispute, trigger, data, version)
    after_first = snapshot(dispute)
    second = _post_action(client, dispute, trigger, data, version)

    assert first.status_code == second.status_code == 302
    assert snapshot(dispute) == after_first
    assert event_names(CaseKind.DISPUTE, dispute.id).count(event) == 1
    shown = client.get(second.headers["Location"])
    assert message in shown.get_data(as_text=True)
    assert (Page.of(shown).text("dispute-state") or "").startswith(state_title)


NO_LONGER_OFFERED = [
    # (steps before, who, action)
    ([], "leader", "release_papers"),
    ([], "RDE", "accept_outcome"),
    (TO_PANEL["scenario_2"][:3], "leader", "nominate_panel"),
    (TO_PANEL["scenario_2"][:2], "RDE", "submit_report"),
]


@pytest.mark.parametrize(("steps", "who", "trigger"), NO_LONGER_OFFERED)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_action_not_open_to_the_user_now_sends_them_to_the_dispute_with_a_message(
    run: Run, as_: Callable[[str], FlaskClient], steps: list[Step], who: str, trigger: str, method: str,
) -> None:
    dispute = _at(run, "scenario_2", steps)
    client = as_(who)
    before = snapshot(dispute)

    response = client.open(_action(dispute, trigger), method=method,
                           data={"expected_version": str(_fresh(dispute).version)})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/disputes/{dispute.id}")
    assert "That action is no longer available" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert snapshot(dispute) == before


def test_an_action_the_process_does_not_have_is_not_found(run: Run, as_: Callable[[str], FlaskClient]) -> None:
    dispute = _at(run, "scenario_2")

    assert as_("leader").get(_action(dispute, "present_decision")).status_code == 404


# --- privacy: the parties, the panel, the STP Leader and administrators, nobody else ---------------------


OUTSIDERS = [
    # (role, organisation): none is a party to the dispute or an officer of its panel
    (Role.PARTNER_CEO, "PCC"),
    (Role.DEPUTY, "TC"),
    (Role.BOARD_SECRETARY, "DCC"),  # the panel's organisation, but not an officer who sits on it
    (Role.PDEG_SECRETARIAT, "STP"),
    (Role.GROUP_CHAIR, "RDE"),  # works at a party, but does not act for it
]


@pytest.mark.parametrize(("role", "code"), OUTSIDERS)
@pytest.mark.parametrize("path", ["", "/papers", "/actions/declare_interest", "/actions/release_papers",
                                  "/actions/accept_outcome", "/actions/no_such_action"])
def test_nobody_outside_the_dispute_can_see_it_or_its_papers_or_its_actions(
    run: Run, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
    role: Role, code: str, path: str,
) -> None:
    dispute = _at(run, "scenario_2", SCENARIO_2_TO_DECLARATIONS)
    outsider = client_for(make_user(role, code))
    before = snapshot(dispute)

    got = outsider.get(f"/disputes/{dispute.id}{path}")
    posted = outsider.post(f"/disputes/{dispute.id}{path}",
                           data={"expected_version": str(_fresh(dispute).version), "conflict": "no"})

    assert got.status_code == 404
    assert posted.status_code in (404, 405)
    assert snapshot(dispute) == before


@pytest.mark.parametrize(("role", "code"), OUTSIDERS)
def test_the_dispute_list_does_not_show_a_dispute_to_an_outsider(
    run: Run, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], role: Role, code: str,
) -> None:
    dispute = _at(run, "scenario_2", SCENARIO_2_TO_DECLARATIONS)

    response = client_for(make_user(role, code)).get("/disputes")

    assert dispute.reference not in response.get_data(as_text=True)


PAPERS_FOR_THE_PANEL = [
    # (steps taken, can the panel read the papers?)
    (TO_PANEL["scenario_2"][:3], False),  # nominated
    (TO_PANEL["scenario_2"][:4], False),  # declared no conflict, not yet released
    (TO_PANEL["scenario_2"], True),  # released
]


@pytest.mark.parametrize(("steps", "readable"), PAPERS_FOR_THE_PANEL)
def test_the_panel_reads_the_papers_only_once_the_stp_lead_releases_them(
    run: Run, as_: Callable[[str], FlaskClient], steps: list[Step], readable: bool,
) -> None:
    dispute = _at(run, "scenario_2", steps)
    panel = as_("DCC")

    response = panel.get(_papers(dispute))

    assert panel.get(f"/disputes/{dispute.id}").status_code == 200
    assert response.status_code == (200 if readable else 404)
    assert ("What we say under Impact" in response.get_data(as_text=True)) is readable


# --- what follows the STP Leader's proposal --------------------------------------------------------------


FOLLOW_UPS = [
    # (scenario, the STP Leader's proposal, who looks, the follow-up they see on the dispute page)
    ("scenario_2", "decision_revisited", "leader", "A decision to revisit (draft: write its title)"),
    ("scenario_2", "decision_revisited", "RDE", None),  # a draft is the STP Leader's to complete
    ("scenario_2", "decision_stands", "leader", None),
    ("scenario_4", "options_paper", "leader", "Options paper for PDEG (draft: write its title)"),
    ("scenario_4", "solution", "leader", None),
]


@pytest.mark.parametrize(("process_key", "outcome", "who", "follow_up"), FOLLOW_UPS)
def test_a_proposal_for_pdeg_links_the_dispute_to_its_draft_recommendation(
    run: Run, as_: Callable[[str], FlaskClient], process_key: str, outcome: str, who: str, follow_up: str | None,
) -> None:
    dispute = _at(run, process_key, [
        *TO_PANEL[process_key],
        ("DCC", "make_recommendation", {"recommendation": "Look again", "reasons": "A reason not considered"}),
    ])
    proposed = _post_action(as_("leader"), dispute, "propose_solution",
                            {"outcome": outcome, "proposal": "Bring it back to PDEG", "reasons": "New facts"})
    assert proposed.status_code == 302

    page = Page.of(as_(who).get(f"/disputes/{dispute.id}"))

    if follow_up is None:
        assert page.text("follow-ups") is None
    else:
        assert page.text("follow-ups") == "For PDEG"
        body = as_(who).get(f"/disputes/{dispute.id}").get_data(as_text=True)
        assert follow_up in body


def test_the_time_the_panel_convened_is_read_as_london_time_and_recorded(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _at(run, "scenario_1", SCENARIO_1_WITH_PANEL)
    released = stored_event(CaseKind.DISPUTE, dispute.id, "papers_released").occurred_at
    run.clock.tick(timedelta(days=130))  # into British Summer Time: London is an hour ahead of UTC
    panel = as_("DCC")

    response = _post_action(panel, dispute, "hold_hearing", {"held_at": "2023-07-01T09:30",
                                                             "date_reason": "Months late: the panel awaited data"})

    assert response.status_code == 302
    held = stored_event(CaseKind.DISPUTE, dispute.id, "hearing_held").occurred_at
    assert held == datetime(2023, 7, 1, 8, 30, tzinfo=UTC)
    assert held > released


# --- a bespoke process, set out by the STP Leader (16.2) ---------------------------------------------------

PROCESS_FORM = {
    "shape": "panel_recommends",
    "amount_panel_recommends__written_material": "2", "unit_panel_recommends__written_material": "weeks",
    "amount_panel_recommends__panel_nomination": "3", "unit_panel_recommends__panel_nomination": "working_days",
    "amount_panel_recommends__recommendation": "1", "unit_panel_recommends__recommendation": "weeks",
    "amount_panel_recommends__proposal": "1", "unit_panel_recommends__proposal": "weeks",
}


def test_the_stp_lead_sets_out_the_process_for_a_dispute_no_scenario_fits(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _file(run, "bespoke")
    leader = as_("leader")

    response = leader.post(f"/disputes/{dispute.id}/process",
                           data={"expected_version": str(_fresh(dispute).version), **PROCESS_FORM})

    assert response.status_code == 302
    assert _fresh(dispute).bespoke_spec["shape"] == "panel_recommends"
    assert [s.key for s in _fresh(dispute).definition.steps] == [
        "notification", "written_material", "panel_nomination", "declarations", "papers_release", "recommendation",
        "proposal", "responses"]
    page = leader.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "Within 2 weeks of notification of the dispute" in page


@pytest.mark.parametrize(("who", "process_key", "status"), [
    ("RDE", "bespoke", 403),         # a party asks; the STP Leader sets out the process
    ("leader", "scenario_2", 403),   # a scenario's process is the MoU's own
])
def test_only_the_stp_lead_sets_out_a_bespoke_process(
    run: Run, as_: Callable[[str], FlaskClient], who: str, process_key: str, status: int,
) -> None:
    dispute = _file(run, process_key)

    response = as_(who).post(f"/disputes/{dispute.id}/process", data=PROCESS_FORM)

    assert response.status_code == status
    assert _fresh(dispute).bespoke_spec == (None if process_key != "bespoke" else _fresh(dispute).bespoke_spec)


def test_a_process_that_cannot_run_is_refused_and_changes_nothing(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _file(run, "bespoke")
    before = _fresh(dispute).bespoke_spec
    data = {**PROCESS_FORM, "amount_panel_recommends__proposal": "0"}

    response = as_("leader").post(f"/disputes/{dispute.id}/process",
                                  data={"expected_version": str(_fresh(dispute).version), **data})

    assert response.status_code == 400
    assert "a deadline in days or weeks is between 1 and 52" in response.get_data(as_text=True)
    assert _fresh(dispute).bespoke_spec == before


# --- the joint pack: two parties saving the same papers at once (issue 11, defect 5) ----------------


def test_a_save_of_the_joint_pack_made_on_an_older_version_is_refused_as_stale_and_changes_nothing(
    run: Run,
) -> None:
    from govern.core.errors import StaleCase
    from govern.disputes import operations as ops

    dispute = _at(run, "scenario_1")
    opened = dispute.version  # both parties open the papers at this version
    ops.save_written_material(dispute, run.who("RDE"), {"background": "RDE's background"}, expected_version=opened)
    db.session.commit()
    before = (audit_count(), _stored_material(dispute))

    with pytest.raises(StaleCase):
        ops.save_written_material(dispute, run.who("NDHT"), {"background": "NDHT's background"},
                                  expected_version=opened)
    db.session.rollback()

    assert (audit_count(), _stored_material(dispute)) == before


def test_the_second_party_saving_the_joint_pack_keeps_its_text_and_sees_both_versions_side_by_side(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _at(run, "scenario_1")
    rde_page = FormPage.of(as_("RDE").get(_papers(dispute)))
    ndht_page = FormPage.of(as_("NDHT").get(_papers(dispute)))
    texts = complete_texts(dispute)

    as_("RDE").post(_papers(dispute), data={**_material({**texts, "background": "RDE's background"}, "save"),
                                            "version": rde_page.values["version"]})
    response = as_("NDHT").post(_papers(dispute), data={
        **_material({**texts, "background": "NDHT's background"}, "save"), "version": ndht_page.values["version"]})

    assert response.status_code == 409
    page = FormPage.of(response)
    assert page.text("h_background") == "NDHT's background"  # what NDHT typed is kept in the box
    compare = page.text("compare-background") or ""
    assert "Your version NDHT's background" in compare
    assert "Saved by" in compare and "RDE's background" in compare
    assert "changed since you opened" in (page.text("maincontent") or "")
    assert _stored_material(dispute)["background"] == "RDE's background"
    # Saving again from this page (after merging) is no longer stale.
    merged = as_("NDHT").post(_papers(dispute), data={
        **_material({**texts, "background": "Both backgrounds, merged"}, "save"), "version": page.values["version"]})
    assert merged.status_code == 302
    assert _stored_material(dispute)["background"] == "Both backgrounds, merged"


def test_papers_refused_on_sending_can_be_completed_and_sent_from_the_same_page(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    """The page shown after a refused send is of the papers as saved: the next save is not stale."""
    dispute = _at(run, "scenario_2")
    opened = FormPage.of(as_("RDE").get(_papers(dispute))).values["version"]
    texts = {**complete_texts(dispute), "impact": ""}
    refused = FormPage.of(as_("RDE").post(_papers(dispute), data={**_material(texts, "submit", ("V1",)),
                                                                   "version": opened}))
    assert "'Impact' is missing" in (refused.text("h_impact-error") or "")

    sent = as_("RDE").post(_papers(dispute), data={**_material(complete_texts(dispute), "submit", ("V1",)),
                                                   "version": refused.values["version"]})

    assert sent.status_code == 302 and sent.headers["Location"].endswith("/actions/submit_report")


def test_the_stp_leader_names_the_other_side_on_the_set_out_page_and_it_can_see_the_dispute(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    # Issue 11: the other side of a 16.2 dispute, added by the STP Leader, is a party from then on.
    dispute = _file(run, "bespoke")
    leader = as_("leader")
    page = Page.of(leader.get(f"/disputes/{dispute.id}/process"))
    dcc = run.org("DCC")
    assert "Anyone else on the other side of the dispute" in (page.text("maincontent") or "")
    assert as_("DCC").get(f"/disputes/{dispute.id}").status_code == 404

    response = leader.post(f"/disputes/{dispute.id}/process", data={
        "expected_version": str(_fresh(dispute).version), **PROCESS_FORM, "respondent_ids": [str(dcc.id)]})

    assert response.status_code == 302
    assert {p.organisation_id for p in _fresh(dispute).respondents} == {dcc.id}
    assert as_("DCC").get(f"/disputes/{dispute.id}").status_code == 200


def test_naming_a_party_already_in_the_dispute_is_refused_beside_the_field(
    run: Run, as_: Callable[[str], FlaskClient],
) -> None:
    dispute = _file(run, "bespoke")
    before = (_fresh(dispute).bespoke_spec, _fresh(dispute).version)
    response = as_("leader").post(f"/disputes/{dispute.id}/process", data={
        "expected_version": str(_fresh(dispute).version), **PROCESS_FORM,
        "respondent_ids": [str(run.org("RDE").id)]})

    assert response.status_code == 400
    assert "already a party" in (Page.of(response).text("respondent_ids-error") or "")
    assert (_fresh(dispute).bespoke_spec, _fresh(dispute).version) == before
