"""`govmon report --year Y [--as-of TIME]`: a year's result from PostgreSQL, in exactly
the JSON `govmon replay` prints (both go through ``summarize`` and ``render_result``).

The pipeline stores every item's facts (``item_facts``) and, per item, the latest
verdict scoring applied (``assessments``, made at the service clock ``assessed_us``
and unchanged by time alone until ``next_due_us``).  For the instant asked for, a
stored verdict is used as it is when it is current (same version as the facts) and
valid then (``assessed_us <= as_of < next_due_us``); any other item is judged again
from its stored facts at that instant, with the same pure rules.  Timeliness publishes
a verdict only when it changes what scoring counts, so most items are judged again
here (the cost of a replay of the year, seconds).  Hence:

* without ``--as-of`` (final: the later of 1 January of the next year and the latest
  event time, as replay) the report equals `govmon replay` of the same events;
* with an ``--as-of`` earlier than the services' clock, events dated after it are
  ignored: it is the year as known from today's record, judged at that instant (what
  `replay --as-of` prints), not what was published then - that is ``score_history``.

``rejected`` is always empty: refused lines never reach the record (they are on the
dead-letter topic with their reasons, see ingest).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import asyncpg
import msgspec

from govmon.adapters.db import connect
from govmon.adapters.score_store import decode_assessment
from govmon.rules import (
    Assessed,
    Catalog,
    CatalogError,
    CatalogMissingError,
    Law,
    WorkCalendar,
    YearResult,
    assess_all,
    facts_from_json,
    instant,
    load_calendar,
    load_catalog,
    load_law,
    render_result,
    summarize,
    year_start,
)
from govmon.rules.workdays import CalendarGapError
from govmon.settings import load_settings

_CHUNK = 5000


async def year_result(url: str, catalog: Catalog, calendar: WorkCalendar, law: Law,
                      year: int, as_of: int | None) -> tuple[YearResult, int, int]:
    """The result, how many items were judged again and how many of those have a
    snapshot scoring has not stored yet (the pipeline still catching up)."""
    conn = await connect(url)
    try:
        # One snapshot for every read: while the pipeline is live, a fact stored
        # between the first query and a later chunk would mix two states.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await _read_result(conn, catalog, calendar, law, year, as_of)
    finally:
        await conn.close()


async def _read_result(conn: asyncpg.Connection, catalog: Catalog, calendar: WorkCalendar,
                       law: Law, year: int, as_of: int | None
                       ) -> tuple[YearResult, int, int]:
    rows = await conn.fetch(
        """SELECT f.kind, f.item_id, f.version AS facts_version, f.latest_us,
                  f.scored_version, a.version, a.assessed_us, a.next_due_us,
                  a.created_us, a.body
           FROM item_facts f LEFT JOIN assessments a USING (kind, item_id)""")
    moment = as_of if as_of is not None else max(
        [year_start(year + 1), *(r["latest_us"] for r in rows)])
    assessed: list[Assessed] = []
    stale: list[tuple[str, str]] = []
    behind = 0
    for r in rows:
        current = r["version"] is not None and r["version"] == r["facts_version"]
        if current and r["assessed_us"] <= moment and (
                r["next_due_us"] is None or moment < r["next_due_us"]):
            assessed.append((decode_assessment(r["body"]), r["created_us"]))
        else:
            stale.append((r["kind"], r["item_id"]))
            # Snapshots go out only when they change a score (most items' stored
            # verdict is older than their facts); behind means one has not arrived.
            behind += (r["version"] or 0) < r["scored_version"]
    for start in range(0, len(stale), _CHUNK):
        chunk = stale[start:start + _CHUNK]
        records = await conn.fetch(
            """SELECT facts FROM item_facts WHERE (kind, item_id) IN
               (SELECT * FROM unnest($1::text[], $2::text[]))""",
            [k for k, _ in chunk], [i for _, i in chunk])
        facts = [facts_from_json(r["facts"]) for r in records]
        assessed.extend(assess_all(facts, calendar, law, moment))
    return summarize(assessed, catalog, year, moment), len(stale), behind


def main(year: int, as_of: datetime | None) -> int:
    from govmon.localstack.stack import server_address

    settings = load_settings()
    url = server_address(settings, "database")
    if not url:
        print("govmon report: DATABASE_URL is not set and no stack is running "
              "(`govmon up`)", file=sys.stderr)
        return 2
    try:
        catalog = load_catalog(year)
        calendar = load_calendar()
        law = load_law(settings.law_file)
        if not calendar.covers(year):
            raise CalendarGapError(year, calendar.override_file, "the calendar in use")
    except (CatalogMissingError, CatalogError, CalendarGapError, ValueError) as exc:
        print(f"govmon report: {exc}", file=sys.stderr)
        return 2
    moment = instant(as_of) if as_of is not None else None
    try:
        result, _, behind = asyncio.run(
            year_result(url, catalog, calendar, law, year, moment))
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        print(f"govmon report: cannot read the database: {exc}", file=sys.stderr)
        return 2
    if behind:
        print(f"govmon report: {behind} items have a verdict scoring has not stored yet "
              "(the pipeline is catching up); they were judged from their facts",
              file=sys.stderr)
    sys.stdout.write(msgspec.json.encode(render_result(result)).decode())
    sys.stdout.write("\n")
    return 0
