"""A batch's rows for one statement, sent by binary COPY into a temporary table.

Why not one array per column (``unnest($1::text[], $2::bigint[], ...)``), as the
other statements do: asyncpg checks every element of an array parameter against
three abstract base classes (each a Python call), and the column lists are built one
pass per column.  For the timeliness worker's item rows (17 columns, ~3,500 rows per
batch) that cost ~4 us of the worker's CPU per event, and PostgreSQL's unnesting of
17 arrays cost it more than scanning the staged rows (``docs/performance.md``,
eleventh session).  COPY encodes each row's values directly.

The table is the session's own (``TEMPORARY``) and emptied at every commit or
rollback (``ON COMMIT DELETE ROWS``), so nothing staged outlives its transaction.
``fill`` creates it when the session has none yet - in the caller's transaction, so
it also works through a pooler that hands each transaction another session - and
empties it first, in case the same transaction filled it before (on a table emptied at
the last commit, a ``DELETE`` finds no page to read).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg


class Staging:
    def __init__(self, name: str, columns: str) -> None:
        """``columns``: the table's column definitions, e.g. ``"kind text, n bigint"``;
        rows are tuples in that order."""
        self.name = name
        self._prepare = (f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({columns}) "
                         f"ON COMMIT DELETE ROWS; DELETE FROM {name}")

    async def fill(self, conn: asyncpg.Connection, rows: Iterable[Sequence[object]]) -> None:
        """Stage ``rows`` for the statements that follow in this transaction (they
        read ``self.name``); what an earlier ``fill`` of it staged is gone."""
        if not conn.is_in_transaction():  # its commit would empty the table at once
            raise RuntimeError(f"{self.name} staged outside a transaction")
        await conn.execute(self._prepare)  # no parameters: both in one round trip
        await conn.copy_records_to_table(self.name, records=rows)
