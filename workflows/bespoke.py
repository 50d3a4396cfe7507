"""Bespoke dispute processes (16.2: Schedule 8's scenarios "are not exhaustive").

The STP Lead sets out a process "according to the circumstances of the dispute" as an ordered list of
the same kinds of step the scenarios use.  The spec is plain JSON-serialisable data, stored on the
case, and validated here with every error reported at once.  Example::

    [
        {"kind": "written_material", "deadline": {"after": ["notification"], "amount": 1, "unit": "weeks"},
         "headings": [{"key": "background", "title": "Background"},
                      {"key": "issue", "title": "What the dispute is"}],
         "principles_required": true},
        {"kind": "panel_nomination", "min_members": 1,
         "deadline": {"after": ["written_material"], "amount": 3, "unit": "working_days",
                      "may_be_early": true}},
        {"kind": "panel_recommendation",
         "deadline": {"after": ["papers_release"], "amount": 2, "unit": "weeks"}},
        {"kind": "stp_leader_proposal", "outcomes": ["solution", "options_paper"],
         "deadline": {"after": ["panel_recommendation"], "amount": 1, "unit": "weeks"}},
        {"kind": "responses"}
    ]

``deadline.after`` names earlier steps by kind, or ``notification`` or ``papers_release`` (when the
panel receives the papers); ``unit`` is ``weeks``, ``working_days`` or ``same_day``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .definitions import Heading, ProcessDefinition, Unit
from .errors import SpecError
from .steps import OUTCOME_LABELS, DeadlineSpec, DisputeSpec, StepKind, StepSpec, compose

__all__ = ["BESPOKE_CLAUSE", "DEFAULT_HEADINGS", "build"]

BESPOKE_CLAUSE = "16.2 (process set out by the STP Lead)"

#: Step key each kind gets in the composed process (used by ``deadline.after`` and extensions).
_STEP_KEY = {
    StepKind.WRITTEN_MATERIAL: "written_material",
    StepKind.PANEL_NOMINATION: "panel_nomination",
    StepKind.HEARING: "hearing",
    StepKind.PANEL_DECISION: "decision",
    StepKind.PANEL_RECOMMENDATION: "recommendation",
    StepKind.STP_LEADER_PROPOSAL: "proposal",
}
_TITLES = {
    StepKind.WRITTEN_MATERIAL: "Written material to the STP Lead",
    StepKind.PANEL_NOMINATION: "Panel nominated",
    StepKind.HEARING: "The panel convenes",
    StepKind.PANEL_DECISION: "The panel presents its decision with its reasons",
    StepKind.PANEL_RECOMMENDATION: "The panel makes its recommendation to the STP Lead",
    StepKind.STP_LEADER_PROPOSAL: "The STP Lead proposes a solution, setting out the reasons",
    StepKind.RESPONSES: "No appeal: each party accepts the outcome or is at liberty to withdraw",
}
#: How a deadline's starting point reads in the MoU's style ("within one week of ...").
_FROM_WORDS = {
    "notification": "notification of the dispute",
    "written_material": "receipt of the written material",
    "panel_nomination": "notifying the panel",
    "papers_release": "the panel receiving the papers",
    "hearing": "the hearing",
    "panel_decision": "the panel's decision",
    "panel_recommendation": "receiving the recommendation",
    "stp_leader_proposal": "the STP Lead's proposal",
}
_NEEDS_PANEL = {StepKind.HEARING, StepKind.PANEL_DECISION, StepKind.PANEL_RECOMMENDATION}
_ALLOWED_KEYS: dict[StepKind, set[str]] = {
    StepKind.WRITTEN_MATERIAL: {"headings", "principles_required"},
    StepKind.PANEL_NOMINATION: {"min_members"},
    StepKind.STP_LEADER_PROPOSAL: {"outcomes"},
}
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

DEFAULT_HEADINGS: tuple[Heading, ...] = (
    Heading("background", "Background", "As much as is relevant to the circumstances of the dispute.", BESPOKE_CLAUSE),
    Heading("issue", "What the dispute is", "A clear statement of what the dispute is.", BESPOKE_CLAUSE),
    Heading(
        "suggested_remedy",
        "Suggested remedy",
        "What the party believes to be a reasonable solution, and how it complies with schedule 3.",
        BESPOKE_CLAUSE,
    ),
)


def _headings(raw: object, where: str, errors: list[str]) -> tuple[Heading, ...]:
    if raw is None:
        return DEFAULT_HEADINGS
    if not isinstance(raw, list) or not raw:
        errors.append(f"{where}: headings must be a non-empty list")
        return ()
    out: list[Heading] = []
    for i, h in enumerate(raw):
        if not isinstance(h, Mapping):
            errors.append(f"{where}: heading {i + 1} must be an object")
            continue
        unknown = set(h) - {"key", "title", "guidance", "per_party", "reference"}
        if unknown:
            errors.append(f"{where}: heading {i + 1} has unknown fields {sorted(unknown)}")
        key, title = h.get("key"), h.get("title")
        if not isinstance(key, str) or not _KEY.match(key):
            errors.append(f"{where}: heading {i + 1} needs a key of lower-case letters, digits and _")
            continue
        if not isinstance(title, str) or not title.strip():
            errors.append(f"{where}: heading {key!r} needs a title")
            continue
        if key in {x.key for x in out}:
            errors.append(f"{where}: heading key {key!r} is used twice")
            continue
        out.append(
            Heading(
                key,
                title.strip(),
                str(h.get("guidance") or ""),
                BESPOKE_CLAUSE,
                per_party=bool(h.get("per_party")),
                reference=bool(h.get("reference")),
            )
        )
    return tuple(out)


def _deadline(raw: object, kind: StepKind, where: str, earlier: set[str], errors: list[str]) -> DeadlineSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors.append(f"{where}: deadline must be an object")
        return None
    unknown = set(raw) - {"after", "amount", "unit", "may_be_early", "late_needs_reason"}
    if unknown:
        errors.append(f"{where}: deadline has unknown fields {sorted(unknown)}")
    try:
        unit = Unit(str(raw.get("unit")))
    except ValueError:
        errors.append(f"{where}: deadline unit must be one of {[u.value for u in Unit]}")
        return None
    amount = raw.get("amount", 0)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0 or amount > 52:
        errors.append(f"{where}: deadline amount must be a whole number from 0 to 52")
        return None
    if unit is not Unit.SAME_DAY and amount < 1:
        errors.append(f"{where}: a deadline in {unit.value} needs an amount of at least 1")
    after = raw.get("after")
    if not isinstance(after, list) or not after or not all(isinstance(a, str) for a in after):
        errors.append(f"{where}: deadline.after must list the earlier steps it runs from")
        return None
    keys: list[str] = []
    for a in after:
        key = _STEP_KEY.get(StepKind(a), a) if a in StepKind.__members__.values() else a
        if key not in earlier:
            errors.append(f"{where}: deadline runs from {a!r}, which is not an earlier step")
        keys.append(key)
    early = bool(raw.get("may_be_early"))
    if early and kind is not StepKind.PANEL_NOMINATION:
        errors.append(f"{where}: only the panel nomination may be done early")
    late_reason = bool(raw.get("late_needs_reason"))
    if late_reason and kind is not StepKind.PANEL_DECISION:
        errors.append(f"{where}: only the panel decision can require a reason for delay")
    words = [_FROM_WORDS.get(a, a) for a in after]
    if unit is Unit.SAME_DAY:
        text = "On the day of " + " or ".join(words) + " or as soon as possible thereafter"
    else:
        word = unit.value.replace("_", " ")
        text = f"Within {amount} {word[:-1] if amount == 1 else word} of " + " or ".join(words)
        if len(after) > 1:
            text += ", whichever is the later"
    return DeadlineSpec(tuple(keys), amount, unit, text, may_be_early=early, late_needs_reason=late_reason)


def build(spec: object, *, key: str = "bespoke", title: str = "Bespoke dispute process") -> ProcessDefinition:
    """Validate a bespoke spec and compose its ProcessDefinition; raise SpecError listing every problem."""
    errors: list[str] = []
    if not isinstance(spec, Sequence) or isinstance(spec, str | bytes) or not spec:
        raise SpecError(["A bespoke process is a non-empty list of steps"])
    steps: list[StepSpec] = []
    kinds: list[StepKind] = []
    headings: tuple[Heading, ...] = ()
    principles = False
    min_panel = 1
    outcomes: tuple[str, ...] = ("solution", "options_paper")
    earlier = {"notification"}
    for i, raw in enumerate(spec):
        where = f"step {i + 1}"
        if not isinstance(raw, Mapping):
            errors.append(f"{where}: must be an object")
            continue
        try:
            kind = StepKind(str(raw.get("kind")))
        except ValueError:
            errors.append(f"{where}: kind must be one of {[k.value for k in StepKind]}")
            continue
        where = f"step {i + 1} ({kind.value})"
        if kind in kinds:
            errors.append(f"{where}: each kind of step may appear once")
            continue
        unknown = set(raw) - {"kind", "title", "deadline"} - _ALLOWED_KEYS.get(kind, set())
        if unknown:
            errors.append(f"{where}: unknown fields {sorted(unknown)}")
        if kind in _NEEDS_PANEL and StepKind.PANEL_NOMINATION not in kinds:
            errors.append(f"{where}: needs a panel nomination before it")
        if kind is StepKind.RESPONSES and i != len(spec) - 1:
            errors.append(f"{where}: the parties' responses must be the last step (there is no appeal)")
        title = raw.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            errors.append(f"{where}: title must be text")
            title = None
        deadline = _deadline(raw.get("deadline"), kind, where, earlier, errors)
        if kind is StepKind.RESPONSES and deadline is not None:
            errors.append(f"{where}: the MoU sets no deadline for responding to the outcome")
            deadline = None
        if kind is StepKind.WRITTEN_MATERIAL:
            headings = _headings(raw.get("headings"), where, errors)
            principles = bool(raw.get("principles_required"))
        if kind is StepKind.PANEL_NOMINATION:
            m = raw.get("min_members", 1)
            if isinstance(m, bool) or not isinstance(m, int) or m < 1:
                errors.append(f"{where}: min_members must be a whole number of at least 1 (16.2)")
            else:
                min_panel = m
            earlier.add("papers_release")
        if kind is StepKind.STP_LEADER_PROPOSAL:
            o = raw.get("outcomes", list(outcomes))
            if not isinstance(o, list) or not o or not set(o) <= set(OUTCOME_LABELS):
                errors.append(f"{where}: outcomes must be a non-empty list from {sorted(OUTCOME_LABELS)}")
            else:
                outcomes = tuple(dict.fromkeys(o))
        kinds.append(kind)
        if kind in _STEP_KEY:
            earlier.add(_STEP_KEY[kind])
        steps.append(StepSpec(kind, BESPOKE_CLAUSE, (title or _TITLES[kind]).strip(), deadline))
    if StepKind.RESPONSES not in kinds:
        errors.append("The process must end with the parties' responses: there is no appeal (15)")
    else:
        before = kinds[-2] if len(kinds) >= 2 else None
        if before not in (StepKind.PANEL_DECISION, StepKind.STP_LEADER_PROPOSAL):
            errors.append(
                "The parties respond to an outcome: put a panel decision or an STP Lead proposal"
                " just before the responses"
            )
    if StepKind.PANEL_RECOMMENDATION in kinds and (
        StepKind.STP_LEADER_PROPOSAL not in kinds
        or kinds.index(StepKind.STP_LEADER_PROPOSAL) < kinds.index(StepKind.PANEL_RECOMMENDATION)
    ):
        errors.append("A panel recommendation is made to the STP Lead: an STP Lead proposal must follow it")
    if errors:
        raise SpecError(errors)
    return compose(
        DisputeSpec(
            key=key,
            title=title,
            clause=BESPOKE_CLAUSE,
            steps=tuple(steps),
            headings=headings or DEFAULT_HEADINGS,
            parties_clause=BESPOKE_CLAUSE,
            min_panel=min_panel,
            panel_clause="16.2",
            principles_required=principles,
            principles_clause=BESPOKE_CLAUSE,
            outcomes=outcomes,
        )
    )
