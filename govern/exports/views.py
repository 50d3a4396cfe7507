"""Downloads: the register as CSV or JSON (for whoever may see the register: everyone signed in, as the
page), and a whole case as a zip: a dispute (for whoever may see the dispute: 404 for anyone else, as its
page) or a PDEG decision (for whoever may see the decision, as its page and ratification record)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request, stream_with_context
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from govern.boards.certificates import certificate_of
from govern.boards.views import certificate_pdf
from govern.core import clock
from govern.disputes.models import Dispute
from govern.exports import case, register
from govern.extensions import db
from govern.partnership.models import SubordinateGroup
from govern.pdeg import queries as pdeg_queries
from govern.pdeg.forms import RegisterFilterForm
from govern.pdeg.models import Recommendation
from govern.records import views as record_views
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


def _zip(export: case.CaseExport, filename: str) -> Response:
    body = case.case_zip(export, public_url_for("verify.index"))
    db.session.commit()  # the records in it were registered as issued
    return Response(body, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/disputes/<int:dispute_id>/case.zip")
@login_required
def dispute_zip(dispute_id: int) -> Response:
    """The whole case: its decision record (issued and registered like any download, so it verifies),
    papers, events and audit proof."""
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None or not dispute.can_view(current_user):
        abort(404)
    content, record = record_views.issued_dispute_record(dispute)
    export = case.dispute_export(dispute, current_user, content, record.reference, record.produced_at)
    return _zip(export, f"{dispute.reference}-case.zip")


@bp.get("/recommendations/<int:recommendation_id>/case.zip")
@login_required
def recommendation_zip(recommendation_id: int) -> Response:
    """A whole PDEG decision, for whoever may see it (as its page and its ratification record): the
    ratification record (issued, so it verifies), the certificate once issued, its papers, the events of
    the decision and of each Board, and the audit proof."""
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or not recommendation.can_view(current_user):
        abort(404)
    content, record = record_views.issued_decision_record(recommendation)
    records = [("record.pdf", content)]
    issued = certificate_of(recommendation.id)
    if issued is not None:
        records.append(("certificate.pdf", certificate_pdf(issued, record)))
    export = case.decision_export(recommendation, current_user, records, record.reference, clock.now())
    return _zip(export, f"{recommendation.reference}-case.zip")
