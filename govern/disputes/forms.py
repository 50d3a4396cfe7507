"""Forms for disputes. Action forms are built from the workflows' field specs, so a new step or a
bespoke process needs no new form code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from govern.web.fields import MultiCheckboxField, NhsDateField
from govern.web.fields import int_or_none as _int_or_none
from workflows.definitions import FieldKind, FieldSpec

LONDON = ZoneInfo("Europe/London")


class FileDisputeForm(FlaskForm):
    """Notify a dispute (Schedule 8 preamble; 16.1): who brings it, who is on the other side, the decision."""

    title = StringField(
        "A short title for the dispute",
        description="For example, 'Location of the hyper-acute stroke unit'.",
        validators=[DataRequired("Give the dispute a short title"), Length(max=200)],
    )
    negotiation_attempted = BooleanField(
        "We have tried to resolve this by negotiation in good faith, and it has failed"
    )
    negotiation_account = TextAreaField(
        "How you tried to resolve it",
        description="A short account of the negotiation: who met, when, and what was not agreed.",
        validators=[DataRequired("Give a short account of the negotiation you tried"), Length(max=5000)],
    )
    other_party_ids = MultiCheckboxField("The other organisation bringing the dispute", coerce=int,
                                         validators=[Optional()])
    respondent_ids = MultiCheckboxField("The organisation on the other side", coerce=int, validators=[Optional()])
    decision_id = SelectField("The decision, from the decisions register", coerce=_int_or_none,
                              validators=[Optional()])
    decision_reference = StringField(
        "Or the reference of a decision made before this system",
        description="The document that contains the decision, or the recommendation it was made on.",
        validators=[Optional(), Length(max=300)],
    )


UNITS = [("weeks", "weeks"), ("working_days", "working days"), ("calendar_days", "calendar days"),
         ("same_day", "on the day or as soon as possible"), ("none", "no deadline")]


def process_form_class(titles: dict[str, str]) -> type:
    """The STP Leader's choice of steps for a bespoke process: for each kind (``titles``: kind -> the
    agreement's words for it), whether it is used and its timescale from the step before it."""

    class ProcessForm(FlaskForm):
        expected_version = HiddenField()

    for kind, title in titles.items():
        setattr(ProcessForm, f"use_{kind}", BooleanField(title))
        setattr(ProcessForm, f"amount_{kind}", IntegerField(f"{title}: how many", default=1,
                                                            validators=[Optional(), NumberRange(0, 52)]))
        setattr(ProcessForm, f"unit_{kind}", SelectField(f"{title}: counted in", choices=UNITS, default="weeks"))
    return ProcessForm


def material_form_class(keys: Sequence[tuple[str, str, str]], principle_choices: Sequence[tuple[str, str]]) -> type:
    """A form with one text area per heading ``(key, label, guidance)`` and the principles' checkboxes."""

    class MaterialForm(FlaskForm):
        version = HiddenField()

    for key, label, guidance in keys:
        setattr(MaterialForm, f"h_{key}", TextAreaField(label, description=guidance,
                                                        validators=[Optional(), Length(max=20000)]))
    if principle_choices:
        MaterialForm.principles = MultiCheckboxField(  # type: ignore[attr-defined]
            "Schedule 3 principles not adhered to", choices=list(principle_choices), validators=[Optional()]
        )
    return MaterialForm


def action_form_class(fields: Sequence[FieldSpec], org_choices: Any,
                      choice_labels: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> type:
    """A form for one action, from its field specs (kinds: text, date, datetime, bool, org(s), choice).

    ``org_choices``: the organisations offered, one list for every organisation field or a mapping of
    field key -> list. ``choice_labels``: a choice field's options as this case offers them (field key
    -> (value, label)), e.g. only the steps not yet done, each with its current due date.
    """

    class ActionForm(FlaskForm):
        expected_version = HiddenField()

    for spec in fields:
        own = org_choices.get(spec.key, []) if isinstance(org_choices, Mapping) else org_choices
        required = [InputRequired(f"Enter {spec.label.lower()}")] if spec.required else [Optional()]
        field: Any
        match spec.kind:
            case FieldKind.TEXT:
                field = TextAreaField(spec.label, validators=[*required, Length(max=20000)])
            case FieldKind.DATE:
                field = NhsDateField(spec.label, validators=[*required] if spec.required else [Optional()])
            case FieldKind.DATETIME:
                field = DateTimeLocalField(spec.label, format="%Y-%m-%dT%H:%M", validators=[Optional()]
                                           if not spec.required else required)
            case FieldKind.BOOL:
                field = RadioField(spec.label, choices=[("yes", "Yes"), ("no", "No")],
                                   validators=[InputRequired(f"Answer: {spec.label.lower()}")]
                                   if spec.required else [Optional()])
            case FieldKind.ORG_ID:
                field = SelectField(spec.label, coerce=_int_or_none,
                                    choices=[("", "Choose an organisation"), *own],
                                    validators=[DataRequired(f"Choose {spec.label.lower()}")]
                                    if spec.required else [Optional()])
            case FieldKind.ORG_IDS:
                # Not limited to the choices offered, so naming another organisation is refused with the
                # reason and its clause (a party on its own panel, 16.2; a withdrawn party, 15), not with
                # a bare "not a valid choice" (the view and the MoU's rules say why).
                field = MultiCheckboxField(spec.label, coerce=int, choices=list(own),
                                           validators=[Optional()], validate_choice=False)
            case FieldKind.CHOICE:
                offered = (choice_labels or {}).get(spec.key)
                field = RadioField(spec.label, choices=list(offered) if offered is not None
                                   else [(c, spec.choice_label(c)) for c in spec.choices],
                                   validators=[InputRequired(f"Choose {spec.label.lower()}")]
                                   if spec.required else [Optional()])
            case _:  # pragma: no cover - a new kind must be added here
                raise ValueError(f"unknown field kind {spec.kind}")
        setattr(ActionForm, spec.key, field)
    return ActionForm


def payload_from(form: Any, fields: Sequence[FieldSpec]) -> dict[str, object]:
    """The form's answers as the engine's payload."""
    payload: dict[str, object] = {}
    for spec in fields:
        value = getattr(form, spec.key).data
        if spec.kind is FieldKind.BOOL:
            value = {"yes": True, "no": False}.get(value) if value else None
        if spec.kind is FieldKind.DATETIME and isinstance(value, datetime) and value.tzinfo is None:
            # A datetime-local box holds London wall-clock time; the engine needs an aware moment.
            value = value.replace(tzinfo=LONDON)
        if value in (None, "", []):
            continue
        payload[spec.key] = value
    return payload
