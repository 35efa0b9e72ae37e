"""Scores and deductions on a real PostgreSQL: writing only the differences from the
rows a worker knows leaves the table exactly as replacing them all would."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import asyncpg
import msgspec
import pytest

from govmon.adapters.db import connect
from govmon.adapters.score_store import NewScore, save_scores, store_assessments
from govmon.contract.derived import ItemAssessed
from govmon.rules import Deduction, ItemAssessment, UnitScore

pytestmark = pytest.mark.integration


def _score(unit: str, version: int, deductions: list[Deduction]) -> NewScore:
    deducted = sum(d.points for d in deductions)
    score = UnitScore(unit_id=unit, name=None, category="county", scored_as="county",
                      score=100 - deducted, grade="excellent", deducted=deducted,
                      deductions=tuple(deductions), caps=())
    return NewScore(score, 2017, False, version, version, f"digest-{version}")


def _late(case: str, *events: str) -> Deduction:
    return Deduction("reply_overdue", 0.5, case, events or (f"e-{case}",), 1, "replies")


async def _rows(conn: asyncpg.Connection, unit: str) -> list[tuple[object, ...]]:
    records = await conn.fetch(
        """SELECT rule, ref, points, event_ids, detail FROM deductions
           WHERE unit_id = $1 AND year = 2017 ORDER BY rule, ref""", unit)
    return [tuple(r) for r in records]


async def _scenario(url: str) -> None:
    conn = await connect(url)
    try:
        first = [_late("C-1"), _late("C-2"), _late("C-3"),
                 Deduction("reports_shortfall", 1.5, None, (), None, "reports", "3 missing")]
        later = [_late("C-1"), _late("C-3", "e-C-3", "e-x"),  # C-2 gone, C-3 changed
                 # a year-end row (ref '') changed too
                 Deduction("reports_shortfall", 2.0, None, (), None, "reports", "4 missing"),
                 Deduction("dispute_liable", 1.0, "D-1", ("e-d",), 2, "disputes")]
        for unit, known in (("U-diff", True), ("U-whole", False)):
            async with conn.transaction():
                await save_scores(conn, [_score(unit, 1, first)])
            stored = {(unit, 2017): tuple(first)} if known else None
            async with conn.transaction():
                await save_scores(conn, [_score(unit, 2, later)], stored)
        assert await _rows(conn, "U-diff") == await _rows(conn, "U-whole")
        assert len(await _rows(conn, "U-diff")) == 4
        assert ("reply_overdue", "C-3", 0.5) in [r[:3] for r in await _rows(conn, "U-diff")]
        assert [r[3] for r in await _rows(conn, "U-diff") if r[1] == "C-3"] == [["e-C-3", "e-x"]]
        assert ("reports_shortfall", "", 2.0, [], "4 missing") in await _rows(conn, "U-diff")
    finally:
        await conn.close()


def test_differences_written_equal_a_whole_replacement(database_url: str) -> None:
    asyncio.run(_scenario(database_url))


async def _twice(url: str) -> None:
    conn = await connect(url)
    try:
        async with conn.transaction():
            await save_scores(conn, [_score("U-1", 1, [_late("C-1"), _late("C-1", "e-2")])])
    finally:
        await conn.close()


def test_two_deductions_for_one_row_are_refused_by_name(database_url: str) -> None:
    with pytest.raises(ValueError, match="U-1 2017: two deductions for one"):
        asyncio.run(_twice(database_url))


def _assessed(version: int, unit: str) -> ItemAssessed:
    return ItemAssessed(kind="case", item_id="C-v", unit_id=unit, version=version,
                        assessed_at=version, marks=1,
                        assessment=ItemAssessment(("case", "C-v"), unit))


async def _versions(url: str) -> tuple[list[int], list[int], tuple[str, int]]:
    conn = await connect(url)
    try:
        async with conn.transaction():
            first = await store_assessments(conn, [_assessed(2, "U-new")])
        async with conn.transaction():  # a redelivered older verdict, then the same one
            older = await store_assessments(conn, [_assessed(1, "U-old"), _assessed(2, "U-x")])
        stored = await conn.fetchrow(
            "SELECT unit_id, version FROM assessments WHERE item_id = 'C-v'")
        return ([r.new.version for r in first], [r.new.version for r in older],
                (stored["unit_id"], stored["version"]))
    finally:
        await conn.close()


def test_an_older_or_equal_verdict_version_changes_nothing(database_url: str) -> None:
    first, older, stored = asyncio.run(_versions(database_url))
    assert first == [2]
    assert older == []  # neither replaced the stored one: nothing to rescore
    assert stored == ("U-new", 2)


class _PausedBeforeWrite:
    """A real connection whose second statement (store_assessments' write, after its
    locking read) waits for ``go``: room for another transaction to come between."""

    def __init__(self, conn: asyncpg.Connection, go: asyncio.Event) -> None:
        self._conn, self._go, self.calls = conn, go, 0
        self.reading_done = asyncio.Event()

    async def _turn(self) -> None:
        self.calls += 1
        if self.calls == 2:
            self.reading_done.set()
            await self._go.wait()

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        await self._turn()
        return await self._conn.fetch(query, *args)

    async def execute(self, query: str, *args: object) -> str:
        await self._turn()
        return await self._conn.execute(query, *args)

    # the write's rows are staged first (``staging``): its first statement is the turn
    def is_in_transaction(self) -> bool:
        return self._conn.is_in_transaction()

    async def copy_records_to_table(self, table: str, **kwargs: Any) -> str:
        return await self._conn.copy_records_to_table(table, **kwargs)


async def _raced(url: str) -> tuple[list[int], tuple[str, int]]:
    """A stalled worker reads no row for a new item; the partition's new owner stores a
    newer verdict of it and commits; then the stalled worker writes."""
    slow, fast = await connect(url), await connect(url)
    go = asyncio.Event()
    paused = _PausedBeforeWrite(slow, go)
    new = ItemAssessed(kind="case", item_id="C-race", unit_id="U-new", version=3,
                       assessed_at=3, marks=1,
                       assessment=ItemAssessment(("case", "C-race"), "U-new"))
    old = msgspec.structs.replace(new, version=2, unit_id="U-old",
                                  assessment=ItemAssessment(("case", "C-race"), "U-old"))
    try:
        async with slow.transaction():
            stalled = asyncio.ensure_future(
                store_assessments(cast(asyncpg.Connection, paused), [old]))
            await asyncio.wait_for(paused.reading_done.wait(), 30)
            async with fast.transaction():
                assert [r.new.version for r in await store_assessments(fast, [new])] == [3]
            go.set()
            replaced = await asyncio.wait_for(stalled, 30)
        stored = await fast.fetchrow(
            "SELECT unit_id, version FROM assessments WHERE item_id = 'C-race'")
        return [r.new.version for r in replaced], (stored["unit_id"], stored["version"])
    finally:
        await slow.close()
        await fast.close()


def test_a_verdict_skipped_by_a_racing_newer_one_is_not_reported(database_url: str) -> None:
    replaced, stored = asyncio.run(_raced(database_url))
    assert stored == ("U-new", 3)  # the newer verdict stays
    assert replaced == []  # and the older one is not reported as having replaced it
