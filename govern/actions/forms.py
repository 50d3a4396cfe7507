"""Forms for actions: the shape of what is typed; the rules are the operations'."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from govern.actions.models import ActionStatus
from govern.web.fields import NhsDateField


class ActionForm(FlaskForm):
    """A new action: what, who owns it, by when."""

    description = TextAreaField("What is to be done", validators=[Length(max=5000)])
    owner_email = StringField("Owner's email address", description="The person who will do it and keep its status.",
                              validators=[Length(max=320)])
    due_date = NhsDateField("Due date")


class StatusForm(FlaskForm):
    """The owner says where the action stands."""

    status = RadioField("Where does it stand?", choices=[(s.value, s.title) for s in ActionStatus],
                        validators=[Optional()])
    note = TextAreaField("Note", description="Needed if it is blocked: say what is blocking it.",
                         validators=[Length(max=5000)])
    expected_version = IntegerField(validators=[Optional()])


class ReviewForm(FlaskForm):
    """When the actions are to be reviewed."""

    review_date = NhsDateField("Review date")
