"""``Database.transact`` on a real PostgreSQL: a transaction the server refused (a
deadlock, a statement a migration made stale) is run again without counting as
interrupted; one cut with its connection may have committed unseen and is counted
(timeliness then rebuilds its due index)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from govmon.adapters.db import Database

pytestmark = pytest.mark.integration


async def _runs(url: str, first_error: Exception) -> tuple[int, int, int]:
    db = Database(url, retry_for=30)
    calls = 0

    async def work(conn: asyncpg.Connection) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise first_error
        return int(await conn.fetchval("SELECT 41 + 1"))

    try:
        return await db.transact(work), calls, db.interrupted
    finally:
        await db.close()


@pytest.mark.parametrize("error", [asyncpg.DeadlockDetectedError("deadlock"),
                                   asyncpg.InvalidCachedStatementError("stale plan")])
def test_refused_transaction_runs_again_uncounted(database_url: str, error: Exception) -> None:
    assert asyncio.run(_runs(database_url, error)) == (42, 2, 0)


def test_cut_transaction_runs_again_and_is_counted(database_url: str) -> None:
    cut = asyncpg.ConnectionDoesNotExistError("connection lost")
    assert asyncio.run(_runs(database_url, cut)) == (42, 2, 1)
