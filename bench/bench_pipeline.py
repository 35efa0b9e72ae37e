"""Pipeline benchmark on a throw-away local stack (Kafka + PostgreSQL + the services).

    .venv/bin/python bench/bench_pipeline.py [--events 100000] [--units 100] [--rate 2000]
                                             [--seconds 15] [--open-items 1000000]
                                             [--fire 20000]

1. end to end, event-time mode: a simulated year through ingest -> timeliness ->
   scoring until every group has committed everything (`produce --wait`): events/s;
   then catching up: another year produced while the services are down, and the rate
   at which they work that backlog off once started (no producer competing for CPU);
2. latency at a fixed rate, wall-clock mode: liable disputes (a deduction at once) sent
   at ``--rate`` per second, each for its own unit, after 3 s of untimed warm-up (the
   same load on fresh processes); produce -> score row committed (the commit
   timestamp of its `score_history` row: `recorded_at` is the transaction's start,
   earlier by the whole transaction): p50 / p99 / max.  The end-to-end run's database is
   vacuumed first, so its autovacuum does not fall into this window;
3. raw aiokafka consume rate of 200k records (no processing): the ceiling (run first:
   it also warms the broker's JIT up; then an unmeasured pipeline run as large as the
   measured one warms up the rest, see ``warm_up``);
4. timeliness holding ``--open-items`` open cases: due-index rebuild time and memory,
   then firing ``--fire`` due deadlines (judge, store, publish to Kafka).

Prints figures, and the host's speed (a reference loop) before and after; asserts
nothing (machines differ).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from bench._stack import Stack, execute_sql  # noqa: E402

if TYPE_CHECKING:
    from govmon.simulate.writer import Stats


def host_speed() -> str:
    """A fixed amount of pure CPU work, timed: this machine's speed varies by a third from
    one hour to the next (other tenants), which every figure here shares.  On the
    2-core development machine it takes ~0.13-0.16 s at the host's usual speed."""
    started = time.perf_counter()
    for _ in range(10**7):
        pass
    return f"reference loop (10^7 empty iterations): {time.perf_counter() - started:.2f} s"


def _year(scratch: Path, name: str, events: int, seed: int, units: int = 100
          ) -> tuple[Path, Stats]:
    """A simulated year of ``events`` over ``units`` units, written to
    ``scratch/name``: its path and the writer's counts.  Events per unit set the year's
    density (items per unit, and so what each judgement and rescoring costs); 1,000 is
    the benchmark's, and ``--units`` with ``--events`` in proportion gives a longer
    run of the same year."""
    from govmon.simulate import generate, write_jsonl

    path = scratch / name
    return path, write_jsonl(generate(year=2017, units=units, events=events, seed=seed),
                             path)


def _produce(stack: Stack, path: Path) -> None:
    """``govmon produce`` of ``path`` to the raw topic, without waiting for the services."""
    from govmon.produce import produce_file
    from govmon.settings import load_settings

    produce_file(load_settings(kafka_bootstrap_servers=stack.bootstrap), path,
                 topic="gov.events.raw", wait=False, progress=False)


def end_to_end(stack: Stack, scratch: Path, events: int, units: int = 100) -> str:
    path, stats = _year(scratch, "year.jsonl", events, seed=1, units=units)
    url = stack.database("bench_e2e")
    stack.run_services(url, GOVMON_CLOCK="event")
    before = stack.cpu_seconds()
    started, own = time.monotonic(), time.process_time()
    _produce(stack, path)
    # As `produce --wait`, but probing every 0.1 s instead of 0.5, and timed to the
    # first of its two rounds that found no lag (the second confirms it): its rounds
    # would otherwise add up to a second to a run of ~4 s.
    took = stack.drained(within=600, poll=0.1) - started
    used = {name: spent - before.get(name, 0.0) for name, spent in stack.cpu_seconds().items()}
    used["producer (produce + lag probe)"] = time.process_time() - own
    print(f"1. end to end (event time): {stats.valid:,} events in {took:.1f} s = "
          f"{stats.valid / took:,.0f} events/s through ingest, timeliness and scoring")
    total = sum(used.values())
    print(f"   CPU used: {total:.1f} s of {took * (os.cpu_count() or 1):.1f} available "
          f"({total / took:.2f} cores busy on average); per event:")
    for name, spent in sorted(used.items(), key=lambda kv: -kv[1]):
        print(f"     {name:34s} {spent * 1e6 / stats.valid:7.1f} us")
    return url


