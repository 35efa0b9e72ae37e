"""Timeliness' outbox on a real PostgreSQL: an entry a crashed worker never dropped is
fired once by the next rebuild, not at every rebuild after it."""

from __future__ import annotations

import asyncio

from govmon.adapters.db import connect
from govmon.adapters.item_store import (
    add_unpublished,
    due_entries,
    lock_items,
    save_items,
)
from govmon.handlers.items import ItemRow
from govmon.rules import ItemFacts

TOPIC = "gov.applications.v1"


def _row(item_id: str, partition: int, next_due_us: int | None = None) -> ItemRow:
    # version 1: judged once since none was stored (``save_items``)
    return ItemRow(kind="case", item_id=item_id, topic=TOPIC, partition=partition,
                   facts=ItemFacts("case", item_id, []), next_due_us=next_due_us, version=1)


async def _scenario(url: str) -> None:
    conn = await connect(url)
    try:
        rows = [_row("C-0", 0), _row("C-1", 1), _row("C-due", 0, next_due_us=500)]
        async with conn.transaction():
            await save_items(conn, rows)
            # a batch committed with its outbox entry; the worker died before the
            # broker's acknowledgement, so the entry was never dropped
            await add_unpublished(conn, rows[:2])

        async with conn.transaction():
            entries = await due_entries(conn, TOPIC, 0)
        assert sorted(entries) == [(-1, "case", "C-0", 1), (500, "case", "C-due", 1)]
        assert await conn.fetchval("SELECT count(*) FROM unpublished_verdicts") == 0
        # the entry's item in another partition is flagged for that partition's owner
        async with conn.transaction():
            assert await due_entries(conn, TOPIC, 1) == [(-1, "case", "C-1", 1)]

        # firing judges and stores the item, which clears its flag
        async with conn.transaction():
            locked = await lock_items(conn, [("case", "C-0")], due_by=0)
            assert list(locked) == [("case", "C-0")]
            row = locked[("case", "C-0")]
            row.version, row.pending = row.version + 1, False  # as ``rejudge`` leaves it
            await save_items(conn, [row])
        async with conn.transaction():
            assert await due_entries(conn, TOPIC, 0) == [(500, "case", "C-due", 1)]
            assert await lock_items(conn, [("case", "C-0")], due_by=0) == {}
    finally:
        await conn.close()


def test_left_over_entry_fires_once(database_url: str) -> None:
    asyncio.run(_scenario(database_url))


async def _interrupted(url: str, bootstrap: str) -> list[str]:
    """Item ids the engine publishes after a commit it did not see, before and after it
    learns that a transaction was interrupted."""
    from govmon.adapters.item_store import advance_clock
    from govmon.contract import topics
    from govmon.rules import year_start
    from services.timeliness.engine import CLOCK
    from tests.support.kafka_io import read_all
    from tests.support.timeliness import timeliness_engine

    async def published() -> list[str]:
        records = await read_all(bootstrap, topics.TIMELINESS)
        return sorted(str(r.json()["item_id"]) for r in records)

    async with timeliness_engine(url, bootstrap, "event", (TOPIC, 0)) as engine:
        await engine.tick()  # heaps built from an empty record
        conn = await connect(url)
        try:
            async with conn.transaction():  # the unseen commit of a fire that was cut
                await advance_clock(conn, CLOCK, year_start(2017))
                await save_items(conn, [_row("C-cut", 0, next_due_us=year_start(2018))])
                await add_unpublished(conn, [_row("C-cut", 0)])
        finally:
            await conn.close()
        await engine.tick()
        before = await published()
        engine.db.interrupted += 1  # as Database.transact counts a rerun
        await engine.tick()
        return before + ["|"] + await published()


def test_interrupted_transaction_publishes_its_outbox(database_url: str,
                                                      clean_kafka: str) -> None:
    assert asyncio.run(_interrupted(database_url, clean_kafka)) == ["|", "C-cut"]


async def _flagged_elsewhere(url: str, bootstrap: str) -> list[str]:
    """Item ids a worker publishes when another worker's rebuild flags an item in a
    partition the first one keeps (and so does not rebuild)."""
    from govmon.contract import topics
    from tests.support.kafka_io import read_all
    from tests.support.timeliness import timeliness_engine

    async with timeliness_engine(url, bootstrap, "wall", (TOPIC, 0)) as engine:
        await engine.tick()  # partition 0's heap built from an empty record
        conn = await connect(url)
        try:
            async with conn.transaction():  # a stalled worker's commit, never published
                await save_items(conn, [_row("C-lost", 0)])
                await add_unpublished(conn, [_row("C-lost", 0)])
            async with conn.transaction():  # another worker rebuilds partition 1
                assert await due_entries(conn, TOPIC, 1) == []
        finally:
            await conn.close()
        engine.flags_due = 0.0  # its next look for flags is now, not in 5 s
        await engine.tick()
        records = await read_all(bootstrap, topics.TIMELINESS)
        return sorted(str(r.json()["item_id"]) for r in records)


def test_a_flag_set_by_another_workers_rebuild_is_fired(database_url: str,
                                                        clean_kafka: str) -> None:
    assert asyncio.run(_flagged_elsewhere(database_url, clean_kafka)) == ["C-lost"]


async def _idle_entries(url: str, bootstrap: str) -> tuple[int, int]:
    """Outbox entries left after a wall-clock batch, then after the idle worker's tick."""
    from aiokafka.structs import ConsumerRecord

    from govmon.contract.codec import encode_event
    from tests.support.timeliness import timeliness_engine
    from tests.unit.rules.builders import received

    record = ConsumerRecord(TOPIC, 0, 0, 0, 0, None,
                            encode_event(received("C-idle", "2017-03-01T10:00:00")),
                            None, 0, 0, ())
    async with timeliness_engine(url, bootstrap, "wall", (TOPIC, 0)) as engine:
        await engine.tick()  # heaps built from an empty record
        await engine.handle_batch([record])  # a breach (2017 is long past): published
        conn = await connect(url)
        try:
            after_batch = await conn.fetchval("SELECT count(*) FROM unpublished_verdicts")
            await engine.tick()  # no more events: the confirmation is recorded here
            after_tick = await conn.fetchval("SELECT count(*) FROM unpublished_verdicts")
        finally:
            await conn.close()
    return after_batch, after_tick


def test_an_idle_worker_drops_its_confirmed_entry(database_url: str, clean_kafka: str) -> None:
    # Left listed, the next rebuild of any partition would announce its breach again.
    assert asyncio.run(_idle_entries(database_url, clean_kafka)) == (1, 0)
