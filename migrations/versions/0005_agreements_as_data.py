"""agreements as data: agreement versions, states as text, respondents as parties, bespoke processes as documents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 20:45:00

Moves the data of cases in flight: every dispute, recommendation and ratification keeps its state (now
text checked against the agreement, not a CHECK constraint listing every state of one agreement);
Scenario 4's organisation whose practice changed becomes a respondent party; a bespoke process stored
in the old list dialect becomes a process document in the agreement file's format; closed disputes get
``closed_at``. Cases already in flight refer to no agreement version (NULL): they run under the
agreement the installation loads, which is the same Devon MoU they started under.
"""
from __future__ import annotations

import json

import sqlalchemy as sa
import yaml
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DISPUTE_STATES = ("draft", "notified", "panel_nominated_early", "documentation_received", "report_received",
                  "written_material_received", "panel_nominated", "with_panel", "hearing_held", "decision_presented",
                  "recommendation_made", "solution_proposed", "closed")
RECOMMENDATION_STATES = ("draft", "raised", "recorded_under_delegation", "on_agenda", "not_agreed",
                         "awaiting_ratification", "ratified")
RATIFICATION_STATES = ("awaiting_board", "deferred", "not_ratified", "ratified", "lapsed", "superseded")

#: The old dialect's step titles, for bespoke processes stored before this version.
OLD_TITLES = {
    "written_material": "Written material to the STP Leader",
    "panel_nomination": "Panel nominated",
    "hearing": "The panel convenes",
    "panel_decision": "The panel presents its decision with its reasons",
    "panel_recommendation": "The panel makes its recommendation to the STP Leader",
    "stp_leader_proposal": "The STP Leader proposes a solution, setting out the reasons",
    "responses": "No appeal: each party accepts the outcome or is at liberty to withdraw",
}
OLD_AFTER = {"panel_decision": "decision", "panel_recommendation": "recommendation", "stp_leader_proposal": "proposal"}


#: The Devon agreement's bespoke process as this version's file declared it (a ladder): the base of every
#: converted document. Frozen here: later versions of the file declare shapes instead (see 0010_wfexplicit).
TEMPLATE = """\
kind: dispute
title: A process set out by the STP Leader
clause: 16.2 (process set out by the STP Leader)
filing:
  clause: '16.2'
  title: None of these fits
  when: >-
    The scenarios are examples and not exhaustive: the STP Leader sets out a process according to the circumstances
    of the dispute.
  negotiation_clause: '16.1'
  respondents: {label: The other organisation or organisations in the dispute, clause: '16.2', hint: 'Each is
      a party to the dispute: told of it, able to see it and to respond to the outcome, never on the panel.',
    min: 0, max: 12}
ladder:
  material: {name: written_material, title: Written material}
  principles: {required: true, clause: 16.2 (process set out by the STP Leader)}
  headings:
  - {key: background, title: Background, guidance: As much as is relevant to the circumstances of the dispute.}
  - {key: issue, title: What the dispute is, guidance: A clear statement of what the dispute is.}
  - {key: suggested_remedy, title: Suggested remedy, guidance: 'What the party believes to be a reasonable solution,
      and how it complies with schedule 3.'}
  panel: {min: 1, clause: '16.2'}
  outcomes:
  - {key: solution, label: A solution in the interest of the system}
  - {key: options_paper, label: An options paper to be considered by PDEG, opens_recommendation: true}
  steps:
  - kind: written_material
    clause: '16.2'
    title: Written material to the STP Leader
    deadline:
      amount: 1
      unit: weeks
      after: [notification]
  - kind: panel_nomination
    clause: '16.2'
    title: Panel nominated
    rules: [panel_neutral]
    deadline:
      amount: 3
      unit: working_days
      after: [written_material]
      may_be_early: true
  - kind: panel_recommendation
    clause: '16.2'
    title: The panel makes its recommendation to the STP Leader
    deadline:
      amount: 1
      unit: weeks
      after: [papers_release]
  - kind: stp_leader_proposal
    clause: '16.2'
    title: The STP Leader proposes a solution, setting out the reasons
    deadline:
      amount: 1
      unit: weeks
      after: [recommendation]
  - {kind: responses, clause: 16.2; 15, title: 'No appeal: each party accepts the outcome or is at liberty to
      withdraw'}
"""


