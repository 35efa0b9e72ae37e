"""`item_facts` and `service_clocks`: the SQL, nothing else (decisions are in
``govmon.handlers.items``).  Every function runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from govmon.adapters.db import WriteConflict
from govmon.adapters.staging import Staging
from govmon.handlers.due import PENDING, Entry
from govmon.handlers.items import ItemRow
from govmon.rules import ItemKey, facts_from_json, facts_to_json

_COLUMNS = ("kind, item_id, topic, partition, unit_id, facts, marks, latest_us, version, "
            "assessed_us, next_due_us, deadline_us, alerted_us, breached, pending, "
            "scored_version, scored_digest")
# `save_items`' rows, in `_COLUMNS`' order (`facts` as text, `breached` comma-joined)
_STAGED_ROWS = Staging("staged_item_rows", """
    kind text, item_id text, topic text, partition integer, unit_id text, facts text,
    marks integer, latest_us bigint, version bigint, assessed_us bigint, next_due_us bigint,
    deadline_us bigint, alerted_us bigint, breached text, pending boolean,
    scored_version bigint, scored_digest text""")


def _row(record: asyncpg.Record) -> ItemRow:
    return ItemRow(record["kind"], record["item_id"], record["topic"], record["partition"],
                   facts_from_json(record["facts"]), record["unit_id"], record["marks"],
                   record["latest_us"], record["version"], record["assessed_us"],
                   record["next_due_us"], record["deadline_us"], record["alerted_us"],
                   list(record["breached"]), record["pending"], record["scored_version"],
                   record["scored_digest"])


async def lock_items(conn: asyncpg.Connection, keys: Iterable[ItemKey], *,
                     due_by: int | None = None) -> dict[ItemKey, ItemRow]:
    """The stored rows of ``keys``, locked for this transaction (in key order, so two
    workers never deadlock).  With ``due_by``: only rows due by then or ``pending``
    (whose last verdict may not have been published)."""
    kinds, ids = _split(keys)
    args: list[object] = [kinds, ids]
    condition = ""
    if due_by is not None:
        condition = "AND (next_due_us <= $3 OR pending)"
        args.append(due_by)
    records = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM item_facts
            WHERE (kind, item_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
            {condition}
            ORDER BY kind, item_id FOR UPDATE""", *args)
    return {(r["kind"], r["item_id"]): _row(r) for r in records}


async def save_items(conn: asyncpg.Connection, rows: Iterable[ItemRow]) -> None:
    """Store rows read (and locked) by ``lock_items`` in this transaction, each judged
    once since (its version one higher), or made new because none was stored.

    A new item's row could not be locked: if another transaction has stored one since
    (a worker that stalled past its session timeout while the partition's new owner
    went on), this one's copy lacks that one's events, so it is not written, and
    ``WriteConflict`` makes the caller run the transaction again, from the stored row.
    """
    # One statement for the whole batch, not executemany: PostgreSQL plans and runs it
    # once (several times cheaper per row).  The rows come by COPY (``staging``);
    # `breached` as a comma-joined string (rule ids have no commas).
    listed = list(rows)
    if not listed:
        return
    await _STAGED_ROWS.fill(conn, [
        (r.kind, r.item_id, r.topic, r.partition, r.unit_id, facts_to_json(r.facts).decode(),
         r.marks, r.latest_us, r.version, r.assessed_us, r.next_due_us, r.deadline_us,
         r.alerted_us, ",".join(r.breached), r.pending, r.scored_version, r.scored_digest)
        for r in listed])
    status = await conn.execute(
        f"""INSERT INTO item_facts ({_COLUMNS})
            SELECT kind, item_id, topic, partition, unit_id, facts::json, marks, latest_us,
                   version, assessed_us, next_due_us, deadline_us, alerted_us,
                   string_to_array(breached, ','), pending, scored_version, scored_digest
            FROM {_STAGED_ROWS.name}
            ON CONFLICT (kind, item_id) DO UPDATE SET
              unit_id = EXCLUDED.unit_id, facts = EXCLUDED.facts, marks = EXCLUDED.marks,
              latest_us = EXCLUDED.latest_us, version = EXCLUDED.version,
              assessed_us = EXCLUDED.assessed_us, next_due_us = EXCLUDED.next_due_us,
              deadline_us = EXCLUDED.deadline_us, alerted_us = EXCLUDED.alerted_us,
              breached = EXCLUDED.breached, pending = EXCLUDED.pending,
              scored_version = EXCLUDED.scored_version,
              scored_digest = EXCLUDED.scored_digest, updated_at = now()
            WHERE item_facts.version = EXCLUDED.version - 1""")
    written = int(status.rsplit(" ", 1)[1])  # "INSERT 0 <rows inserted or updated>"
    if written != len(listed):
        raise WriteConflict(f"{len(listed) - written} of {len(listed)} items were stored "
                            f"by another transaction meanwhile")


