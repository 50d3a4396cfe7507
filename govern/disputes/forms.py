"""Forms for disputes. Action forms are built from the workflows' field specs, so a new step or a
bespoke process needs no new form code."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from govern.web.fields import MultiCheckboxField
from govern.web.fields import int_or_none as _int_or_none

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
