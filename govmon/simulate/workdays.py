"""Mainland-China working days and office hours for one simulated year.

Times inside the simulator are integers: seconds since 1 January 00:00 of the simulated
year in Asia/Shanghai (a fixed +08:00 offset, no daylight saving since 1991).  Day ``d``
is ``t // 86400``.  Working days come from ``chinese_calendar`` (holidays and make-up
working days, 2004-2026); outside that range plain Monday-Friday is assumed.

This is an approximation of "N working days" for placing on-time and late replies; the
project's own deadline engine is the judge.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import date, timedelta

import chinese_calendar

DAY = 86400
HOUR = 3600
MORNING = (8 * HOUR + 30 * 60, 12 * HOUR)  # 08:30-12:00
AFTERNOON = (14 * HOUR, 17 * HOUR + 30 * 60)  # 14:00-17:30
SPAN_DAYS = 800  # the year, the next one (spill-over) and some slack


def _is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # outside the calendar's coverage
        return day.weekday() < 5


_CLOCK: list[str] = []


def clock_strings() -> list[str]:
    """``HH:MM:SS+08:00`` for every second of the day, built once (formatting is hot)."""
    if not _CLOCK:
        minutes = [f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440)]
        seconds = [f"{s:02d}+08:00" for s in range(60)]
        _CLOCK.extend([m + s for m in minutes for s in seconds])
    return _CLOCK


def in_office_hours(seconds_of_day: int) -> bool:
    return (MORNING[0] <= seconds_of_day < MORNING[1]
            or AFTERNOON[0] <= seconds_of_day < AFTERNOON[1])


class YearCalendar:
    """Working days of ``year`` (and what follows it) by day index from 1 January."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.first = date(year, 1, 1)
        self.days_in_year = (date(year + 1, 1, 1) - self.first).days
        days = [self.first + timedelta(days=i) for i in range(SPAN_DAYS)]
        self.is_work = [_is_workday(day) for day in days]
        self.date_str = [day.isoformat() for day in days]
        self.day_prefix = [f"{text}T" for text in self.date_str]
        self.month = [day.month for day in days]
        self.weekday = [day.weekday() for day in days]
        self.workdays = [i for i, work in enumerate(self.is_work) if work]
        self.last_workday = max(d for d in self.workdays if d < self.days_in_year)
        # after[d]: index in ``workdays`` of the first working day after day d
        self.after = [bisect_right(self.workdays, d) for d in range(SPAN_DAYS)]
        # long holidays (Spring Festival, National Day): runs of >= 5 days off, as
        # (first day off, first working day after)
        self.long_breaks: list[tuple[int, int]] = []
        run = 0
        for i, work in enumerate(self.is_work):
            if not work:
                run += 1
            elif run:
                if run >= 5:
                    self.long_breaks.append((i - run, i))
                run = 0
        self.next_break: list[tuple[int, int] | None] = [
            next((b for b in self.long_breaks if b[0] > d), None) for d in range(SPAN_DAYS)]

    def workdays_in_year(self) -> list[int]:
        return [d for d in self.workdays if d < self.days_in_year]

    def shift(self, day: int, n: int) -> int:
        """The ``n``-th working day after ``day`` (``n`` >= 1; ``day`` itself not counted);
        ``n`` = 0 gives ``day`` if it is a working day, else the next one."""
        if n:
            return self.workdays[self.after[day] + n - 1]
        return day if self.is_work[day] else self.workdays[self.after[day]]

    def count_between(self, start: int, end: int) -> int:
        """Working days in ``(start, end]``."""
        return self.after[end] - self.after[start]

    def break_between(self, start: int, end: int) -> tuple[int, int] | None:
        """The long holiday that starts after ``start`` and is over by ``end``, if any."""
        found = self.next_break[start]
        return found if found is not None and found[1] <= end else None

    def format(self, t: int) -> str:
        """RFC 3339 with the +08:00 offset: ``2017-03-14T09:12:05+08:00``."""
        return self.day_prefix[t // DAY] + clock_strings()[t % DAY]


_M_LOW, _M_HALF = MORNING[0], (MORNING[1] - MORNING[0]) / 2
_A_LOW, _A_HALF = AFTERNOON[0], (AFTERNOON[1] - AFTERNOON[0]) / 2


def office_second(rng: random.Random) -> int:
    """A second of the day within office hours, busiest mid-morning and mid-afternoon."""
    random_ = rng.random
    if random_() < 0.56:
        return _M_LOW + int((random_() + random_()) * _M_HALF)
    return _A_LOW + int((random_() + random_()) * _A_HALF)


def office_time(rng: random.Random, day: int) -> int:
    return day * DAY + office_second(rng)


def office_time_after(rng: random.Random, day: int, after: int) -> int | None:
    """An office-hours time on ``day`` strictly after ``after``, or None if none is left."""
    lowest = after + 60 - day * DAY
    if lowest <= MORNING[0]:  # the usual case: a later day
        return day * DAY + office_second(rng)
    spans = [(max(low, lowest), high) for low, high in (MORNING, AFTERNOON)
             if high - max(low, lowest) > 0]
    if not spans:
        return None
    total = sum(high - low for low, high in spans)
    pick = rng.random() * total
    for low, high in spans:
        if pick < high - low:
            return day * DAY + low + int(pick)
        pick -= high - low
    return day * DAY + spans[-1][1] - 1  # pragma: no cover - float edge


def next_office_time(rng: random.Random, cal: YearCalendar, day: int, after: int) -> int:
    """An office-hours time on working day ``day``, or on the first working day from then
    on that still has office time after ``after``."""
    if after + 60 <= day * DAY + MORNING[0] and cal.is_work[day]:  # the usual case
        random_ = rng.random
        if random_() < 0.56:
            return day * DAY + _M_LOW + int((random_() + random_()) * _M_HALF)
        return day * DAY + _A_LOW + int((random_() + random_()) * _A_HALF)
    day = cal.shift(day, 0)
    found = office_time_after(rng, day, after)
    while found is None:
        day = cal.shift(day, 1)
        found = office_time_after(rng, day, after)
    return found
