"""Generated valid agreements, run by the engine: only declared moves happen, by the roles declared.

Hypothesis writes explicit-form agreements (one process of a random kind, 3-8 states, random
transitions and roles, every state reachable, every non-terminal state with a way out), the checker
must accept them, and random actors then fire random triggers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.workflows.support import apply
from workflows import RulesNotMet, TransitionNotAllowed, engine
from workflows.agreement import parse_agreement
from workflows.calendar import local_day
from workflows.definitions import ProcessDefinition
from workflows.facts import (
    Actor,
    DisputeFacts,
    DisputeParty,
    Facts,
    RaiserKind,
    RatificationFacts,
    RecommendationFacts,
)
from workflows.roles import CaseRole

KINDS = ("recommendation", "ratification", "dispute")
ROLES = [r.value for r in CaseRole]
#: Few names, so that one trigger often leaves several states (and sometimes one state twice).
TRIGGERS = ("advance", "refer", "decide", "record_outcome", "close")
START = datetime(2027, 4, 27, 10, 0, tzinfo=UTC)
PROCESS = "generated"


@dataclass(frozen=True)
class Move:
    """A declared move: from ``source`` by ``trigger`` to ``dest`` (the same state for an internal
    transition), open to ``by``."""

    source: str
    trigger: str
    dest: str
    by: frozenset[str]


def _wrapper(kind: str, roles: list[str], process: dict[str, Any]) -> dict[str, Any]:
    return {
        "agreement": {"key": "generated-agreement", "title": "A generated agreement", "source": "Hypothesis",
                      "dispute_clause": "9"},
        "partnership": {
            "name": "Two parties",
            "parties": [
                {"code": "HB", "name": "The Health Board", "kind": "commissioner", "signature": "signed",
                 "board": "Board", "clause": "1"},
                {"code": "LA", "name": "The Council", "kind": "local_authority", "signature": "signed",
                 "board": "Cabinet", "clause": "1"},
            ],
        },
        "roles": {r: {"name": r.replace("_", " "), "kind": "case", "clause": "2"} for r in roles},
        "processes": {PROCESS: process},
    }


@st.composite
def agreements(draw: st.DrawFn) -> dict[str, Any]:
    """A valid explicit-form agreement with one process, as the dict a YAML file would load to."""
    kind = draw(st.sampled_from(KINDS))
    roles = draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=4, unique=True))
    count = draw(st.integers(3, 8))
    terminals = draw(st.integers(1, count - 1))
    open_count = count - terminals  # states 0 .. open_count-1 are open, the rest terminal; 0 is initial
    names = [f"state_{i}" for i in range(count)]

    def by() -> list[str]:
        return draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True))

    # (sources, trigger, dest index or None for an internal transition)
    edges: list[tuple[list[int], str, int | None]] = []
    for i in range(1, count):  # a tree from the initial state: every state can be reached
        parent = draw(st.integers(0, min(i, open_count) - 1))
        trigger = "notify" if kind == "dispute" and i == 1 else draw(st.sampled_from(TRIGGERS))
        edges.append(([parent], trigger, i))
    for j in range(open_count):  # every open state has a way out
        if not any(j in sources and dest not in (None, j) for sources, _, dest in edges):
            dest = draw(st.sampled_from([k for k in range(count) if k != j]))
            edges.append(([j], draw(st.sampled_from(TRIGGERS)), dest))
    for _ in range(draw(st.integers(0, 4))):
        sources = draw(st.lists(st.integers(0, open_count - 1), min_size=1, max_size=2, unique=True))
        edges.append((sources, draw(st.sampled_from(TRIGGERS)), draw(st.none() | st.integers(0, count - 1))))

    transitions = []
    for index, (sources, trigger, dest) in enumerate(edges):
        t: dict[str, Any] = {
            "trigger": trigger,
            "from": names[sources[0]] if len(sources) == 1 else [names[s] for s in sources],
            "by": by(),
            "label": f"{trigger.replace('_', ' ').capitalize()} ({index})",
            "clause": f"9.{index}",
            "records": [{"event": f"{trigger}_{index}"}],
        }
        if dest is not None:
            t["to"] = names[dest]
        if draw(st.booleans()):
            t["fields"] = [{"key": "note", "label": "A note", "required": False},
                           {"key": "on", "label": "The day", "kind": "date", "required": False}]
            t["rules"] = [{"date_not_in_past": {"field": "on"}}]
            t["records"] = [{"event": f"{trigger}_{index}", "keys": ["note", "on"]}]
        if draw(st.booleans()):
            t["notify"] = [{"to": by(), "text": "Something happened."}]
        transitions.append(t)

    steps = []
    for index in sorted(draw(st.sets(st.integers(0, len(transitions) - 1), max_size=3))):
        t = transitions[index]
        step: dict[str, Any] = {"key": f"step_{index}", "title": f"Step {index}", "clause": t["clause"],
                                "by": t["by"], "done": t["records"][0]["event"]}
        if draw(st.booleans()):
            step["deadline"] = {"amount": draw(st.integers(1, 10)),
                                "unit": draw(st.sampled_from(["weeks", "working_days", "calendar_days"])),
                                "after": [transitions[0]["records"][0]["event"]]}
        steps.append(step)

    process: dict[str, Any] = {
        "kind": kind,
        "title": f"A generated {kind}",
        "clause": "9",
        "initial": names[0],
        "states": [
            {"name": n, "title": n.replace("_", " ").capitalize(), "clause": f"8.{i}", "terminal": i >= open_count}
            for i, n in enumerate(names)
        ],
        "transitions": transitions,
        "steps": steps,
    }
    if kind == "dispute":
        process["filing"] = {"clause": "9.1", "title": "A disagreement", "when": "The parties disagree"}
    return _wrapper(kind, roles, process)


def declared_moves(document: dict[str, Any]) -> set[Move]:
    """Every move the document declares, read from the document itself (not from the built definition)."""
    moves = set()
    for t in document["processes"][PROCESS]["transitions"]:
        sources = [t["from"]] if isinstance(t["from"], str) else t["from"]
        for source in sources:
            moves.add(Move(source, t["trigger"], t.get("to", source), frozenset(t["by"])))
    return moves


def first_facts(definition: ProcessDefinition) -> Facts:
    """A fresh case of the definition's kind, in its initial state."""
    state = definition.initial
    if definition.kind == "recommendation":
        return RecommendationFacts(PROCESS, state, "REC-1", RaiserKind.STP_LEADER, "Options and costs",
                                   affected_parties=frozenset({1, 2}), current_parties=frozenset({1, 2}))
    if definition.kind == "ratification":
        return RatificationFacts(PROCESS, state, organisation_id=1, recommendation_reference="REC-1")
    return DisputeFacts(PROCESS, state, parties=(DisputeParty(1, filed=True), DisputeParty(2, respondent=True)),
                        current_parties=frozenset({1, 2}))




