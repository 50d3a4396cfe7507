"""The JSON API under ``/api/v1``: the same queries, access rules and operations as the pages.

Views load (404 if missing or not visible to the token's owner, as on the pages), check, call the
page's own query or operation, and answer JSON. A refusal is a problem detail (RFC 9457) with the
message and clause the page shows. Each request is authenticated by a personal access token and
counted against its rate limit before the view runs.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import raiseload, selectinload
from werkzeug.exceptions import HTTPException

from govern.api import actions, operations, schemas
from govern.api.spec import PROBLEM_TYPE, api, document, responses
from govern.cases.runner import RulesRefused
from govern.core import clock
from govern.core.errors import OperationError, StaleCase
from govern.deadlines import feed
from govern.deadlines.models import CaseDeadline
from govern.disputes import listing, presenters
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.notify.models import Notice
from govern.pdeg import queries
from govern.pdeg.models import AgendaItem, PdegMeeting, Ratification, Recommendation
from govern.security import ERROR_TITLES, csp_nonce
from govern.web import paging

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Endpoints anyone may read without a token: the API's own description.
PUBLIC_ENDPOINTS = frozenset({"api.openapi", "api.docs"})


class ApiProblem(Exception):
    """An answer that is a problem detail."""

    def __init__(self, status: int, detail: str = "", *, title: str | None = None, clause: str | None = None,
                 field: str | None = None, problems: list[schemas.ProblemItem] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.problem = schemas.Problem(title=title or ERROR_TITLES.get(status, "Sorry, there is a problem"),
                                       status=status, detail=detail, clause=clause, field=field,
                                       problems=problems or [])
        self.headers = headers or {}


def problem_response(problem: schemas.Problem, headers: dict[str, str] | None = None) -> Response:
    """A problem detail as the answer."""
    response = Response(problem.model_dump_json(), status=problem.status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem) -> Response:
    return problem_response(error.problem, error.headers)


@bp.errorhandler(HTTPException)
def _http_problem(error: HTTPException) -> Response:
    return http_problem(error)


def http_problem(error: HTTPException) -> Response:
    """Any HTTP error under /api/v1 as a problem detail (never the HTML error page)."""
    status = error.code or 500
    problem = schemas.Problem(title=ERROR_TITLES.get(status, error.name), status=status,
                              detail=error.description if status != 404 else "There is nothing here, or it is not "
                              "yours to see.")
    return problem_response(problem, {"WWW-Authenticate": "Bearer"} if status == 401 else None)


# --- tokens and rate limits ----------------------------------------------------------------------------


@bp.before_request
def _authenticate() -> None:
    """A usable token in ``Authorization: Bearer``, within its rate limit; its owner is the request's user."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = operations.token_for(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise ApiProblem(401, "Send a personal access token that is current: Authorization: Bearer <token>. "
                         "Make one under Your account, Personal access tokens.",
                         title="No valid token", headers={"WWW-Authenticate": 'Bearer realm="govern"'})
    counted = operations.count_request(token)
    if counted.exceeded:
        raise ApiProblem(429, f"This token may make {counted.limit} requests a window; try again in "
                         f"{counted.retry_after} seconds.", headers={"Retry-After": str(counted.retry_after)})
    g.api_token = token
    g._login_user = token.user  # Flask-Login's current user for this request only: no session is made


def _may_record() -> None:
    if not g.api_token.scope.may_record:
        raise ApiProblem(403, "This token may only read. Make a token that may also record your Board's "
                         "decisions.", title="This token may only read")


def _cursor(after: str | None, *shapes: tuple[type | str, ...]) -> str | None:
    """The cursor, if it reads as one this list gives; any other starts from the first page (as on the
    pages: a cursor that does not read is the first page, never an error)."""
    key = paging.decode(after)
    if key is None:
        return None
    for shape in shapes:
        if len(key) == len(shape) and all(
            value == kind if isinstance(kind, str) else
            isinstance(value, kind) and not (kind is int and isinstance(value, bool))
            for value, kind in zip(key, shape, strict=True)
        ):
            return after
    return None


TIME_ID = (datetime, int)


def _visible(model: type[Any], ident: int) -> Any:
    """The row if it exists and the token's owner may see it (its ``can_view``, as the page's loader
    asks), else 404: a private case's existence is not revealed."""
    found = db.session.get(model, ident)
    if found is None or not found.can_view(current_user):
        abort(404)
    return found


