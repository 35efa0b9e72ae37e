"""Mainland-China working days: ``chinesecalendar`` plus a packaged override file.

A year is *covered* when either source knows its official holiday schedule.  Anything
that needs a day in an uncovered year raises :class:`CalendarGapError` naming the year
and the override file: a weekday-only guess would silently misplace deadlines around
Spring Festival or National Day.

Working-day arithmetic is bisection over per-year sorted lists of working days (plus a
memo), because replay folds >150k events/s and most deadlines repeat the same
(start day, length) pairs.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

from govmon.rules.instants import date_of_day, day_end, day_from_date

OVERRIDE_FILE = "govmon/rules/data/calendar_overrides.toml"


class CalendarGapError(LookupError):
    """A date in a year whose holiday schedule nobody has told us."""

    def __init__(self, year: int, override_file: str, known: str) -> None:
        self.year = year
        self.override_file = override_file
        super().__init__(
            f"no working-day calendar for {year}: {known}, and {override_file} has no "
            f"[years.{year}] table - add the State Council's {year} holiday schedule there"
        )


@dataclass(frozen=True)
class YearSchedule:
    """Deviations from Monday-Friday for one year: official holidays and make-up workdays."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # make-up working days (调休上班), usually weekends


class WorkCalendar:
    """Working days of the covered years; pure once built."""

    def __init__(self, schedules: Iterable[YearSchedule], *,
                 override_file: str = OVERRIDE_FILE, known: str = "") -> None:
        self.override_file = override_file
        self._known = known or "no built-in calendar"
        self._days: dict[int, list[int]] = {}
        for schedule in schedules:
            self._days[schedule.year] = _working_days(schedule)
        self._memo: dict[tuple[int, int], int] = {}
        self._end_memo: dict[tuple[int, int], int] = {}

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self._days))

    def covers(self, year: int) -> bool:
        return year in self._days

    def _year(self, year: int) -> list[int]:
        days = self._days.get(year)
        if days is None:
            raise CalendarGapError(year, self.override_file, self._known)
        return days

    def is_working_day(self, day: int) -> bool:
        days = self._year(date_of_day(day).year)
        index = bisect_right(days, day)
        return index > 0 and days[index - 1] == day

    def add_working_days(self, day: int, count: int) -> int:
        """The ``count``-th working day after ``day`` (``day`` itself never counts)."""
        key = (day, count)
        found = self._memo.get(key)
        if found is not None:
            return found
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        year = date_of_day(day).year
        days = self._year(year)
        index = bisect_right(days, day)
        need = count
        while index + need > len(days):
            need -= len(days) - index
            year += 1
            days = self._year(year)
            index = 0
        found = days[index + need - 1]
        if len(self._memo) < 1_000_000:  # bounded: a long-running service must not grow
            self._memo[key] = found
        return found

    def end_of_working_day_after(self, day: int, count: int) -> int:
        """The deadline instant (last microsecond) of ``add_working_days(day, count)``."""
        key = (day, count)
        found = self._end_memo.get(key)
        if found is None:
            found = day_end(self.add_working_days(day, count))
            if len(self._end_memo) < 1_000_000:
                self._end_memo[key] = found
        return found

    def count_working_days(self, after: int, upto: int) -> int:
        """Working days ``d`` with ``after < d <= upto``."""
        if upto <= after:
            return 0
        total = 0
        year = date_of_day(after).year
        last_year = date_of_day(upto).year
        while year <= last_year:
            days = self._year(year)
            total += bisect_right(days, upto) - bisect_right(days, after)
            year += 1
        return total

    def nth_working_day_back(self, day: int, count: int) -> int:
        """The working day that leaves ``count`` working days up to ``day`` inclusive
        (count=1 is the last working day <= ``day``)."""
        year = date_of_day(day).year
        days = self._year(year)
        index = bisect_right(days, day) - count
        while index < 0:
            year -= 1
            days = self._year(year)
            index += len(days)
        return days[index]


def _working_days(schedule: YearSchedule) -> list[int]:
    first = date(schedule.year, 1, 1)
    result = []
    current = first
    while current.year == schedule.year:
        weekday = current.weekday() < 5
        if current in schedule.workdays or (weekday and current not in schedule.holidays):
            result.append(day_from_date(current))
        current += timedelta(days=1)
    return result


def builtin_schedules() -> tuple[list[YearSchedule], str]:
    """Years known to the ``chinesecalendar`` package and a description for errors."""
    import chinese_calendar  # imported here: building tables is the caller's explicit act
    from chinese_calendar import constants

    holidays = list(constants.holidays)
    workdays = list(constants.workdays)
    first, last = min(holidays).year, max(holidays).year
    result = []
    for year in range(first, last + 1):
        result.append(YearSchedule(
            year,
            frozenset(d for d in holidays if d.year == year),
            frozenset(d for d in workdays if d.year == year),
        ))
    version = getattr(chinese_calendar, "__version__", "")
    return result, f"chinesecalendar {version} covers {first}-{last}".replace("  ", " ")


def parse_overrides(text: str, filename: str) -> dict[int, YearSchedule]:
    """Parse the override TOML; errors name the file and the offending field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{filename}: not valid TOML: {exc}") from None
    years = data.get("years", {})
    if not isinstance(years, Mapping):
        raise ValueError(f"{filename}: `years` must be a table of [years.YYYY] tables")
    result: dict[int, YearSchedule] = {}
    for key, table in years.items():
        where = f"{filename}: years.{key}"
        if not str(key).isdigit():
            raise ValueError(f"{where}: the table name must be a year")
        year = int(key)
        if not isinstance(table, Mapping) or not isinstance(table.get("source"), str):
            raise ValueError(f"{where}.source: required (the State Council notice)")
        sets = {}
        for field in ("holidays", "workdays"):
            values = table.get(field, [])
            if not isinstance(values, list) or not all(isinstance(v, date) for v in values):
                raise ValueError(f"{where}.{field}: expected a list of dates (YYYY-MM-DD)")
            for value in values:
                if value.year != year:
                    raise ValueError(f"{where}.{field}: {value} is not in {year}")
            sets[field] = frozenset(values)
        result[year] = YearSchedule(year, sets["holidays"], sets["workdays"])
    return result


def load_calendar(override_text: str | None = None,
                  override_file: str = OVERRIDE_FILE) -> WorkCalendar:
    """Build the calendar: package years, then the packaged override file on top.

    An override table replaces the package's schedule for that year entirely (so a
    correction or a newly published year is one reviewed table).
    """
    if override_text is None:
        override_text = (resources.files("govmon.rules") / "data" / "calendar_overrides.toml"
                         ).read_text(encoding="utf-8")
    schedules, known = builtin_schedules()
    by_year = {s.year: s for s in schedules}
    by_year.update(parse_overrides(override_text, override_file))
    return WorkCalendar(by_year.values(), override_file=override_file, known=known)


def coverage_warning(calendar: WorkCalendar, today: date) -> str | None:
    """A warning when the calendar will soon run out (pure: ``today`` is a parameter).

    From 1 December on, next year must be covered: deadlines of December cases run into
    January.  The current year missing is always a warning.
    """
    for year, needed in ((today.year, True), (today.year + 1, today.month == 12)):
        if needed and not calendar.covers(year):
            return (f"working-day calendar does not cover {year}: add the {year} holiday "
                    f"schedule to {calendar.override_file} (deadlines reaching {year} "
                    f"cannot be computed)")
    return None
