"""Pages for recommendations, PDEG meetings, Board ratifications and the ratification register.

Each view loads (404 if missing or not visible), checks ``can_<verb>``, validates its form, calls
one operation, commits and redirects. A refusal comes back as an ``OperationError`` and is shown
beside the field it concerns, with its clause, keeping what was typed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from govern import cases
from govern.actions.queries import panel as follow_up_panel
from govern.attachments.queries import attachments_for
from govern.boards import forecast as board_forecast
from govern.boards.certificates import certificate_of
from govern.cases.models import CaseKind
from govern.core import clock
from govern.core.errors import OperationError, StaleCase
from govern.core.text import single_line
from govern.extensions import db
from govern.interests import queries as interest_queries
from govern.pdeg import awaiting_page, operations, queries, register_page, states
from govern.pdeg.forms import (
    AgendaForm,
    CancelForm,
    CorrectionForm,
    DeclarationForm,
    DraftForm,
    MeetingForm,
    OutcomeForm,
    RatificationForm,
    RecommendationForm,
    RegisterFilterForm,
    errors_in_the_boards_words,
    in_the_boards_words,
)
from govern.pdeg.models import (
    AgendaItem,
    AgendaOutcome,
    AgendaPart,
    AttendanceStatus,
    PdegMeeting,
    Ratification,
    Recommendation,
    is_pdeg_secretariat,
)
from govern.web.access import requires
from govern.web.actions import action_form, check_then_act, expected_version, run, show_refusal
from workflows.rules import day_text

bp = Blueprint("pdeg", __name__)

#: Workflow field keys that a form shows under another name.
FIELD_ALIASES = {"information": "summary", "affected_parties": "affected", "basis": "delegation_basis",
                 "subordinate_group": "title"}


bp.add_app_template_filter(queries.clause_text, "clause")
bp.add_app_template_filter(queries.clause_short, "clause_short")


# --- loaders ------------------------------------------------------------------------------------------


def _recommendation_or_404(recommendation_id: int) -> Recommendation:
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or not recommendation.can_view(current_user):
        abort(404)
    return recommendation


def _meeting_or_404(meeting_id: int) -> PdegMeeting:
    meeting = db.session.get(PdegMeeting, meeting_id)
    if meeting is None or not meeting.can_view(current_user):
        abort(404)
    return meeting


def _ratification_or_404(ratification_id: int) -> Ratification:
    ratification = db.session.get(Ratification, ratification_id)
    if ratification is None or not ratification.can_view(current_user):
        abort(404)
    return ratification


def _stale(message_target: str) -> Response:
    """Somebody else acted first: say so and show where things stand now."""
    flash(StaleCase().message, "error")
    return redirect(message_target)


# --- raising a recommendation (Schedule 4; 17.2) ------------------------------------------------------


@bp.route("/recommendations/new", methods=["GET", "POST"])
@requires(Recommendation.can_be_raised_by)
def new_recommendation() -> str | Response | tuple[str, int]:
    """Raise a recommendation for PDEG, a variation of the MoU, or record a delegated decision: the form
    (no party chosen for you), then the answers to check, then the confirmation."""
    form = RecommendationForm()
    parties = queries.current_parties()
    form.affected.choices = [(o.id, o.name) for o in parties]
    raiser = queries.raiser_for(current_user)
    may_delegate = queries.may_decide_under_delegation(raiser)
    confirming = request.form.get("confirm") == "yes"
    if form.is_submitted() and request.form.get("change") != "yes" and form.validate():
        chosen = {o.id: o for o in parties}
        fields: dict[str, Any] = {
            "title": form.title.data or "", "summary": form.summary.data or "",
            "decision_sought": form.decision_sought.data or "",
            "affected": [chosen[i] for i in form.affected.data or [] if i in chosen],
            "is_variation": form.kind.data == "variation",
            "within_delegation": may_delegate and form.within_delegation.data == "yes",
            "delegation_basis": form.delegation_basis.data or "",
        }
        try:
            # The operation decides whether it may be raised; before it is confirmed, nothing is kept.
            recommendation = operations.bring_recommendation(current_user, **fields, **raiser)
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error, FIELD_ALIASES)
        else:
            if not confirming:
                affected = list(recommendation.affected)
                db.session.rollback()
                return render_template(
                    "pdeg/check_recommendation.html", form=form, fields=fields, affected=affected,
                    may_delegate=may_delegate, raised_by_text=_raiser_text(raiser),
                )
            db.session.commit()
            return redirect(url_for("pdeg.raised", recommendation_id=recommendation.id))
    status = 400 if form.is_submitted() and request.form.get("change") != "yes" else 200
    return render_template(
        "pdeg/new_recommendation.html", form=form, raiser=raiser, may_delegate=may_delegate,
        raised_by_text=_raiser_text(raiser),
    ), status


@bp.get("/recommendations/<int:recommendation_id>/raised")
@login_required
def raised(recommendation_id: int) -> str:
    """The confirmation after raising: its reference, and what happens next."""
    rec = _recommendation_or_404(recommendation_id)
    return render_template("pdeg/raised.html", rec=rec, delegated=rec.state in states.within_delegation(),
                           boards=queries.boards_to_ratify(rec) or [])


def _raiser_text(raiser: dict[str, Any]) -> str:
    if "group" in raiser:
        return f"the {raiser['group'].name}"
    if "raising_organisation" in raiser:
        return raiser["raising_organisation"].name
    return "the STP Leader"


# --- a recommendation's page: its journey and the actions on offer --------------------------------------


@bp.get("/recommendations/<int:recommendation_id>")
@login_required
def recommendation(recommendation_id: int) -> str:
    """The decision's journey (group, PDEG, each Board) with dates and clauses, and what can be done."""
    rec = _recommendation_or_404(recommendation_id)
    return _recommendation_page(rec, {})


