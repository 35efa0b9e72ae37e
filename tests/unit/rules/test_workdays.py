"""Working-day arithmetic against hand-checked State Council holiday schedules."""

from __future__ import annotations

from datetime import date

import pytest

from govmon.rules.instants import date_of_day, day_from_date
from govmon.rules.workdays import (
    CalendarGapError,
    WorkCalendar,
    YearSchedule,
    coverage_warning,
    load_calendar,
    parse_overrides,
)
from tests.unit.rules.builders import calendar


def add(start: date, count: int, cal: WorkCalendar | None = None) -> date:
    return date_of_day((cal or calendar()).add_working_days(day_from_date(start), count))


def test_make_up_saturday_before_national_day_2017_counts() -> None:
    # 国办发明电〔2016〕5号: 10月1日至8日放假, 9月30日(星期六)上班.
    assert add(date(2017, 9, 29), 1) == date(2017, 9, 30)
    assert add(date(2017, 9, 29), 2) == date(2017, 10, 9)
    assert add(date(2017, 9, 30), 1) == date(2017, 10, 9)


def test_fifteen_days_across_national_day_2017() -> None:
    # Sep 30 (1), Oct 9-13 (2-6), 16-20 (7-11), 23-26 (12-15).
    assert add(date(2017, 9, 29), 15) == date(2017, 10, 26)


def test_spring_festival_2017() -> None:
    # 1月27日至2月2日放假; 1月22日(星期日)、2月4日(星期六)上班.
    assert add(date(2017, 1, 20), 1) == date(2017, 1, 22)
    # Jan 22-26 (1-5), Feb 3 (6), Feb 4 (7), Feb 6-10 (8-12), Feb 13-15 (13-15).
    assert add(date(2017, 1, 20), 15) == date(2017, 2, 15)


def test_spring_festival_2018() -> None:
    # 2月15日至21日放假; 2月11日(星期日)、2月24日(星期六)上班.
    assert add(date(2018, 2, 9), 1) == date(2018, 2, 11)
    # Feb 11-14 (1-4), 22-24 (5-7), 26-28 (8-10), Mar 1-2 (11-12), Mar 5-7 (13-15).
    assert add(date(2018, 2, 9), 15) == date(2018, 3, 7)


def test_new_year_2018_crossing() -> None:
    # 2017-12-30 to 2018-01-01 off.
    assert add(date(2017, 12, 29), 1) == date(2018, 1, 2)


def test_count_and_back() -> None:
    cal = calendar()
    sep29, oct9 = day_from_date(date(2017, 9, 29)), day_from_date(date(2017, 10, 9))
    assert cal.count_working_days(sep29, oct9) == 2  # Sep 30 and Oct 9
    assert cal.count_working_days(oct9, sep29) == 0
    assert date_of_day(cal.nth_working_day_back(oct9, 1)) == date(2017, 10, 9)
    assert date_of_day(cal.nth_working_day_back(oct9, 2)) == date(2017, 9, 30)
    assert cal.is_working_day(day_from_date(date(2017, 9, 30)))
    assert not cal.is_working_day(day_from_date(date(2017, 10, 2)))


def test_a_2031_date_is_a_clear_error_naming_year_and_override_file() -> None:
    with pytest.raises(CalendarGapError) as info:
        add(date(2031, 3, 3), 1)
    message = str(info.value)
    assert "2031" in message and "calendar_overrides.toml" in message
    assert info.value.year == 2031


def test_counting_into_an_uncovered_year_names_that_year() -> None:
    cal = WorkCalendar([YearSchedule(2017, frozenset(), frozenset())],
                       override_file="x/overrides.toml")
    with pytest.raises(CalendarGapError, match=r"2018.*x/overrides\.toml"):
        add(date(2017, 12, 28), 3, cal)


def test_override_file_adds_a_year() -> None:
    text = """
[years.2031]
source = "test schedule"
holidays = [2031-01-01, 2031-01-02]
workdays = [2031-01-04]
"""
    cal = load_calendar(text, "test/overrides.toml")
    # 2031-01-01 Wed and 01-02 Thu off, Sat 01-04 a make-up working day.
    assert add(date(2031, 1, 1), 1, cal) == date(2031, 1, 3)
    assert add(date(2031, 1, 3), 1, cal) == date(2031, 1, 4)
    assert cal.covers(2031) and cal.covers(2017)


@pytest.mark.parametrize(("text", "field"), [
    ("[years.2031]\nholidays = [2031-01-01]", "years.2031.source"),
    ("[years.2031]\nsource = 's'\nholidays = ['2031-01-01']", "years.2031.holidays"),
    ("[years.2031]\nsource = 's'\nworkdays = [2030-01-01]", "years.2031.workdays"),
    ("[years.abc]\nsource = 's'", "years.abc"),
])
def test_broken_override_names_file_and_field(text: str, field: str) -> None:
    with pytest.raises(ValueError, match=f"overrides.toml: {field}"):
        parse_overrides(text, "overrides.toml")


def test_coverage_warning_from_december() -> None:
    cal = calendar()  # the package covers up to 2026; the override file adds no year
    assert coverage_warning(cal, date(2026, 11, 30)) is None
    warning = coverage_warning(cal, date(2026, 12, 1))
    assert warning is not None and "2027" in warning and "calendar_overrides.toml" in warning
    assert coverage_warning(cal, date(2025, 12, 31)) is None  # 2026 is covered
    assert "2031" in (coverage_warning(cal, date(2031, 5, 1)) or "")


def test_rfc3339_drops_the_microsecond_only_of_a_day_deadline() -> None:
    from datetime import datetime

    from govmon.rules import rfc3339
    from govmon.rules.instants import instant

    def at(text: str) -> int:
        return instant(datetime.fromisoformat(text))

    assert rfc3339(at("2017-03-01T23:59:59.999999+08:00")) == "2017-03-01T23:59:59+08:00"
    assert rfc3339(at("2017-03-01T10:00:00.999999+08:00")) == (
        "2017-03-01T10:00:00.999999+08:00")
    assert rfc3339(at("2017-03-01T10:00:00.500000+08:00")) == (
        "2017-03-01T10:00:00.500000+08:00")
    assert rfc3339(at("2017-03-01T02:00:00+00:00")) == "2017-03-01T10:00:00+08:00"
