"""Forms for disputes: filing, the papers and setting out a process. Each step's own form is built from
its field specs by ``govern.web.actions``, so a new step needs no form code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from govern.web.fields import MultiCheckboxField
from govern.web.fields import int_or_none as _int_or_none


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


def process_form_class(shapes: Sequence[Any]) -> type:
    """The STP Leader's choice for a process set out (16.2): one of the agreement's shapes (``key``,
    ``label``, ``steps``) and, for each of its steps with a deadline, how many and counted in what."""

    class ProcessForm(FlaskForm):
        expected_version = HiddenField()
        shape = RadioField("Which process fits the circumstances of the dispute?",
                           choices=[(s.key, s.label) for s in shapes],
                           validators=[InputRequired("Choose the process that fits the dispute")])
        respondent_ids = MultiCheckboxField("The other organisation or organisations in the dispute", coerce=int,
                                            validators=[Optional()], validate_choice=False)

    for shape in shapes:
        for step in shape.steps:
            name = f"{shape.key}__{step.key}"
            setattr(ProcessForm, f"amount_{name}", IntegerField(f"{step.title}: how many", default=step.amount,
                                                                validators=[Optional(), NumberRange(0, 52)]))
            setattr(ProcessForm, f"unit_{name}", SelectField(f"{step.title}: counted in", choices=UNITS,
                                                             default=step.unit))
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
