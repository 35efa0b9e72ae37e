"""Migrations on a real PostgreSQL: 0005 turns the documents from jsonb into json and
back without losing anything the services stored; 0006 marks every stored item as
published, with a digest no verdict has, so that its next judgement sends a snapshot;
0007 has every unit stored without its registration history judged again."""

from __future__ import annotations

import asyncio
import json

import msgspec
import pytest
from alembic import command

from govmon.adapters.db import alembic_config, connect

pytestmark = pytest.mark.integration

FACTS = '{"kind":"case","item_id":"C-1","marks":[]}'
BODY = '{"key":["case","C-1"],"unit_id":"U-1","breaches":[]}'


async def _insert(url: str) -> None:
    conn = await connect(url)
    try:
        await conn.execute(
            """INSERT INTO item_facts (kind, item_id, topic, partition, unit_id, facts, marks,
                   latest_us, version, assessed_us, alerted_us, breached, pending)
               VALUES ('case', 'C-1', 't', 0, 'U-1', $1::jsonb, 0, 1, 1, 1, -1, '{}', false)""",
            FACTS)
        await conn.execute(
            """INSERT INTO assessments (kind, item_id, unit_id, version, assessed_us, years,
                   body) VALUES ('case', 'C-1', 'U-1', 1, 1, '{}', $1::jsonb)""", BODY)
    finally:
        await conn.close()


async def _documents(url: str) -> tuple[str, str, str, str]:
    conn = await connect(url)
    try:
        facts = await conn.fetchrow(
            "SELECT facts::text AS f, pg_typeof(facts)::text AS t FROM item_facts")
        body = await conn.fetchrow(
            "SELECT body->>'unit_id' AS u, pg_typeof(body)::text AS t FROM assessments")
        return facts["f"], facts["t"], body["u"], body["t"]
    finally:
        await conn.close()


def test_documents_survive_0005_both_ways(database_url: str) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "0004")
    asyncio.run(_insert(database_url))
    command.upgrade(config, "head")
    facts, facts_type, unit, body_type = asyncio.run(_documents(database_url))
    assert (facts_type, body_type, unit) == ("json", "json", "U-1")
    assert json.loads(facts) == json.loads(FACTS)  # jsonb had put the keys in its order
    command.downgrade(config, "0004")
    assert asyncio.run(_documents(database_url))[1::2] == ("jsonb", "jsonb")


async def _scored(url: str) -> tuple[int, str, bool]:
    from govmon.adapters.item_store import lock_items
    from govmon.handlers.items import rejudge
    from govmon.rules import AlertPolicy, load_calendar, load_law

    conn = await connect(url)
    try:
        async with conn.transaction():
            [row] = (await lock_items(conn, [("case", "C-1")])).values()
            stored = (row.scored_version, row.scored_digest)
            judged = rejudge(row, 2, load_calendar(), load_law(), AlertPolicy())
        return stored[0], stored[1], judged.snapshot
    finally:
        await conn.close()


def test_0006_counts_stored_items_as_published_with_an_unknown_digest(database_url: str
                                                                      ) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "0004")
    asyncio.run(_insert(database_url))
    command.upgrade(config, "0005")
    command.upgrade(config, "head")
    # version 1 was published; '-' differs from any digest, even the empty one of a
    # verdict that counts for nothing, so the next judgement publishes a snapshot
    assert asyncio.run(_scored(database_url)) == (1, "-", True)
    command.downgrade(config, "0005")  # the columns go, and come back the same way
    command.upgrade(config, "head")
    assert asyncio.run(_scored(database_url)) == (1, "-", True)


async def _legacy_unit(url: str) -> None:
    """A unit re-registered in 2018, as a worker before 0007 stored it: a verdict with
    its latest category and no registration history; and a finding, not a unit."""
    from govmon.contract.topics import UNITS
    from govmon.rules import Ledger, assess_item, facts_to_json, load_calendar, load_law
    from tests.unit.rules.builders import at, finding, unit

    ledger = Ledger()
    ledger.apply(unit("U-1", "county", "2017-01-01T00:00:00"))
    ledger.apply(unit("U-1", "municipal", "2018-03-01T00:00:00"))
    ledger.apply(finding("F-1", "2017-05-01T10:00:00", 2.0, unit_id="U-1"))
    assessed = at("2018-04-01T00:00:00")
    conn = await connect(url)
    try:
        for facts in ledger:
            verdict = msgspec.to_builtins(
                assess_item(facts, load_calendar(), load_law(), assessed))
            verdict.pop("registrations")  # not yet a field
            await conn.execute(
                """INSERT INTO item_facts (kind, item_id, topic, partition, unit_id, facts,
                       marks, latest_us, version, assessed_us, alerted_us, breached,
                       pending, scored_version, scored_digest)
                   VALUES ($1, $2, $3, 0, 'U-1', $4::json, $5, $6, 1, $6, -1, '{}', false,
                           1, 'x')""",
                facts.kind, facts.item_id, UNITS.name, facts_to_json(facts).decode(),
                len(facts.marks), assessed)
            await conn.execute(
                """INSERT INTO assessments (kind, item_id, unit_id, version, assessed_us,
                       created_us, years, body) VALUES ($1, $2, 'U-1', 1, $3, $4, '{}', $5)""",
                facts.kind, facts.item_id, assessed,
                at("2017-01-01T00:00:00") if facts.kind == "unit" else None,
                json.dumps(verdict))
    finally:
        await conn.close()


async def _due_units(url: str) -> tuple[list[tuple[str, str]], list[tuple[str, bool]]]:
    from govmon.adapters.item_store import due_own_items
    from govmon.contract.topics import UNITS

    conn = await connect(url)
    try:
        due = await due_own_items(conn, UNITS.name, 1)
        windows = await conn.fetch(
            "SELECT kind, next_due_us IS NOT DISTINCT FROM assessed_us AS shut "
            "FROM assessments ORDER BY kind")
        return due, [(r["kind"], r["shut"]) for r in windows]
    finally:
        await conn.close()


def test_0007_has_units_stored_without_their_history_judged_again(database_url: str
                                                                   ) -> None:
    from govmon import report
    from govmon.rules import load_calendar, load_catalog, load_law

    config = alembic_config(database_url)
    command.downgrade(config, "0006")
    asyncio.run(_legacy_unit(database_url))
    command.upgrade(config, "head")
    # The scoring worker's next tick judges the unit again; the finding is left alone.
    assert asyncio.run(_due_units(database_url)) == (
        [("unit", "U-1")], [("finding", False), ("unit", True)])
    # Meanwhile the report judges the unit from its facts: 2017 as registered then.
    result, judged, _ = asyncio.run(report.year_result(
        database_url, load_catalog(2017), load_calendar(), load_law(), 2017, None))
    assert judged >= 1 and [(u.unit_id, u.category) for u in result.units] == [
        ("U-1", "county")]
