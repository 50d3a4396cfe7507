"""Forms for managing accounts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from govern.auth.models import Role
from govern.web.fields import int_or_none as _int_or_none


class AccountForm(FlaskForm):
    """Add or change an account."""

    name = StringField("Full name", validators=[DataRequired("Enter the person's full name"), Length(max=120)])
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter an email address"),
            # test_environment: addresses at .test (the demo's) are reserved but valid for us.
            Email("Enter an email address in the correct format, like name@example.nhs.uk", test_environment=True),
            Length(max=254),
        ],
    )
    job_title = StringField("Job title (optional)", validators=[Optional(), Length(max=120)])
    organisation_id = SelectField(
        "Organisation", coerce=_int_or_none, validators=[DataRequired("Choose the organisation")]
    )
    role = SelectField(
        "Role",
        choices=[(role.value, role.title) for role in Role],
        validators=[DataRequired("Choose a role")],
    )
    group_id = SelectField("Subordinate group (for a chair)", coerce=_int_or_none, validators=[Optional()])


class StpLeaderForm(FlaskForm):
    """Move the STP Leader role (clause 6.3)."""

    user_id = SelectField("Who becomes STP Leader", coerce=_int_or_none, validators=[DataRequired("Choose a person")])
    authority = StringField(
        "PDEG authority",
        description="The PDEG process that agreed the change, for example its minute reference (clause 6.3).",
        validators=[DataRequired("Give the PDEG authority for the change"), Length(max=300)],
    )
