"""Dispute pages: the list (the STP Lead's inbox), filing, the papers, the dispute and its actions.

Views load the dispute (404 if it is not theirs to see), check, build the form, call one operation,
commit and redirect. Which actions a person may take comes from the workflows engine.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from govern import cases
from govern.actions.queries import panel as follow_up_panel
from govern.agreements import service
from govern.attachments.queries import attachments_for
from govern.cases.models import CaseKind
from govern.cases.runner import RulesRefused
from govern.core import clock
from govern.core.errors import OperationError, StaleCase
from govern.disputes import listing, presenters
from govern.disputes import operations as ops
from govern.disputes.facts import definition_of, dispute_actor, dispute_facts
from govern.disputes.forms import (
    FileDisputeForm,
    material_form_class,
    process_form_class,
)
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.interests.queries import panel_extract as interests_extract
from govern.partnership.models import Organisation, Principle
from govern.pdeg.models import Recommendation
from govern.web.actions import (
    action_form_class,
    check_then_act,
    expected_version,
    payload_from,
    refusal_text,
    run,
    show_refusal,
)
from govern.web.urls import id_url_for
from workflows import CaseRole
from workflows import engine as wf_engine
from workflows.definitions import FieldKind
from workflows.rules import pack_digest

bp = Blueprint("disputes", __name__, url_prefix="/disputes")


def _dispute_or_404(dispute_id: int) -> Dispute:
    """The dispute, if the current user may see it; otherwise 404 so its existence is not revealed."""
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None or not dispute.can_view(current_user):
        abort(404)
    return dispute


@bp.get("")
@login_required
def index() -> str:
    """Disputes the user can see, a page at a time; for the STP Lead, every dispute, soonest step first."""
    args = request.args
    party = args.get("party", "")
    filters = listing.DisputeFilters(
        state=args.get("state") or "open", scenario=args.get("scenario", ""),
        party_id=int(party) if party.isdigit() else None, due=args.get("due", ""),
        sort=args.get("sort") or "due",
    )
    page = listing.disputes_page(current_user, filters, args.get("after"), clock.now())
    parties = db.session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name)).all()
    return render_template(
        "disputes/index.html", page=page, filters=filters, dispute_url=id_url_for("disputes.show", "dispute_id"),
        states=listing.state_choices(), scenarios=listing.scenario_choices(), parties=parties,
        filtered=any(args.get(k) for k in ("state", "scenario", "party", "due", "sort")),
        can_file=current_user.role.acts_for_organisation and current_user.organisation.is_party,
        is_leader=current_user.is_stp_leader,
    )


def _may_file() -> None:
    if not (current_user.role.acts_for_organisation and current_user.organisation.is_party):
        abort(403)


@bp.get("/new")
@login_required
def choose() -> str:
    """Which process fits: the agreement's plain-English guidance for each (Schedule 8; 16.2)."""
    _may_file()
    return render_template("disputes/choose.html", options=presenters.filing_options(),
                           prefill=request.args.get("decision", ""))


