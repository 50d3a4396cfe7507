"""Forms for the register of interests: the shape of what is typed; the rules are the operations'."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from govern.web.fields import NhsDateField, int_or_none


class DeclarationForm(FlaskForm):
    """What the interest is, since when, until when."""

    description = TextAreaField("What the interest is", validators=[Length(max=5000)],
                                description="For example, a directorship, a shareholding, a contract or a close "
                                "relationship that could be seen to influence your decisions.")
    since = NhsDateField("Since")
    until = NhsDateField("Until (if it has ended)", description="Leave blank if it still holds.")
    for_organisation = BooleanField("Declare this for my organisation as a whole")


class EndForm(FlaskForm):
    """When an interest ended."""

    until = NhsDateField("When it ended")
    expected_version = IntegerField(validators=[Optional()])


class RegisterFilterForm(FlaskForm):
    """Filter the register by organisation."""

    class Meta:
        csrf = False

    organisation = SelectField("Organisation", coerce=int_or_none, validators=[Optional()])