# --- decisions, Boards and the register (10.6) ---------------------------------------------------------


def _board(ratification: Ratification, organisation: Any) -> schemas.BoardOutcome:
    return schemas.BoardOutcome(
        ratification_id=ratification.id, organisation_code=organisation.code, organisation=organisation.name,
        board=organisation.board_name, state=str(ratification.state),
        status=queries.BOARD_STATUS_TITLES[ratification.state], meeting_date=ratification.meeting_date,
        minute_reference=ratification.minute_reference, version=ratification.lock_version,
    )


def _ratification(ratification: Ratification, organisation: Any, recommendation: Recommendation
                  ) -> schemas.Ratification:
    return schemas.Ratification(
        **_board(ratification, organisation).model_dump(), decision_id=recommendation.id,
        decision_reference=recommendation.reference, decision_title=recommendation.title,
        is_open=ratification.is_open, may_record=ratification.can_record(current_user),
    )


@bp.get("/register")
@api.validate(query=schemas.RegisterQuery, resp=responses(HTTP_200=schemas.RegisterPage), tags=["decisions"])
def register() -> schemas.RegisterPage:
    """The ratification register: each decision, newest first, with each Board's status (10.6)."""
    query: schemas.RegisterQuery = request.context.query  # type: ignore[attr-defined]
    filters = queries.RegisterFilters(status=query.status.value if query.status else "", party_id=query.party,
                                      group_id=query.group)
    _parties, page = queries.register(filters, _cursor(query.after, TIME_ID))
    items = []
    for row in page.items:
        rec = row.recommendation
        title, clause = queries.state_title(rec, row.cells.values(), row.organisations)
        organisations = row.organisations
        boards = sorted(row.cells.values(), key=lambda r: organisations[r.organisation_id].name)
        items.append(schemas.RegisterRow(
            id=rec.id, reference=rec.reference, title=rec.title, state=str(rec.state), status=title, clause=clause,
            raised_by=row.raised_by, is_variation=rec.is_variation, pdeg_meeting_date=rec.agenda_meeting_date,
            boards=[_board(r, organisations[r.organisation_id]) for r in boards],
        ))
    return schemas.RegisterPage(items=items, total=page.total, next_cursor=page.next_cursor)


@bp.get("/decisions/<int:decision_id>")
@api.validate(resp=responses(HTTP_200=schemas.Decision, HTTP_404=schemas.Problem), tags=["decisions"])
def decision(decision_id: int) -> schemas.Decision:
    """A decision: where it stands, each Board's outcome, and its journey with dates and clauses."""
    rec = _visible(Recommendation, decision_id)
    title, clause = queries.state_title(rec)
    return schemas.Decision(
        id=rec.id, reference=rec.reference, title=rec.title, summary=rec.summary,
        decision_sought=rec.decision_sought, state=str(rec.state), status=title, clause=clause,
        raised_by=queries.raised_by_text(rec), is_variation=rec.is_variation,
        amendment_version=rec.amendment_version, pdeg_meeting_date=rec.agenda_meeting_date,
        created_at=rec.created_at,
        boards=[_board(r, r.organisation) for r in queries.current_ratifications(rec)],
        journey=[schemas.JourneyStep(title=s.title, clause=s.clause, at=s.at, who=s.who,
                                     details=[schemas.JourneyDetail(label=k, value=v) for k, v in s.details])
                 for s in queries.journey(rec)],
        record_url=url_for("records.recommendation_record", recommendation_id=rec.id),
    )


@bp.get("/ratifications/<int:ratification_id>")
@api.validate(resp=responses(HTTP_200=schemas.Ratification, HTTP_404=schemas.Problem), tags=["decisions"])
def ratification(ratification_id: int) -> schemas.Ratification:
    """One Board's consideration of a decision, with the version to send back when recording it."""
    found = _visible(Ratification, ratification_id)
    return _ratification(found, found.organisation, found.recommendation)


@bp.post("/ratifications/<int:ratification_id>/decision")
@api.validate(json=schemas.BoardDecision,
              resp=responses(HTTP_200=schemas.Ratification, HTTP_403=schemas.Problem, HTTP_404=schemas.Problem,
                             HTTP_409=schemas.Problem, HTTP_415=schemas.Problem), tags=["decisions"])