def warm_up(stack: Stack, scratch: Path, events: int, units: int = 100) -> None:
    """The pipeline once, unmeasured, on a throw-away database.  The raw consume (3.)
    warms up the broker's fetch and produce paths, not those of consumer groups, offset
    commits and several producers at once: without this the first run on a stack cost
    the broker 1.3-2.8 times the CPU per event of the runs after it (7 series of runs),
    and after a warm-up of 30,000 events still ~1.3 times; after one as large as the
    measured run, ~1.1 times.  A broker that has run for a while is warm."""
    path, stats = _year(scratch, "warm-up.jsonl", events, seed=3, units=units)
    stack.run_services(stack.database("bench_warm_up"), GOVMON_CLOCK="event")
    started = time.perf_counter()
    _produce(stack, path)
    stack.drained(within=600, poll=0.1)
    stack.stop_services()
    print(f"   warm-up: {stats.valid:,} events through the pipeline in "
          f"{time.perf_counter() - started:.1f} s (not counted)")


async def _settle(url: str) -> None:
    """VACUUM ANALYZE a run's database now, so that its autovacuum (due after 10^5
    fresh rows) does not land in the middle of the next measurement."""
    await execute_sql(url, "VACUUM ANALYZE")


async def _analyze(url: str) -> None:
    await execute_sql(url, "ANALYZE")


def catch_up(stack: Stack, scratch: Path, events: int, units: int = 100) -> None:
    """A backlog produced while the services are down, then worked off: how fast the
    pipeline catches up after an outage, with the producer's CPU out of the picture."""
    path, stats = _year(scratch, "backlog.jsonl", events, seed=2, units=units)
    stack.stop_services()
    _produce(stack, path)
    url = stack.database("bench_catch_up")
    # Timeliness and scoring first, ready and idle; the clock starts as ingest is
    # launched, so every backlog event goes through every stage inside the window.
    # Ingest's start-up (~1-2 s) is in the time, not in its CPU per event.
    stack.start_services(url, ("timeliness", "scoring"), GOVMON_CLOCK="event")
    started, before = time.monotonic(), stack.cpu_seconds()
    stack.start_services(url, ("ingest",), GOVMON_CLOCK="event")
    # ingest's CPU from when it is ready (consuming): its imports are not per event
    before["ingest"] = stack.cpu_seconds().get("ingest", 0.0)
    took = stack.drained(within=600, poll=0.1) - started  # as in end_to_end
    used = {name: spent - before.get(name, 0.0) for name, spent in stack.cpu_seconds().items()}
    print(f"   catching up: {stats.valid:,} backlog events worked off in {took:.1f} s = "
          f"{stats.valid / took:,.0f} events/s (from launching ingest, timeliness and "
          f"scoring waiting, to no lag in any group); CPU per event: " + ", ".join(
              f"{name} {spent * 1e6 / stats.valid:.0f} us"
              for name, spent in sorted(used.items(), key=lambda kv: -kv[1])))


