"""``agreement check`` refuses each kind of mistake in an agreement file, naming its path, line and clause.

Each row takes a valid agreement (a small one written here, or Devon's file with its scenarios and the
shapes of a process set out), breaks one thing with a text edit, and says where the mistake must be reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import TEST_CONFIG
from workflows.agreement import AgreementError, Issue, parse_agreement

ROOT = Path(__file__).resolve().parents[2]
DEVON_FILE = ROOT / "agreements" / "devon-stp-2016.yaml"
SCHEME_FILE = ROOT / "agreements" / "integration-scheme-clause-14.yaml"
DEVON = DEVON_FILE.read_text(encoding="utf-8")

#: The smallest agreement worth breaking: two parties, an escalation from managers to directors, in the
#: explicit (``transitions``) form.  It is valid as it stands (see ``test_the_small_agreement_is_valid``).
SMALL = """\
agreement:
  key: test-escalation
  title: A two-party escalation agreement
  source: Written for the tests
  dispute_clause: '9'

partnership:
  name: The Health Board and the Council
  parties:
    - {code: HB, name: The Health Board, kind: commissioner, signature: signed, board: Board, clause: '1'}
    - {code: LA, name: The Council, kind: local_authority, signature: signed, board: Cabinet, clause: '1'}

roles:
  filing_party: {name: the Party raising the issue, kind: case, clause: '9.1'}
  respondent: {name: the other Party, kind: case, clause: '9.1'}
  party: {name: each Party, kind: case, clause: '9.1'}

calendar:
  time_zone: Europe/London
  holidays: GB/ENG
  working_day: working day

processes:
  escalation:
    kind: dispute
    title: Escalation of a disagreement between the Parties
    clause: '9'
    filing: {clause: '9.1', title: The Parties disagree, when: Either Party disagrees with the other}
    initial: draft
    states:
      - {name: draft, title: Being prepared, clause: '9.1'}
      - {name: managers, title: The managers meet, clause: '9.2'}
      - {name: directors, title: The directors meet, clause: '9.3'}
      - {name: resolved, title: Resolved by the Parties, clause: '9.4', terminal: true}
      - {name: determined, title: Determined, clause: '9.5', terminal: true}
    transitions:
      - trigger: notify
        from: draft
        to: managers
        by: [filing_party]
        label: Raise the disagreement with the other Party
        clause: '9.1'
        records: [{event: notified}]
        notify: [{to: [respondent], text: The other Party has raised a disagreement.}]
      - trigger: record_resolution
        from: [managers, directors]
        to: resolved
        by: [party]
        label: Record what the Parties agreed
        clause: '9.4'
        fields: [{key: resolution, label: What the Parties agreed}]
        requires: [parties_are_current]
        records: [{event: resolved, keys: [resolution]}]
      - trigger: escalate
        from: managers
        to: directors
        by: [party]
        label: Refer the disagreement to the directors
        clause: '9.3'
        records: [{event: referred}]
      - trigger: record_determination
        from: directors
        to: determined
        by: [party]
        label: Record the determination
        clause: '9.5'
        fields: [{key: determined_on, label: Date of the determination, kind: date}]
        rules: [{date_not_in_past: {field: determined_on}}]
        records: [{event: determined, keys: [determined_on]}]
    steps:
      - {key: notification, title: The disagreement is raised, clause: '9.1', by: [filing_party], done: notified}
      - key: referral
        title: The managers refer the disagreement to the directors
        clause: '9.3'
        by: [party]
        done: referred
        follows: [notified]
        deadline: {amount: 10, unit: working_days, after: [notified]}
"""

TRANSITIONS = "processes.escalation.transitions"
STATES = "processes.escalation.states"
STEPS = "processes.escalation.steps"
SCENARIO_1 = "processes.scenario_1"
S1_STEP_ONE = "Schedule 8, scenario 1, step one"
PANEL_DECIDES = "bespoke.shapes.panel_decides"


def line_of(text: str, needle: str, after: str = "") -> int:
    """The 1-based line of the first ``needle`` in ``text`` (after the first ``after``, if given)."""
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


def swap(old: str, new: str, after: str = "") -> Callable[[str], str]:
    """An edit replacing the first ``old`` (after the first ``after``, if given); ``old`` must be there."""

    def edit(text: str) -> str:
        start = text.index(after) if after else 0
        at = text.index(old, start)
        return text[:at] + new + text[at + len(old) :]

    return edit


def insert_before(anchor: str, new: str) -> Callable[[str], str]:
    """An edit inserting ``new`` just before the first ``anchor``."""
    return swap(anchor, new + anchor)


def insert_after(anchor: str, new: str, after: str = "") -> Callable[[str], str]:
    """An edit inserting ``new`` just after the first ``anchor`` (after ``after``, if given)."""
    return swap(anchor, anchor + new, after)


REOPEN = """\
      - trigger: reopen
        from: resolved
        to: managers
        by: [party]
        label: Reopen the disagreement
        clause: '9.6'