def actors(declared: list[str]) -> st.SearchStrategy[Actor]:
    """People with random roles, mostly ones the agreement declares (any role may turn up)."""
    role = st.sampled_from([CaseRole(r) for r in declared]) | st.sampled_from(list(CaseRole))
    return st.builds(Actor, user_id=st.integers(1, 5), organisation_id=st.sampled_from([1, 2, 3, None]),
                     roles=st.frozensets(role, max_size=3))

PAYLOADS = st.fixed_dictionaries(
    {},
    optional={"note": st.sampled_from(["", "Agreed at the meeting"]),
              "on": st.sampled_from([date(2027, 4, 26), date(2027, 4, 27), date(2027, 5, 4)])},
)


def accepted(definition: ProcessDefinition, facts: Facts, who: Actor, now: datetime) -> set[str]:
    """The triggers ``fire`` accepts now from ``who`` with no payload (``fire`` computes, it stores nothing)."""
    out = set()
    for trigger in definition.triggers:
        try:
            engine.fire(definition, facts, who, trigger, {}, now)
        except (TransitionNotAllowed, RulesNotMet):
            continue
        out.add(trigger)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=agreements(), data=st.data())
def test_generated_agreements_run_only_their_declared_moves(document: dict[str, Any], data: st.DataObject) -> None:
    agreement = parse_agreement(yaml.safe_dump(document, sort_keys=False))
    definition = agreement.processes[PROCESS]
    moves = declared_moves(document)
    facts = first_facts(definition)
    now = START
    people = actors(list(document["roles"]))
    moved = 0
    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        who = data.draw(people, label="actor")
        before = facts.state
        offered = {t.trigger for t in engine.available(definition, facts, who, now)}
        assert offered == accepted(definition, facts, who, now)
        if definition.is_terminal(before):
            assert not offered
        # Half the time an action on offer, so that cases go deep; otherwise anything, offered or not.
        choices = sorted(offered) if offered and data.draw(st.booleans(), label="offered") else [
            *definition.triggers, "not_a_step"]
        trigger = data.draw(st.sampled_from(choices), label="trigger")
        payload = data.draw(PAYLOADS, label="payload")
        try:
            outcome = engine.fire(definition, facts, who, trigger, payload, now)
        except TransitionNotAllowed:
            assert trigger not in offered
            continue
        except RulesNotMet:
            # The only rule that sees the payload: the day given may not be in the past.
            assert trigger in offered and payload.get("on", date.max) < local_day(now)
            continue
        assert not definition.is_terminal(before), "a terminal state was left"
        assert outcome.state_before == before
        assert trigger in offered
        open_to_actor = [m for m in moves if (m.source, m.trigger, m.dest) == (before, trigger, outcome.state_after)
                         and m.by & who.roles]
        assert open_to_actor, f"{before} --{trigger}--> {outcome.state_after} is not declared for {who.roles}"
        # The first declared transition open to the actor is the one that runs.
        first = next(t for t in definition.transitions_for(trigger, before) if t.roles & who.roles)
        assert outcome.state_after == (first.dest or before)
        assert {e.name for e in outcome.events} == set(first.events)
        facts = apply(facts, outcome)
        moved += 1
        now += timedelta(hours=data.draw(st.integers(0, 72), label="hours"))
    event(f"{definition.kind}: {'no move' if not moved else 'moved'}, ended "
          f"{'in a terminal state' if definition.is_terminal(facts.state) else 'open'}")