def _recommendation_page(rec: Recommendation, forms: dict[str, FlaskForm], status: int = 200) -> Any:
    actions = queries.available_actions(rec, current_user)
    action_forms = []
    for info in actions:
        if info.trigger in queries.MEETING_TRIGGERS:
            continue
        form = forms.get(info.trigger) or action_form(info.trigger, info.fields)
        action_forms.append((info, form))
    pending_item = next(
        (i for i in queries.agenda_items_of(rec) if i.outcome is None), None
    ) if is_pdeg_secretariat(current_user) else None
    papers_visible = rec.can_view_papers(current_user)
    return render_template(
        "pdeg/recommendation.html",
        rec=rec, papers_visible=papers_visible, part_two_clause=interest_queries.PART_TWO_CLAUSE,
        state=queries.state_title(rec),
        state_colour=queries.state_colour(rec),
        raised_by=queries.raised_by_text(rec),
        journey=queries.journey(rec),
        ratifications=queries.current_ratifications(rec),
        board_titles=queries.BOARD_STATUS_TITLES,
        board_colours=queries.BOARD_STATUS_COLOURS,
        agenda_items=queries.agenda_items_of(rec),
        action_forms=action_forms,
        meeting_actions=[a for a in actions if a.trigger in queries.MEETING_TRIGGERS],
        pending_item=pending_item,
        disputes=queries.disputes_caused(rec, current_user),
        followed=queries.followed_from_disputes(rec, current_user),
        source_dispute=queries.source_dispute(rec, current_user),
        page_has_errors=any(f.errors for f in forms.values()),
        attachments=attachments_for(CaseKind.RECOMMENDATION, rec.id) if papers_visible else [],
        can_attach=papers_visible and rec.can_attach(current_user),
        can_write=rec.can_write(current_user),
        boards_to_ratify=queries.boards_to_ratify(rec),
        offers=[offer for r in queries.current_ratifications(rec)
                if (offer := queries.dispute_offer(r, current_user)) is not None],
        forecast=board_forecast.for_decision(rec), certificate=certificate_of(rec.id),
        follow_up=follow_up_panel(rec, current_user),
    ), status


@bp.route("/recommendations/<int:recommendation_id>/draft", methods=["GET", "POST"])
@bp.route("/recommendations/<int:recommendation_id>/edit", methods=["GET", "POST"], endpoint="edit")
@login_required
def write_draft(recommendation_id: int) -> str | Response | tuple[str, int]:
    """Whoever raised it writes or changes what PDEG will read until PDEG considers it (a draft born from a
    dispute: the STP Leader)."""
    rec = _recommendation_or_404(recommendation_id)
    if not rec.can_write(current_user):
        abort(403)
    here = url_for("pdeg.recommendation", recommendation_id=rec.id)
    form = DraftForm(obj=None if request.method == "POST" else rec)
    parties = queries.current_parties()
    form.affected.choices = [(o.id, o.name) for o in parties]
    if request.method == "GET":
        form.affected.data = [o.id for o in rec.affected]
        form.expected_version.data = rec.lock_version
        if rec.title in operations.DRAFT_TITLES.values():
            form.title.data = ""
    if form.validate_on_submit():
        chosen = {o.id: o for o in parties}
        try:
            operations.edit_recommendation(
                rec, current_user, title=form.title.data or "", summary=form.summary.data or "",
                decision_sought=form.decision_sought.data or "",
                affected=[chosen[i] for i in form.affected.data or [] if i in chosen],
                expected_version=form.expected_version.data,
            )
        except StaleCase:
            return _stale(here)
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error, FIELD_ALIASES)
            rec = _recommendation_or_404(recommendation_id)
        else:
            db.session.commit()
            flash(f"{rec.reference} is written. Raise it for PDEG when it is ready." if rec.is_draft
                  else f"{rec.reference} is changed.", "success")
            return redirect(here)
    status = 400 if form.is_submitted() else 200
    return render_template("pdeg/write_draft.html", form=form, rec=rec), status


