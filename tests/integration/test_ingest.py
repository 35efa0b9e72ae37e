"""The ingest service as a process against the real broker (and once built in this
process, where its decision can be made to fail)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from prometheus_client import generate_latest

import govmon.adapters.batches
import services.ingest.app
from govmon.adapters.consumer import Record
from govmon.adapters.kafka_progress import group_lag, wait_for_groups
from govmon.contract import topics
from govmon.contract.bindings import Headers, encode_binary
from govmon.contract.codec import decode_event
from govmon.contract.topics import PIPELINE
from govmon.handlers.ingest import Decision, Deduplicator, decide
from govmon.produce import CHUNK
from govmon.settings import load_settings
from tests.support.kafka_io import read_all, send_raw
from tests.support.procs import ServiceProcess, metric_value
from tests.unit.contract.test_codec import SAMPLES

pytestmark = pytest.mark.integration
# Only ingest runs in these tests: wait for its group, not the whole pipeline.
INGEST_ONLY = PIPELINE[:1]
FAMILY = topics.FAMILY_TOPICS


def _valid(i: int, run: str) -> dict[str, object]:
    type_ = sorted(SAMPLES)[i % len(SAMPLES)]
    data = dict(SAMPLES[type_])
    for field in ("case_id", "incident_id", "policy_id", "task_id", "unit_id"):
        if field in data:
            data[field] = f"{field[:-3]}-{i % 7}"
    for field in ("dispute_id", "report_id", "finding_id"):
        if field in data:
            data[field] = f"{field[:-3]}-{i}"
    return {"specversion": "1.0", "id": f"{run}-{i}", "source": f"/test/{run}",
            "type": type_, "time": "2017-10-09T09:30:00+08:00", "data": data}


def _invalid(i: int, run: str) -> tuple[str, str]:
    """(line, the reason code ingest must give)."""
    base = _valid(i, run)
    base["id"] = f"{run}-bad-{i}"
    kind = i % 5
    if kind == 0:
        base["time"] = "2017-10-09T09:30:00"
        return json.dumps(base), "bad_time"
    if kind == 1:
        del base["source"]
        return json.dumps(base), "missing_field"
    if kind == 2:
        base["type"] = "gov.application.misplaced"
        return json.dumps(base), "unknown_type"
    if kind == 3:
        return "{this is not json", "bad_json"
    base["data"] = {**base["data"], "unexpected": 1}  # type: ignore[dict-item]
    return json.dumps(base), "unknown_field"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _produce(path: Path, bootstrap: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govmon.cli", "produce", str(path), "--no-progress", *extra],
        env={"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300, check=False,
    )


def _ingest(env_base: dict[str, str], tmp_path: Path, started: list[ServiceProcess]
            ) -> ServiceProcess:
    proc = ServiceProcess("ingest", env_base, tmp_path).start().wait_ready()
    started.append(proc)
    return proc


def test_routes_valid_dead_letters_invalid_and_drops_duplicates(
    clean_kafka: str, tmp_path: Path, services: list[ServiceProcess]
) -> None:
    ingest = _ingest({"KAFKA_BOOTSTRAP_SERVERS": clean_kafka}, tmp_path, services)
    run = "r1"
    n_valid, n_invalid = 170, 25
    valid = [_valid(i, run) for i in range(n_valid)]
    invalid = [_invalid(i, run) for i in range(n_invalid)]
    lines = [json.dumps(e, ensure_ascii=False) for e in valid]
    lines += [json.dumps(e, ensure_ascii=False) for e in valid[:30]]  # re-deliveries
    lines += [line for line, _ in invalid]
    random.Random(7).shuffle(lines)
    result = _produce(_write(tmp_path / "mixed.jsonl", lines), clean_kafka)
    assert result.returncode == 0, result.stderr
    assert f"sent {len(lines)} lines" in result.stderr

    # Binary-mode copies of ten events: the same events, so also duplicates.
    binaries = [encode_binary(decode_event(json.dumps(e))) for e in valid[:10]]
    asyncio.run(send_raw(clean_kafka, topics.RAW.name,
                         [(None, value, headers) for value, headers in binaries]))
    asyncio.run(wait_for_groups(clean_kafka, INGEST_ONLY, within=120))

    routed = asyncio.run(read_all(clean_kafka, *FAMILY))
    assert len(routed) == n_valid
    by_id = {r.json()["id"]: r for r in routed}
    assert set(by_id) == {e["id"] for e in valid}
    for event in valid:
        record = by_id[event["id"]]
        spec, key = topics.route(decode_event(json.dumps(event)))
        assert (record.topic, record.key) == (spec.name, key.encode())

    dead = asyncio.run(read_all(clean_kafka, topics.DLQ))
    assert len(dead) == n_invalid
    expected_codes = sorted(code for _, code in invalid)
    assert sorted(r.headers["govmon.dlq.code"].decode() for r in dead) == expected_codes
    for record in dead:
        assert record.headers["govmon.dlq.topic"] == b"gov.events.raw"
        assert int(record.headers["govmon.dlq.offset"]) >= 0
        assert record.headers["govmon.dlq.reason"]

    text = ingest.metrics()
    assert metric_value(text, "govmon_ingest_received_total") == len(lines) + 10
    assert metric_value(text, "govmon_ingest_routed_total") == n_valid
    assert metric_value(text, "govmon_ingest_duplicates_total") == 40
    assert metric_value(text, "govmon_ingest_rejected_total", reason="bad_time") == 5
    assert metric_value(text, "govmon_ingest_routed_total",
                        type="gov.unit.registered") == sum(
        1 for e in valid if e["type"] == "gov.unit.registered")


def test_sigkill_mid_stream_loses_nothing(
    clean_kafka: str, tmp_path: Path, services: list[ServiceProcess]
) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": clean_kafka}
    first = _ingest(env, tmp_path, services)
    run = "r2"
    events = [_valid(i, run) for i in range(20_000)]
    path = _write(tmp_path / "big.jsonl", [json.dumps(e, ensure_ascii=False) for e in events])
    producer = subprocess.Popen(
        [sys.executable, "-m", "govmon.cli", "produce", str(path), "--no-progress"],
        env={"KAFKA_BOOTSTRAP_SERVERS": clean_kafka, "PATH": "/usr/bin:/bin"},
        stderr=subprocess.PIPE, text=True,
    )
    # Kill the worker once it is visibly part-way through.
    deadline = time.monotonic() + 120
    while metric_value(first.metrics(), "govmon_ingest_routed_total") < 2000:
        assert time.monotonic() < deadline, first.log_tail()
        time.sleep(0.05)
    first.kill()
    assert producer.wait(300) == 0, producer.stderr.read() if producer.stderr else ""
    _ingest(env, tmp_path, services)
    asyncio.run(wait_for_groups(clean_kafka, INGEST_ONLY, within=180))

    routed = asyncio.run(read_all(clean_kafka, *FAMILY))
    ids = {r.json()["id"] for r in routed}
    assert ids == {e["id"] for e in events}  # nothing lost (re-deliveries are allowed)


def test_sigterm_finishes_and_commits(
    clean_kafka: str, tmp_path: Path, services: list[ServiceProcess]
) -> None:
    ingest = _ingest({"KAFKA_BOOTSTRAP_SERVERS": clean_kafka}, tmp_path, services)
    events = [_valid(i, "r3") for i in range(3000)]
    result = _produce(_write(tmp_path / "e.jsonl", [json.dumps(e) for e in events]),
                      clean_kafka)
    assert result.returncode == 0, result.stderr
    asyncio.run(wait_for_groups(clean_kafka, INGEST_ONLY, within=120))
    assert ingest.terminate(60) == 0, ingest.log_tail()
    assert asyncio.run(group_lag(clean_kafka, "govmon-ingest", (topics.RAW,))) == 0
    logs = ingest.log_path.read_text().splitlines()
    records = [json.loads(line) for line in logs if line.startswith("{")]
    assert records and all(r.get("service") == "ingest" for r in records)


def test_produce_reports_refused_lines_by_number(clean_kafka: str, tmp_path: Path) -> None:
    lines = [json.dumps(_valid(0, "r4")), "x" * (1024 * 1024), "", json.dumps(_valid(1, "r4"))]
    path = _write(tmp_path / "r.jsonl", lines)
    with path.open("ab") as fh:
        fh.write(b'{"id": "caf\xe9"}\n')  # Latin-1, not UTF-8: line 5
    result = _produce(path, clean_kafka)
    assert result.returncode == 1
    assert "r.jsonl:2: refused" in result.stderr
    assert "r.jsonl:5: refused: not UTF-8" in result.stderr
    assert "sent 2 lines" in result.stderr and "refused 2" in result.stderr


def test_produce_reads_a_pipe_and_skips_a_leading_byte_order_mark(clean_kafka: str,
                                                                   tmp_path: Path) -> None:
    """`govmon produce <(zcat f.gz)`: a pipe has no position (the progress counts bytes
    read) and cannot seek back after the check for a byte-order mark; more lines than
    one chunk.  Line 1 after the mark goes out as the event it is, as replay reads it."""
    lines = [json.dumps(_valid(i, "pipe")) for i in range(CHUNK + 1)]
    fifo = tmp_path / "events.pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(
        b"\xef\xbb\xbf" + "".join(line + "\n" for line in lines).encode()), daemon=True)
    writer.start()
    try:
        result = _produce(fifo, clean_kafka)
    finally:
        writer.join(60)
    assert result.returncode == 0, result.stderr
    assert f"sent {CHUNK + 1} lines" in result.stderr
    sent = asyncio.run(read_all(clean_kafka, topics.RAW))
    assert sorted(r.value or b"" for r in sent) == sorted(line.encode() for line in lines)


async def _ingest_in_process(bootstrap: str, batch: list[tuple[bytes, bytes]],
                             after: tuple[bytes, bytes]
                             ) -> tuple[list[list[int]], int | None, str]:
    """Ingest built and run in this process on the real broker (so that its `decide` can
    be made to fail): ``batch`` is in the raw topic's partition 0 before it starts, then
    ``after`` is sent once the batch is committed.  Returns the offsets of each batch it
    handled, the committed offset of the partition at the end, and its metrics."""
    headers = [("content-type", b"application/cloudevents+json"), ("x-trace", b"t-1")]
    await send_raw(bootstrap, topics.RAW.name,
                   [(key, value, headers) for key, value in batch], partition=0)
    settings = load_settings(ingest_batch_size=100, session_timeout=10, db_retry=30)
    service = await services.ingest.app.build_service(settings, bootstrap)
    handled: list[list[int]] = []

    async def handle(records: Sequence[Record]) -> None:
        handled.append([r.offset for r in records if r.partition == 0])
        await service.handle(records)

    tp = TopicPartition(topics.RAW.name, 0)
    consumer, stopping = service.consumer, asyncio.Event()

    await consumer.start()
    running = asyncio.ensure_future(consumer.run(handle, stopping, logging.getLogger("test")))

    async def committed_to(offset: int) -> None:
        for _ in range(600):
            if running.done():  # only a failed batch ends the loop: its error
                running.result()
                raise AssertionError("the consumer loop ended")
            if await consumer.consumer.committed(tp) == offset:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"not committed up to {offset}: "
                             f"{await consumer.consumer.committed(tp)}; batches {handled}")

    try:
        await committed_to(len(batch))  # past the whole batch, poison included
        await send_raw(bootstrap, topics.RAW.name, [(*after, headers)], partition=0)
        await committed_to(len(batch) + 1)  # not stalled: the next record goes through
        stopping.set()
        await running
        committed = await consumer.consumer.committed(tp)
    finally:
        stopping.set()
        await asyncio.wait([running])
        await consumer.stop()
        for close in service.closers:
            await close()
    return handled, committed, generate_latest(service.registry).decode()


def test_a_record_whose_decision_raises_is_dead_lettered_as_internal(
    clean_kafka: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = "r5"
    events = [_valid(i, run) for i in range(7)]
    values = [json.dumps(e, ensure_ascii=False).encode() for e in events]
    poison = values[3]  # a valid event: only the failing decision dead-letters it
    batch = [(f"k{i}".encode(), value) for i, value in enumerate(values[:6])]
    after = (b"k6", values[6])
    calls: list[bytes | None] = []

    def decide_or_fail(value: bytes | None, headers: Headers, dedup: Deduplicator, *,
                       max_bytes: int) -> Decision:
        calls.append(value)
        if value == poison:
            raise RuntimeError("decide blew up")
        return decide(value, headers, dedup, max_bytes=max_bytes)

    monkeypatch.setattr(services.ingest.app, "decide", decide_or_fail)

    def no_exit(log: logging.Logger, message: str, error: BaseException | None = None,
                **extra: object) -> None:
        if error is not None:
            raise AssertionError(f"ingest would have exited: {message}") from error
        raise AssertionError(f"ingest would have exited: {message}")  # in an `except`

    # A batch that fails ends the process (os._exit): here it would end pytest.
    monkeypatch.setattr(govmon.adapters.batches, "die", no_exit)

    handled, committed, metrics = asyncio.run(
        _ingest_in_process(clean_kafka, batch, after))

    assert calls.count(poison) == 1 and len(calls) == len(events)  # each decided once
    assert [0, 1, 2, 3, 4, 5] in handled, handled  # the poison shared its batch
    assert committed == len(batch) + 1  # nothing left behind: lag 0 on the partition
    assert asyncio.run(group_lag(clean_kafka, "govmon-ingest", (topics.RAW,))) == 0

    [dead] = asyncio.run(read_all(clean_kafka, topics.DLQ))
    assert (dead.key, dead.value) == (b"k3", poison)
    assert dead.headers["govmon.dlq.code"] == b"internal"
    assert dead.headers["govmon.dlq.reason"] == (
        b"internal error while validating: RuntimeError('decide blew up')")
    assert dead.headers["govmon.dlq.topic"] == topics.RAW.name.encode()
    assert dead.headers["govmon.dlq.partition"] == b"0"
    assert dead.headers["govmon.dlq.offset"] == b"3"
    assert dead.headers["x-trace"] == b"t-1"  # the original headers kept

    routed = asyncio.run(read_all(clean_kafka, *FAMILY))
    expected = [e for i, e in enumerate(events) if i != 3]
    assert sorted(str(r.json()["id"]) for r in routed) == sorted(str(e["id"]) for e in expected)
    by_id = {r.json()["id"]: r for r in routed}
    for event in expected:
        spec, key = topics.route(decode_event(json.dumps(event)))
        record = by_id[event["id"]]
        assert (record.topic, record.key) == (spec.name, key.encode())
        assert record.json() == event

    assert metric_value(metrics, "govmon_ingest_rejected_total", reason="internal") == 1
    assert metric_value(metrics, "govmon_ingest_rejected_total") == 1
    assert metric_value(metrics, "govmon_ingest_routed_total") == len(expected)
    assert metric_value(metrics, "govmon_ingest_received_total") == len(events)


def test_produce_wait_gives_up_by_name_when_nothing_consumes(clean_kafka: str,
                                                             tmp_path: Path) -> None:
    """No service runs: `--wait` ends after GOVMON_WAIT_TIMEOUT with one line saying
    which groups lag and what to look at, not a traceback; what was sent stays sent."""
    path = _write(tmp_path / "w.jsonl", [json.dumps(_valid(0, "r6"))])
    result = subprocess.run(
        [sys.executable, "-m", "govmon.cli", "produce", str(path), "--no-progress", "--wait"],
        env={"KAFKA_BOOTSTRAP_SERVERS": clean_kafka, "PATH": "/usr/bin:/bin",
             "GOVMON_WAIT_TIMEOUT": "3"},
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 3, result.stderr
    assert "sent 1 lines" in result.stderr
    [complaint] = [line for line in result.stderr.splitlines() if "--wait" in line]
    assert "consumers still behind after 3s" in complaint and "govmon-ingest" in complaint
    assert "GOVMON_WAIT_TIMEOUT" in complaint and "Traceback" not in result.stderr
    assert len(asyncio.run(read_all(clean_kafka, topics.RAW))) == 1
