"""The form a Board secretary fills to ask for a Board pack."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from govern.web.fields import NhsDateField


class BoardPackForm(FlaskForm):
    """The Board meeting a pack is for."""

    meeting_date = NhsDateField("Date of the Board meeting")

    def validate_meeting_date(self, field: NhsDateField) -> None:
        """The three boxes must make a date."""
        if field.data is None and not field.process_errors:
            raise ValidationError("Enter the date of the Board meeting")
