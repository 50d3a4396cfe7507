"""The agreement as people read it: its parties and roles, and each process with its diagram, steps,
clauses and deadlines (counted from today, showing the working). Any signed-in user may read it: the
agreement is the partnership's own, not a private paper."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import login_required

from govern.agreements import service
from govern.agreements.cli import preview_lines
from govern.core import clock
from workflows.definitions import ProcessDefinition
from workflows.diagram import diagram_svg

bp = Blueprint("agreement", __name__, url_prefix="/agreement")


def _process_or_404(process_key: str) -> ProcessDefinition:
    definition = service.current().processes.get(process_key)
    if definition is None:
        abort(404)
    return definition


@bp.get("")
@login_required
def index() -> str:
    """The agreement: where it comes from, its parties, its roles and its processes."""
    agreement = service.current()
    return render_template("agreement/index.html", agreement=agreement, version=service.current_version())


@bp.get("/processes/<process_key>")
@login_required
def process(process_key: str) -> str:
    """One process: its diagram, its steps with clauses and deadlines, and due dates from today."""
    definition = _process_or_404(process_key)
    today = clock.now().astimezone(definition.calendar.zone).date()
    who = {s.key: " or ".join(definition.role_name(r) for r in s.roles) for s in definition.steps}
    return render_template("agreement/process.html", definition=definition, today=today, who=who,
                           preview=preview_lines(definition, today)[1:])


@bp.get("/processes/<process_key>/diagram.svg")
@login_required
def diagram(process_key: str) -> Response:
    """The process's states and transitions, drawn by Graphviz."""
    definition = _process_or_404(process_key)
    return Response(diagram_svg(definition), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=3600"})
