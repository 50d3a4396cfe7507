"""Decision records as PDFs: a dispute's, a PDEG decision's ratification record, a Board's pack.

Views load (404 if the case is not the user's to see, as on its page), build the record, render
it and hand back the file. Who may download a record is who may see the case it records.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from govern.core import clock
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.pdeg.models import Recommendation
from govern.pdeg.queries import BOARD_STATUS_TITLES
from govern.records import packs, pdf, queries
from govern.records.forms import BoardPackForm
from govern.records.models import BoardPack, PackStatus
from govern.verify import operations as verify_ops
from govern.web.access import requires
from govern.web.actions import run

bp = Blueprint("records", __name__)


def download_pdf(body: bytes, filename: str) -> Response:
    """A PDF as a download that no cache keeps."""
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def render_pdf(template: str, filename: str, *, issue: dict[str, Any] | None = None, **context: Any) -> Response:
    """Render the record's HTML, then its PDF, as a download. ``issue``: how to register it as issued
    (:func:`govern.verify.operations.issue_record`), so ``/verify`` knows it."""
    body = pdf_of(template, **context)
    if issue is not None:
        verify_ops.issue_record(content=body, user=current_user, **issue)
        db.session.commit()
    return download_pdf(body, filename)


def pdf_of(template: str, **context: Any) -> bytes:
    """The record's HTML rendered, then as a PDF."""
    return pdf.render(render_template(template, **context), current_app.static_folder or "static")


def issued_dispute_record(dispute: Dispute) -> tuple[bytes, queries.DisputeRecord]:
    """The dispute's decision record as ``current_user`` may see it, rendered and registered as issued
    (the caller checked ``can_view`` and commits)."""
    record = queries.dispute_record(dispute, current_user)
    body = pdf_of("records/dispute.html", r=record)
    verify_ops.issue_record(kind="dispute", reference=record.reference, content=body, mark=record.audit,
                            subject_type="dispute", subject_id=dispute.id,
                            subjects=verify_ops.dispute_subjects(dispute.id), user=current_user)
    return body, record


def issued_decision_record(recommendation: Recommendation) -> tuple[bytes, queries.DecisionRecord]:
    """The ratification record of a PDEG decision, rendered and registered as issued (the caller checked
    ``can_view`` and commits)."""
    [record] = queries.decision_records(queries.load_recommendations([recommendation.id]), current_user)
    body = pdf_of("records/decision.html", d=record, produced_at=clock.now(), board_titles=BOARD_STATUS_TITLES)
    verify_ops.issue_record(kind="decision", reference=record.reference, content=body, mark=record.audit,
                            subject_type="recommendation", subject_id=recommendation.id,
                            subjects=verify_ops.decision_subjects([record.recommendation]), user=current_user)
    return body, record


@bp.get("/disputes/<int:dispute_id>/record.pdf")
@login_required
def dispute_record(dispute_id: int) -> Response:
    """The dispute's record, for those who may see the dispute (Schedule 3: privately): named, like the
    page's link, the "dispute record" until there is a decision, then the "decision record"."""
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None or not dispute.can_view(current_user):
        abort(404)
    body, record = issued_dispute_record(dispute)
    db.session.commit()
    return download_pdf(body, f"{dispute.reference}-{record.record_name.replace(' ', '-')}.pdf")


@bp.get("/recommendations/<int:recommendation_id>/record.pdf")
@login_required
def recommendation_record(recommendation_id: int) -> Response:
    """The ratification record of a PDEG decision: where it came from, PDEG, every Board (10.6)."""
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or not recommendation.can_view(current_user):
        abort(404)
    body, _record = issued_decision_record(recommendation)
    db.session.commit()
    return download_pdf(body, f"{recommendation.reference}-ratification-record.pdf")


def _is_board_secretary(user: Any) -> bool:
    return user.role.value == "board_secretary"


def _meeting_date() -> date | None:
    """The ``?meeting=YYYY-MM-DD`` a pack is for (none: every decision awaiting the Board now)."""
    given = request.args.get("meeting")
    if not given:
        return None
    try:
        return date.fromisoformat(given)
    except ValueError:
        abort(400)


@bp.get("/boards/pack.pdf")
@requires(_is_board_secretary)
def board_pack() -> Response:
    """The Board pack made in the request: every decision awaiting the secretary's own Board (for the
    meeting on ``?meeting=``), with a cover and contents. A large pack is never made here: the secretary
    is sent to ask for it, and ``tick`` makes it."""
    meeting = _meeting_date()
    if packs.is_large(packs.decisions_for_meeting(current_user.organisation_id, meeting)):
        flash("This pack has too many decisions to make while you wait: ask for it below and you will be "
              "told when it is ready.", "info")
        return redirect(url_for("records.board_packs"), 303)
    pack = queries.board_pack(current_user.organisation, current_user, meeting_date=meeting)
    name = f"{pack.reference}-board-pack" + (f"-{meeting.isoformat()}" if meeting else "")
    return render_pdf("records/pack.html", f"{name}.pdf", issue=packs.pack_issue(pack), pack=pack,
                      board_titles=BOARD_STATUS_TITLES)


@bp.route("/boards/packs", methods=["GET", "POST"])
@requires(_is_board_secretary)
def board_packs() -> str | Response:
    """Ask for the Board pack for a meeting; the packs asked for, being prepared or ready to download."""
    form = BoardPackForm()
    if form.validate_on_submit():
        meeting = form.meeting_date.data
        assert meeting is not None
        if not packs.is_large(packs.decisions_for_meeting(current_user.organisation_id, meeting)):
            return redirect(url_for("records.board_pack", meeting=meeting.isoformat()))
        if run(None, lambda: packs.request_board_pack(current_user, meeting), stale_url=request.path).ok:
            flash("Your Board pack is being prepared. We will tell you when it is ready to download.", "success")
        return redirect(url_for("records.board_packs"))
    status = 400 if form.is_submitted() else 200
    return render_template("records/packs.html", form=form, packs=packs.packs_of(current_user.organisation_id),
                           Status=PackStatus), status


@bp.get("/boards/packs/<int:pack_id>.pdf")
@requires(_is_board_secretary)
def stored_board_pack(pack_id: int) -> Response:
    """A pack made by ``tick``, for its own Board's secretary (404 for anyone else, as if it did not exist)."""
    pack = db.session.get(BoardPack, pack_id)
    if pack is None or not pack.can_download(current_user) or pack.status is not PackStatus.READY:
        abort(404)
    return Response(pack.content, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{pack.filename}"', "Cache-Control": "no-store"})


@bp.app_context_processor
def _pack_helpers() -> dict[str, Any]:
    # "Awaiting our Board" offers the pack at once only when it is small enough to make while one waits.
    return {"pack_is_large": packs.is_large}
