"""Crash safety: timeliness and scoring each killed with SIGKILL several times at
random points of a year's processing and started again; the final report still equals
replay, and the record has no duplicated or missing deduction.

Kills are placed by progress (a random number of records into each run of the
service), so they land mid-stream however fast the machine is.  The soak variant does
the same with a larger year and more kills.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import httpx
import pytest

from govmon.adapters.kafka_progress import group_lag
from govmon.contract import topics
from govmon.simulate import generate, write_jsonl
from tests.support.pipeline import Pipeline, equals_replay, record_problems
from tests.support.procs import ServiceProcess, metric_value

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

PROGRESS = {"timeliness": ("govmon_timeliness_events_total", "govmon-timeliness",
                           topics.TIMELINESS_INPUTS),
            "scoring": ("govmon_scoring_assessments_total", "govmon-scoring",
                        topics.SCORING_INPUTS)}
# A killed member is evicted in 6 s; small batches put many commits in a run for the
# kills to fall between (at the default 5,000 a slice is a batch or two).
FAST_FAILOVER = {"GOVMON_SESSION_TIMEOUT": "6", "GOVMON_BATCH_SIZE": "200"}


def _progress(proc: ServiceProcess, metric: str) -> float:
    try:
        return metric_value(proc.metrics(), metric)
    except httpx.HTTPError:
        return 0.0


def kill_mid_stream(pipeline: Pipeline, name: str, after: int, within: float = 30) -> bool:
    """SIGKILL ``name`` once it has handled ``after`` records in this run (sooner if
    its input is drained); start it again.  Returns whether it was still busy."""
    metric, group, specs = PROGRESS[name]
    proc = pipeline.procs[name]
    busy = True
    give_up = time.monotonic() + within
    while _progress(proc, metric) < after and time.monotonic() < give_up:
        if asyncio.run(group_lag(pipeline.bootstrap, group, specs)) == 0:
            busy = False
            break
        time.sleep(0.1)
    pipeline.kill(name)
    pipeline.restart(name)
    return busy


def _slices(path: Path, folder: Path, count: int) -> list[Path]:
    lines = path.read_bytes().splitlines(keepends=True)
    size = -(-len(lines) // count)
    parts = []
    for number in range(count):
        part = folder / f"slice-{number}.jsonl"
        part.write_bytes(b"".join(lines[number * size:(number + 1) * size]))
        parts.append(part)
    return parts


def run_crash_test(tmp_path: Path, bootstrap: str, database_url: str,
                   services: list[ServiceProcess], *, events: int, kills: int,
                   seed: int) -> None:
    path = tmp_path / "year.jsonl"
    write_jsonl(generate(year=2017, units=30, events=events, seed=seed), path,
                shuffle=True, seed=seed)
    pipeline = Pipeline(bootstrap, database_url, tmp_path, services, **FAST_FAILOVER).start()
    rng = random.Random(seed)
    order = ["timeliness", "scoring"] * kills
    rng.shuffle(order)
    # The file goes in one slice per kill, each sent just before its kill: the pipeline
    # drains a whole file faster than a killed worker's group fails over, so sent at
    # once most kills would land on an idle worker.
    busy = []
    for name, part in zip(order, _slices(path, tmp_path, len(order)), strict=True):
        produced = pipeline.produce(part, wait=False)
        assert produced.returncode == 0, produced.stderr
        busy.append(kill_mid_stream(pipeline, name, rng.randrange(20, 400)))
    pipeline.wait(within=600)
    assert pipeline.restarts == {"timeliness": kills, "scoring": kills}
    assert sum(busy) >= len(order) // 2, "most kills should land mid-stream"
    report, _ = equals_replay(pipeline, path)
    assert asyncio.run(record_problems(database_url, report)) == []


def test_sigkill_at_random_points(clean_kafka: str, database_url: str, tmp_path: Path,
                                  services: list[ServiceProcess]) -> None:
    run_crash_test(tmp_path, clean_kafka, database_url, services, events=5000, kills=2,
                   seed=31)


@pytest.mark.soak
def test_sigkill_soak(clean_kafka: str, database_url: str, tmp_path: Path,
                      services: list[ServiceProcess]) -> None:
    run_crash_test(tmp_path, clean_kafka, database_url, services, events=30_000, kills=6,
                   seed=97)