def _template() -> dict:
    """The Devon agreement's bespoke process (the base of every converted document)."""
    return yaml.safe_load(TEMPLATE)


def _document(old: list) -> dict:
    """An old bespoke spec (a list of steps) as a process document."""
    document = json.loads(json.dumps(_template()))
    ladder = document["ladder"]
    steps = []
    for step in old:
        kind = step["kind"]
        new = {"kind": kind, "clause": "16.2", "title": step.get("title") or OLD_TITLES[kind]}
        if step.get("deadline"):
            deadline = dict(step["deadline"])
            deadline["after"] = [OLD_AFTER.get(a, a) for a in deadline["after"]]
            new["deadline"] = deadline
        if kind == "panel_nomination":
            new["rules"] = ["panel_neutral"]
            ladder["panel"]["min"] = int(step.get("min_members", 1))
        if kind == "written_material":
            if step.get("headings"):
                ladder["headings"] = [{k: v for k, v in h.items() if k in ("key", "title", "guidance", "per_party",
                                                                          "reference")} for h in step["headings"]]
            ladder["principles"]["required"] = bool(step.get("principles_required"))
        if kind == "stp_leader_proposal" and step.get("outcomes"):
            ladder["outcomes"] = [o for o in ladder["outcomes"] if o["key"] in step["outcomes"]]
        steps.append(new)
    ladder["steps"] = steps
    return document


