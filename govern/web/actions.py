"""One way for a page to take an action: a form built from the step's field specs, and one helper that
runs the operation, commits once, and puts each refusal beside the field it is about.

Disputes, recommendations, ratifications and every other feature's pages use these, so a new step in an
agreement file needs no form code, and every page refuses the same way: the rule's message, its clause,
and the organisations it names in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from flask import flash, redirect
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateTimeLocalField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from govern.core.errors import OperationError, StaleCase
from govern.extensions import db
from govern.web.fields import MultiCheckboxField, NhsDateField, int_or_none
from workflows.definitions import FieldKind, FieldSpec

LONDON = ZoneInfo("Europe/London")
#: Fields short enough for one line (a minute reference), not a text area.
ONE_LINE = frozenset({"minute_reference"})
_ORGANISATION_ID = re.compile(r"\b[Oo]rganisation (\d+)\b")

T = TypeVar("T")


def _field(spec: FieldSpec, org_choices: Any, choice_labels: Mapping[str, Sequence[tuple[str, str]]]) -> Any:
    if isinstance(org_choices, Mapping):
        org_choices = org_choices.get(spec.key, [])
    required = [InputRequired(f"Enter {spec.label.lower()}")] if spec.required else [Optional()]
    match spec.kind:
        case FieldKind.TEXT if spec.key in ONE_LINE:
            return StringField(spec.label, validators=[*required, Length(max=120)])
        case FieldKind.TEXT:
            return TextAreaField(spec.label, validators=[*required, Length(max=20000)], description=spec.hint)
        case FieldKind.DATE:
            return NhsDateField(spec.label, validators=[*required] if spec.required else [Optional()])
        case FieldKind.DATETIME:
            return DateTimeLocalField(spec.label, format="%Y-%m-%dT%H:%M", validators=required)
        case FieldKind.BOOL:
            return RadioField(spec.label, choices=[("yes", "Yes"), ("no", "No")],
                              validators=[InputRequired(f"Answer: {spec.label.lower()}")] if spec.required
                              else [Optional()])
        case FieldKind.ORG_ID:
            return SelectField(spec.label, coerce=int_or_none, choices=[("", "Choose an organisation"), *org_choices],
                               validators=[DataRequired(f"Choose {spec.label.lower()}")] if spec.required
                               else [Optional()])
        case FieldKind.ORG_IDS:
            # Not limited to the choices offered, so naming another organisation is refused by the rule
            # with its reason and clause (a party on its own panel, a withdrawn party), not "not a valid choice".
            return MultiCheckboxField(spec.label, coerce=int, choices=list(org_choices), validators=[Optional()],
                                      validate_choice=False)
        case FieldKind.CHOICE:
            offered = choice_labels.get(spec.key)
            return RadioField(spec.label, choices=list(offered) if offered is not None
                              else [(c, spec.choice_label(c)) for c in spec.choices],
                              validators=[InputRequired(f"Choose {spec.label.lower()}")] if spec.required
                              else [Optional()])
    raise ValueError(f"unknown field kind {spec.kind}")  # pragma: no cover - a new kind must be added here


def action_form_class(fields: Sequence[FieldSpec], org_choices: Any = (),
                      choice_labels: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> type[FlaskForm]:
    """A form class for one action, from its field specs, with the version of the case the page showed.

    ``org_choices``: the organisations offered, one list for every organisation field or a mapping of
    field key -> list. ``choice_labels``: a choice field's options as this case offers them (field key ->
    (value, label)), e.g. only the steps not yet done, each with its current due date.
    """

    class ActionForm(FlaskForm):
        expected_version = HiddenField()

    for spec in fields:
        setattr(ActionForm, spec.key, _field(spec, org_choices, choice_labels or {}))
    return ActionForm


def action_form(trigger: str, fields: Sequence[FieldSpec], formdata: Any = None,
                org_choices: Sequence[tuple[int, str]] = ()) -> FlaskForm:
    """A form for one of several actions on one page: prefixed with its trigger so their ids never clash."""
    form_class = action_form_class(fields, org_choices)
    form = form_class(formdata=formdata, prefix=trigger) if formdata is not None else form_class(prefix=trigger)
    form.trigger = trigger  # type: ignore[attr-defined]
    return form


def payload_from(form: Any, fields: Sequence[FieldSpec]) -> dict[str, object]:
    """The form's answers as the engine's payload (unanswered optional fields left out)."""
    payload: dict[str, object] = {}
    for spec in fields:
        value = getattr(form, spec.key).data
        if spec.kind is FieldKind.BOOL:
            value = {"yes": True, "no": False}.get(value) if value else None
        if spec.kind is FieldKind.DATETIME and isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=LONDON)  # a datetime-local box holds London wall-clock time
        if value in (None, "", []):
            continue
        payload[spec.key] = value
    return payload


def expected_version(form: Any) -> int | None:
    """The version of the case the person's page showed (None if the form carries none)."""
    field = getattr(form, "expected_version", None)
    try:
        return int(field.data) if field is not None and field.data not in (None, "") else None
    except (TypeError, ValueError):
        return None


