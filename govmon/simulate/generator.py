"""The day-by-day engine: draw each day's new cases, queue their lifecycles, emit in order.

Each process (applications, policies, incidents, data-sharing tasks) has a yearly total
for all units together, spread over the days by seasonal weights; each new case goes to
a unit by its weight, so the cost is per event, not per unit-day.  A day's events are
emitted once its new cases are drawn, which keeps the output chronological while holding
only the open cases in memory.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from math import sqrt
from typing import Any

from govmon.simulate import activities, applications, yearly
from govmon.simulate.schedule import SPILL_DAYS, Schedule
from govmon.simulate.units import Unit, build_units
from govmon.simulate.workdays import DAY, HOUR, YearCalendar, clock_strings, office_time

Scenario = Callable[[Schedule, Unit, int], None]

APP_MONTH = (0.8, 0.7, 1.2, 1.1, 1.0, 1.1, 1.25, 1.0, 1.1, 0.8, 1.1, 1.2)
POLICY_MONTH = (0.7, 0.6, 1.2, 1.1, 1.0, 1.1, 0.9, 0.9, 1.0, 0.8, 1.1, 1.5)
OPINION_MONTH = (0.8, 0.8, 0.9, 1.0, 1.0, 1.4, 1.7, 1.3, 1.0, 0.9, 0.9, 0.9)  # flood season
WEEKDAY = (1.25, 1.05, 1.0, 0.95, 0.8, 0.7, 0.7)  # Monday busiest; make-up weekend days
PRE_BREAK_DAYS, PRE_BREAK_BOOST = 10, 1.4


@dataclass(slots=True)
class Process:
    name: str
    scenario: Scenario
    per_origin: float  # expected events per new case (calibrated, see tests)
    unit_rates: list[float]  # new cases a year per unit at scale 1
    day_weights: list[float]  # over the days of the year
    office_hours: bool


def _processes(cal: YearCalendar, units: list[Unit]) -> list[Process]:
    days = range(cal.days_in_year)
    workday = [cal.is_work[d] for d in days]
    pre_break = set()
    for first_off, _ in cal.long_breaks:
        before = [d for d in cal.workdays if d < first_off][-PRE_BREAK_DAYS:]
        pre_break.update(before)
    apps = [APP_MONTH[cal.month[d] - 1] * WEEKDAY[cal.weekday[d]]
            * (PRE_BREAK_BOOST if d in pre_break else 1.0) * workday[d] for d in days]
    policies = [POLICY_MONTH[cal.month[d] - 1] * workday[d] for d in days]
    opinions = [OPINION_MONTH[cal.month[d] - 1] * (d > 0) for d in days]
    share_end = cal.shift(cal.last_workday - 45, 0)
    shares = [1.0 * workday[d] * (10 <= d <= share_end) for d in days]
    county = [u.category == "county" for u in units]
    return [
        Process("application", applications.application, 2.18,
                [(45 if c else 25) * u.volume for u, c in zip(units, county, strict=True)],
                apps, True),
        Process("policy", activities.policy, 1.94,
                [(18 if c else 10) * sqrt(u.volume)
                 for u, c in zip(units, county, strict=True)], policies, True),
        Process("opinion", activities.opinion, 2.4,
                [(6 if c else 3) * u.volume for u, c in zip(units, county, strict=True)],
                opinions, False),
        Process("datashare", activities.datashare, 2.2,
                [2.0 if c else 3.5 for c in county], shares, True),
    ]


def _spread(rng: random.Random, annual: float, weights: list[float]) -> list[int]:
    """New cases per day: the year's total (fixed, so that the size is predictable) spread
    over the days by their weights - a multinomial draw, so daily counts still vary."""
    total = int(annual) + (rng.random() < annual - int(annual))
    cum = list(accumulate(weights))
    counts = [0] * len(weights)
    if cum and cum[-1] > 0:
        last = len(weights) - 1
        for _ in range(total):
            counts[min(bisect_right(cum, rng.random() * cum[-1]), last)] += 1
    return counts


def _any_time(rng: random.Random, day: int) -> int:
    """Incidents break at any hour, mostly in the daytime and evening."""
    if rng.random() < 0.8:
        return day * DAY + rng.randrange(7 * HOUR, 23 * HOUR)
    return day * DAY + rng.randrange(DAY)


def _scales(events: int | None, units: int, fixed: float, variable: float) -> tuple[float, float]:
    """(scale of reports and findings, scale of the day-by-day processes)."""
    if events is None:
        return 1.0, 1.0
    room = max(events - units, 0)
    if room >= fixed:
        return 1.0, (room - fixed) / variable if variable else 0.0
    both = room / (fixed + variable) if fixed + variable else 0.0
    return both, both


def generate(*, year: int, units: int = 24, events: int | None = None,
             seed: int = 2017) -> Iterator[dict[str, Any]]:
    """A simulated year of CloudEvents 1.0 dicts for the first ``units`` units, in
    chronological order, deterministic for ``seed``; ``events`` scales activity so the
    total is about that many (±10 %).  Arguments are checked at once (ValueError)."""
    if not 1970 <= year <= 2100:
        raise ValueError(f"year {year} is out of range (1970-2100)")
    if units < 1:
        raise ValueError("units must be >= 1")
    if events is not None and events < 0:
        raise ValueError("events must be >= 0")
    return _run(year, units, events, seed)


def _run(year: int, units: int, events: int | None, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"govmon-simulate:{seed}:{year}")
    cal = YearCalendar(year)
    unit_list = build_units(units, rng)
    applications.prepare(unit_list)
    schedule = Schedule(cal, rng)
    processes = _processes(cal, unit_list)
    report_counts = yearly.plan_reports(rng, unit_list)
    finding_counts = yearly.plan_findings(rng, unit_list)
    fixed = sum(report_counts) + sum(finding_counts)
    variable = sum(p.per_origin * sum(p.unit_rates) for p in processes)
    keep, scale = _scales(events, units, fixed, variable)

    yearly.registrations(schedule, unit_list)
    yearly.reports(schedule, unit_list, report_counts, keep)
    yearly.findings(schedule, unit_list, finding_counts, keep)

    plans = []
    for process in processes:
        per_day = _spread(rng, scale * sum(process.unit_rates), process.day_weights)
        cum = list(accumulate(process.unit_rates))
        plans.append((process.scenario, per_day, cum, cum[-1], process.office_hours))

    # ids look like UUIDs: a prefix per run configuration and a counter (unique, cheap;
    # two different runs never share a source + id)
    ids = random.Random(f"govmon-simulate-ids:{seed}:{year}:{units}:{events}")
    h = f"{ids.getrandbits(128):032x}"
    prefix = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-"
    day_prefix, clock = cal.day_prefix, clock_strings()
    n_units = len(unit_list)
    number = 0
    for day in range(cal.days_in_year + SPILL_DAYS):
        if day < cal.days_in_year:
            for scenario, per_day, cum, total, office in plans:
                for _ in range(per_day[day]):
                    unit = unit_list[min(bisect_right(cum, rng.random() * total), n_units - 1)]
                    t0 = office_time(rng, day) if office else _any_time(rng, day)
                    scenario(schedule, unit, t0)
        prefix_day, base = day_prefix[day], day * DAY
        for t, etype, source, subject, data in schedule.take(day):
            number += 1
            yield {
                "specversion": "1.0",
                "id": f"{prefix}{number:012x}",
                "source": source,
                "type": etype,
                "time": prefix_day + clock[t - base],
                "subject": subject,
                "data": data,
            }