async def add_unpublished(conn: asyncpg.Connection, rows: Iterable[ItemRow]) -> int:
    """Record that these items' new verdicts are committed but not yet published (the
    outbox, migration 0003); returns the entry to drop once they are."""
    listed = list(rows)
    return int(await conn.fetchval(
        """INSERT INTO unpublished_verdicts (topics, partitions, kinds, item_ids)
           VALUES ($1, $2, $3, $4) RETURNING id""",
        [r.topic for r in listed], [r.partition for r in listed],
        [r.kind for r in listed], [r.item_id for r in listed]))


async def drop_unpublished(conn: asyncpg.Connection, entries: list[int]) -> None:
    """Their publish is confirmed."""
    await conn.execute("DELETE FROM unpublished_verdicts WHERE id = ANY($1)", entries)


async def due_entries(conn: asyncpg.Connection, topic: str, partition: int) -> list[Entry]:
    """The due index of one partition: rows with a due time, and rows whose last
    verdict may not have been published (``pending``: due at once).

    First every outbox entry still listed becomes a ``pending`` flag on its items and
    is dropped, whichever partitions they are in: a worker that crashed between its
    commit and the broker's acknowledgement never drops its entry, and an entry kept
    would fire its items again at every later rebuild.  Each partition is rebuilt by
    its new owner after a crash, which then finds the flags (the judging that fires an
    item clears its flag).  An entry a live worker was about to drop (it does so in its
    next transaction, or its next tick when idle) costs one extra publish of the
    item's verdict, breaches and warnings (``rejudge``), nothing else."""
    await conn.execute(
        """WITH listed AS (DELETE FROM unpublished_verdicts RETURNING kinds, item_ids)
           UPDATE item_facts f SET pending = true
           FROM listed, unnest(listed.kinds, listed.item_ids) AS x(kind, item_id)
           WHERE f.kind = x.kind AND f.item_id = x.item_id""")
    records = await conn.fetch(
        """SELECT kind, item_id, next_due_us, pending, version FROM item_facts
           WHERE topic = $1 AND partition = $2 AND (next_due_us IS NOT NULL OR pending)""",
        topic, partition)
    return [(PENDING if r["pending"] or r["next_due_us"] is None else r["next_due_us"],
             r["kind"], r["item_id"], r["version"]) for r in records]


async def flagged(conn: asyncpg.Connection, partitions: list[tuple[str, int]]
                  ) -> list[tuple[str, int, str, str]]:
    """(topic, partition, kind, item id) of the rows flagged ``pending`` in
    ``partitions``: flags another worker's rebuild set (``due_entries``) after their
    owner built its heaps."""
    records = await conn.fetch(
        """SELECT topic, partition, kind, item_id FROM item_facts
           WHERE pending AND (topic, partition) IN
                 (SELECT * FROM unnest($1::text[], $2::integer[]))""",
        [t for t, _ in partitions], [p for _, p in partitions])
    return [(r["topic"], r["partition"], r["kind"], r["item_id"]) for r in records]


async def due_own_items(conn: asyncpg.Connection, topic: str, clock: int) -> list[ItemKey]:
    records = await conn.fetch(
        """SELECT kind, item_id FROM item_facts
           WHERE topic = $1 AND (next_due_us <= $2 OR pending)""", topic, clock)
    return [(r["kind"], r["item_id"]) for r in records]


async def advance_clock(conn: asyncpg.Connection, name: str, at: int) -> int:
    """Move a service clock forward to ``at`` (never back); returns where it stands."""
    value = await conn.fetchval(
        """INSERT INTO service_clocks (name, at_us) VALUES ($1, $2)
           ON CONFLICT (name) DO UPDATE
             SET at_us = GREATEST(service_clocks.at_us, EXCLUDED.at_us)
           RETURNING at_us""", name, at)
    return int(value)


async def read_clock(conn: asyncpg.Connection, name: str) -> int | None:
    value = await conn.fetchval("SELECT at_us FROM service_clocks WHERE name = $1", name)
    return int(value) if value is not None else None


def _split(keys: Iterable[ItemKey]) -> tuple[list[str], list[str]]:
    listed = list(keys)
    return [k for k, _ in listed], [i for _, i in listed]