@bp.route("/new/<process_key>", methods=["GET", "POST"])
@login_required
def file(process_key: str) -> str | Response | tuple[str, int]:
    """File the dispute: filing is the notification, and the clock starts."""
    _may_file()
    option = presenters.filing_option(process_key)
    if option is None:
        abort(404)
    filing = option.definition.filing
    form = FileDisputeForm()
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    others = [(o.id, o.name) for o in organisations if o.is_party and o.id != current_user.organisation_id]
    form.other_party_ids.choices = others
    form.respondent_ids.choices = others
    decisions = db.session.scalars(
        select(Recommendation)
        .where(Recommendation.state.in_(Recommendation.decided_states()))
        .order_by(Recommendation.created_at.desc())
    ).all() if filing.decision is not None else []
    form.decision_id.choices = [("", "Choose a decision")] + [(r.id, f"{r.reference}: {r.title}") for r in decisions]
    if request.method == "GET" and request.args.get("decision"):
        match = next((r for r in decisions if r.reference == request.args["decision"]), None)
        if match is not None:
            form.decision_id.data = match.id
        else:
            form.decision_reference.data = request.args["decision"][:300]
    # The operation runs even when the form has its own errors, so every problem shows at once (the
    # form's and the agreement's); anything it stored is rolled back unless all is well.
    valid = form.validate_on_submit()
    if form.is_submitted() and not getattr(getattr(form, "csrf_token", None), "errors", None):
        try:
            dispute = _file(process_key, form, filing)
        except RulesRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                _attach(form, OperationError(problem.message, clause=problem.clause, field=problem.field),
                        once=True)
        except OperationError as error:
            db.session.rollback()
            _attach(form, error, once=True)
        else:
            if not valid:
                db.session.rollback()
        if valid and not any(f.errors for f in form) and not form.form_errors:
            if request.form.get("confirmed") != "1" or request.form.get("change") == "1":
                # Filing is irreversible: nothing is kept until the person has checked the answers.
                db.session.rollback()
                if request.form.get("change") != "1":
                    return _filing_check_page(option, form, filing)
            else:
                db.session.commit()
                flash(f"Dispute {dispute.reference} filed. {presenters.who_was_told(dispute.definition)} "
                      "been notified and the clock has started.", "success")
                return redirect(url_for("disputes.confirmed", dispute_id=dispute.id, trigger="notify"))
    status = 400 if form.is_submitted() and request.form.get("change") != "1" else 200
    return render_template("disputes/file.html", form=form, option=option, filing=filing,
                           leader=option.definition.role_name("stp_leader"),
                           bespoke=process_key == service.BESPOKE), status


def _filing_check_page(option: Any, form: FileDisputeForm, filing: Any) -> str:
    """Check your answers before filing: what the form says, in words, on the one generic check page."""
    def names(field: Any) -> str:
        labels = {v: label for v, label in field.choices or []}
        return ", ".join(str(labels.get(v, v)) for v in field.data or []) or "None"

    answers = [("What the dispute is about", option.title), (form.title.label.text, form.title.data or "")]
    if filing.other_parties:
        answers.append((filing.other_parties.label, names(form.other_party_ids)))
    if filing.respondents:
        answers.append((filing.respondents.label, names(form.respondent_ids)))
    if filing.decision is not None:
        decision = dict(form.decision_id.choices or []).get(form.decision_id.data) if form.decision_id.data else None
        answers.append((filing.decision.label, str(decision or form.decision_reference.data or "")))
    answers.append(("Negotiation in good faith tried first (16.1)", "Yes" if form.negotiation_attempted.data else "No"))
    answers.append((form.negotiation_account.label.text, form.negotiation_account.data or ""))
    carried = [(k, v) for k, v in request.form.items(multi=True) if k not in ("confirmed", "change", "csrf_token")]
    return render_template(
        "disputes/check.html", dispute=None, info={"trigger": "notify", "label": "File the dispute",
                                                   "clause": filing.clause, "fields": True},
        form=form, answers=answers, carried=carried, label="file the dispute", outcome=None,
        post_url=url_for("disputes.file", process_key=option.key), caption=option.definition.title,
        back_url=url_for("disputes.choose"))


def _file(process_key: str, form: FileDisputeForm, filing: Any) -> Dispute:
    def organisations(ids: list[int] | None) -> list[Organisation]:
        return [o for o in (db.session.get(Organisation, i) for i in ids or []) if o is not None]

    reference = ""
    decision_id = None
    if filing.decision is not None:
        decision = db.session.get(Recommendation, form.decision_id.data) if form.decision_id.data else None
        reference = decision.reference if decision else (form.decision_reference.data or "").strip()
        decision_id = decision.id if decision else None
    return ops.file_dispute(
        current_user,
        process_key=process_key,
        title=form.title.data or "",
        negotiation_attempted=bool(form.negotiation_attempted.data),
        negotiation_account=form.negotiation_account.data or "",
        other_parties=organisations(form.other_party_ids.data) if filing.other_parties else [],
        respondents=organisations(form.respondent_ids.data) if filing.respondents else [],
        decision_reference=reference,
        decision_recommendation_id=decision_id,
    )


