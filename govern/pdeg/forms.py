"""Forms for recommendations, PDEG meetings and Board ratifications.

The forms check only the shape of what is typed (a real date, a choice from the list, lengths).
Whether a field is needed, and every other rule, is the workflow's: its refusals come back from
the operation with the field they concern and are shown beside it.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from govern.pdeg.models import AgendaOutcome, AgendaPart
from govern.web.fields import MultiCheckboxField, NhsDateField
from govern.web.fields import int_or_none as _int_or_none


class RecommendationForm(FlaskForm):
    """Raise a recommendation for PDEG, or record a decision taken under delegation (Schedule 4)."""

    kind = RadioField(
        "What are you raising?",
        choices=[("recommendation", "A recommendation to PDEG"),
                 ("variation", "A variation of the MoU (clause 17.2)")],
        default="recommendation",
        validators=[DataRequired("Say whether this is a recommendation or a variation of the MoU")],
    )
    title = StringField("Title", validators=[Length(max=200, message="The title must be 200 characters or fewer")])
    summary = TextAreaField(
        "Summary",
        description="Sufficient information to inform PDEG's decision making (Schedule 4).",
        validators=[Length(max=20000)],
    )
    decision_sought = TextAreaField("The decision sought", validators=[Length(max=5000)])
    affected = MultiCheckboxField(
        "The parties it affects",
        coerce=int,
        description="Each party's Board must ratify the decision once PDEG agrees it (clause 10.6). "
        "A variation of the MoU affects every party (clause 17.2).",
    )
    within_delegation = RadioField(
        "Is this within the delegated powers of the group's members?",
        choices=[("no", "No: send it to PDEG"), ("yes", "Yes: record it as decided by the group")],
        default="no",
        description="Decisions within the members' delegated powers need no PDEG recommendation "
        "(Schedule 4, Delegation).",
        validators=[Optional()],
    )
    delegation_basis = TextAreaField(
        "Why this is within the delegated powers of the group's members", validators=[Length(max=5000)]
    )


class DraftForm(FlaskForm):
    """What the holder of a draft writes for PDEG before raising it (Schedule 4)."""

    title = StringField("Title", validators=[Length(max=200, message="The title must be 200 characters or fewer")])
    summary = TextAreaField(
        "Summary",
        description="Sufficient information to inform PDEG's decision making (Schedule 4). PDEG reads only "
        "what you write here.",
        validators=[Length(max=20000)],
    )
    decision_sought = TextAreaField("The decision sought", validators=[Length(max=5000)])
    affected = MultiCheckboxField(
        "The parties it affects",
        coerce=int,
        description="Each party's Board must ratify the decision once PDEG agrees it (clause 10.6).",
    )
    expected_version = IntegerField(validators=[Optional()])


class MeetingForm(FlaskForm):
    """Schedule a PDEG meeting (10.5)."""

    meeting_date = NhsDateField("Date of the meeting")
    title = StringField(
        "Title",
        default="Partnership Delivery Executive Group",
        validators=[DataRequired("Give the meeting a title"), Length(max=200)],
    )
    place = StringField("Where it meets (optional)", validators=[Length(max=200)])

    def validate_meeting_date(self, field: NhsDateField) -> None:
        """The three boxes must make a date."""
        if field.data is None and not field.process_errors:
            raise ValidationError("Enter the date of the meeting")


class AgendaForm(FlaskForm):
    """Put a raised recommendation on a meeting's agenda."""

    recommendation_id = SelectField(
        "Recommendation", coerce=_int_or_none, validators=[DataRequired("Choose a recommendation")]
    )
    part = RadioField(
        "Part of the agenda",
        choices=[(AgendaPart.ONE.value, "Part One"), (AgendaPart.TWO.value, "Part Two (assurance and delivery)")],
        default=AgendaPart.ONE.value,
        validators=[DataRequired("Choose Part One or Part Two")],
    )