"""


@dataclass(frozen=True)
class Mistake:
    """One broken file: the edit that breaks a valid agreement, and the issue it must produce.

    ``at`` is text of the broken file whose line the issue must name (found after ``at_after``, if
    given); ``words`` must appear in the message; ``clause`` is the clause the issue names (None: the
    mistake is in the file's shape, which belongs to no clause).
    """

    base: str
    edit: Callable[[str], str]
    path: str
    words: str
    at: str
    clause: str | None = None
    at_after: str = ""


MISTAKES = [
    pytest.param(
        Mistake(SMALL, swap("title: Escalation of a", "title: Escalation: of a"), "agreement",
                "not valid YAML: mapping values are not allowed here", "title: Escalation: of a"),
        id="yaml-syntax-error",
    ),
    pytest.param(
        Mistake(SMALL, insert_after("label: Refer the disagreement to the directors\n", "        label: Escalate\n"),
                f"{TRANSITIONS}[2].label", "the key 'label' appears twice", "label: Escalate"),
        id="duplicate-key",
    ),
    pytest.param(
        Mistake(SMALL, insert_after("clause: '9.3'\n", "        colour: amber\n", after="trigger: escalate"),
                f"{TRANSITIONS}[2].colour", "unknown field 'colour'", "colour: amber"),
        id="unknown-field",
    ),
    pytest.param(
        Mistake(SMALL, swap("        clause: '9.3'\n", "", after="trigger: escalate"),
                f"{TRANSITIONS}[2].clause", "missing 'clause'", "- trigger: escalate"),
        id="transition-without-clause",
    ),
    pytest.param(
        Mistake(SMALL, swap("by: [party]", "by: [stp_leader]", after="trigger: escalate"),
                f"{TRANSITIONS}[2].by", "unknown role 'stp_leader': declare it under roles", "by: [stp_leader]",
                "9.3"),
        id="unknown-role-in-by",
    ),
    pytest.param(
        Mistake(SMALL, swap("to: [respondent]", "to: [other_party]"),
                f"{TRANSITIONS}[0].notify[0].to", "unknown role 'other_party'", "to: [other_party]", "9.1"),
        id="unknown-role-in-notify",
    ),
    pytest.param(
        Mistake(SMALL, swap("by: [party]", "by: [stp_leader]", after="key: referral"),
                f"{STEPS}[1].by", "unknown role 'stp_leader'", "by: [stp_leader]", "9.3"),
        id="unknown-role-in-step",
    ),
    pytest.param(
        Mistake(SMALL, swap("after: [notified]", "after: [acknowledged]"),
                f"{STEPS}[1].deadline", "runs from 'acknowledged', which no step records", "after: [acknowledged]",
                "9.3"),
        id="deadline-from-unrecorded-event",
    ),
    pytest.param(
        Mistake(SMALL, swap("follows: [notified]", "follows: [acknowledged]"),
                f"{STEPS}[1].follows", "runs from 'acknowledged', which no step records", "follows: [acknowledged]",
                "9.3"),
        id="step-follows-unrecorded-event",
    ),
    pytest.param(
        Mistake(SMALL, insert_before("    transitions:", "      - {name: parked, title: Parked, clause: '9.6'}\n"),
                f"{STATES}[5]", "the state 'parked' cannot be reached from 'draft'", "name: parked", "9.6"),
        id="unreachable-state",
    ),
    pytest.param(
        Mistake(SMALL, swap("clause: '9.5', terminal: true}", "clause: '9.5'}"),
                f"{STATES}[4]", "the state 'determined' is a dead end", "name: determined", "9.5"),
        id="dead-end-state",
    ),
    pytest.param(
        Mistake(SMALL, swap("done: notified}", "done: acknowledged}"),
                f"{STEPS}[0].done", "no transition records 'acknowledged': nobody may take this step",
                "done: acknowledged", "9.1"),
        id="step-nobody-may-take",
    ),
    pytest.param(
        Mistake(SMALL, swap("by: [filing_party], done: notified}", "by: [party], done: notified}"),
                f"{STEPS}[0].by", "none of the roles given may take the transition", "key: notification", "9.1"),
        id="step-by-roles-that-cannot-complete-it",
    ),
    pytest.param(
        Mistake(SMALL, insert_before("    steps:", REOPEN),
                f"{TRANSITIONS}[4].from", "'resolved' is terminal: nothing may leave it", "from: resolved", "9.6"),
        id="transition-from-terminal-state",
    ),
    pytest.param(
        Mistake(SMALL, swap("to: determined", "to: decided"),
                f"{TRANSITIONS}[3].to", "unknown state 'decided'", "to: decided", "9.5"),
        id="unknown-state-in-to",
    ),
    pytest.param(
        Mistake(SMALL, swap("from: directors\n", "from: director\n"),
                f"{TRANSITIONS}[3].from", "unknown state 'director'", "from: director", "9.5"),
        id="unknown-state-in-from",
    ),
    pytest.param(
        Mistake(SMALL, swap("initial: draft", "initial: drafting"),
                "processes.escalation.initial", "unknown initial state 'drafting'", "initial: drafting", "9"),
        id="unknown-initial-state",
    ),
    pytest.param(
        Mistake(SMALL, swap("requires: [parties_are_current]", "requires: [parties_are_happy]"),
                f"{TRANSITIONS}[1].requires[0]", "unknown rule 'parties_are_happy': the library has",
                "requires: [parties_are_happy]", "9.4"),
        id="unknown-rule",
    ),
    pytest.param(
        Mistake(SMALL, swap("{field: determined_on}", "{field: determined_on, grace_days: 2}"),
                f"{TRANSITIONS}[3].rules[0]", "rule 'date_not_in_past' takes no parameter 'grace_days'",
                "grace_days: 2", "9.5"),
        id="rule-parameter-it-does-not-take",
    ),
    pytest.param(
        Mistake(SMALL, swap("rules: [{date_not_in_past: {field: determined_on}}]", "rules: [date_not_in_past]"),
                f"{TRANSITIONS}[3].rules[0]", "rule 'date_not_in_past' needs the parameter 'field'",
                "rules: [date_not_in_past]", "9.5"),
        id="rule-missing-required-parameter",
    ),
    pytest.param(
        Mistake(SMALL, insert_after("records: [{event: referred}]\n", "        effects: [case_reopened]\n"),
                f"{TRANSITIONS}[2].effects[0]", "unknown effect 'case_reopened'", "effects: [case_reopened]", "9.3"),
        id="unknown-effect",
    ),
    pytest.param(
        Mistake(SMALL, insert_after("records: [{event: referred}]\n", "        route: when_ready\n"),
                f"{TRANSITIONS}[2].route", "unknown route 'when_ready'", "route: when_ready", "9.3"),
        id="unknown-route",
    ),
    pytest.param(
        Mistake(SMALL, swap("keys: [resolution]", "keys: [resolution, reasons]"),
                f"{TRANSITIONS}[1].records[0]", "records the field 'reasons', which the transition does not take",
                "keys: [resolution, reasons]", "9.4"),
        id="record-of-a-field-not-taken",
    ),
    pytest.param(
        Mistake(SMALL, swap("records: [{event: referred}]", "records: [{event: referred, recorder: response}]"),
                f"{TRANSITIONS}[2].records[0]", "a record names either an event or a recorder",
                "recorder: response", "9.3"),
        id="record-with-event-and-recorder",
    ),
    pytest.param(
        Mistake(SMALL, swap("kind: date}", "kind: choice}"),
                f"{TRANSITIONS}[3].fields[0].choices", "a choice needs its choices", "kind: choice", "9.5"),
        id="choice-without-choices",
    ),
    pytest.param(
        Mistake(SMALL, swap("- trigger: notify", "- trigger: raise"),
                TRANSITIONS, "a dispute starts with the 'notify' transition from its initial state",
                "- trigger: raise", "9"),
        id="dispute-without-notify",
    ),
    pytest.param(
        Mistake(SMALL, swap("    filing: {clause: '9.1', title: The Parties disagree, when: Either Party disagrees "
                            "with the other}\n", ""),
                "processes.escalation.filing", "a dispute process says what filing needs", "kind: dispute", "9"),
        id="dispute-without-filing",
    ),
    pytest.param(
        Mistake(SMALL, swap("holidays: GB/ENG", "holidays: GB/CORN"), "calendar.holidays",
                "unknown holiday region 'GB/CORN'", "holidays: GB/CORN"),
        id="unknown-holiday-region",
    ),
    pytest.param(
        Mistake(SMALL, swap("time_zone: Europe/London", "time_zone: Europe/Devon"), "calendar.time_zone",
                "unknown time zone 'Europe/Devon'", "time_zone: Europe/Devon"),
        id="unknown-time-zone",
    ),
    pytest.param(
        Mistake(SMALL, swap("{code: LA,", "{code: HB,"), "partnership.parties[1]",
                "the party code 'HB' is used twice", "name: The Council"),
        id="duplicate-party-code",
    ),
    pytest.param(
        Mistake(SMALL, swap("  party: {name: each Party", "  mediator: {name: the mediator"), "roles",
                "unknown role 'mediator': the engine knows", "  filing_party: {"),
        id="role-the-engine-does-not-know",
    ),
    pytest.param(
        Mistake(SMALL, swap("unit: working_days", "unit: fortnights"),
                f"{STEPS}[1].deadline.unit", "Input should be 'weeks', 'working_days', 'calendar_days' or 'same_day'",
                "unit: fortnights"),
        id="unknown-deadline-unit",
    ),
    # Devon's file: its scenarios and the shapes of a process set out (16.2).
    pytest.param(
        Mistake(DEVON, swap("after: [notified], text: Within 1 week", "after: [hearing_hold], text: Within 1 week"),
                f"{SCENARIO_1}.steps[1].deadline", "runs from 'hearing_hold', which no step records",
                "deadline: {amount: 1, unit: weeks, after: [hearing_hold]", S1_STEP_ONE, "scenario_1:"),
        id="devon-deadline-from-an-event-nothing-records",
    ),
    pytest.param(
        Mistake(DEVON, swap("rules: [panel_neutral]", "rules: [panel_balanced]", after="scenario_1:"),
                f"{SCENARIO_1}.transitions[3].rules[0]", "unknown rule 'panel_balanced'", "rules: [panel_balanced]",
                "Schedule 8, scenario 1, step two", "scenario_1:"),
        id="devon-unknown-rule",
    ),
    pytest.param(
        Mistake(DEVON, swap("by: [stp_leader]\n      label: Extend a deadline",
                            "by: [board_chair]\n      label: Extend a deadline"),
                f"{SCENARIO_1}.transitions[18].by", "unknown role 'board_chair'", "by: [board_chair]", "16.2",
                "scenario_1:"),
        id="devon-unknown-role-to-extend",
    ),
    pytest.param(
        Mistake(DEVON, swap("by: [panel_member]\n      done: decision_presented",
                            "by: [stp_leader]\n      done: decision_presented"),
                f"{SCENARIO_1}.steps[6].by", "none of the roles given may take the transition that completes this step",
                "by: [stp_leader]\n      done: decision_presented", "Schedule 8, scenario 1, step five", "scenario_1:"),
        id="devon-step-nobody-given-may-take",
    ),
    pytest.param(
        Mistake(DEVON, swap("      - {name: decision_presented, title: Decision presented to the parties, "
                            "clause: '16.2'}\n", "", after="panel_decides:"),
                f"{PANEL_DECIDES}.transitions[12].to", "unknown state 'decision_presented'", "to: decision_presented",
                "16.2", "panel_decides:"),
        id="bespoke-shape-unknown-state",
    ),
    pytest.param(
        Mistake(DEVON, swap("kind: dispute", "kind: ratification", after="panel_decides:"),
                f"{PANEL_DECIDES}.kind", "a shape is a dispute process", "kind: ratification",
                "16.2 (process set out by the STP Leader)", "panel_decides:"),
        id="bespoke-shape-not-a-dispute",
    ),
    pytest.param(
        Mistake(DEVON, swap("  - {code: SDT-CCG,", "  - {code: NEWD-CCG,"), "partnership.parties[1]",
                "the party code 'NEWD-CCG' is used twice", "name: South Devon and Torbay CCG"),
        id="devon-duplicate-party-code",
    ),
    pytest.param(
        Mistake(DEVON, swap("holidays: GB/ENG", "holidays: XX/ENG"), "calendar.holidays",
                "unknown holiday region 'XX/ENG'", "holidays: XX/ENG"),
        id="devon-unknown-holiday-region",
    ),
]


def issues_of(text: str) -> tuple[Issue, ...]:
    """The issues ``parse_agreement`` raises for ``text`` (it must raise)."""
    with pytest.raises(AgreementError) as raised:
        parse_agreement(text)
    return raised.value.issues


def test_the_small_agreement_is_valid() -> None:
    agreement = parse_agreement(SMALL)
    assert list(agreement.processes) == ["escalation"]


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_broken_agreement_is_refused_naming_path_line_and_clause(mistake: Mistake) -> None:
    broken = mistake.edit(mistake.base)
    assert broken != mistake.base
    issues = issues_of(broken)
    found = [i for i in issues if i.path == mistake.path and mistake.words in i.message]
    assert len(found) == 1, "\n".join(str(i) for i in issues)
    issue = found[0]
    assert issue.line == line_of(broken, mistake.at, mistake.at_after), str(issue)
    assert issue.clause == mistake.clause, str(issue)
    assert str(issue).startswith(f"{mistake.path} (line {issue.line}): ")


def test_every_mistake_in_a_file_is_reported_at_once() -> None:
    broken = SMALL
    for edit in (
        swap("to: [respondent]", "to: [other_party]"),
        swap("to: determined", "to: decided"),
        swap("requires: [parties_are_current]", "requires: [parties_are_happy]"),
        swap("after: [notified]", "after: [acknowledged]"),
        swap("holidays: GB/ENG", "holidays: GB/CORN"),
        swap("{code: LA,", "{code: HB,"),
    ):
        broken = edit(broken)
    paths = {i.path for i in issues_of(broken)}
    assert paths >= {
        f"{TRANSITIONS}[0].notify[0].to",
        f"{TRANSITIONS}[3].to",
        f"{TRANSITIONS}[1].requires[0]",
        f"{STEPS}[1].deadline",
        "calendar.holidays",
        "partnership.parties[1]",
    }


def test_every_schema_mistake_is_reported_at_once_with_the_duplicate_keys() -> None:
    broken = SMALL
    for edit in (
        swap("        clause: '9.3'\n", "", after="trigger: escalate"),
        insert_after("clause: '9.5'\n", "        colour: amber\n", after="trigger: record_determination"),
        insert_after("label: Refer the disagreement to the directors\n", "        label: Escalate\n"),
    ):
        broken = edit(broken)
    paths = {i.path for i in issues_of(broken)}
    assert paths >= {f"{TRANSITIONS}[2].clause", f"{TRANSITIONS}[3].colour", f"{TRANSITIONS}[2].label"}


def test_a_bad_state_name_in_from_is_one_issue_at_its_path() -> None:
    issues = issues_of(swap("from: managers\n", "from: Managers\n", after="trigger: escalate")(SMALL))
    assert [i.path for i in issues] == [f"{TRANSITIONS}[2].from"]


def test_a_notify_transition_from_several_states_including_the_initial_one_is_accepted() -> None:
    agreement = parse_agreement(swap("from: draft\n", "from: [managers, draft]\n")(SMALL))
    assert agreement.processes["escalation"].filed_state == "managers"


@pytest.mark.parametrize("path", [DEVON_FILE, SCHEME_FILE], ids=lambda p: p.name)
def test_the_shipped_agreements_have_no_mistake(path: Path) -> None:
    agreement = parse_agreement(path.read_text(encoding="utf-8"), source_name=path.name)
    assert agreement.processes


# --- The command -----------------------------------------------------------------------------------


@pytest.fixture
def cli_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app with its own instance folder and database file, for running its commands."""
    monkeypatch.setenv("GOVERN_INSTANCE_PATH", str(tmp_path / "instance"))
    from govern import create_app
    from govern.extensions import db

    application = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite3'}"})
    yield application
    with application.app_context():
        db.engine.dispose()


def test_check_command_refuses_a_broken_file_naming_path_and_clause(cli_app: Flask, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(swap("by: [party]", "by: [stp_leader]", after="trigger: escalate")(SMALL), encoding="utf-8")
    result = cli_app.test_cli_runner().invoke(args=["agreement", "check", str(broken)])
    assert result.exit_code == 1
    line = line_of(broken.read_text(encoding="utf-8"), "by: [stp_leader]")
    assert f"{TRANSITIONS}[2].by (line {line}): unknown role 'stp_leader'" in result.output
    assert "[9.3]" in result.output


def test_check_command_accepts_a_good_file(cli_app: Flask, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(SMALL, encoding="utf-8")
    result = cli_app.test_cli_runner().invoke(args=["agreement", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_preview_command_shows_each_due_date_with_its_working(cli_app: Flask) -> None:
    result = cli_app.test_cli_runner().invoke(args=["agreement", "preview", str(SCHEME_FILE), "--start", "2027-04-27"])
    assert result.exit_code == 0, result.output
    assert (
        "Written submissions decided Tue 27 Apr 2027 + 10 working days (May Day skipped) = Wed 12 May 2027"
        in result.output
    )
