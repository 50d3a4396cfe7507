"""Working days in England and local dates in Europe/London (DOMAIN.md, "How deadlines are counted")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from workflows.calendar import (
    end_of_day,
    is_working_day,
    local_day,
    next_working_day,
    week_after,
    working_days_after,
    working_days_between,
)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2022, 6, 1), True),
        (date(2022, 6, 2), False),  # Spring bank holiday moved for the Platinum Jubilee
        (date(2022, 6, 3), False),  # Platinum Jubilee
        (date(2022, 9, 19), False),  # State funeral of Queen Elizabeth II
        (date(2022, 12, 26), False),  # Boxing Day
        (date(2022, 12, 27), False),  # Christmas Day (substitute)
        (date(2022, 12, 28), True),
        (date(2023, 1, 2), False),  # New Year's Day (substitute)
        (date(2023, 4, 7), False),  # Good Friday
        (date(2023, 4, 10), False),  # Easter Monday
        (date(2023, 4, 11), True),
        (date(2023, 5, 8), False),  # Coronation of King Charles III
        (date(2023, 3, 4), False),  # a Saturday
        (date(2023, 3, 6), True),
    ],
    ids=str,
)
def test_working_days_are_weekdays_except_english_bank_holidays(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2023, 6, 14, 23, 30, tzinfo=UTC), date(2023, 6, 15)),  # BST: already the next day
        (datetime(2023, 1, 11, 0, 30, tzinfo=UTC), date(2023, 1, 11)),  # GMT: the same day
        (datetime(2023, 3, 25, 23, 30, tzinfo=UTC), date(2023, 3, 25)),  # the night before clocks go forward
        (datetime(2023, 3, 26, 23, 30, tzinfo=UTC), date(2023, 3, 27)),  # first BST night
        (datetime(2023, 10, 28, 23, 30, tzinfo=UTC), date(2023, 10, 29)),  # last BST night
        (datetime(2023, 10, 29, 23, 30, tzinfo=UTC), date(2023, 10, 29)),  # first GMT night
    ],
    ids=str,
)
def test_local_day_is_the_date_in_london(moment: datetime, day: date) -> None:
    assert local_day(moment) == day


def test_local_day_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_day(datetime(2023, 6, 14, 23, 30))


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2022, 12, 22), 3, date(2022, 12, 29)),  # Fri 23, then 28 and 29 after Christmas
        (date(2022, 12, 23), 1, date(2022, 12, 28)),
        (date(2022, 5, 31), 3, date(2022, 6, 7)),  # over the Jubilee weekend
        (date(2023, 4, 6), 3, date(2023, 4, 13)),  # over Easter
        (date(2023, 3, 3), 3, date(2023, 3, 8)),  # from a Friday over a weekend
        (date(2023, 3, 4), 1, date(2023, 3, 6)),  # from a Saturday
        (date(2023, 3, 6), 0, date(2023, 3, 6)),
    ],
    ids=str,
)
def test_nth_working_day_after(start: date, n: int, due: date) -> None:
    assert working_days_after(start, n) == due


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (date(2023, 3, 1), date(2023, 3, 8)),
        (date(2022, 5, 26), date(2022, 6, 6)),  # Thu 2 and Fri 3 June 2022 are bank holidays
        (date(2022, 9, 12), date(2022, 9, 20)),  # the Queen's funeral
        (date(2022, 12, 19), date(2022, 12, 28)),  # Boxing Day and the substitute Christmas Day
        (date(2023, 3, 31), date(2023, 4, 11)),  # Good Friday, then Easter Monday
        (date(2023, 5, 1), date(2023, 5, 9)),  # the Coronation
        (date(2023, 3, 4), date(2023, 3, 13)),  # a Saturday event: a week later is Saturday
    ],
    ids=str,
)
def test_a_week_after_moves_to_the_next_working_day(start: date, due: date) -> None:
    assert week_after(start) == due


def test_end_of_day_is_london_midnight_less_a_second() -> None:
    assert end_of_day(date(2023, 6, 15)).astimezone(UTC) == datetime(2023, 6, 15, 22, 59, 59, tzinfo=UTC)
    assert end_of_day(date(2023, 1, 15)).astimezone(UTC) == datetime(2023, 1, 15, 23, 59, 59, tzinfo=UTC)


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert working_days_between(date(2022, 12, 23), date(2022, 12, 30)) == 3
    assert working_days_between(date(2023, 3, 6), date(2023, 3, 6)) == 0
    assert next_working_day(date(2022, 12, 24)) == date(2022, 12, 28)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        working_days_after(date(2023, 3, 1), -1)
