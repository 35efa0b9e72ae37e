"""``save_items`` on a real PostgreSQL: a new item's row cannot be locked before it
exists, so a transaction that made one must not overwrite a row another transaction
stored meanwhile (a worker stalled past its session timeout while the partition's new
owner went on); it is refused, and run again from the stored row."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from govmon.adapters.db import Database, WriteConflict, connect
from govmon.adapters.item_store import lock_items, save_items
from govmon.contract.events import GovEvent
from govmon.handlers.items import ItemRow, fold, marked, rejudge
from govmon.rules import AlertPolicy, facts_from_json
from tests.unit.rules.builders import at, calendar, extended, law, received

TOPIC = "gov.applications.v1"
KEY = ("case", "C-X")
STALLED = [received("C-X", "2017-03-01T10:00:00", id="e1")]
NEWER = [*STALLED, extended("C-X", "2017-03-02T10:00:00", 5, id="e2")]


def _judged(rows: dict[tuple[str, str], ItemRow], events: list[GovEvent]) -> list[ItemRow]:
    for key in fold(rows, marked([(event, TOPIC, 0) for event in events], {})):
        rejudge(rows[key], at("2017-03-10T00:00:00"), calendar(), law(), AlertPolicy())
    return list(rows.values())


async def _apply(conn: asyncpg.Connection, events: list[GovEvent]) -> None:
    """What a timeliness transaction does with a batch: lock, fold, judge, store."""
    await save_items(conn, _judged(await lock_items(conn, [KEY]), events))


async def _stored(conn: asyncpg.Connection) -> list[str]:
    facts = await conn.fetchval("SELECT facts::text FROM item_facts WHERE item_id = 'C-X'")
    return sorted(mark.event_id for mark in facts_from_json(facts).marks)


async def _refused(url: str) -> list[str]:
    conn = await connect(url)
    try:
        async with conn.transaction():
            await _apply(conn, NEWER)
        with pytest.raises(WriteConflict, match="1 of 1 items"):
            async with conn.transaction():  # a copy made when no row was there to lock
                await save_items(conn, _judged({}, STALLED))
        return await _stored(conn)
    finally:
        await conn.close()


def test_a_copy_made_without_the_stored_row_is_refused(database_url: str) -> None:
    assert asyncio.run(_refused(database_url)) == ["e1", "e2"]


async def _run_again(url: str) -> tuple[int, list[str]]:
    db = Database(url, retry_for=30)
    other = await connect(url)
    runs = 0

    async def stalled_worker(conn: asyncpg.Connection) -> None:
        nonlocal runs
        runs += 1
        rows = await lock_items(conn, [KEY])
        if runs == 1:  # it found no row to lock; the new owner stores one meanwhile
            assert rows == {}
            async with other.transaction():
                await _apply(other, NEWER)
        await save_items(conn, _judged(rows, STALLED))

    try:
        await db.transact(stalled_worker)
        return runs, await _stored(other)
    finally:
        await other.close()
        await db.close()


def test_the_refused_transaction_runs_again_from_the_stored_row(database_url: str) -> None:
    runs, stored = asyncio.run(_run_again(database_url))
    assert runs == 2
    assert stored == ["e1", "e2"]  # the new owner's events kept, the stalled one's in too