async def _paced(bootstrap: str, rate: int, seconds: int, warmup: int,
                 warmed: Callable[[], Coroutine[Any, Any, None]] | None = None
                 ) -> dict[str, float]:
    from aiokafka import AIOKafkaProducer

    from govmon.rules.instants import SHANGHAI

    # linger 5 ms: the Java client's default since Kafka 4.0 (a producer of many small
    # events batches them a little rather than one request per event).
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    sent: dict[str, float] = {}
    futures = []
    background: asyncio.Task[None] | None = None
    start = time.monotonic()
    try:
        for i in range(rate * (warmup + seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            # Fresh processes spend their first batches on caches and prepared
            # statements: the first `warmup` seconds' events are sent but not timed.
            unit = f"B-{i}" if i >= rate * warmup else f"W-{i}"
            if i == rate * warmup and warmed is not None:  # alongside, as autovacuum would
                background = asyncio.create_task(warmed())
            now = datetime.now(SHANGHAI)
            doc = {"specversion": "1.0", "id": f"bench-{i}", "source": "/bench",
                   "type": "gov.application.disputed", "time": now.isoformat(),
                   "data": {"dispute_id": f"D-{i}", "case_id": f"C-{i}", "unit_id": unit,
                            "kind": "litigation", "liable": True}}
            if unit[0] == "B":
                sent[unit] = time.time()
            futures.append(await producer.send("gov.events.raw", json.dumps(doc).encode()))
        await asyncio.gather(*futures)
        if background is not None:
            await background
    finally:
        await producer.stop()
    return sent


async def _recorded(url: str) -> dict[str, float]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        # track_commit_timestamp is on in the benchmark's server (bench/_stack.py)
        rows = await conn.fetch("SELECT unit_id, pg_xact_commit_timestamp(xmin) AS at "
                                "FROM score_history "
                                "WHERE version = 1 AND unit_id LIKE 'B-%'")
    finally:
        await conn.close()
    return {r["unit_id"]: r["at"].timestamp() for r in rows}


def _extra_env() -> dict[str, str]:
    """GOVMON_BENCH_LOG_LEVEL=DEBUG: the services' batch timings in scratch logs."""
    level = os.environ.get("GOVMON_BENCH_LOG_LEVEL")
    return {"GOVMON_LOG_LEVEL": level} if level else {}


def latency(stack: Stack, rate: int, seconds: int, warmup: int = 3) -> None:
    url = stack.database("bench_latency")
    stack.run_services(url, GOVMON_CLOCK="wall", **_extra_env())
    # The database is new: its tables have no statistics until autovacuum first visits
    # it (a minute or more), and plans made without them scan whole tables.  A system
    # that has run for a while has them, so the warm-up ends with what autovacuum does.
    sent = asyncio.run(_paced(stack.bootstrap, rate, seconds, warmup,
                              warmed=lambda: _analyze(url)))
    stack.drained(within=300)
    recorded = asyncio.run(_recorded(url))
    lat = sorted((recorded[u] - t) * 1000 for u, t in sent.items() if u in recorded)
    if not lat:
        print("2. latency: no score rows recorded")
        return
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"2. latency at {rate}/s for {seconds} s after {warmup} s of warm-up (wall "
          f"clock), produce -> score row "
          f"committed, {len(lat)}/{len(sent)} events: p50 {statistics.median(lat):.0f} ms, "
          f"p99 {p99:.0f} ms, max {lat[-1]:.0f} ms")


async def _consume_rate(bootstrap: str, count: int) -> tuple[float, float]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic("bench.consume", 6, 1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    value = b"x" * 300  # about the size of an event
    started = time.perf_counter()
    futures = [await producer.send("bench.consume", value, key=str(i).encode())
               for i in range(count)]
    await asyncio.gather(*futures)
    await producer.stop()
    produced = count / (time.perf_counter() - started)
    consumer = AIOKafkaConsumer("bench.consume", bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    got, started = 0, time.perf_counter()
    try:
        while got < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            got += sum(len(messages) for messages in batch.values())
    finally:
        await consumer.stop()
    return produced, count / (time.perf_counter() - started)


def raw_consume(stack: Stack) -> None:
    produced, consumed = asyncio.run(_consume_rate(stack.bootstrap, 200_000))
    print(f"3. raw aiokafka, 300-byte records: produce {produced:,.0f}/s, "
          f"consume {consumed:,.0f}/s (one process, no processing)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--rate", type=int, default=2_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--open-items", type=int, default=1_000_000)
    parser.add_argument("--fire", type=int, default=20_000)
    args = parser.parse_args()
    from bench.bench_open_items import open_items

    with tempfile.TemporaryDirectory(prefix="govmon-bench-") as tmp:
        scratch = Path(tmp)
        stack = Stack(scratch).start()
        try:
            # First, as it also warms the broker up: a fresh JVM spends its first ~30 s
            # JIT-compiling (~7 s of CPU on this machine), which a broker that has run for
            # months does not - and which would otherwise be charged to the pipeline.
            raw_consume(stack)
            warm_up(stack, scratch, args.events, args.units)
            print(f"   host speed before 1: {host_speed()}")
            asyncio.run(_settle(end_to_end(stack, scratch, args.events, args.units)))
            latency(stack, args.rate, args.seconds)
            catch_up(stack, scratch, args.events, args.units)
            print(f"   host speed after 2 and catching up: {host_speed()}")
            stack.stop_services()
            if args.open_items > 0:
                gc.collect()
                url = stack.database("bench_open")
                asyncio.run(open_items(stack, url, args.open_items, args.fire))
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
