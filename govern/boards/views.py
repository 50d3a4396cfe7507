"""The Board secretary's meeting dates, and the ratification certificate.

Views load (404 if missing or not the user's), check, call one operation, commit and redirect; a
refusal is shown beside its field with its clause, keeping what was typed.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from govern.boards import certificates, operations, queries
from govern.boards.dates import day_words
from govern.boards.forms import BoardMeetingForm, RemoveMeetingForm
from govern.boards.models import BoardMeeting, RatificationCertificate, may_keep_meetings
from govern.core import clock
from govern.core.errors import OperationError, StaleCase
from govern.extensions import db
from govern.pdeg.models import Recommendation
from govern.pdeg.queries import BOARD_STATUS_TITLES
from govern.records import queries as record_queries
from govern.records.queries import DecisionRecord
from govern.records.views import download_pdf, pdf_of
from govern.web.access import requires
from govern.web.actions import show_refusal

bp = Blueprint("boards", __name__)

bp.add_app_template_filter(day_words, "day_words")


@bp.route("/boards/meetings", methods=["GET", "POST"])
@requires(may_keep_meetings)
def meetings() -> str | Response | tuple[str, int]:
    """Our Board's meetings from today on, and a form to add one."""
    form = BoardMeetingForm()
    if form.validate_on_submit():
        try:
            meeting = operations.add_board_meeting(current_user, meeting_date=form.meeting_date.data,
                                                   papers_due=form.papers_due.data)
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(f"Meeting on {day_words(meeting.meeting_date)} added; papers due {day_words(meeting.papers_due)}.",
                  "success")
            return redirect(url_for("boards.meetings"))
    status = 400 if form.is_submitted() else 200
    page = queries.upcoming_meetings_page(current_user.organisation_id, request.args.get("after"))
    return render_template("boards/meetings.html", form=form, page=page, page_has_errors=status == 400), status


def _meeting_or_404(meeting_id: int) -> BoardMeeting:
    meeting = db.session.get(BoardMeeting, meeting_id)
    if meeting is None or not meeting.can_manage(current_user):
        abort(404)
    return meeting


@bp.route("/boards/meetings/<int:meeting_id>", methods=["GET", "POST"])
@requires(may_keep_meetings)
def edit_meeting(meeting_id: int) -> str | Response | tuple[str, int]:
    """Move a meeting or its papers' deadline."""
    meeting = _meeting_or_404(meeting_id)
    form = BoardMeetingForm(obj=None if request.method == "POST" else meeting)
    if request.method == "GET":
        form.expected_version.data = meeting.lock_version
    if form.validate_on_submit():
        try:
            operations.change_board_meeting(meeting, current_user, meeting_date=form.meeting_date.data,
                                            papers_due=form.papers_due.data,
                                            expected_version=form.expected_version.data)
        except StaleCase as stale:
            flash(stale.message, "error")
            return redirect(url_for("boards.edit_meeting", meeting_id=meeting_id))
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
            meeting = _meeting_or_404(meeting_id)
        else:
            db.session.commit()
            flash(f"Meeting moved: {day_words(meeting.meeting_date)}, papers due {day_words(meeting.papers_due)}.",
                  "success")
            return redirect(url_for("boards.meetings"))
    status = 400 if form.is_submitted() else 200
    return render_template("boards/edit_meeting.html", form=form, meeting=meeting,
                           remove_form=RemoveMeetingForm(expected_version=meeting.lock_version),
                           page_has_errors=status == 400), status


@bp.post("/boards/meetings/<int:meeting_id>/remove")
@requires(may_keep_meetings)
def remove_meeting(meeting_id: int) -> Response:
    """Remove a meeting that has not taken place."""
    meeting = _meeting_or_404(meeting_id)
    form = RemoveMeetingForm()
    if not form.validate_on_submit():
        abort(400)
    when = day_words(meeting.meeting_date)
    try:
        operations.remove_board_meeting(meeting, current_user, expected_version=form.expected_version.data)
    except OperationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("boards.edit_meeting", meeting_id=meeting_id))
    db.session.commit()
    flash(f"The meeting on {when} is removed.", "success")
    return redirect(url_for("boards.meetings"))


def certificate_pdf(issued: RatificationCertificate, record: DecisionRecord) -> bytes:
    """The ratification certificate as a PDF (it prints the audit event of the ratification)."""
    return pdf_of("boards/certificate.html", certificate=issued, d=record, produced_at=clock.now(),
                  board_titles=BOARD_STATUS_TITLES)


@bp.get("/recommendations/<int:recommendation_id>/certificate.pdf")
@login_required
def certificate(recommendation_id: int) -> Response:
    """The ratification certificate, for whoever may see the decision, once it has been issued."""
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or not recommendation.can_view(current_user):
        abort(404)
    issued = certificates.certificate_of(recommendation.id)
    if issued is None:
        abort(404)
    [record] = record_queries.decision_records(record_queries.load_recommendations([recommendation.id]),
                                               current_user)
    return download_pdf(certificate_pdf(issued, record), f"{issued.reference}-ratification-certificate.pdf")