def upgrade():
    op.create_table(
        "agreement_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["loaded_by_id"], ["user_account.id"],
                                name=op.f("fk_agreement_version_loaded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_version")),
        sa.UniqueConstraint("digest", name=op.f("uq_agreement_version_digest")),
        sa.UniqueConstraint("key", "version", name="uq_agreement_version_key_version"),
    )
    with op.batch_alter_table("agreement_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_version_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreement_version_loaded_by_id"), ["loaded_by_id"], unique=False)

    with op.batch_alter_table("dispute_party", schema=None) as batch_op:
        batch_op.add_column(sa.Column("respondent", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreement_version_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_dispute_agreement_version_id_agreement_version"),
                                    "agreement_version", ["agreement_version_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_dispute_agreement_version_id"), ["agreement_version_id"], unique=False)
        batch_op.drop_constraint(op.f("ck_dispute_dispute_state"), type_="check")
        batch_op.alter_column("state", existing_type=sa.String(length=40), type_=sa.String(length=60))
        batch_op.alter_column("process_key", existing_type=sa.String(length=40), type_=sa.String(length=60))
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_recommendation_recommendation_state"), type_="check")
        batch_op.alter_column("state", existing_type=sa.String(length=40), type_=sa.String(length=60))
    with op.batch_alter_table("ratification", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ratification_ratification_state"), type_="check")
        batch_op.alter_column("state", existing_type=sa.String(length=40), type_=sa.String(length=60))
    with op.batch_alter_table("mou", schema=None) as batch_op:
        batch_op.alter_column("made_on", existing_type=sa.Date(), nullable=True)
        batch_op.alter_column("duration_from", existing_type=sa.Date(), nullable=True)
        batch_op.alter_column("duration_to", existing_type=sa.Date(), nullable=True)

    connection = op.get_bind()
    # Scenario 4's organisation whose practice changed: a respondent party from now on.
    for dispute_id, organisation_id in connection.execute(sa.text(
            "SELECT id, practice_changed_by_id FROM dispute WHERE practice_changed_by_id IS NOT NULL")).all():
        exists = connection.execute(sa.text(
            "SELECT 1 FROM dispute_party WHERE dispute_id = :d AND organisation_id = :o"),
            {"d": dispute_id, "o": organisation_id}).first()
        if exists is None:
            connection.execute(sa.text(
                "INSERT INTO dispute_party (dispute_id, organisation_id, filed, respondent) VALUES (:d, :o, :f, :r)"),
                {"d": dispute_id, "o": organisation_id, "f": False, "r": True})
    # Closed disputes: when they closed is when their state last changed.
    connection.execute(sa.text("UPDATE dispute SET closed_at = updated_at WHERE state = 'closed'"))
    # Bespoke processes in the old list dialect become process documents.
    for dispute_id, spec in connection.execute(sa.text(
            "SELECT id, bespoke_spec FROM dispute WHERE bespoke_spec IS NOT NULL")).all():
        old = json.loads(spec) if isinstance(spec, str) else spec
        if isinstance(old, list):
            connection.execute(sa.text("UPDATE dispute SET bespoke_spec = :s WHERE id = :d"),
                               {"s": json.dumps(_document(old)), "d": dispute_id})

    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_dispute_practice_changed_by_id_organisation"), type_="foreignkey")
        batch_op.drop_column("practice_changed_by_id")


def _check(name: str, values: tuple[str, ...]) -> str:
    return "state IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def downgrade():
    connection = op.get_bind()
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_changed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_dispute_practice_changed_by_id_organisation"), "organisation",
                                    ["practice_changed_by_id"], ["id"])
    # Respondents go back to the column (the first one of each dispute); the rows are removed.
    for dispute_id, organisation_id in connection.execute(sa.text(
            "SELECT dispute_id, organisation_id FROM dispute_party WHERE respondent ORDER BY id")).all():
        connection.execute(sa.text(
            "UPDATE dispute SET practice_changed_by_id = :o WHERE id = :d AND practice_changed_by_id IS NULL"),
            {"o": organisation_id, "d": dispute_id})
    connection.execute(sa.text("DELETE FROM dispute_party WHERE respondent"))
    # A process document cannot be expressed in the old dialect beyond its kinds and deadlines.
    for dispute_id, spec in connection.execute(sa.text(
            "SELECT id, bespoke_spec FROM dispute WHERE bespoke_spec IS NOT NULL")).all():
        document = json.loads(spec) if isinstance(spec, str) else spec
        if isinstance(document, dict):
            back = {v: k for k, v in OLD_AFTER.items()}
            old = []
            for step in document.get("ladder", {}).get("steps", []):
                item = {"kind": step["kind"]}
                if step.get("deadline"):
                    deadline = {k: v for k, v in step["deadline"].items() if k != "text"}
                    deadline["after"] = [back.get(a, a) for a in deadline["after"]]
                    item["deadline"] = deadline
                old.append(item)
            connection.execute(sa.text("UPDATE dispute SET bespoke_spec = :s WHERE id = :d"),
                               {"s": json.dumps(old), "d": dispute_id})
    with op.batch_alter_table("mou", schema=None) as batch_op:
        batch_op.alter_column("duration_to", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("duration_from", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("made_on", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("ratification", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=60), type_=sa.String(length=40))
        batch_op.create_check_constraint("ratification_state", _check("ratification", RATIFICATION_STATES))
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=60), type_=sa.String(length=40))
        batch_op.create_check_constraint("recommendation_state", _check("recommendation", RECOMMENDATION_STATES))
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.alter_column("process_key", existing_type=sa.String(length=60), type_=sa.String(length=40))
        batch_op.alter_column("state", existing_type=sa.String(length=60), type_=sa.String(length=40))
        batch_op.create_check_constraint("dispute_state", _check("dispute", DISPUTE_STATES))
        batch_op.drop_index(batch_op.f("ix_dispute_agreement_version_id"))
        batch_op.drop_constraint(batch_op.f("fk_dispute_agreement_version_id_agreement_version"), type_="foreignkey")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("agreement_version_id")
    with op.batch_alter_table("dispute_party", schema=None) as batch_op:
        batch_op.drop_column("respondent")
    with op.batch_alter_table("agreement_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_version_loaded_by_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_version_key"))
    op.drop_table("agreement_version")