@bp.get("/<int:dispute_id>")
@login_required
def show(dispute_id: int) -> str:
    """The dispute: where it stands, who must act next, every step with its clause and due date."""
    dispute = _dispute_or_404(dispute_id)
    view = presenters.view_of(dispute, current_user, clock.now())
    return render_template("disputes/show.html", v=view, who=presenters.who, tags=presenters.STATUS_TAGS,
                           response_titles=presenters.RESPONSE_TITLES,
                           headings=presenters.material_headings(view.definition, dispute),
                           attachments=attachments_for(CaseKind.DISPUTE, dispute.id) if view.papers_visible else [],
                           can_attach=dispute.can_attach(current_user),
                           follow_up=follow_up_panel(dispute, current_user))


@bp.route("/<int:dispute_id>/papers", methods=["GET", "POST"])
@login_required
def papers(dispute_id: int) -> str | Response | tuple[str, int]:
    """The written material under the MoU's headings: saved as a draft, then submitted (or, in
    Scenario 1, agreed by both parties and submitted)."""
    dispute = _dispute_or_404(dispute_id)
    if not dispute.can_view_papers(current_user):
        abort(404)
    definition = definition_of(dispute)
    headings = presenters.material_headings(definition, dispute)
    principles_required = bool(definition.params.get("principles_required"))
    principles = db.session.scalars(select(Principle).order_by(Principle.id)).all() if principles_required else []
    form_class = material_form_class(headings, [(p.code, f"{p.code}: {p.text}") for p in principles])
    form = form_class()
    roles = dispute_actor(dispute, current_user).roles
    editable = CaseRole.PARTY in roles and definition.material_open(dispute.state)
    if request.method == "GET":
        form.version.data = str(dispute.version)
        texts = {m.key: m.text for m in dispute.material}
        for key, _title, _guidance in headings:
            getattr(form, f"h_{key}").data = texts.get(key, "")
        if principles:
            form.principles.data = [p.code for p in dispute.principles]
    if request.method == "POST":
        if not editable:
            flash("The papers can no longer be changed: they have been sent.", "error")
            return redirect(url_for("disputes.show", dispute_id=dispute.id))
        if form.validate_on_submit():
            texts = {key: getattr(form, f"h_{key}").data or "" for key, _t, _g in headings}
            version = form.version.data
            try:
                ops.save_written_material(dispute, current_user, texts,
                                          form.principles.data if principles else None,
                                          expected_version=int(version) if (version or "").isdigit() else None)
            except StaleCase:
                # Someone else saved first: keep what this person typed, show the saved text beside it,
                # and let the next save (after merging) go through on the version now shown.
                db.session.rollback()
                conflicts = presenters.material_conflicts(dispute, headings, texts)
                form.version.data = str(dispute.version)
                form.form_errors.append(
                    "These papers have changed since you opened them: your text is kept below. Compare it with "
                    "the saved version beside each heading, merge the two, then save again.")
                return render_template(
                    "disputes/papers.html", dispute=dispute, form=form, headings=headings, editable=editable,
                    definition=definition, principles=principles, can_submit=False, can_agree=False,
                    pack_agreed_by=_agreed_as_it_stands(dispute), conflicts=conflicts,
                    material_clause=definition.params.get("material_clause", definition.clause),
                    send_label=_label(definition, str(definition.material_trigger)),
                    accounts=presenters.accounts_of(dispute),
                ), 409
            except OperationError as error:
                db.session.rollback()
                form.form_errors.append(error.message)
            else:
                db.session.commit()
                form.version.data = str(dispute.version)  # the page shown next is of the papers as saved
                intent = request.form.get("intent", "save")
                if intent == "save":
                    flash("Draft saved. Nothing has been sent yet.", "success")
                    return redirect(url_for("disputes.papers", dispute_id=dispute.id))
                trigger = str(definition.material_trigger) if intent == "submit" else "agree_pack"
                try:
                    if intent == "submit" and any(t.confirm for t in definition.transitions_for(trigger)):
                        # Sending is irreversible: problems show here, beside the headings; if none, the
                        # person checks the papers and confirms on the check page.
                        cases.check(dispute, current_user, trigger, {})
                        return redirect(url_for("disputes.action", dispute_id=dispute.id, trigger=trigger))
                    cases.act(dispute, current_user, trigger, {})
                except RulesRefused as refused:
                    db.session.rollback()
                    show_refusal(form, refused, _heading_aliases(headings))
                except OperationError as error:
                    db.session.rollback()
                    form.form_errors.append(_error_text(error))
                else:
                    db.session.commit()
                    flash("You have agreed the documentation as it stands." if trigger == "agree_pack" else
                          f"{_label(definition, trigger)}: done.", "success")
                    return redirect(url_for("disputes.show", dispute_id=dispute.id))
    available = {t.trigger for t in wf_engine.available(definition, dispute_facts(dispute),
                                                        dispute_actor(dispute, current_user), clock.now())}
    status = 400 if (form.errors or form.form_errors) else 200
    return render_template(
        "disputes/papers.html", dispute=dispute, form=form, headings=headings, editable=editable,
        definition=definition, principles=principles, can_submit=definition.material_trigger in available,
        can_agree="agree_pack" in available, pack_agreed_by=_agreed_as_it_stands(dispute), conflicts={},
        material_clause=definition.params.get("material_clause", definition.clause),
        send_label=_label(definition, str(definition.material_trigger)),
        accounts=presenters.accounts_of(dispute),
    ), status