class OutcomeForm(FlaskForm):
    """PDEG's outcome for one agenda item (10.6)."""

    outcome = RadioField(
        "What did PDEG decide?",
        choices=[(o.value, o.title) for o in AgendaOutcome],
        validators=[DataRequired("Choose what PDEG decided")],
    )
    amendment = TextAreaField("The amendment", validators=[Length(max=10000)])
    minute_reference = StringField("PDEG minute reference", validators=[Length(max=120)])
    reasons = TextAreaField("Reasons", validators=[Length(max=10000)])
    minutes = TextAreaField("Minutes of the item", validators=[Length(max=20000)])
    expected_version = IntegerField(validators=[Optional()])


class CancelForm(FlaskForm):
    """Cancel a PDEG meeting, with the reason."""

    reason = TextAreaField("Why is the meeting cancelled?", validators=[Length(max=5000)])
    expected_version = IntegerField(validators=[Optional()])


class DeclarationForm(FlaskForm):
    """An interest declared at a PDEG meeting: at its start, or on one item."""

    person = StringField("Who declared it", validators=[Length(max=200)])
    organisation_id = SelectField("For which party (optional)", coerce=_int_or_none, validators=[Optional()])
    item_id = SelectField("When", coerce=_int_or_none, validators=[Optional()])
    interest = TextAreaField("The interest declared", validators=[Length(max=5000)])


class RatificationForm(FlaskForm):
    """A Board's decision on a PDEG decision (10.6)."""

    decision = RadioField(
        "What did the Board decide?",
        choices=[("ratify", "Ratified"), ("not_ratify", "Not ratified"), ("defer", "Deferred to a later meeting")],
        validators=[DataRequired("Choose what the Board decided")],
    )
    meeting_date = NhsDateField("Board meeting date")
    minute_reference = StringField("Minute reference", validators=[Length(max=120)])
    reasons = TextAreaField("Reasons the Board gave", validators=[Length(max=10000)])
    next_meeting_date = NhsDateField("Next meeting date (optional)")
    expected_version = IntegerField(validators=[Optional()])


class CorrectionForm(FlaskForm):
    """The Board secretary corrects a recorded decision's meeting date or minute, with the reason (10.6)."""

    meeting_date = NhsDateField("Board meeting date")
    minute_reference = StringField("Minute reference", validators=[Length(max=120)])
    reason = TextAreaField("Why the record is corrected", validators=[Length(max=5000)])
    expected_version = IntegerField(validators=[Optional()])


def in_the_boards_words(form: FlaskForm, board: str) -> FlaskForm:
    """A party whose Board has its own name (a council's Cabinet, a CCG's Governing Body): the form says it."""
    if board != "Board":
        for field in form:
            field.label.text = field.label.text.replace("Board", board)
            if getattr(field, "choices", None) and field.type == "RadioField":
                field.choices = [(value, label.replace("Board", board)) for value, label in field.choices]
    return form


def errors_in_the_boards_words(form: FlaskForm, board: str) -> FlaskForm:
    """The form's messages in the Board's own name (validators are shared by every form: never change them)."""
    if board != "Board":
        for field in form:
            if isinstance(field.errors, list):
                field.errors = [str(e).replace("Board", board) for e in field.errors]
    return form


class RegisterFilterForm(FlaskForm):
    """Filters for the ratification register (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField("Status", validators=[Optional()])
    party = SelectField("Party", coerce=_int_or_none, validators=[Optional()])
    group = SelectField("Raised by group", coerce=_int_or_none, validators=[Optional()])
    date_from = NhsDateField("PDEG meeting on or after")
    date_to = NhsDateField("PDEG meeting on or before")


__all__ = [
    "AgendaForm",
    "DraftForm",
    "MeetingForm",
    "NhsDateField",
    "OutcomeForm",
    "RatificationForm",
    "RecommendationForm",
    "RegisterFilterForm",
]
