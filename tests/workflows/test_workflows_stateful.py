"""Random actions by random roles: only declared moves happen, no step is skipped, due dates follow
from the events, and terminal states stay terminal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.workflows.support import START, Driver, dispute, drive_dispute, with_material
from workflows import RulesNotMet, TransitionNotAllowed, engine, registry
from workflows.calendar import is_working_day, local_day, working_days_between
from workflows.deadlines import schedule
from workflows.definitions import ProcessDefinition, Unit
from workflows.facts import Actor, DisputeFacts
from workflows.roles import CaseRole

ORGS = [1, 2, 3, 4, 5, 20, None]
BESPOKE = registry.bespoke({"shape": "panel_decides", "deadlines": {
    "panel_nomination": {"amount": 2, "unit": "working_days"}, "hearing": {"unit": "none"}}})
PROCESSES: list[ProcessDefinition] = [*(registry.get(f"scenario_{n}") for n in (1, 2, 3, 4)), BESPOKE]

org_lists = st.one_of(
    st.sampled_from([[3, 4], [4, 5], [3], [1], [2]]),
    st.lists(st.sampled_from([1, 2, 3, 4, 5, 20]), unique=True, max_size=3),
)
PAYLOADS = st.fixed_dictionaries(
    {
        "negotiation_attempted": st.sampled_from([True, True, False]),
        "organisation_ids": org_lists,
        "conflict": st.sampled_from([False, False, True]),
        "details": st.sampled_from([None, "Shared contract"]),
        "replace": st.sampled_from([3, 4, 5]),
        "replacement": st.sampled_from([3, 4, 5, 6]),
        "reason": st.just("Reason"),
        "called": org_lists,
        "invited": org_lists,
        "decision": st.just("Decision"),
        "reasons": st.sampled_from([None, "Reasons", "Reasons"]),
        "delay_reason": st.sampled_from([None, "Waiting for figures"]),
        "recommendation": st.just("Recommendation"),
        "outcome": st.sampled_from(["decision_stands", "decision_revisited", "solution", "options_paper"]),
        "proposal": st.just("Proposal"),
        "step": st.sampled_from(
            [
                "report",
                "documentation",
                "written_material",
                "panel_nomination",
                "hearing",
                "decision",
                "recommendation",
                "proposal",
            ]
        ),
        "due_date": st.dates(min_value=date(2023, 3, 1), max_value=date(2023, 6, 1)),
    }
)
R = CaseRole
#: The people a dispute usually involves, as the app would compute their roles.
PEOPLE = [
    Actor(1, 1, frozenset({R.FILING_PARTY, R.PARTY})),
    Actor(2, 2, frozenset({R.OTHER_PARTY, R.PARTY})),
    Actor(3, 3, frozenset({R.PANEL_MEMBER})),
    Actor(4, 4, frozenset({R.PANEL_MEMBER})),
    Actor(5, 5, frozenset({R.PANEL_MEMBER})),
    Actor(6, None, frozenset({R.STP_LEADER})),
]
ACTORS = st.one_of(
    st.sampled_from(PEOPLE),
    st.builds(
        lambda roles, org: Actor(7, org, frozenset(roles)),
        st.sets(st.sampled_from(list(CaseRole)), min_size=1, max_size=2),
        st.sampled_from(ORGS),
    ),
)


class DisputeMachine(RuleBasedStateMachine):
    """Drives one dispute of a random process with random actors, payloads and delays."""

    driver: Driver

    @initialize(definition=st.sampled_from(PROCESSES), data=st.data())
    def start(self, definition: ProcessDefinition, data: st.DataObject) -> None:
        # Start from a random point along the ordinary path (or its end), so that walks reach every
        # part of the process; random actions then take over.
        head_start = data.draw(st.sampled_from([s.name for s in definition.states]))
        self.driver = drive_dispute(definition.key, head_start, definition=definition)
        if self.driver.facts.state == "draft":
            # The parties have drafted their material; Scenario 1's agreement is still to be given.
            assert isinstance(self.driver.facts, DisputeFacts)
            self.driver.facts = with_material(definition, self.driver.facts, agreed=False)
        self.fired: list[tuple[str, str, str, Actor]] = []

    def _try(self, who: Actor, trigger: str, payload: dict, hours: int) -> None:
        d = self.driver
        before = d.facts
        try:
            outcome = d.fire(trigger, who, payload, timedelta(hours=hours))
        except (TransitionNotAllowed, RulesNotMet):
            assert d.facts is before
            return
        definition = d.definition
        assert not definition.is_terminal(outcome.state_before), "a terminal state was left"
        declared = [
            t
            for t in definition.transitions_for(trigger, outcome.state_before)
            if (t.dest or t.source) == outcome.state_after and t.roles & who.roles
        ]
        assert declared, f"undeclared move {outcome.state_before} -{trigger}-> {outcome.state_after}"
        for recorded in outcome.events:
            assert recorded.at <= d.now
        self.fired.append((outcome.state_before, trigger, outcome.state_after, who))
        event(f"reached {outcome.state_after}")

    @rule(
        who=ACTORS,
        trigger=st.sampled_from(sorted({t for p in PROCESSES for t in p.triggers})),
        payload=PAYLOADS,
        hours=st.integers(0, 80),
    )
    def anyone_tries_anything(self, who: Actor, trigger: str, payload: dict, hours: int) -> None:
        self._try(who, trigger, payload, hours)

    @rule(who=st.sampled_from(PEOPLE), payload=PAYLOADS, hours=st.integers(0, 80), data=st.data())
    def someone_does_what_is_offered(self, who: Actor, payload: dict, hours: int, data: st.DataObject) -> None:
        offered = engine.available(self.driver.definition, self.driver.facts, who)
        if offered:
            trigger = data.draw(st.sampled_from([i.trigger for i in offered]))
            self._try(who, trigger, payload, hours)

    # Offered actions are tried twice as often as arbitrary ones, so walks get deep into each process.
    @rule(who=st.sampled_from(PEOPLE), payload=PAYLOADS, hours=st.integers(0, 80), data=st.data())
    def someone_else_does_what_is_offered(self, who: Actor, payload: dict, hours: int, data: st.DataObject) -> None:
        self.someone_does_what_is_offered(who, payload, hours, data)

    @invariant()
    def no_step_is_skipped(self) -> None:
        events = self.driver.facts.events
        for step in self.driver.definition.steps:
            done = events.get(step.done_event)
            if done is None:
                continue
            for earlier in step.follows:
                assert earlier in events and events[earlier] <= done, f"{step.key} done before {earlier}"

    @invariant()
    def due_dates_follow_from_the_events(self) -> None:
        d = self.driver
        rows = schedule(d.definition, d.facts.events, {}, d.now)
        for row in rows:
            step = d.definition.step(row.step)
            rule_ = step.deadline
            if rule_ is None or row.due_date is None:
                assert rule_ is None or any(e not in d.facts.events for e in rule_.after)
                continue
            start = local_day(max(d.facts.events[e] for e in rule_.after))
            due = row.due_date
            if rule_.unit is Unit.SAME_DAY:
                assert due == start
            elif rule_.unit is Unit.WORKING_DAYS:
                assert is_working_day(due) and working_days_between(start, due) == rule_.amount
            else:
                week = start + timedelta(weeks=rule_.amount)
                assert due >= week and is_working_day(due)
                assert all(not is_working_day(week + timedelta(days=i)) for i in range((due - week).days))
            assert row.due_at is not None and row.due_at.date() == due and row.due_at.tzinfo is not None

    @invariant()
    def terminal_states_stay_terminal(self) -> None:
        d = self.driver
        assert d.facts.state in {s.name for s in d.definition.states}
        if d.definition.is_terminal(d.facts.state):
            everyone = Actor(1, 1, frozenset(CaseRole))
            assert engine.available(d.definition, d.facts, everyone) == []

    @invariant()
    def panel_is_never_a_party_once_papers_open(self) -> None:
        facts = self.driver.facts
        assert isinstance(facts, DisputeFacts)
        if "papers_released" in facts.events:
            assert not (facts.panel_ids & facts.party_ids)


DisputeMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestDisputeMachine = DisputeMachine.TestCase


def test_a_random_walk_reaches_the_end_of_every_process() -> None:
    """A sanity check on the machine above: the offered actions alone can finish each process."""
    for definition in PROCESSES:
        facts = with_material(definition, dispute(definition.key), agreed=False)
        d = Driver(definition, facts, now=START)
        people = [
            Actor(1, 1, frozenset({CaseRole.FILING_PARTY, CaseRole.PARTY})),
            Actor(2, 2, frozenset({CaseRole.PARTY})),
            Actor(3, 3, frozenset({CaseRole.PANEL_MEMBER})),
            Actor(4, 4, frozenset({CaseRole.PANEL_MEMBER})),
            Actor(5, None, frozenset({CaseRole.STP_LEADER})),
        ]
        payload = {
            "negotiation_attempted": True,
            "organisation_ids": [3, 4],
            "conflict": False,
            "called": [1],
            "invited": [2] if definition.key == "scenario_1" else [],
            "decision": "D",
            "reasons": "R",
            "recommendation": "R",
            "outcome": (definition.params["outcomes"] or ("solution",))[0],
            "proposal": "P",
        }  # type: ignore[index]
        for _ in range(40):
            if definition.is_terminal(d.facts.state):
                break
            for who in people:
                offered = [
                    i.trigger
                    for i in engine.available(definition, d.facts, who)
                    if i.trigger not in ("extend_deadline", "call_parties")
                ]
                for trigger in offered:
                    if not engine.check(definition, d.facts, who, trigger, payload, d.now + timedelta(minutes=1)):
                        d.fire(trigger, who, payload, timedelta(minutes=1))
                        break
        assert d.facts.state == "closed", (definition.key, d.facts.state)
        assert isinstance(d.now, datetime)
