"""``Staging`` on a real PostgreSQL: rows sent by COPY are there for the rest of the
transaction only, a second fill replaces the first, and filling outside a transaction
(whose commit would empty the table at once) is refused."""

from __future__ import annotations

import asyncio

import pytest

from govmon.adapters.db import connect
from govmon.adapters.staging import Staging

STAGED = Staging("staged_test_rows", "k text, n bigint, note text")


async def _run(url: str) -> dict[str, object]:
    conn = await connect(url)
    seen: dict[str, object] = {}
    try:
        async with conn.transaction():
            await STAGED.fill(conn, [("a", 1, None), ("b", 2, "x")])
            seen["first"] = [tuple(r) for r in await conn.fetch(
                "SELECT k, n, note FROM staged_test_rows ORDER BY k")]
            await STAGED.fill(conn, [("c", 3, "y")])  # the same transaction again
            seen["second"] = [tuple(r) for r in await conn.fetch(
                "SELECT k, n, note FROM staged_test_rows")]
        seen["after commit"] = await conn.fetchval("SELECT count(*) FROM staged_test_rows")
        with pytest.raises(RuntimeError, match="outside a transaction"):
            await STAGED.fill(conn, [("d", 4, None)])
        try:  # a rolled-back transaction leaves nothing either
            async with conn.transaction():
                await STAGED.fill(conn, [("e", 5, None)])
                raise ValueError
        except ValueError:
            pass
        seen["after rollback"] = await conn.fetchval("SELECT count(*) FROM staged_test_rows")
    finally:
        await conn.close()
    # another session has its own (empty) table
    other = await connect(url)
    try:
        async with other.transaction():
            await STAGED.fill(other, [])
            seen["other session"] = await other.fetchval("SELECT count(*) FROM staged_test_rows")
    finally:
        await other.close()
    return seen


def test_staged_rows_last_one_transaction(database_url: str) -> None:
    seen = asyncio.run(_run(database_url))
    assert seen == {"first": [("a", 1, None), ("b", 2, "x")], "second": [("c", 3, "y")],
                    "after commit": 0, "after rollback": 0, "other session": 0}