@bp.post("/recommendations/<int:recommendation_id>/actions/<trigger>")
@login_required
def act(recommendation_id: int, trigger: str) -> Response | tuple[str, int]:
    """Take one of the actions the recommendation page offers (raise, delegated, amend, conclude)."""
    rec = _recommendation_or_404(recommendation_id)
    if not rec.can_take_actions(current_user) or trigger in queries.MEETING_TRIGGERS:
        abort(403)
    here = url_for("pdeg.recommendation", recommendation_id=rec.id)
    info = next((a for a in queries.available_actions(rec, current_user) if a.trigger == trigger), None)
    if info is None:
        flash(f"That action is no longer possible: the recommendation is now "
              f"'{queries.state_title(rec)[0].lower()}'.", "error")
        return redirect(here)
    form = action_form(trigger, info.fields, request.form)
    if not form.validate():
        return _recommendation_page(rec, {trigger: form}, 400)
    payload = {spec.key: getattr(form, spec.key).data for spec in info.fields}
    done = run(form, lambda: cases.act(rec, current_user, trigger, payload, expected_version(form)), stale_url=here)
    if done.stale:
        return done.stale
    if not done.ok:
        rec = _recommendation_or_404(recommendation_id)
        return _recommendation_page(rec, {trigger: form}, 400)
    flash(f"{info.label}: done ({rec.reference}).", "success")
    return redirect(here)


# --- PDEG meetings (10.5, 10.6) -------------------------------------------------------------------------


@bp.get("/pdeg/meetings")
@login_required
def meetings() -> str:
    """PDEG's meetings, and the recommendations waiting for an agenda."""
    return render_template(
        "pdeg/meetings.html", upcoming=queries.upcoming_meetings(),
        past=queries.past_meetings_page(request.args.get("after")), waiting=queries.waiting_page(),
        may_manage=is_pdeg_secretariat(current_user),
    )


@bp.route("/pdeg/meetings/new", methods=["GET", "POST"])
@requires(is_pdeg_secretariat)
def new_meeting() -> str | Response | tuple[str, int]:
    """Schedule a PDEG meeting."""
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = operations.schedule_meeting(
                current_user, meeting_date=form.meeting_date.data, title=form.title.data or "",
                place=form.place.data or "",
            )
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(f"PDEG meeting on {day_text(meeting.meeting_date)} scheduled. "
                  "Now build its agenda.", "success")
            return redirect(url_for("pdeg.meeting", meeting_id=meeting.id))
    status = 400 if form.is_submitted() else 200
    return render_template("pdeg/new_meeting.html", form=form), status


def _agenda_form() -> AgendaForm:
    form = AgendaForm()
    form.recommendation_id.choices = [("", "Choose a recommendation")] + [
        (r.id, f"{r.reference}: {r.title}") for r in queries.raised_awaiting_agenda()
    ]
    return form


