"""Form fields every feature shares: dates in three boxes, checkbox lists, optional ids."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import Field, SelectMultipleField
from wtforms.utils import unset_value
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


def int_or_none(value: object) -> int | None:
    """A select's value as an id, or None for the empty choice (or anything that is not a number)."""
    try:
        return int(value) if value not in (None, "", "None") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class NhsDateField(Field):
    """A date typed in three boxes (day, month, year), as the NHS design system asks.

    Reads ``<name>[day]``, ``<name>[month]`` and ``<name>[year]``; keeps what was typed when it is
    not a real date, so the user can correct it.
    """

    type = "NhsDateField"

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.parts: dict[str, str] = {"day": "", "month": "", "year": ""}

    def process_formdata(self, valuelist: list[Any]) -> None:  # pragma: no cover - see process()
        pass

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        """Take the three parts from the form, or the date given as data."""
        self.process_errors = []
        if data is None or data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.data = data
        if isinstance(self.data, date):
            self.parts = {"day": str(self.data.day), "month": str(self.data.month), "year": str(self.data.year)}
        if formdata is None:
            return
        keys = {part: f"{self.name}[{part}]" for part in ("day", "month", "year")}
        if not any(key in formdata for key in keys.values()):
            return
        self.raw_data = [formdata.get(key, "") for key in keys.values()]
        self.parts = {part: (formdata.get(key) or "").strip() for part, key in keys.items()}
        self.data = None
        if not any(self.parts.values()):
            return
        try:
            self.data = date(int(self.parts["year"]), int(self.parts["month"]), int(self.parts["day"]))
        except (TypeError, ValueError):
            self.process_errors.append(f"{self.label.text} must be a real date, like 27 3 2026")
            return
        if self.data.year < 2000:
            self.data = None
            self.process_errors.append(f"{self.label.text} must have a year of four figures, like 2026")

    def _value(self) -> str:
        return self.data.isoformat() if isinstance(self.data, date) else ""


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        """Only choices from the list (unless built with ``validate_choice=False``)."""
        if not self.validate_choice:
            return
        values = {str(value) for value, *_ in self.iter_choices()}
        for chosen in self.data or []:
            if str(chosen) not in values:
                raise ValidationError("Choose parties from the list")
