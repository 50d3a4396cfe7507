"""Decision records as PDFs: a dispute's, a PDEG decision's ratification record, a Board's pack.

Views load (404 if the case is not the user's to see, as on its page), build the record, render
it and hand back the file. Who may download a record is who may see the case it records.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from govern.core import clock
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.pdeg.models import Recommendation
from govern.pdeg.queries import BOARD_STATUS_TITLES
from govern.records import pdf, queries
from govern.web.access import requires

bp = Blueprint("records", __name__)


def render_pdf(template: str, filename: str, **context: Any) -> Response:
    """Render the record's HTML, then its PDF, as a download that no cache keeps."""
    html = render_template(template, **context)
    body = pdf.render(html, current_app.static_folder or "static")
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/disputes/<int:dispute_id>/record.pdf")
@login_required
def dispute_record(dispute_id: int) -> Response:
    """The dispute's decision record, for those who may see the dispute (Schedule 3: privately)."""
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None or not dispute.can_view(current_user):
        abort(404)
    record = queries.dispute_record(dispute, current_user)
    return render_pdf("records/dispute.html", f"{dispute.reference}-decision-record.pdf", r=record)


@bp.get("/recommendations/<int:recommendation_id>/record.pdf")
@login_required
def recommendation_record(recommendation_id: int) -> Response:
    """The ratification record of a PDEG decision: where it came from, PDEG, every Board (10.6)."""
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or not recommendation.can_view(current_user):
        abort(404)
    [record] = queries.decision_records(queries.load_recommendations([recommendation.id]), current_user)
    return render_pdf("records/decision.html", f"{recommendation.reference}-ratification-record.pdf",
                      d=record, produced_at=clock.now(), board_titles=BOARD_STATUS_TITLES)


def _is_board_secretary(user: Any) -> bool:
    return user.role.value == "board_secretary"


@bp.get("/boards/pack.pdf")
@requires(_is_board_secretary)
def board_pack() -> Response:
    """The Board pack: every decision awaiting the secretary's own Board, with a cover and contents."""
    pack = queries.board_pack(current_user.organisation, current_user)
    return render_pdf("records/pack.html", f"{pack.reference}-board-pack.pdf", pack=pack,
                      board_titles=BOARD_STATUS_TITLES)
