"""The form its owner makes a personal access token with."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length

from govern.api.models import TokenScope
from govern.web.fields import NhsDateField


class TokenForm(FlaskForm):
    """Name, scope and expiry of a new token."""

    name = StringField("Name", validators=[DataRequired("Give the token a name, such as the system that will use it"),
                                           Length(max=100, message="The name must be 100 characters or fewer")],
                       description="So you can tell your tokens apart, for example 'Board portal'.")
    scope = RadioField("What may it do?", choices=[(s.value, s.title) for s in TokenScope],
                       default=TokenScope.READ.value, validators=[DataRequired("Choose what the token may do")])
    expires_on = NhsDateField("Expiry date", description="The last day it works: a year from today at most. "
                              "For example, 27 3 2027")