# --- A defect the generated agreements avoid (they use no facts-only rules) --------------------------

SHARED_TRIGGER = """
agreement: {key: shared-trigger, title: Two transitions share a trigger, source: tests, dispute_clause: '1'}
partnership:
  name: One party
  parties: [{code: HB, name: The Health Board, kind: commissioner, signature: signed, board: Board, clause: '1'}]
roles:
  board_secretary: {name: the Board secretary, kind: case, clause: '10.6'}
processes:
  ratification:
    kind: ratification
    title: Ratification
    clause: '10.6'
    states:
      - {name: awaiting_board, title: Awaiting the Board, clause: '10.6'}
      - {name: lapsed, title: Lapsed, clause: '15', terminal: true}
      - {name: ratified, title: Ratified, clause: '10.6', terminal: true}
    transitions:
      - {trigger: conclude, from: awaiting_board, to: lapsed, by: [board_secretary], label: Lapse, clause: '15',
         requires: [party_withdrawn]}
      - {trigger: conclude, from: awaiting_board, to: ratified, by: [board_secretary], label: Ratify, clause: '10.6'}
"""


def test_a_trigger_offered_by_available_is_accepted_by_fire_when_an_earlier_transition_is_not_open() -> None:
    definition = parse_agreement(SHARED_TRIGGER).processes["ratification"]
    facts = RatificationFacts("ratification", "awaiting_board", organisation_id=1, recommendation_reference="REC-1")
    secretary = Actor(1, 1, frozenset({CaseRole.BOARD_SECRETARY}))
    assert [t.trigger for t in engine.available(definition, facts, secretary, START)] == ["conclude"]
    assert engine.fire(definition, facts, secretary, "conclude", {}, START).state_after == "ratified"