def record_decision(ratification_id: int) -> schemas.Ratification:
    """The Board's secretary records what the Board decided: ratified, not ratified, or deferred (10.6).

    The same operation as the ratification page: a rule not met is a 422 with the page's message and
    clause; a ratification changed since ``expected_version`` is a 409 and nothing is recorded."""
    found = _visible(Ratification, ratification_id)
    body: schemas.BoardDecision | None = request.context.json  # type: ignore[attr-defined]
    if body is None:  # a form or other body SpecTree did not read as JSON
        raise ApiProblem(415, "Send the Board's decision as JSON (Content-Type: application/json).",
                         title="Send it as JSON")
    if not found.can_record(current_user):
        raise ApiProblem(403, "Only this party's Board secretary records its Board's decision.", clause="10.6")
    _may_record()
    payload: dict[str, object] = {"meeting_date": body.meeting_date, "minute_reference": body.minute_reference}
    if body.decision == "not_ratify":
        payload["reasons"] = body.reasons
    if body.decision == "defer":
        payload["next_meeting_date"] = body.next_meeting_date
    try:
        actions.act(found, current_user, body.decision, payload, expected_version=body.expected_version)
    except StaleCase as stale:
        db.session.rollback()
        raise ApiProblem(409, stale.message) from stale
    except RulesRefused as refused:
        db.session.rollback()
        raise ApiProblem(422, refused.message, title="The agreement's rules are not met", clause=refused.clause,
                         field=refused.field, problems=[schemas.ProblemItem(message=p.message, clause=p.clause,
                                                                            field=p.field)
                                                        for p in refused.problems]) from refused
    except OperationError as error:
        db.session.rollback()
        raise ApiProblem(422, error.message, title="That cannot be done", clause=error.clause,
                         field=error.field) from error
    db.session.commit()
    found = db.session.get(Ratification, ratification_id)
    assert found is not None
    return _ratification(found, found.organisation, found.recommendation)


@bp.get("/boards/awaiting")
@api.validate(query=schemas.PageQuery, resp=responses(HTTP_200=schemas.AwaitingPage, HTTP_403=schemas.Problem),
              tags=["decisions"])
def awaiting() -> schemas.AwaitingPage:
    """For a Board secretary: every agreed decision their Board must consider, oldest first."""
    if current_user.role.value != "board_secretary":
        raise ApiProblem(403, "Only a Board secretary has a Board's list.")
    query: schemas.PageQuery = request.context.query  # type: ignore[attr-defined]
    page = queries.awaiting_board_page(current_user.organisation_id, _cursor(query.after, TIME_ID))
    organisation = current_user.organisation
    return schemas.AwaitingPage(items=[_ratification(r, organisation, r.recommendation) for r in page.items],
                                total=page.total, next_cursor=page.next_cursor)


# --- PDEG meetings (10.5) -------------------------------------------------------------------------------


@bp.get("/pdeg/meetings")
@api.validate(query=schemas.MeetingQuery, resp=responses(HTTP_200=schemas.MeetingPage), tags=["pdeg"])
def meetings() -> schemas.MeetingPage:
    """PDEG's meetings: past ones, the most recent first, or upcoming ones, the soonest first."""
    query: schemas.MeetingQuery = request.context.query  # type: ignore[attr-defined]
    cursor = _cursor(query.after, (date, int))
    if query.when == "past":
        page = queries.past_meetings_page(cursor)
    else:
        upcoming = select(PdegMeeting).where(PdegMeeting.meeting_date >= clock.now().date())
        page = paging.keyset(upcoming.options(raiseload("*")), (PdegMeeting.meeting_date, PdegMeeting.id),
                             lambda m: (m.meeting_date, m.id), cursor=cursor)
    return schemas.MeetingPage(
        items=[schemas.Meeting(id=m.id, meeting_date=m.meeting_date, title=m.title) for m in page.items],
        total=page.total, next_cursor=page.next_cursor,
    )


@bp.get("/pdeg/meetings/<int:meeting_id>")
@api.validate(resp=responses(HTTP_200=schemas.MeetingDetail, HTTP_404=schemas.Problem), tags=["pdeg"])
def meeting(meeting_id: int) -> schemas.MeetingDetail:
    """A PDEG meeting's agenda, Part One then Part Two, with PDEG's outcome of each item."""
    found = _visible(PdegMeeting, meeting_id)
    items = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == found.id)
        .options(selectinload(AgendaItem.recommendation)).order_by(AgendaItem.part, AgendaItem.position, AgendaItem.id)
    )
    return schemas.MeetingDetail(
        id=found.id, meeting_date=found.meeting_date, title=found.title,
        items=[schemas.AgendaItem(
            decision_id=i.recommendation_id, decision_reference=i.recommendation.reference,
            decision_title=i.recommendation.title, part=i.part.value,
            outcome=i.outcome.value if i.outcome else None, outcome_title=i.outcome.title if i.outcome else None,
            minute_reference=i.minute_reference, reasons=i.reasons,
        ) for i in items],
    )


