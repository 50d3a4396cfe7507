"""Downloads: the register as CSV or JSON (for whoever may see the register: everyone signed in, as the
page), and a whole dispute as a zip (for whoever may see the dispute: 404 for anyone else, as its page)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, stream_with_context
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from govern.core import clock
from govern.disputes.models import Dispute
from govern.exports import case, register
from govern.extensions import db
from govern.partnership.models import SubordinateGroup
from govern.pdeg import queries as pdeg_queries
from govern.pdeg.forms import RegisterFilterForm
from govern.records import pdf
from govern.records import queries as record_queries
from govern.verify import operations as verify_ops
from govern.web.urls import public_url_for

bp = Blueprint("exports", __name__)


def _filters() -> pdeg_queries.RegisterFilters:
    """The register page's filters, from the same arguments (none, or any that do not read: everything)."""
    form = RegisterFilterForm(request.args)
    form.status.choices = pdeg_queries.register_status_choices()
    form.party.choices = [("", "Any party")] + [(o.id, o.name) for o in pdeg_queries.current_parties()]
    form.group.choices = [("", "Any group")] + [
        (g.id, g.name) for g in db.session.scalars(select(SubordinateGroup).order_by(SubordinateGroup.name))]
    if not request.args or not form.validate():
        return pdeg_queries.RegisterFilters()
    return pdeg_queries.RegisterFilters(status=form.status.data or "", party_id=form.party.data,
                                        group_id=form.group.data, date_from=form.date_from.data,
                                        date_to=form.date_to.data)


def _download(body: Any, mimetype: str, filename: str) -> Response:
    return Response(stream_with_context(body), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@bp.get("/register.csv")
@login_required
def register_csv() -> Response:
    """The ratification register as CSV, streamed; a cell a spreadsheet would run as a formula is
    prefixed with ``'``."""
    day = clock.now().date().isoformat()
    return _download(register.csv_lines(_filters()), "text/csv", f"ratification-register-{day}.csv")


@bp.get("/register.json")
@login_required
def register_json() -> Response:
    """The ratification register as JSON, streamed."""
    now = clock.now()
    return _download(register.json_chunks(_filters(), now.isoformat()), "application/json",
                     f"ratification-register-{now.date().isoformat()}.json")


@bp.get("/disputes/<int:dispute_id>/case.zip")
@login_required
def dispute_zip(dispute_id: int) -> Response:
    """The whole case: its decision record (issued and registered like any download, so it verifies),
    papers, events and audit proof."""
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None or not dispute.can_view(current_user):
        abort(404)
    record = record_queries.dispute_record(dispute, current_user)
    content = pdf.render(render_template("records/dispute.html", r=record), current_app.static_folder or "static")
    verify_ops.issue_record(kind="dispute", reference=record.reference, content=content, mark=record.audit,
                            subject_type="dispute", subject_id=dispute.id,
                            subjects=verify_ops.dispute_subjects(dispute.id), user=current_user)
    body = case.case_zip(dispute, current_user, content, record.reference, public_url_for("verify.index"),
                         record.produced_at)
    db.session.commit()
    return Response(body, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{dispute.reference}-case.zip"', "Cache-Control": "no-store"})