def _agreed_as_it_stands(dispute: Dispute) -> list[int]:
    """Parties whose agreement is to the pack as it now stands (an edit since means agreeing again)."""
    digest = pack_digest({m.key: m.text for m in dispute.material})
    return [a.organisation_id for a in dispute.pack_agreements if a.digest == digest]


def _heading_aliases(headings: list[tuple[str, str, str]]) -> dict[str, str]:
    """A rule about a heading speaks of its key; the papers form names the box ``h_<key>``."""
    return {key: f"h_{key}" for key, _title, _guidance in headings}


@bp.route("/<int:dispute_id>/process", methods=["GET", "POST"])
@login_required
def set_out_process(dispute_id: int) -> str | Response | tuple[str, int]:
    """The STP Lead sets out the process for a dispute no scenario fits (16.2)."""
    dispute = _dispute_or_404(dispute_id)
    if not dispute.can_set_out_process(current_user):
        abort(403)
    shapes = presenters.bespoke_shapes(dispute)
    form = process_form_class(shapes)()
    organisations = {o.id: o for o in db.session.scalars(select(Organisation).order_by(Organisation.name))}
    form.respondent_ids.choices = [(o.id, o.name) for o in organisations.values()
                                   if o.is_party and o.id not in dispute.party_ids]
    if request.method == "GET":
        form.expected_version.data = str(dispute.version)
        stored = dispute.bespoke_spec or {}
        form.shape.data = stored.get("shape")
        for step, deadline in (stored.get("deadlines") or {}).items():
            name = f"{stored.get('shape')}__{step}"
            if hasattr(form, f"unit_{name}"):
                getattr(form, f"unit_{name}").data = deadline["unit"]
                getattr(form, f"amount_{name}").data = deadline.get("amount")
    if form.validate_on_submit():
        chosen = next(s for s in shapes if s.key == form.shape.data)
        deadlines = {step.key: (getattr(form, f"amount_{chosen.key}__{step.key}").data or 0,
                                getattr(form, f"unit_{chosen.key}__{step.key}").data) for step in chosen.steps}
        named = [organisations[i] for i in form.respondent_ids.data or [] if i in organisations]
        done = run(form, lambda: ops.set_out_process(dispute, current_user, chosen.key, deadlines,
                                                     expected_version=expected_version(form) or dispute.version,
                                                     respondents=named),
                   stale_url=url_for("disputes.show", dispute_id=dispute.id))
        if done.stale:
            return done.stale
        if done.ok:
            flash("The process for this dispute is set out. The parties see its steps and deadlines"
                  + (f"; {', '.join(o.name for o in named)} are now parties and have been told." if named else "."),
                  "success")
            return redirect(url_for("disputes.show", dispute_id=dispute.id))
    status = 400 if form.is_submitted() else 200
    return render_template("disputes/process.html", dispute=dispute, form=form, shapes=shapes,
                           leader=dispute.definition.role_name("stp_leader")), status


