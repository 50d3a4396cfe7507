"""Dates as messages say them: "Tue 1 Dec 2026", never ISO."""

from __future__ import annotations

from datetime import date


def day_words(day: date | None) -> str:
    """'Tue 1 Dec 2026' (empty for no date)."""
    if day is None:
        return ""
    return f"{day:%a} {day.day} {day:%b %Y}"