@bp.get("/pdeg/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int) -> str:
    """A meeting's agenda, Part One and Part Two, with each item's outcome."""
    found = _meeting_or_404(meeting_id)
    return _meeting_page(found, _agenda_form())


def _declaration_form(found: PdegMeeting) -> DeclarationForm:
    form = DeclarationForm(prefix="declare")
    form.organisation_id.choices = [("", "Not for a party")] + [(o.id, o.name) for o in operations.pdeg_members()]
    form.item_id.choices = [("", "At the start of the meeting")] + [
        (i.id, f"On {i.recommendation.reference}: {i.recommendation.title}") for i in found.items if i.outcome is None
    ]
    return form


def _meeting_page(found: PdegMeeting, form: AgendaForm, status: int = 200,
                  declaration: DeclarationForm | None = None, attendance_errors: dict[str, str] | None = None) -> Any:
    return render_template(
        "pdeg/meeting.html", meeting=found, form=form, parts=list(AgendaPart),
        may_read_agenda=found.can_read_agenda(current_user),
        may_manage=found.can_manage(current_user), may_change=found.can_change(current_user),
        has_waiting=bool(queries.raised_awaiting_agenda()), members=queries.members_of(found),
        quorum=queries.quorum_of(found), statuses=list(AttendanceStatus),
        declaration=declaration or _declaration_form(found), attendance_errors=attendance_errors or {},
    ), status


@bp.route("/pdeg/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit_meeting(meeting_id: int) -> str | Response | tuple[str, int]:
    """Change a meeting's date or title, until its outcomes are recorded."""
    found = _meeting_or_404(meeting_id)
    if not found.can_change(current_user):
        abort(403)
    here = url_for("pdeg.meeting", meeting_id=found.id)
    form = MeetingForm(obj=None if request.method == "POST" else found)
    if form.validate_on_submit():
        try:
            operations.edit_meeting(found, current_user, meeting_date=form.meeting_date.data,
                                    title=form.title.data or "", place=form.place.data or "",
                                    expected_version=request.form.get(
                                        "expected_version", type=int))
        except StaleCase:
            return _stale(here)
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(f"The meeting is now on {day_text(found.meeting_date)}.", "success")
            return redirect(here)
    status = 400 if form.is_submitted() else 200
    return render_template("pdeg/new_meeting.html", form=form, meeting=found), status


@bp.route("/pdeg/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_meeting(meeting_id: int) -> str | Response | tuple[str, int]:
    """Cancel a meeting (its agenda empty), giving the reason."""
    found = _meeting_or_404(meeting_id)
    if not found.can_change(current_user):
        abort(403)
    here = url_for("pdeg.meeting", meeting_id=found.id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            operations.cancel_meeting(found, current_user, reason=form.reason.data or "",
                                      expected_version=form.expected_version.data)
        except StaleCase:
            return _stale(here)
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
            found = _meeting_or_404(meeting_id)
        else:
            db.session.commit()
            flash(f"The meeting on {day_text(found.meeting_date)} is cancelled.", "success")
            return redirect(here)
    status = 400 if form.is_submitted() else 200
    return render_template("pdeg/cancel_meeting.html", form=form, meeting=found), status


@bp.post("/pdeg/meetings/<int:meeting_id>/items/<int:item_id>/move")
@login_required
def move_item(meeting_id: int, item_id: int) -> Response:
    """Move an item up or down its part of the agenda."""
    item = _item_or_404(meeting_id, item_id)
    if not item.meeting.can_manage(current_user):
        abort(403)
    here = url_for("pdeg.meeting", meeting_id=meeting_id) + f"#part-{item.part.value}"
    try:
        operations.move_item(item, current_user, up=request.form.get("direction") == "up",
                             expected_version=request.form.get("expected_version", type=int))
    except StaleCase:
        return _stale(here)
    except OperationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(here)
    db.session.commit()
    flash(f"{item.recommendation.reference} moved {'up' if request.form.get('direction') == 'up' else 'down'}.",
          "success")
    return redirect(here)


@bp.post("/pdeg/meetings/<int:meeting_id>/items/<int:item_id>/remove")
@login_required
def remove_item(meeting_id: int, item_id: int) -> Response:
    """Take an item off the agenda before PDEG decides it."""
    item = _item_or_404(meeting_id, item_id)
    if not item.meeting.can_manage(current_user):
        abort(403)
    here = url_for("pdeg.meeting", meeting_id=meeting_id)
    reference = item.recommendation.reference
    try:
        operations.take_off_agenda(item, current_user, request.form.get("expected_version", type=int))
    except StaleCase:
        return _stale(here)
    except OperationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(here)
    db.session.commit()
    flash(f"{reference} is off the agenda and waits for another meeting.", "success")
    return redirect(here)


@bp.post("/pdeg/meetings/<int:meeting_id>/attendance")
@login_required
def record_attendance(meeting_id: int) -> Response | tuple[str, int]:
    """Record who attended for each member party, and apologies (10.3)."""
    found = _meeting_or_404(meeting_id)
    if not found.can_manage(current_user):
        abort(403)
    attendance: dict[int, tuple[AttendanceStatus, str]] = {}
    for organisation in operations.pdeg_members():
        chosen = request.form.get(f"party-{organisation.id}", "")
        if chosen in {s.value for s in AttendanceStatus}:
            attendee = request.form.get(f"attendee-{organisation.id}", "")
            attendance[organisation.id] = (AttendanceStatus(chosen), attendee)
    try:
        operations.record_attendance(found, current_user, attendance,
                                     expected_version=request.form.get("expected_version", type=int))
    except StaleCase:
        return _stale(url_for("pdeg.meeting", meeting_id=found.id))
    except OperationError as error:
        db.session.rollback()
        found = _meeting_or_404(meeting_id)
        return _meeting_page(found, _agenda_form(), 400, attendance_errors={error.field or "": error.message})
    db.session.commit()
    quorum = queries.quorum_of(found)
    flash(f"Attendance recorded: {quorum.present} member parties present"
          + ("." if quorum.needed is None else f", {quorum.needed} needed for a quorum "
             + ("(quorate)." if quorum.met else "(not quorate).")), "success")
    return redirect(url_for("pdeg.meeting", meeting_id=found.id) + "#attendance")


@bp.post("/pdeg/meetings/<int:meeting_id>/declarations")
@login_required
def declare_interest(meeting_id: int) -> Response | tuple[str, int]:
    """Record an interest declared at the start of the meeting or on an item."""
    found = _meeting_or_404(meeting_id)
    if not found.can_manage(current_user):
        abort(403)
    form = _declaration_form(found)
    if form.validate_on_submit():
        item = next((i for i in found.items if i.id == form.item_id.data), None)
        organisation = next((o for o in operations.pdeg_members() if o.id == form.organisation_id.data), None)
        try:
            operations.declare_interest(found, current_user, person=form.person.data or "",
                                        interest=form.interest.data or "", organisation=organisation, item=item)
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error, {"item": "item_id"})
        else:
            db.session.commit()
            flash("The declaration is recorded.", "success")
            return redirect(url_for("pdeg.meeting", meeting_id=found.id) + "#declarations")
    found = _meeting_or_404(meeting_id)
    return _meeting_page(found, _agenda_form(), 400, declaration=form)


@bp.post("/pdeg/meetings/<int:meeting_id>/agenda")
@login_required
def add_item(meeting_id: int) -> Response | tuple[str, int]:
    """Put a raised recommendation on the agenda."""
    found = _meeting_or_404(meeting_id)
    if not found.can_manage(current_user):
        abort(403)
    form = _agenda_form()
    if form.validate_on_submit():
        rec = db.session.get(Recommendation, form.recommendation_id.data)
        if rec is None:
            abort(404)
        try:
            item = operations.add_to_agenda(found, rec, current_user, part=AgendaPart(form.part.data))
        except StaleCase:
            return _stale(url_for("pdeg.meeting", meeting_id=found.id))
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error, {"meeting_date": "recommendation_id"})
        else:
            db.session.commit()
            flash(f"{rec.reference} is on the agenda, {item.part.title}.", "success")
            return redirect(url_for("pdeg.meeting", meeting_id=found.id))
    elif form.recommendation_id.data and form.recommendation_id.errors:
        # Not among the choices any more (someone placed it first, say): say where it stands now.
        rec = db.session.get(Recommendation, form.recommendation_id.data)
        if rec is not None and rec.can_view(current_user):
            form.recommendation_id.errors = [
                f"{rec.reference} can no longer be added: it is now '{queries.state_title(rec)[0].lower()}' "
                "(clause 10.5)"
            ]
    found = _meeting_or_404(meeting_id)
    return _meeting_page(found, form, 400)


def _item_or_404(meeting_id: int, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id or not item.meeting.can_view(current_user):
        abort(404)
    return item


def _carried() -> list[tuple[str, str]]:
    """What the person posted, to carry through the check page in hidden fields (not its buttons)."""
    return [(k, v) for k, v in request.form.items(multi=True)
            if k not in ("confirmed", "change") and not k.endswith("csrf_token")]


@bp.route("/pdeg/meetings/<int:meeting_id>/items/<int:item_id>", methods=["GET", "POST"])
@login_required
def item_outcome(meeting_id: int, item_id: int) -> str | Response | tuple[str, int]:
    """Record PDEG's outcome for one agenda item, with its minute reference: the form, then the answers to
    check (refused in advance by the operation's own rules), then the confirmation."""
    item = _item_or_404(meeting_id, item_id)
    if not item.can_record_outcome(current_user):
        abort(403)
    here = url_for("pdeg.meeting", meeting_id=meeting_id)
    form = OutcomeForm()
    changing = request.form.get("change") == "1"
    if not changing and form.validate_on_submit():
        fields: dict[str, Any] = {
            "outcome": AgendaOutcome(form.outcome.data), "minute_reference": form.minute_reference.data or "",
            "reasons": form.reasons.data or "", "amendment": form.amendment.data or "",
            "minutes": form.minutes.data or "", "expected_version": form.expected_version.data,
        }
        answer = check_then_act(
            form, request.form.get("confirmed") == "1", stale_url=here,
            check=lambda: operations.check_outcome(item, current_user, **fields),
            act=lambda: operations.record_outcome(item, current_user, **fields),
            check_page=lambda: _outcome_check_page(item, form, fields),
            done_url=lambda: url_for("pdeg.outcome_recorded", meeting_id=meeting_id, item_id=item_id))
        if answer is not None:
            return answer
        item = _item_or_404(meeting_id, item_id)
    status = 400 if form.is_submitted() and not changing else 200
    return render_template("pdeg/item_outcome.html", item=item, form=form,
                           quorum=queries.quorum_of(item.meeting)), status


def _outcome_check_page(item: AgendaItem, form: OutcomeForm, fields: dict[str, Any]) -> str:
    """Check your answers before PDEG's outcome is recorded: the decision, the outcome, and the Boards an
    agreed decision will go to."""
    rec = item.recommendation
    outcome: AgendaOutcome = fields["outcome"]
    answers = [("Recommendation", f"{rec.reference}: {rec.title}"),
               ("The decision sought", rec.decision_sought or "Not given"),
               (form.outcome.label.text, outcome.title)]
    if outcome is AgendaOutcome.AMENDED_AND_AGREED:
        answers.append((form.amendment.label.text, fields["amendment"]))
    answers += [(form.minute_reference.label.text, fields["minute_reference"]),
                (form.reasons.label.text, fields["reasons"]),
                (form.minutes.label.text, fields["minutes"] or "Not given")]
    boards = (queries.boards_to_ratify(rec) or []) if outcome.is_agreement else []
    if boards:
        answers.append(("It will go for ratification to", ", ".join(f"{o.name} ({o.board_name})" for o in boards)))
    return render_template("pdeg/check_outcome.html", item=item, rec=rec, form=form, answers=answers,
                           carried=_carried(), outcome=outcome, boards=boards)


@bp.get("/pdeg/meetings/<int:meeting_id>/items/<int:item_id>/recorded")
@login_required
def outcome_recorded(meeting_id: int, item_id: int) -> str:
    """The confirmation after PDEG's outcome is recorded: the reference, what happens next (and by when,
    where the Boards' meeting dates are known), and the record."""
    item = _item_or_404(meeting_id, item_id)
    if item.outcome is None:
        abort(404)
    rec = item.recommendation
    return render_template("pdeg/outcome_recorded.html", item=item, rec=rec,
                           ratifications=queries.current_ratifications(rec) if item.outcome.is_agreement else [],
                           forecast=board_forecast.for_decision(rec), state=queries.state_title(rec))


@bp.get("/pdeg/meetings/<int:meeting_id>/items/<int:item_id>/extract")
@login_required
def minute_extract(meeting_id: int, item_id: int) -> str:
    """The extract of PDEG's minutes for one decided item: what each affected Board reads in its pack."""
    item = _item_or_404(meeting_id, item_id)
    if item.outcome is None:
        abort(404)
    return render_template("pdeg/minute_extract.html", x=queries.minute_extract(item))


@bp.get("/pdeg/meetings/<int:meeting_id>/agenda/print")
@login_required
def agenda(meeting_id: int) -> str:
    """The meeting's agenda to print: Part One and Part Two in order, who raised each item, and the register of
    interests' extract for the members and for the parties each item affects (Schedule 4)."""
    found = _meeting_or_404(meeting_id)
    if not found.can_read_agenda(current_user):
        abort(403)
    return render_template("pdeg/agenda.html", a=queries.agenda_of(found))


@bp.get("/pdeg/meetings/<int:meeting_id>/agenda.pdf")
@login_required
def agenda_pdf(meeting_id: int) -> Response:
    """The same agenda as a PDF (WeasyPrint, like the other records)."""
    from govern.records.views import render_pdf

    found = _meeting_or_404(meeting_id)
    if not found.can_read_agenda(current_user):
        abort(403)
    return render_pdf("pdeg/agenda_print.html", f"pdeg-agenda-{found.meeting_date.isoformat()}.pdf",
                      a=queries.agenda_of(found), produced_at=clock.now())


# --- Board ratification (10.6; 17.2) ------------------------------------------------------------------


def _is_board_secretary(user: Any) -> bool:
    return user.role.value == "board_secretary"


@bp.get("/boards/awaiting")
@requires(_is_board_secretary)
def awaiting() -> str:
    """Awaiting our Board: every agreed decision this Board must consider."""
    page = queries.awaiting_board_items(current_user.organisation_id, request.args.get("after"))
    return render_template(
        "pdeg/awaiting.html", page=page, awaiting_rows=awaiting_page.rows_markup(page.items),
        recent=queries.recorded_by_board(current_user.organisation_id),
        refused=queries.refused_by_board(current_user.organisation_id),
    )


@bp.route("/ratifications/<int:ratification_id>", methods=["GET", "POST"])
@login_required
def ratification(ratification_id: int) -> str | Response | tuple[str, int]:
    """One Board's consideration of a decision: its status, and for its secretary, the record form (and the
    correction of a recorded decision), each checked before it is recorded, then confirmed."""
    found = _ratification_or_404(ratification_id)
    here = url_for("pdeg.ratification", ratification_id=found.id)
    may_record = found.can_record(current_user)
    board = found.organisation.board_name
    form = in_the_boards_words(RatificationForm(), board)
    correction = in_the_boards_words(CorrectionForm(prefix="correct"), board)
    changing = request.form.get("change") == "1"
    confirming = request.form.get("confirmed") == "1"
    correcting = request.method == "POST" and request.form.get("correct-reason") is not None
    if request.method == "POST" and not may_record:
        abort(403)
    if correcting and not changing and correction.validate_on_submit():
        fixed: dict[str, Any] = {
            "meeting_date": correction.meeting_date.data, "minute_reference": correction.minute_reference.data or "",
            "reason": correction.reason.data or "", "expected_version": correction.expected_version.data,
        }
        answer = check_then_act(
            correction, confirming, stale_url=here,
            check=lambda: operations.check_correction(found, current_user, **fixed),
            act=lambda: operations.correct_board_decision(found, current_user, **fixed),
            check_page=lambda: _correction_check_page(found, correction, fixed, board),
            done_url=lambda: url_for("pdeg.board_decision_recorded", ratification_id=found.id, corrected=1))
        if answer is not None:
            return answer
        found = _ratification_or_404(ratification_id)
    elif request.method == "POST" and not correcting and not changing and form.validate_on_submit():
        decision = form.decision.data or ""
        payload: dict[str, object] = {"meeting_date": form.meeting_date.data,
                                      "minute_reference": form.minute_reference.data or ""}
        if decision == "not_ratify":
            payload["reasons"] = form.reasons.data or ""
        if decision == "defer":
            payload["next_meeting_date"] = form.next_meeting_date.data
        version = form.expected_version.data
        answer = check_then_act(
            form, confirming, stale_url=here,
            check=lambda: cases.check(found, current_user, decision, payload, version),
            act=lambda: cases.act(found, current_user, decision, payload, version),
            check_page=lambda: _decision_check_page(found, form, payload, board),
            done_url=lambda: url_for("pdeg.board_decision_recorded", ratification_id=found.id))
        if answer is not None:
            return answer
        found = _ratification_or_404(ratification_id)
    elif request.method == "GET" and found.meeting_date is not None:
        correction.meeting_date.process(None, found.meeting_date)  # its three boxes, not only its value
        correction.minute_reference.data = found.minute_reference
    errors_in_the_boards_words(form, board)
    errors_in_the_boards_words(correction, board)
    status = 400 if request.method == "POST" and not changing else 200
    return render_template(
        "pdeg/ratification.html", ratification=found, rec=found.recommendation, form=form,
        correction=correction, corrections=queries.corrections(found), board=board,
        may_correct=may_record and found.meeting_date is not None, correcting=correcting,
        may_record=may_record and found.is_open, offer=queries.dispute_offer(found, current_user),
        board_titles=queries.BOARD_STATUS_TITLES, board_colours=queries.BOARD_STATUS_COLOURS,
        state=queries.state_title(found.recommendation),
    ), status


def _decision_check_page(found: Ratification, form: RatificationForm, payload: dict[str, object],
                         board: str) -> str:
    """Check your answers before the Board's decision is recorded: the decision, what the Board decided,
    its meeting and minute, and what recording it will set off."""
    rec = found.recommendation
    chosen = dict(form.decision.choices or []).get(form.decision.data or "", "")
    answers = [("The decision", f"{rec.reference}: {rec.title}"), (form.decision.label.text, chosen),
               (form.meeting_date.label.text, day_text(form.meeting_date.data)),
               (form.minute_reference.label.text, str(payload["minute_reference"]))]
    if "reasons" in payload:
        answers.append((form.reasons.label.text, str(payload["reasons"])))
    if form.decision.data == "defer":
        answers.append((form.next_meeting_date.label.text,
                        day_text(form.next_meeting_date.data) if form.next_meeting_date.data else "Not known"))
    return render_template(
        "pdeg/check_board_decision.html", ratification=found, rec=rec, form=form, board=board, answers=answers,
        carried=_carried(), decision=form.decision.data, offer=_offered_dispute(),
        others=[r for r in queries.current_ratifications(rec)
                if r.id != found.id and r.state in states.board_undecided() | states.board_refused()],
    )


def _correction_check_page(found: Ratification, correction: CorrectionForm, fixed: dict[str, Any],
                           board: str) -> str:
    """Check the correction of a recorded decision: the record as it is, and as it will be."""
    def corrected(was: str, now: str) -> str:
        return f"{now} (unchanged)" if was == now else f"{was}, corrected to {now}"

    rec = found.recommendation
    answers = [("The decision", f"{rec.reference}: {rec.title}"),
               (correction.meeting_date.label.text,
                corrected(day_text(found.meeting_date) if found.meeting_date else "Not recorded",
                          day_text(fixed["meeting_date"]))),
               (correction.minute_reference.label.text,
                corrected(found.minute_reference or "None", single_line(fixed["minute_reference"]) or "None")),
               (correction.reason.label.text, fixed["reason"])]
    return render_template(
        "pdeg/check_board_decision.html", ratification=found, rec=rec, form=correction, board=board,
        answers=answers, carried=_carried(), decision="correct", offer=None, others=[],
    )


def _offered_dispute() -> dict[str, str] | None:
    """The dispute the agreement offers a party whose Board does not ratify (Scenario 2 in Devon)."""
    from govern.agreements import service

    definition = service.current().processes.get(service.offered_dispute() or "")
    if definition is None:
        return None
    return {"title": definition.filing.title if definition.filing else definition.title,
            "clause": definition.clause}


@bp.get("/ratifications/<int:ratification_id>/recorded")
@login_required
def board_decision_recorded(ratification_id: int) -> str:
    """The confirmation after a Board's decision (or its correction) is recorded: the reference, what
    happens next and by when, and the record."""
    found = _ratification_or_404(ratification_id)
    if found.meeting_date is None:
        abort(404)
    rec = found.recommendation
    forecast = board_forecast.for_decision(rec)
    return render_template(
        "pdeg/board_decision_recorded.html", ratification=found, rec=rec, board=found.organisation.board_name,
        corrected=request.args.get("corrected") == "1", offer=_offered_dispute(), forecast=forecast,
        next_meeting=board_forecast.next_meetings([found.organisation_id]).get(found.organisation_id),
        certificate=certificate_of(rec.id), state=queries.state_title(rec),
        meaning=states.board_meaning(found.state), all_ratified=rec.state in states.ratified_by_all(),
        board_titles=queries.BOARD_STATUS_TITLES, corrections=queries.corrections(found),
    )


# --- the ratification register -------------------------------------------------------------------------


@bp.get("/register")
@login_required
def register() -> str | tuple[str, int]:
    """Decisions by parties, each cell the Board's status; filtered by status, party, group and date."""
    form = RegisterFilterForm(request.args)
    form.status.choices = queries.register_status_choices()
    organisations = queries.organisations_by_name()
    form.party.choices = [("", "Any party")] + [(o.id, o.name) for o in organisations if o.is_party]
    form.group.choices = [("", "Any group"), *queries.groups_by_name()]
    valid = form.validate() if request.args else True
    filters = queries.RegisterFilters()
    if valid:
        filters = queries.RegisterFilters(
            status=form.status.data or "", party_id=form.party.data, group_id=form.group.data,
            date_from=form.date_from.data, date_to=form.date_to.data,
        )
    parties, page = queries.register(filters, request.args.get("after"), organisations, shown_only=True)
    return render_template(
        "pdeg/register.html", form=form, page=page, rows=page.items,
        register_rows=register_page.rows_markup(page.items, parties),
        may_raise=Recommendation.can_be_raised_by(current_user), filtered=bool(request.args),
        page_has_errors=not valid,
    ), (200 if valid else 400)