# --- disputes (clause 16, the agreement's processes) ----------------------------------------------------


def _step(step: Any) -> schemas.Step:
    return schemas.Step(step=step.step, title=step.title, clause=step.clause, roles=[str(r) for r in step.roles],
                        status=str(step.status), due_at=step.due_at, due_date=getattr(step, "due_date", None),
                        done_at=getattr(step, "done_at", None), deadline=getattr(step, "deadline_text", None))


@bp.get("/disputes")
@api.validate(query=schemas.DisputeQuery, resp=responses(HTTP_200=schemas.DisputePage), tags=["disputes"])
def disputes() -> schemas.DisputePage:
    """The disputes the token's owner may see (as on their dispute list), a page at a time."""
    query: schemas.DisputeQuery = request.context.query  # type: ignore[attr-defined]
    filters = listing.DisputeFilters(state=query.state or "open", scenario=query.scenario, party_id=query.party,
                                     due=query.due, sort=query.sort)
    shapes = [TIME_ID] if query.sort == "newest" else [("due", datetime, int), ("idle", int)]
    page = listing.disputes_page(current_user, filters, _cursor(query.after, *shapes), clock.now())
    return schemas.DisputePage(
        items=[schemas.DisputeRow(
            id=row.dispute.id, reference=row.dispute.reference, title=row.dispute.title,
            process=row.dispute.process_key, state=row.dispute.state, status=row.state_title,
            created_at=row.dispute.created_at, closed_at=row.dispute.closed_at,
            next_due_at=row.dispute.next_due_at, overdue=row.overdue, next_steps=[_step(n) for n in row.next],
        ) for row in page.items],
        total=page.total, next_cursor=page.next_cursor,
    )


@bp.get("/disputes/<int:dispute_id>")
@api.validate(resp=responses(HTTP_200=schemas.Dispute, HTTP_404=schemas.Problem), tags=["disputes"])
def dispute(dispute_id: int) -> schemas.Dispute:
    """A dispute: where it stands, its parties and panel, and every step with its clause and due date.
    Only its parties, its panel, the STP Leader and administrators see it; to anyone else it is a 404."""
    found = _visible(Dispute, dispute_id)
    view = presenters.view_of(found, current_user, clock.now())
    return schemas.Dispute(
        id=found.id, reference=found.reference, title=found.title, process=found.process_key, state=found.state,
        status=view.state_title, clause=view.state_clause, version=found.version, created_at=found.created_at,
        closed_at=found.closed_at,
        parties=[schemas.DisputeParty(organisation_code=p.organisation.code, organisation=p.organisation.name,
                                      filed=p.filed, respondent=p.respondent) for p in found.parties],
        panel=[m.organisation.name for m in found.active_panel],
        steps=[_step(s) for s in view.timeline], next_steps=[_step(n) for n in view.next],
        record_url=url_for("records.dispute_record", dispute_id=found.id),
        outcome=_outcome(found, view),
    )


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _outcome(found: Dispute, view: presenters.DisputeView) -> schemas.DisputeOutcome | None:
    """The outcome section of the dispute's page (:func:`presenters.outcome_of`) and the parties'
    responses, as that page shows them."""
    o = view.outcome or {}
    responses = [
        schemas.OutcomeResponse(organisation_code=p.organisation.code, organisation=p.organisation.name,
                                response=r.response.value, title=presenters.RESPONSE_TITLES[r.response.value],
                                responded_at=r.responded_at)
        for p in found.parties for r in found.responses if r.organisation_id == p.organisation_id]
    if not o and not responses:
        return None
    called, arranged, held = o.get("parties_called"), o.get("hearing_scheduled"), o.get("hearing_held")
    hearing = schemas.Hearing(
        called_at=called["at"] if called else None,
        arranged_for=_day(arranged.get("hearing_date")) if arranged else None,
        arrangements=str(arranged.get("arrangements") or "") if arranged else "",
        held_at=held["at"] if held else None,
        present=[view.organisations[int(i)].name for i in (held or {}).get("attended") or ()
                 if int(i) in view.organisations],
        absence_reason=str((held or {}).get("absence_reason") or ""),
        date_reason=str((held or {}).get("date_reason") or ""),
    ) if called or arranged or held else None
    decided, recommended = o.get("decision_presented"), o.get("recommendation_made")
    proposed = o.get("solution_proposed")
    return schemas.DisputeOutcome(
        hearing=hearing,
        panel_decision=schemas.PanelDecision(
            decided_at=decided["at"], decision=str(decided.get("decision") or ""),
            reasons=str(decided.get("reasons") or ""), delay_reason=str(decided.get("delay_reason") or ""),
        ) if decided else None,
        panel_recommendation=schemas.PanelRecommendation(
            made_at=recommended["at"], recommendation=str(recommended.get("recommendation") or ""),
            reasons=str(recommended.get("reasons") or ""),
        ) if recommended else None,
        proposal=schemas.Proposal(
            proposed_at=proposed["at"], outcome=str(proposed["outcome"]) if proposed.get("outcome") else None,
            outcome_title=str(proposed.get("outcome_label") or ""), proposal=str(proposed.get("proposal") or ""),
            reasons=str(proposed.get("reasons") or ""),
        ) if proposed else None,
        responses=responses,
    )


