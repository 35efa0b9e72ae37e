"""A live feed for the demo: a simulated year compressed into minutes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from govmon.simulate.generator import generate


def live(*, units: int = 24, seed: int = 2017, speed: float, start: datetime,
         events: int | None = None) -> Iterator[tuple[float, dict[str, Any]]]:
    """(seconds from the start of the feed, event) for the year of ``start``.

    ``start`` (aware) is the simulated instant the feed begins at; ``speed`` is simulated
    seconds per real second (a year in 5 minutes: ~105,000).  Events before ``start`` (unit
    registrations, ...) come at once, at offset 0, so the state is consistent.
    """
    if start.tzinfo is None:
        raise ValueError("start must carry a UTC offset")
    if speed <= 0:
        raise ValueError("speed must be > 0")
    return _paced(generate(year=start.year, units=units, events=events, seed=seed),
                  start, speed)


def _paced(events: Iterator[dict[str, Any]], start: datetime,
           speed: float) -> Iterator[tuple[float, dict[str, Any]]]:
    for event in events:
        offset = (datetime.fromisoformat(event["time"]) - start).total_seconds() / speed
        yield max(offset, 0.0), event
