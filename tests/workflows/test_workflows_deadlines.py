"""Every step's due date in every scenario, computed from the recorded events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.workflows.support import dispute
from workflows import Extension, registry
from workflows.calendar import end_of_day
from workflows.deadlines import StepStatus, next_steps, schedule
from workflows.roles import CaseRole


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=UTC)


LATER = at(2030, 1, 1)


def due_dates(process: str, events: dict[str, datetime], extensions: dict | None = None) -> dict[str, date | None]:
    rows = schedule(registry.get(process), events, extensions or {}, LATER)
    return {r.step: r.due_date for r in rows}


# (process, events, expected due dates of the steps with deadlines)
TIMETABLES = {
    "scenario 1 over Christmas 2022": (
        "scenario_1",
        {
            "notified": at(2022, 12, 19),
            "documentation_received": at(2022, 12, 22, 15),
            "panel_nominated": at(2022, 12, 23, 9),
            "hearing_held": at(2023, 1, 3, 14),
        },
        # step one: a week after Mon 19 Dec is Boxing Day, 27th is the substitute Christmas Day;
        # step two: 3 working days after Thu 22 Dec; step three: a week after the later (panel, 23 Dec);
        # step five: the day of the hearing.
        {
            "documentation": date(2022, 12, 28),
            "panel_nomination": date(2022, 12, 29),
            "hearing": date(2022, 12, 30),
            "decision": date(2023, 1, 3),
        },
    ),
    "scenario 1 panel at notification: hearing runs from the later documentation": (
        "scenario_1",
        {"notified": at(2023, 3, 1), "panel_nominated": at(2023, 3, 1, 11), "documentation_received": at(2023, 3, 7)},
        {
            "documentation": date(2023, 3, 8),
            "panel_nomination": date(2023, 3, 10),
            "hearing": date(2023, 3, 14),
            "decision": None,
        },
    ),
    "scenario 2 over the Platinum Jubilee": (
        "scenario_2",
        {"notified": at(2022, 5, 26, 9), "report_received": at(2022, 5, 31, 16)},
        {"report": date(2022, 6, 6), "panel_nomination": date(2022, 6, 7), "proposal": date(2022, 6, 7)},
    ),
    "scenario 3 over the Queen's funeral": (
        "scenario_3",
        {
            "notified": at(2022, 9, 5),
            "report_received": at(2022, 9, 12),
            "papers_released": at(2022, 9, 12, 16),
            "recommendation_made": at(2022, 9, 20),
        },
        {
            "report": date(2022, 9, 12),
            "panel_nomination": date(2022, 9, 15),
            "recommendation": date(2022, 9, 20),
            "proposal": date(2022, 9, 27),
        },
    ),
    "scenario 4 over Easter and the Coronation 2023": (
        "scenario_4",
        {
            "notified": at(2023, 3, 31),
            "report_received": at(2023, 4, 6, 12),
            "papers_released": at(2023, 5, 1),
            "recommendation_made": at(2023, 5, 2),
        },
        {
            "report": date(2023, 4, 11),
            "panel_nomination": date(2023, 4, 13),
            "recommendation": date(2023, 5, 9),
            "proposal": date(2023, 5, 9),
        },
    ),
    "scenario 2 notified at 23:30 UTC in summer counts from the next London day": (
        "scenario_2",
        {"notified": at(2023, 6, 14, 23, 30)},
        {"report": date(2023, 6, 22), "panel_nomination": None, "proposal": None},
    ),
    "scenario 3 notified at 00:30 UTC in winter counts from the same day": (
        "scenario_3",
        {"notified": at(2023, 1, 11, 0, 30)},
        {"report": date(2023, 1, 18), "panel_nomination": None, "recommendation": None, "proposal": None},
    ),
}


@pytest.mark.parametrize(("process", "events", "expected"), TIMETABLES.values(), ids=TIMETABLES.keys())
def test_due_dates_follow_from_the_events(process: str, events: dict, expected: dict) -> None:
    dates = due_dates(process, events)
    assert {k: dates[k] for k in expected} == expected


def test_scenario_2_panel_recommendation_has_no_timescale_in_the_mou() -> None:
    # Scenario 2, step three gives no timescale; step four runs from the report, not the recommendation.
    rows = {r.step: r for r in schedule(registry.get("scenario_2"), {"notified": at(2023, 3, 1)}, {}, LATER)}
    assert rows["recommendation"].due_date is None
    assert rows["proposal"].deadline_text == "Within one week of receipt of the written report"


def test_each_deadline_names_its_clause_and_the_mous_words() -> None:
    rows = {r.step: r for r in schedule(registry.get("scenario_1"), {}, {}, LATER)}
    assert rows["hearing"].deadline_clause == "Schedule 8, scenario 1, step three"
    assert "whichever is the later" in (rows["hearing"].deadline_text or "")
    assert rows["decision"].late_needs_reason


def test_correcting_an_event_moves_the_dates_after_it() -> None:
    before = due_dates("scenario_3", {"notified": at(2023, 3, 1), "report_received": at(2023, 3, 3)})
    after = due_dates("scenario_3", {"notified": at(2023, 3, 1), "report_received": at(2023, 3, 6)})
    assert (before["panel_nomination"], after["panel_nomination"]) == (date(2023, 3, 8), date(2023, 3, 9))
    assert before["report"] == after["report"]


def status(process: str, step: str, events: dict, now: datetime, extensions: dict | None = None):
    rows = schedule(registry.get(process), events, extensions or {}, now)
    return next(r for r in rows if r.step == step)


NOTIFIED = {"notified": at(2023, 3, 1)}  # report due Wed 8 March 2023 (GMT)


@pytest.mark.parametrize(
    ("events", "now", "expected"),
    [
        ({}, at(2023, 3, 1), StepStatus.NOT_YET_DUE),
        (NOTIFIED, at(2023, 3, 8, 23, 59), StepStatus.DUE),
        (NOTIFIED, at(2023, 3, 9, 0, 0), StepStatus.OVERDUE),
        ({**NOTIFIED, "report_received": at(2023, 3, 8, 23, 59)}, LATER, StepStatus.DONE_ON_TIME),
        ({**NOTIFIED, "report_received": at(2023, 3, 9, 0, 1)}, LATER, StepStatus.DONE_LATE),
    ],
    ids=["not yet notified", "last minute", "next day", "on the due day", "a minute late"],
)
def test_step_status(events: dict, now: datetime, expected: StepStatus) -> None:
    assert status("scenario_2", "report", events, now).status is expected


def test_due_moment_is_end_of_the_london_day() -> None:
    row = status("scenario_2", "report", {"notified": at(2023, 6, 1)}, at(2023, 6, 2))
    assert row.due_at == end_of_day(date(2023, 6, 8))
    assert row.due_at is not None and row.due_at.astimezone(UTC) == datetime(2023, 6, 8, 22, 59, 59, tzinfo=UTC)
    # In summer a report at 23:30 UTC on the due date is already the next London day: late.
    late = {"notified": at(2023, 6, 1), "report_received": at(2023, 6, 8, 23, 30)}
    assert status("scenario_2", "report", late, LATER).status is StepStatus.DONE_LATE


def test_panel_nominated_at_notification_is_on_time() -> None:
    events = {"notified": at(2023, 3, 1), "panel_nominated": at(2023, 3, 1, 11)}
    row = status("scenario_1", "panel_nomination", events, LATER)
    assert (row.status, row.due_date) == (StepStatus.DONE_ON_TIME, None)


def test_late_decision_is_done_late() -> None:
    events = {"hearing_held": at(2023, 3, 14, 14), "decision_presented": at(2023, 3, 15, 9)}
    assert status("scenario_1", "decision", events, LATER).status is StepStatus.DONE_LATE


def test_extension_replaces_the_due_date_and_shows_its_reason() -> None:
    extensions = {"report": Extension(date(2023, 3, 15), "Finance director on leave")}
    row = status("scenario_2", "report", NOTIFIED, at(2023, 3, 10), extensions)
    assert (row.due_date, row.status, row.extension_reason) == (
        date(2023, 3, 15),
        StepStatus.DUE,
        "Finance director on leave",
    )


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        schedule(registry.get("scenario_2"), {}, {}, datetime(2023, 3, 1))


def test_next_steps_say_who_must_act() -> None:
    facts = dispute(
        "scenario_2", "report_received", events={"notified": at(2023, 3, 1), "report_received": at(2023, 3, 2)}
    )
    steps = {s.step: s for s in next_steps(registry.get("scenario_2"), facts, at(2023, 3, 8, 12))}
    assert set(steps) == {"panel_nomination", "proposal"}
    assert steps["panel_nomination"].roles == (CaseRole.STP_LEADER,)
    assert steps["panel_nomination"].status is StepStatus.OVERDUE  # due Tue 7 March
    assert steps["proposal"].status is StepStatus.DUE
    closed = dispute("scenario_2", "closed", events=facts.events)
    assert next_steps(registry.get("scenario_2"), closed, at(2023, 3, 8)) == []


def test_due_dates_never_depend_on_now() -> None:
    events = {"notified": at(2023, 3, 1), "report_received": at(2023, 3, 2)}
    first = schedule(registry.get("scenario_4"), events, {}, at(2023, 3, 2))
    second = schedule(registry.get("scenario_4"), events, {}, at(2023, 3, 2) + timedelta(days=40))
    assert [r.due_date for r in first] == [r.due_date for r in second]
