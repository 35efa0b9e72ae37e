"""Live (wall-clock) mode: an item whose deadline lies a few seconds ahead is flagged
within seconds of it, with no further event arriving - the due index fires it.

A test law (selected by GOVMON_LAW_FILE, the production law data untouched) gives
opinion incidents windows of seconds; a data-sharing task simply gets a due time a few
seconds ahead (its deadline is in the event itself).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from govmon.contract import topics
from govmon.contract.derived import (
    DeadlineBreached,
    ItemAssessed,
    ScoreChanged,
    WarningIssued,
    decode_score,
    decode_timeliness,
)
from govmon.rules import instant
from govmon.rules.instants import SHANGHAI
from tests.support.kafka_io import read_all, send_raw
from tests.support.laws import seconds_law
from tests.support.pipeline import Pipeline
from tests.support.procs import ServiceProcess, metric_value

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

TEST_LAW = seconds_law(info_seconds=4, press_seconds=8)
# seconds: the issue asks for "within seconds"; the timer ticks every 0.5 s (typically
# flagged 0.1-0.6 s late), the rest is margin for this shared host's slow stretches
LATENCY = 5.0


def _event(type_: str, at: datetime, data: dict[str, object], n: int) -> bytes:
    return json.dumps({"specversion": "1.0", "id": f"live-{n}", "source": "/test/live",
                       "type": type_, "time": at.isoformat(), "data": data}).encode()


def test_deadline_fires_on_the_wall_clock_without_further_events(
        clean_kafka: str, database_url: str, tmp_path: Path,
        services: list[ServiceProcess]) -> None:
    law = tmp_path / "test-law.toml"
    law.write_text(TEST_LAW, encoding="utf-8")
    pipeline = Pipeline(clean_kafka, database_url, tmp_path, services, GOVMON_CLOCK="wall",
                        GOVMON_LAW_FILE=str(law)).start()
    now = datetime.now(SHANGHAI) - timedelta(milliseconds=100)
    due = now + timedelta(seconds=5)
    records = [
        _event("gov.unit.registered", now - timedelta(seconds=1),
               {"unit_id": "U-live", "name": "岳阳县", "category": "county"}, 1),
        _event("gov.opinion.detected", now,
               {"incident_id": "I-live", "unit_id": "U-live", "level": "major"}, 2),
        _event("gov.datashare.assigned", now,
               {"task_id": "T-live", "unit_id": "U-live", "due": due.isoformat(),
                "datasets": ["人口", "法人"]}, 3),
    ]
    asyncio.run(send_raw(clean_kafka, topics.RAW.name,
                         [(None, value, [("content-type", b"application/cloudevents+json")])
                          for value in records]))
    expected = {("I-live", "opinion_info_late"), ("I-live", "opinion_press_late"),
                ("T-live", "datashare_missing")}
    breaches: dict[tuple[str, str], DeadlineBreached] = {}
    give_up = time.monotonic() + 60
    while set(breaches) != expected:
        assert time.monotonic() < give_up, f"only {sorted(breaches)}\n{pipeline.tails()}"
        time.sleep(0.5)
        messages = [decode_timeliness(r.value or b"")
                    for r in asyncio.run(read_all(clean_kafka, topics.TIMELINESS))]
        breaches = {(m.item_id, m.rule): m for m in messages
                    if isinstance(m, DeadlineBreached)}
    for breach in breaches.values():
        assert breach.deadline is not None and breach.unit_id == "U-live"
        late_by = (breach.detected_at - breach.deadline) / 1e6
        assert 0 < late_by < LATENCY, (breach, late_by)
        print(f"{breach.item_id} {breach.rule}: flagged {late_by:.2f} s after its deadline")
    assert breaches[("T-live", "datashare_missing")].deadline == instant(due)
    assert breaches[("I-live", "opinion_info_late")].deadline == instant(now) + 4_000_000
    # Warnings came first, while the clocks were still running (75 % of the time used).
    warnings = [m for m in messages if isinstance(m, WarningIssued)]
    assert {(w.item_id, w.rule) for w in warnings} >= {("I-live", "opinion_info_late"),
                                                       ("I-live", "opinion_press_late")}
    for warning in warnings:
        assert warning.at < warning.deadline and warning.detected_at < warning.deadline
    verdicts = [m for m in messages if isinstance(m, ItemAssessed) and m.item_id == "I-live"]
    assert verdicts and [v.version for v in verdicts] == sorted(v.version for v in verdicts)
    # The worker's metrics count what it announced, by rule.
    [timeliness] = [s for s in services if s.name == "timeliness"]
    text = timeliness.metrics()
    for item, rule in expected:
        assert metric_value(text, "govmon_timeliness_breaches_total", rule=rule) == sum(
            1 for b in breaches.values() if b.rule == rule), (item, rule)
    assert metric_value(text, "govmon_timeliness_warnings_total") == len(warnings)

    # Scoring followed: 1 + 1 (opinion) + 4 (data sharing) points off this year.
    score: ScoreChanged | None = None
    give_up = time.monotonic() + 30
    while score is None or score.deducted < 6:
        assert time.monotonic() < give_up, f"{score}\n{pipeline.tails()}"
        time.sleep(0.5)
        changes = [decode_score(r.value or b"")
                   for r in asyncio.run(read_all(clean_kafka, topics.SCORES))]
        mine = [c for c in changes if c.unit_id == "U-live" and c.year == now.year]
        score = max(mine, key=lambda c: c.version) if mine else None
    assert (score.score, score.deductions) == (94.0, 3)