# --- the owner's own --------------------------------------------------------------------------------------


@bp.get("/me")
@api.validate(resp=responses(HTTP_200=schemas.Me), tags=["me"])
def me() -> schemas.Me:
    """Who the token acts as, and what it may do."""
    token = g.api_token
    return schemas.Me(name=current_user.name, email=current_user.email, role=current_user.role.value,
                      organisation_code=current_user.organisation.code, organisation=current_user.organisation.name,
                      token_scope=token.scope.value, token_expires_at=token.expires_at)


@bp.get("/me/todo")
@api.validate(query=schemas.PageQuery, resp=responses(HTTP_200=schemas.TodoPage), tags=["me"])
def todo() -> schemas.TodoPage:
    """The steps on which the token's owner must act, soonest first (as in their deadlines calendar)."""
    query: schemas.PageQuery = request.context.query  # type: ignore[attr-defined]
    found = feed.open_deadlines_query(current_user)
    if found is None:
        return schemas.TodoPage(items=[], total=0)
    page = paging.keyset(found.order_by(None), (CaseDeadline.due_at, CaseDeadline.id), lambda d: (d.due_at, d.id),
                         cursor=_cursor(query.after, TIME_ID))
    now = clock.now()
    return schemas.TodoPage(
        items=[schemas.TodoItem(case_kind=d.case_kind.value, case_id=d.case_id, reference=d.reference, title=d.title,
                                clause=d.clause, due_at=d.due_at, overdue=bool(d.due_at and d.due_at < now))
               for d in page.items],
        total=page.total, next_cursor=page.next_cursor,
    )


@bp.get("/me/notices")
@api.validate(query=schemas.PageQuery, resp=responses(HTTP_200=schemas.NoticePage), tags=["me"])
def notices() -> schemas.NoticePage:
    """The owner's notices, newest first."""
    query: schemas.PageQuery = request.context.query  # type: ignore[attr-defined]
    page = paging.keyset(select(Notice).where(Notice.user_id == current_user.id), (Notice.created_at, Notice.id),
                         lambda n: (n.created_at, n.id), descending=True, cursor=_cursor(query.after, TIME_ID))
    return schemas.NoticePage(
        items=[schemas.Notice(id=n.id, subject=n.subject, body=n.body,
                              case_kind=n.case_kind.value if n.case_kind else None, case_id=n.case_id, link=n.link,
                              created_at=n.created_at, read=n.read_at is not None) for n in page.items],
        total=page.total, next_cursor=page.next_cursor,
    )


# --- the API's description ------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document, generated from these views and their models."""
    return current_app.response_class(json.dumps(document()), mimetype="application/json")


@bp.get("/docs")
def docs() -> Response:
    """The API's documentation to browse and try (Swagger UI, served from here: no outside scripts)."""
    response = Response(render_template("api/docs.html"))
    # Swagger UI sets style attributes as it draws: allowed on this page only; scripts stay as strict.
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{csp_nonce()}'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
        "object-src 'none'"
    )
    return response
