"""Working-day arithmetic for MoU deadlines.

The MoU gives its timescales in weeks and working days but says nothing about how to count them; the
house conventions (DOMAIN.md, "How deadlines are counted") are implemented here: dates are local dates
in Europe/London, a working day is Monday to Friday except bank holidays in England (substitute and
one-off days included, from the maintained ``holidays`` library), and a deadline is the end of its day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")

__all__ = [
    "ENGLAND",
    "LONDON",
    "WorkingCalendar",
    "bank_holidays",
    "end_of_day",
    "is_working_day",
    "local_day",
    "next_working_day",
    "week_after",
    "working_days_after",
    "working_days_between",
]


def local_day(moment: datetime) -> date:
    """Return the Europe/London calendar date of an aware ``moment``.

    Naive datetimes are refused: the app stores UTC, and guessing a zone would silently move an event
    recorded near midnight onto the wrong day.
    """
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError("local_day() needs a timezone-aware datetime")
    return moment.astimezone(LONDON).date()


@lru_cache(maxsize=64)
def _holidays_in(year: int) -> frozenset[date]:
    # One year per cache entry: deadlines cluster around a handful of years, and a frozenset keeps
    # lookups cheap and the cached value immutable.
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(calendar.keys())


def bank_holidays(year: int) -> frozenset[date]:
    """Bank holidays in England in ``year``, including substitute ("observed") and one-off days."""
    return _holidays_in(year)


def is_working_day(day: date) -> bool:
    """True if ``day`` is Monday to Friday and not a bank holiday in England."""
    return day.weekday() < 5 and day not in _holidays_in(day.year)


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    candidate = day + timedelta(days=1)
    while not is_working_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def working_days_after(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``n == 0`` returns ``day`` itself)."""
    if n < 0:
        raise ValueError("n must not be negative")
    current = day
    for _ in range(n):
        current = next_working_day(current)
    return current


def week_after(day: date, weeks: int = 1) -> date:
    """``day`` plus ``weeks`` weeks, moved to the next working day if that day is not one."""
    if weeks < 0:
        raise ValueError("weeks must not be negative")
    target = day + timedelta(weeks=weeks)
    return target if is_working_day(target) else next_working_day(target)


def working_days_between(start: date, end: date) -> int:
    """How many working days fall after ``start`` up to and including ``end`` (0 if end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def end_of_day(day: date) -> datetime:
    """23:59:59 on ``day`` in Europe/London, timezone-aware: the moment a deadline on that day passes."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=LONDON)


@lru_cache(maxsize=256)
def _region_holidays(country: str, subdiv: str | None, year: int) -> tuple[tuple[date, str], ...]:
    return tuple(sorted(holidays.country_holidays(country, subdiv=subdiv, years=year).items()))


@dataclass(frozen=True)
class WorkingCalendar:
    """An agreement's calendar: its time zone, the holiday region and the name it gives a working day.

    Devon's MoU is counted in England (``GB``/``ENG``) and Europe/London; another agreement may name
    its days "Business Days" or sit in Wales.  The arithmetic is the house convention (DOMAIN.md).
    """

    time_zone: str = "Europe/London"
    country: str = "GB"
    subdivision: str | None = "ENG"
    working_day_name: str = "working day"

    @property
    def zone(self) -> ZoneInfo:
        """The time zone as a ``ZoneInfo``."""
        return ZoneInfo(self.time_zone)

    def holiday_names(self, year: int) -> dict[date, str]:
        """The public holidays of ``year`` in this region, with their names."""
        return dict(_region_holidays(self.country, self.subdivision, year))

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday on ``day``, or None."""
        return self.holiday_names(day.year).get(day)

    def local_day(self, moment: datetime) -> date:
        """The local calendar date of an aware ``moment`` (naive datetimes are refused)."""
        if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
            raise ValueError("local_day() needs a timezone-aware datetime")
        return moment.astimezone(self.zone).date()

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a public holiday in the region."""
        return day.weekday() < 5 and day not in self.holiday_names(day.year)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def working_days_after(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day``."""
        if n < 0:
            raise ValueError("n must not be negative")
        current = day
        for _ in range(n):
            current = self.next_working_day(current)
        return current

    def on_or_next_working_day(self, day: date) -> date:
        """``day`` if it is a working day, else the next one (how weeks and calendar days end)."""
        return day if self.is_working_day(day) else self.next_working_day(day)

    def end_of_day(self, day: date) -> datetime:
        """23:59:59 local time on ``day``: the moment a deadline on that day passes."""
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.zone)


#: Devon's calendar, and the default: England's bank holidays, Europe/London.
ENGLAND = WorkingCalendar()