@bp.route("/<int:dispute_id>/actions/<trigger>", methods=["GET", "POST"])
@login_required
def action(dispute_id: int, trigger: str) -> str | Response | tuple[str, int]:
    """One action on the dispute, with the fields the MoU's step asks for."""
    dispute = _dispute_or_404(dispute_id)
    definition = definition_of(dispute)
    facts = dispute_facts(dispute)
    actor = dispute_actor(dispute, current_user)
    offered = {t.trigger: t for t in wf_engine.available(definition, facts, actor, clock.now())}
    info = offered.get(trigger)
    if info is None:
        if trigger not in definition.triggers:
            abort(404)
        flash("That action is no longer available: someone may have acted first. Here is where the dispute "
              "stands now.", "info")
        return redirect(url_for("disputes.show", dispute_id=dispute.id))
    org_choices, hints = _org_choices(dispute, info.fields)
    form = action_form_class(info.fields, org_choices, presenters.step_choices(dispute, info.fields, clock.now()))()
    # An irreversible step (the agreement marks it ``confirm``): the answers are checked first, then
    # confirmed; the person lands on a confirmation page.
    needs_check = any(t.confirm for t in definition.transitions_for(trigger))
    if request.method == "GET":
        form.expected_version.data = str(dispute.version)
        for key, text in presenters.last_answers(dispute, trigger, current_user.organisation_id).items():
            getattr(form, key).data = text
        if needs_check and not info.fields:
            return _check_page(dispute, info, form)
    changing = request.form.get("change") == "1"
    if not changing and form.validate_on_submit() and not _unoffered_panel(form, dispute, trigger, org_choices):
        expected = int(form.expected_version.data or dispute.version)
        payload = payload_from(form, info.fields)
        here = url_for("disputes.show", dispute_id=dispute.id)
        if needs_check:
            answer = check_then_act(
                form, request.form.get("confirmed") == "1", stale_url=here,
                check=lambda: cases.check(dispute, current_user, trigger, payload, expected),
                act=lambda: cases.act(dispute, current_user, trigger, payload, expected),
                check_page=lambda: _check_page(dispute, info, form),
                done_url=lambda: url_for("disputes.confirmed", dispute_id=dispute.id, trigger=trigger))
            if answer is not None:
                return answer
        else:
            done = run(form, lambda: cases.act(dispute, current_user, trigger, payload, expected), stale_url=here)
            if done.stale:
                return done.stale
            if done.ok:
                flash(f"{info.label}: done.", "success")
                return redirect(here)
    status = 400 if form.is_submitted() and not changing else 200
    return render_template("disputes/action.html", dispute=dispute, info=info, form=form, hints=hints,
                           FieldKind=FieldKind, fields=info.fields, **interests_extract(form)), status


