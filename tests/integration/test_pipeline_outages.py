"""The broker and the database go away mid-stream and come back.

The services are expected to ride it out: Kafka clients reconnect by themselves, and
every database transaction is retried while the server is away (``db_retry``).  Should
a worker exit anyway, the test restarts it at once, as `govmon up`'s supervisor (and
Kubernetes) would; how often that happened is reported, and with the broker or the
database back the final report must equal replay.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from govmon.simulate import generate, write_jsonl
from tests.support.pipeline import Pipeline, equals_replay, record_problems
from tests.support.procs import ServiceProcess, metric_value
from tests.support.servers import KafkaUnderTest, PostgresUnderTest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def _wait_for_progress(pipeline: Pipeline, records: int, within: float = 120) -> None:
    proc = pipeline.procs["timeliness"]
    give_up = time.monotonic() + within
    while metric_value(proc.metrics(), "govmon_timeliness_events_total") < records:
        assert time.monotonic() < give_up, pipeline.tails()
        time.sleep(0.1)


def run_outage(tmp_path: Path, bootstrap: str, database_url: str,
               services: list[ServiceProcess], outage: Callable[[], None], *,
               events: int = 5000) -> dict[str, int]:
    path = tmp_path / "year.jsonl"
    write_jsonl(generate(year=2017, units=30, events=events, seed=55), path, seed=55)
    pipeline = Pipeline(bootstrap, database_url, tmp_path, services,
                        GOVMON_SESSION_TIMEOUT="6").start()
    produced = pipeline.produce(path, wait=False)
    assert produced.returncode == 0, produced.stderr
    _wait_for_progress(pipeline, 300)
    pipeline.supervise()
    try:
        outage()
        pipeline.wait(within=600)
    finally:
        pipeline.unsupervise()
    report, _ = equals_replay(pipeline, path)
    assert asyncio.run(record_problems(database_url, report)) == []
    return pipeline.restarts


@pytest.mark.parametrize(("down", "events"), [
    (5, 5000), pytest.param(45, 30_000, marks=pytest.mark.soak)])
def test_kafka_restarted_mid_stream(kafka: KafkaUnderTest, clean_kafka: str,
                                    database_url: str, tmp_path: Path,
                                    services: list[ServiceProcess], down: int,
                                    events: int) -> None:
    if kafka.external:
        pytest.skip("the broker is external: not ours to stop")

    def outage() -> None:
        kafka.stop()
        time.sleep(down)
        kafka.start()

    restarts = run_outage(tmp_path, clean_kafka, database_url, services, outage,
                          events=events)
    print(f"processes restarted after a {down} s broker outage: {restarts}")


@pytest.mark.parametrize(("down", "events"), [
    (5, 5000), pytest.param(30, 30_000, marks=pytest.mark.soak)])
def test_postgres_restarted_mid_stream(postgres: PostgresUnderTest, clean_kafka: str,
                                       database_url: str, tmp_path: Path,
                                       services: list[ServiceProcess], down: int,
                                       events: int) -> None:
    if postgres.external:
        pytest.skip("the database server is external: not ours to stop")
    url = postgres.url

    def outage() -> None:
        postgres.stop()
        time.sleep(down)
        postgres.start()
        assert postgres.url == url  # same socket: the services' DATABASE_URL still holds

    restarts = run_outage(tmp_path, clean_kafka, database_url, services, outage,
                          events=events)
    # Every transaction is retried while the server is away: nobody had to be restarted.
    assert restarts == {}
