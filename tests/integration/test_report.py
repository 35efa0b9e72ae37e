"""`govmon report` on a real PostgreSQL: every read of one report sees one snapshot,
so a pipeline writing meanwhile cannot mix two states into it."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from govmon import report
from govmon.adapters.db import connect
from govmon.adapters.item_store import save_items
from govmon.handlers.items import ItemRow, fold, marked, rejudge
from govmon.rules import AlertPolicy, YearResult, render_result
from tests.unit.rules.builders import at, calendar, catalog, law, received

TOPIC = "gov.applications.v1"


async def _store_unanswered_case(url: str) -> None:
    """A case never answered: overdue at the year's end, judged again by the report
    from its facts (its stored verdict dates from March)."""
    rows: dict[tuple[str, str], ItemRow] = {}
    event = received("C-1", "2017-03-01T10:00:00", id="e1", unit_id="U-1")
    for key in fold(rows, marked([(event, TOPIC, 0)], {})):
        rejudge(rows[key], at("2017-03-02T00:00:00"), calendar(), law(), AlertPolicy())
    conn = await connect(url)
    try:
        async with conn.transaction():
            await save_items(conn, list(rows.values()))
    finally:
        await conn.close()


class _WriterAfterFirstRead:
    """A real connection; once its first query has returned, another session deletes
    every item's facts and commits, before the report's next query."""

    def __init__(self, conn: asyncpg.Connection, url: str) -> None:
        self._conn, self._url, self.fetches = conn, url, 0

    def transaction(self, **options: Any) -> Any:
        return self._conn.transaction(**options)

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        records = await self._conn.fetch(query, *args)
        self.fetches += 1
        if self.fetches == 1:
            other = await connect(self._url)
            try:
                await other.execute("DELETE FROM item_facts")
            finally:
                await other.close()
        return records

    async def close(self) -> None:
        await self._conn.close()


async def _report(url: str, interfere: bool) -> tuple[YearResult, int]:
    async def opened(target: str) -> Any:
        conn = await connect(target)
        return _WriterAfterFirstRead(conn, target) if interfere else conn

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report, "connect", opened)
        result, judged, _ = await report.year_result(
            url, catalog(), calendar(), law(), 2017, None)
    return result, judged


def test_a_report_reads_one_snapshot(database_url: str) -> None:
    asyncio.run(_store_unanswered_case(database_url))
    quiet, judged = asyncio.run(_report(database_url, interfere=False))
    assert judged == 1
    assert "reply_overdue" in [d["rule"] for d in render_result(quiet)["units"][0]["deductions"]]
    # Without one snapshot the second query finds no facts and the breach vanishes.
    raced, _ = asyncio.run(_report(database_url, interfere=True))
    assert render_result(raced) == render_result(quiet)
