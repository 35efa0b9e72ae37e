"""The simulator's output: deterministic, valid under the contract, ordered, sized."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import orjson
import pytest

from govmon.contract.codec import decode_event
from govmon.contract.events import EVENT_TYPES
from govmon.simulate import generate
from govmon.simulate.units import COUNTIES, DEPARTMENTS

CST = timezone(timedelta(hours=8))


@lru_cache(maxsize=4)
def year_of(units: int = 24, seed: int = 2017, year: int = 2017) -> tuple[dict[str, Any], ...]:
    return tuple(generate(year=year, units=units, seed=seed))


def test_same_seed_same_year_other_seed_other_year() -> None:
    first = year_of()
    again = tuple(generate(year=2017, units=24, seed=2017))
    assert orjson.dumps(list(first)) == orjson.dumps(list(again))
    other = tuple(generate(year=2017, units=24, seed=7))
    assert orjson.dumps(list(other)) != orjson.dumps(list(first))


def test_every_event_of_a_year_passes_the_contract() -> None:
    events = year_of()
    decoded = [decode_event(orjson.dumps(event)) for event in events]
    assert len(decoded) == len(events) > 2000
    assert {type(e).__struct_config__.tag for e in decoded} == set(EVENT_TYPES)


def test_envelope_ids_sources_and_offsets() -> None:
    events = year_of()
    keys = [(e["source"], e["id"]) for e in events]
    assert len(set(keys)) == len(keys)
    assert len({e["id"] for e in events}) == len(events)
    for event in events:
        assert event["specversion"] == "1.0"
        assert event["source"].startswith("/yueyang/")
        assert event["time"].endswith("+08:00")
        assert event["id"].isascii()


def test_chronological_and_within_the_year() -> None:
    events = year_of()
    times = [datetime.fromisoformat(e["time"]) for e in events]
    assert times == sorted(times)
    start, end = datetime(2017, 1, 1, tzinfo=CST), datetime(2018, 1, 1, tzinfo=CST)
    assert times[0] >= start
    assert times[-1] < datetime(2018, 2, 1, tzinfo=CST)  # spill-over only into January
    openers = {"gov.unit.registered", "gov.application.received", "gov.policy.issued",
               "gov.opinion.detected", "gov.datashare.assigned", "gov.report.submitted",
               "gov.inspection.finding", "gov.application.disputed"}
    for event, t in zip(events, times, strict=True):
        if event["type"] in openers:
            assert start <= t < end, event
        if t >= end:  # what spills over finishes a case of the year
            assert "-2017-" in event["subject"]


def test_units_registered_first_with_stable_names_and_ids() -> None:
    events = year_of()
    registered = [e["data"] for e in events if e["type"] == "gov.unit.registered"]
    assert len(registered) == 24
    by_id = {r["unit_id"]: r for r in registered}
    assert by_id["yy-county-01"]["name"] == "岳阳楼区"
    assert by_id["yy-county-13"]["name"] == "屈原管理区"
    assert by_id["yy-dept-01"] == {"unit_id": "yy-dept-01", "name": "市发展和改革委员会",
                                   "category": "municipal"}
    assert {r["name"] for r in registered} == set(COUNTIES) | {n for n, _ in DEPARTMENTS[:11]}
    first_seen: dict[str, str] = {}
    for event in events:
        unit = event["data"].get("unit_id")
        if unit and unit not in first_seen:
            first_seen[unit] = event["type"]
    assert set(first_seen.values()) == {"gov.unit.registered"}
    assert all(e["time"].startswith("2017-01-0") for e in events[:24])


def test_province_sized_unit_list_alternates_generated_names() -> None:
    events = generate(year=2017, units=60, events=400)
    names = {e["data"]["unit_id"]: (e["data"]["name"], e["data"]["category"])
             for e in events if e["type"] == "gov.unit.registered"}
    assert len(names) == 60
    assert names["yy-county-14"] == ("县区-014", "county")
    assert names["yy-dept-25"] == ("市直部门-025", "municipal")
    categories = Counter(c for _, c in names.values())
    assert categories["county"] == 13 + 12 and categories["municipal"] == 24 + 11
    assert all(unit.isascii() for unit in names)


@pytest.mark.parametrize(("units", "events", "seed"), [
    (24, 2_000, 1), (24, 12_000, 2), (100, 30_000, 3), (400, 60_000, 4), (3, 1_000, 5),
])
def test_events_scales_the_total_within_ten_percent(units: int, events: int, seed: int) -> None:
    total = sum(1 for _ in generate(year=2017, units=units, events=events, seed=seed))
    assert abs(total - events) <= 0.1 * events, total


def test_small_target_thins_reports_too() -> None:
    total = sum(1 for _ in generate(year=2017, units=24, events=150))
    assert 100 <= total <= 200


def test_default_size_and_other_years() -> None:
    assert 2_500 < len(year_of()) < 6_000
    for year in (2004, 2020, 2026, 2030):  # 2030: outside chinese_calendar, Mon-Fri used
        events = list(generate(year=year, units=5, events=800))
        assert events[0]["time"].startswith(f"{year}-01-01")
        for event in events[:50]:
            decode_event(orjson.dumps(event))


def test_bad_arguments_fail_at_call_time() -> None:
    with pytest.raises(ValueError):
        generate(year=2017, units=0)
    with pytest.raises(ValueError):
        generate(year=2017, events=-1)
    with pytest.raises(ValueError):
        generate(year=1800)
