"""processes set out (16.2) as a shape chosen from the agreement, not a ladder document

Revision ID: 0010_wfexplicit
Revises: 0008_list_indexes
Create Date: 2026-12-01 00:15:00

A process set out for a dispute no scenario fits was stored as a whole process document in the "ladder"
dialect (kinds of step). The agreement file now declares the shapes such a process may take, and a dispute
stores only its choice: ``{"shape": key, "deadlines": {step: {"amount": n, "unit": u}}}``. Each stored
ladder becomes the shape with the same kinds of step (a panel decision: "panel_decides"; a panel without a
decision: "panel_recommends"; no panel: "leader_proposes"), keeping each step's deadline; the states of
cases in flight keep their names in every shape.
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0010_wfexplicit"
down_revision = "0008_list_indexes"
branch_labels = None
depends_on = None

#: The ladder's kinds of step and the keys of the shapes' steps.
STEP_OF_KIND = {"written_material": "written_material", "panel_nomination": "panel_nomination", "hearing": "hearing",
                "panel_decision": "decision", "panel_recommendation": "recommendation",
                "stp_leader_proposal": "proposal"}
#: Each shape's kinds of step with their default deadlines, in order (as Devon's file declares them).
SHAPES = {
    "panel_recommends": [("written_material", 1, "weeks"), ("panel_nomination", 3, "working_days"),
                         ("panel_recommendation", 1, "weeks"), ("stp_leader_proposal", 1, "weeks")],
    "panel_decides": [("written_material", 1, "weeks"), ("panel_nomination", 3, "working_days"),
                      ("hearing", 1, "weeks"), ("panel_decision", 0, "same_day")],
    "leader_proposes": [("written_material", 1, "weeks"), ("stp_leader_proposal", 1, "weeks")],
}
#: What the ladder's deadlines ran from, by kind (for going back).
AFTER = {"written_material": "notification", "panel_nomination": "written_material", "hearing": "papers_release",
         "panel_decision": "hearing", "panel_recommendation": "papers_release", "stp_leader_proposal": "recommendation"}


def choice_of(document: dict) -> dict:
    """A ladder document as the choice of a shape, keeping its deadlines."""
    steps = document.get("ladder", {}).get("steps", [])
    kinds = [s["kind"] for s in steps]
    shape = ("panel_decides" if "panel_decision" in kinds else
             "panel_recommends" if "panel_nomination" in kinds else "leader_proposes")
    keep = {kind for kind, _, _ in SHAPES[shape]}
    deadlines = {}
    for step in steps:
        if step["kind"] not in keep:
            continue
        deadline = step.get("deadline")
        deadlines[STEP_OF_KIND[step["kind"]]] = (
            {"amount": deadline["amount"], "unit": deadline["unit"]} if deadline else {"unit": "none"})
    return {"shape": shape, "deadlines": deadlines}


def document_of(choice: dict) -> dict:
    """A choice as the ladder document of the previous version (its kinds of step and deadlines)."""
    shape = SHAPES.get(choice.get("shape"), SHAPES["panel_recommends"])
    chosen = choice.get("deadlines") or {}
    steps = []
    for kind, amount, unit in shape:
        d = chosen.get(STEP_OF_KIND[kind], {"amount": amount, "unit": unit})
        after = AFTER[kind]
        if kind == "stp_leader_proposal" and all(k != "panel_recommendation" for k, _, _ in shape):
            after = "written_material"
        step = {"kind": kind, "clause": "16.2", "title": kind.replace("_", " ").capitalize()}
        if d["unit"] != "none":
            step["deadline"] = {"amount": d.get("amount", 0), "unit": d["unit"], "after": [after]}
        steps.append(step)
    steps.append({"kind": "responses", "clause": "16.2; 15",
                  "title": "No appeal: each party accepts the outcome or is at liberty to withdraw"})
    return {"kind": "dispute", "title": "A process set out by the STP Leader",
            "clause": "16.2 (process set out by the STP Leader)", "ladder": {"steps": steps}}


def _convert(change) -> None:
    connection = op.get_bind()
    for dispute_id, spec in connection.execute(sa.text(
            "SELECT id, bespoke_spec FROM dispute WHERE bespoke_spec IS NOT NULL")).all():
        stored = json.loads(spec) if isinstance(spec, str) else spec
        new = change(stored)
        if new is not None:
            connection.execute(sa.text("UPDATE dispute SET bespoke_spec = :s WHERE id = :d"),
                               {"s": json.dumps(new), "d": dispute_id})


def upgrade():
    _convert(lambda stored: choice_of(stored) if isinstance(stored, dict) and "ladder" in stored else None)


def downgrade():
    _convert(lambda stored: document_of(stored) if isinstance(stored, dict) and "shape" in stored else None)
