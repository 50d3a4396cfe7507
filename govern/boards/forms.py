"""The Board secretary's meeting form: only the shape of what is typed; the rules are the operation's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import Optional

from govern.web.fields import NhsDateField


class BoardMeetingForm(FlaskForm):
    """A Board meeting and the day its papers are due."""

    meeting_date = NhsDateField("Date of the Board meeting")
    papers_due = NhsDateField("Date papers are due",
                              description="The last day papers can go in for this meeting. For example, 27 3 2027")
    expected_version = IntegerField(validators=[Optional()])


class RemoveMeetingForm(FlaskForm):
    """Remove a meeting that has not taken place."""

    expected_version = IntegerField(validators=[Optional()])
