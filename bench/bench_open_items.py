"""Part 4 of bench_pipeline: the timeliness engine holding a million open items.

Rows are written straight into `item_facts` (open disclosure cases received in 2017,
spread over six partitions, due one per simulated second), then the real engine is
built in this process against the real database and broker: the due index is rebuilt
as on a partition assignment (time, memory), one due item is popped from the full heap,
and ``--fire`` due deadlines are fired (judged, stored, published to Kafka).
"""

from __future__ import annotations

import gc
import time
from typing import Any

import psutil

from bench._stack import Stack

PARTITIONS = 6
TOPIC = "gov.applications.v1"


def _rss_mb() -> float:
    gc.collect()
    return float(psutil.Process().memory_info().rss) / 2**20


async def _fill(url: str, count: int, first_due: int) -> float:
    import asyncpg

    from govmon.rules import ItemFacts, Mark, facts_to_json

    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    received = first_due - 30 * 86_400 * 1_000_000
    try:
        for start in range(0, count, 20_000):
            chunk = range(start, min(count, start + 20_000))
            ids = [f"C{i:07d}" for i in chunk]
            facts = [facts_to_json(ItemFacts("case", item, [
                Mark(received + i, "received", f"e{i}", "/bench", f"U{i % 2000}", 0,
                     "disclosure")])).decode() for i, item in zip(chunk, ids, strict=True)]
            await conn.execute(
                """INSERT INTO item_facts (kind, item_id, topic, partition, unit_id, facts,
                       marks, latest_us, version, assessed_us, next_due_us, deadline_us,
                       alerted_us, breached, pending)
                   SELECT 'case', id, $1, p, 'U' || (n % 2000), f::json, 1, $2, 1, $2, d, d,
                          $2, '{}', false
                   FROM unnest($3::text[], $4::integer[], $5::text[], $6::bigint[],
                               $7::integer[]) AS t(id, p, f, d, n)""",
                TOPIC, received, ids, [i % PARTITIONS for i in chunk], facts,
                [first_due + i * 1_000_000 for i in chunk], list(chunk))
    finally:
        await conn.close()
    return time.perf_counter() - started


async def open_items(stack: Stack, url: str, count: int, fire: int) -> None:
    from aiokafka import AIOKafkaProducer

    from govmon.adapters.db import Database
    from govmon.adapters.metrics import TimelinessMetrics, new_registry
    from govmon.rules import load_calendar, load_law, year_start
    from govmon.settings import load_settings
    from services.timeliness.engine import TimelinessEngine

    first_due = year_start(2017) + 120 * 86_400 * 1_000_000
    filled = await _fill(url, count, first_due)
    print(f"4. {count:,} open items written to item_facts in {filled:.0f} s")
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", linger_ms=5)
    await producer.start()

    async def publish(records: list[tuple[bytes, bytes]]) -> None:
        futures: list[Any] = [await producer.send("gov.timeliness.v1", value, key=key)
                              for key, value in records]
        for future in futures:
            await future

    settings = load_settings(clock="event", database_url=url)
    db = Database(url, retry_for=30)
    engine = TimelinessEngine(settings, db, publish,
                              lambda: {(TOPIC, p) for p in range(PARTITIONS)},
                              TimelinessMetrics(new_registry()), load_calendar(), load_law())
    try:
        before = _rss_mb()
        started = time.perf_counter()
        await engine._sync_partitions()
        rebuilt = time.perf_counter() - started
        held = _rss_mb() - before
        print(f"   due index rebuilt from PostgreSQL (6 partitions) in {rebuilt:.1f} s: "
              f"{len(engine.index):,} entries, +{held:,.0f} MB "
              f"({held * 2**20 / max(len(engine.index), 1):,.0f} B per entry)")
        started = time.perf_counter()
        popped = engine.index.pop_due(first_due, 1)
        one = time.perf_counter() - started
        engine.index.push(popped[0][0], first_due, popped[0][1], popped[0][2], 1)
        print(f"   popping the earliest due item from the full heap: {one * 1e6:.0f} µs")
        clock = first_due + (fire - 1) * 1_000_000
        started = time.perf_counter()
        await engine._fire(clock)
        took = time.perf_counter() - started
        print(f"   fired {fire:,} due deadlines (judge, store, publish) in {took:.1f} s = "
              f"{fire / took:,.0f} deadlines/s; {len(engine.index):,} entries left")
    finally:
        await producer.stop()
        await db.close()