def _check_page(dispute: Dispute, info: Any, form: Any) -> str:
    """Check your answers before an irreversible step: each field's answer in words (or, for sending the
    papers, the papers as written), what is being accepted, and the posted answers carried in hidden
    fields so "Confirm" takes the step and "Change" goes back to the form with them."""
    definition = definition_of(dispute)
    answers = presenters.answers(form, info.fields)
    if not info.fields and str(definition.material_trigger) == info.trigger:
        texts = {m.key: m.text for m in dispute.material}
        answers = [(title, texts.get(key, "")) for key, title, _g in presenters.material_headings(definition, dispute)]
        if dispute.principles:
            answers.append(("Schedule 3 principles cited", ", ".join(p.code for p in dispute.principles)))
    carried = [(k, v) for k, v in request.form.items(multi=True) if k not in ("confirmed", "change", "csrf_token")]
    if not any(k == "expected_version" for k, _ in carried):
        carried.append(("expected_version", str(dispute.version)))
    label = info.label[:1].lower() + info.label[1:]
    return render_template("disputes/check.html", dispute=dispute, info=info, form=form, answers=answers,
                           carried=carried, label=label, outcome=presenters.outcome_of(dispute),
                           leader=definition.role_name("stp_leader"))


@bp.get("/<int:dispute_id>/confirmed/<trigger>")
@login_required
def confirmed(dispute_id: int, trigger: str) -> str:
    """The confirmation page after an irreversible step: the reference, what happens next and by when,
    and the record."""
    dispute = _dispute_or_404(dispute_id)
    definition = definition_of(dispute)
    if trigger not in definition.triggers:
        abort(404)
    view = presenters.view_of(dispute, current_user, clock.now())
    return render_template("disputes/confirmed.html", v=view, label=_label(definition, trigger), who=presenters.who)


#: Fields that name organisations for the panel; any other organisation field names parties.
PANEL_FIELDS = frozenset({"organisation_ids", "replacement"})


def _org_choices(dispute: Dispute, fields: Any) -> tuple[dict[str, list[tuple[int, str]]], dict[int, str]]:
    """Organisations each of an action's fields may name, with hints (e.g. each panel candidate's other
    involvement): panel candidates for the panel's fields, the current members for the one being
    replaced, the dispute's parties for any other."""
    keys = {f.key for f in fields if f.kind in (FieldKind.ORG_ID, FieldKind.ORG_IDS)}
    if not keys:
        return {}, {}
    found: dict[str, list[tuple[int, str]]] = {}
    hints: dict[int, str] = {}
    if keys & PANEL_FIELDS:
        candidates = presenters.panel_candidates(dispute)
        members = {m.organisation_id for m in dispute.active_panel}
        hints = {o.id: hint for o, hint in candidates}
        for key in keys & PANEL_FIELDS:
            found[key] = [(o.id, o.name) for o, _ in candidates if o.id not in members]
    for key in keys - PANEL_FIELDS:
        found[key] = ([(m.organisation_id, m.organisation.name) for m in dispute.active_panel] if key == "replace"
                      else [(p.organisation_id, p.organisation.name) for p in dispute.parties])
    return found, hints


def _unoffered_panel(form: Any, dispute: Dispute, trigger: str, choices: dict[str, list[tuple[int, str]]]
                     ) -> bool:
    """Organisations named for the panel that the page did not offer, each refused with the reason
    (so one posted anyway is never nominated, e.g. Scenario 4's organisation whose practice changed)."""
    if not hasattr(form, "organisation_ids"):
        return False
    offered = {value for value, _label in choices.get("organisation_ids", [])}
    refused = [o for o in (form.organisation_ids.data or []) if o not in offered]
    for organisation_id in refused:
        form.organisation_ids.errors = [*form.organisation_ids.errors,
                                        presenters.why_not_on_panel(dispute, organisation_id)]
    return bool(refused)


def _error_text(error: OperationError) -> str:
    return refusal_text(error.message, error.clause)


def _attach(form: Any, error: OperationError, once: bool = False) -> None:
    """Show ``error`` beside its field (``once``: unless the field already shows a problem)."""
    field = getattr(form, error.field, None) if error.field else None
    text = _error_text(error)
    if field is not None:
        if once and field.errors:
            return
        field.errors = [*field.errors, text]
    else:
        form.form_errors.append(text)


def _label(definition: Any, trigger: str) -> str:
    """The agreement's words for an action ("Submit the written report to the STP Leader")."""
    found = definition.transitions_for(trigger)
    return found[0].label if found else trigger.replace("_", " ")