def in_words(text: str) -> str:
    """A rule's message with organisations named: the workflows speak of ``organisation 8``."""
    if not _ORGANISATION_ID.search(text):
        return text
    from govern.partnership.models import Organisation

    names = {i: n for i, n in db.session.execute(select(Organisation.id, Organisation.name))}
    return _ORGANISATION_ID.sub(lambda m: names.get(int(m.group(1)), m.group(0)), text)


def refusal_text(message: str, clause: str | None) -> str:
    """The message with the clause behind it: "(clause 16.2)", or "(Schedule 4)"."""
    if clause:
        message += f" (clause {clause})" if clause[0].isdigit() else f" ({clause})"
    return in_words(message)


def show_refusal(form: Any, error: OperationError, aliases: Mapping[str, str] | None = None) -> None:
    """Each problem beside its field (``aliases`` maps the rule's field to the form's), or at the top."""
    problems = getattr(error, "problems", None)
    pairs = [(p.message, p.clause, p.field) for p in problems] if problems else \
        [(error.message, error.clause, error.field)]
    for message, clause, key in pairs:
        text = refusal_text(message, clause)
        name = (aliases or {}).get(key or "", key or "")
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, text] if isinstance(field.errors, list) else [text]
        else:
            form.form_errors.append(text)


@dataclass
class Attempt(Generic[T]):
    """What came of running an operation for a page: ``ok`` and its value, or a redirect because the
    case changed under the person (``stale``), or refusals already placed on the form."""

    ok: bool
    value: T | None = None
    stale: Response | None = None


def check_then_act(form: Any, confirmed: bool, *, check: Callable[[], object], act: Callable[[], object],
                   stale_url: str, check_page: Callable[[], Any], done_url: Callable[[], str]) -> Any:
    """Check your answers, then the confirmation: before ``confirmed``, ask the operation's rules without
    acting (``check``) and show ``check_page``; once confirmed, ``act`` and go to ``done_url``. Returns
    the response, or None when refused (the refusals are on ``form``: show it again)."""
    attempt = run(form, act if confirmed else check, stale_url=stale_url, commit=confirmed)
    if attempt.stale:
        return attempt.stale
    if not attempt.ok:
        return None
    return redirect(done_url()) if confirmed else check_page()


def run(form: Any, operation: Callable[[], T], *, stale_url: str,
        aliases: Mapping[str, str] | None = None, commit: bool = True) -> Attempt[T]:
    """Run ``operation`` in the request's transaction and commit once if it succeeds (``commit=False``
    for a check that changes nothing, before a check-your-answers page).

    ``form`` is None for a button with no fields: a refusal is then flashed.
    A refusal rolls everything back and is shown beside its field; a lost race ("this case has
    changed") rolls back and sends the person to where the case stands now. What they typed stays in
    the form, so nothing they submitted is lost.
    """
    try:
        value = operation()
    except StaleCase as stale:
        db.session.rollback()
        flash(stale.message, "info")
        return Attempt(False, stale=redirect(stale_url))
    except OperationError as error:
        db.session.rollback()
        if form is None:  # a button, not a form: the refusal goes at the top of the page it returns to
            flash(refusal_text(error.message, error.clause), "error")
        else:
            show_refusal(form, error, aliases)
        return Attempt(False)
    if commit:
        db.session.commit()
    return Attempt(True, value)
