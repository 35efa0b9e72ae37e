"""The pending-event queue the scenarios push into and the generator drains in order.

Scenarios write a whole lifecycle (received ... replied) at once into per-day buckets;
the generator sorts and emits a day's bucket once that day's new cases are drawn, so
only the open cases of the coming weeks are held in memory, never the year.  (Buckets
and a stable sort are cheaper than a heap at a million events.)
"""

from __future__ import annotations

import random
from operator import itemgetter
from typing import Any

from govmon.simulate.units import Unit
from govmon.simulate.workdays import DAY, YearCalendar

# entry: (time, type, source, subject, data)
Entry = tuple[int, str, str, str, dict[str, Any]]

_TIME = itemgetter(0)
SPILL_DAYS = 31  # follow-ups of late-December cases may land in January of the next year


class Schedule:
    __slots__ = ("buckets", "cal", "limit", "rng", "year", "year_end")

    def __init__(self, cal: YearCalendar, rng: random.Random) -> None:
        self.cal = cal
        self.rng = rng
        self.year = cal.year
        self.year_end = cal.days_in_year * DAY
        self.limit = (cal.days_in_year + SPILL_DAYS) * DAY
        self.buckets: list[list[Entry]] = [[] for _ in range(cal.days_in_year + SPILL_DAYS)]

    def push(self, t: int, etype: str, source: str, subject: str, data: dict[str, Any]) -> bool:
        """Queue an event; events past the spill-over window are dropped (still open at the
        end of the simulated period)."""
        if t >= self.limit:
            return False
        self.buckets[t // DAY].append((t, etype, source, subject, data))
        return True

    def take(self, day: int) -> list[Entry]:
        """The events of ``day`` in time order (ties keep the order they were pushed in)."""
        bucket = self.buckets[day]
        self.buckets[day] = []
        bucket.sort(key=_TIME)
        return bucket

    def new_id(self, unit: Unit, kind: str) -> str:
        """A readable, unit-scoped id: ``yy-dept-03-ysq-2017-00012``."""
        counters = unit.counters
        number = counters[kind] = counters.get(kind, 0) + 1
        return f"{unit.unit_id}-{kind}-{self.year}-{number:05d}"

