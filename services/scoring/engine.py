"""The scoring worker's shell: item verdicts and unit-level events in, scores out.

Per batch, one transaction: unit-level events (registrations, reports, findings) are
folded into their own items and judged, exactly as timeliness does for its items; every
verdict, theirs and timeliness', replaces the stored one only if its version is higher;
then each touched unit-year is scored again from *all* its stored verdicts (derived,
never incremented), and where the result differs its score, deductions (only those
that changed, where this worker knows the stored ones: ``written.py``) and history are
written with ``pending`` set.  After the commit the changed scores are published
(built from what the transaction wrote, not read back), and once the broker has
acknowledged them their flag is cleared in the worker's next transaction - one
transaction per batch, as in timeliness.  A crash in between leaves them pending, and
the next tick publishes whatever is still pending.  So a redelivered batch changes
nothing and loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

import asyncpg
import msgspec

from govmon.adapters.consumer import Record
from govmon.adapters.db import Confirmations, Database
from govmon.adapters.item_store import (
    advance_clock,
    due_own_items,
    lock_items,
    read_clock,
    save_items,
)
from govmon.adapters.metrics import ScoringMetrics
from govmon.adapters.score_store import (
    NewScore,
    Replaced,
    bump_revisions,
    lock_units,
    open_years,
    pending_scores,
    register_unit,
    registrations,
    revisions,
    save_scores,
    scored_assessments,
    scores_published,
    store_assessments,
    stored_digests,
    unit_years,
)
from govmon.contract import topics
from govmon.contract.codec import InvalidEvent, decode_event
from govmon.contract.derived import (
    ItemAssessed,
    ScoreChanged,
    WatermarkAdvanced,
    decode_timeliness,
    encode,
)
from govmon.handlers.items import (
    ItemRow,
    Located,
    Marked,
    created_at,
    fold,
    keys_of,
    marked,
    rejudge,
)
from govmon.handlers.scoring import digest, is_final, registration, score_year, unit_info
from govmon.handlers.scoring import touched as touched_pairs
from govmon.rules import (
    AlertPolicy,
    Catalog,
    CatalogError,
    CatalogMissingError,
    Deduction,
    Law,
    WorkCalendar,
    load_catalog,
    year_of,
)
from govmon.settings import Settings
from services.scoring.verdicts import Entry, VerdictCache, apply, by_unit
from services.scoring.written import WrittenDeductions

CLOCK = "scoring"
CACHED_VERDICTS = 200_000  # verdicts kept between batches, all units (~1 KB each)
WRITTEN_DEDUCTIONS = 200_000  # deduction rows kept as written, all units (written.py)
_log = logging.getLogger("govmon.scoring")
Publish = Callable[[list[tuple[bytes, bytes]]], Awaitable[None]]
Pairs = set[tuple[str, int]]


_CENT = Decimal("0.01")
Rescored = tuple[dict[str, Entry], list[NewScore]]  # verdicts to keep, scores changed


def wall_clock() -> int:
    return time.time_ns() // 1000


class ScoringEngine:
    def __init__(self, settings: Settings, db: Database, publish: Publish,
                 metrics: ScoringMetrics, calendar: WorkCalendar, law: Law) -> None:
        self.event_time = settings.clock == "event"
        self.max_bytes = settings.max_event_bytes  # as ingest: what it routed decodes here
        self.db = db
        self.publish = publish
        self.metrics = metrics
        self.calendar = calendar
        self.law = law
        self.policy = AlertPolicy()
        self.catalogs: dict[int, Catalog | None] = {}
        self.cache = VerdictCache(CACHED_VERDICTS)
        self.written = WrittenDeductions(WRITTEN_DEDUCTIONS)
        # published scores: their `pending` flags are cleared in the next transaction
        # (by version, so a newer change stays pending)
        self.confirmed = Confirmations(db, scores_published)
        self.lock = asyncio.Lock()
        self.shared: dict[str, str] = {}  # sources and unit ids, interned (``marked``)

    def catalog(self, year: int) -> Catalog | None:
        if year not in self.catalogs:
            try:
                self.catalogs[year] = load_catalog(year)
            except (CatalogMissingError, CatalogError) as exc:
                _log.error("no usable catalog: the year is not scored",
                           extra={"year": year, "error": str(exc)})
                self.catalogs[year] = None
        return self.catalogs[year]

    async def handle_batch(self, events: Sequence[Record]) -> None:
        verdicts: list[ItemAssessed] = []
        located: list[Located] = []
        times: list[int] = []
        for message in events:
            value = message.value or b""
            try:
                if message.topic == topics.TIMELINESS.name:
                    decoded = decode_timeliness(value)
                    if isinstance(decoded, ItemAssessed):  # breaches/warnings are for people
                        verdicts.append(decoded)
                        times.append(decoded.assessed_at)
                    elif isinstance(decoded, WatermarkAdvanced):
                        times.append(decoded.at)
                else:
                    located.append((decode_event(value, max_bytes=self.max_bytes),
                                    message.topic, message.partition))
            except (InvalidEvent, msgspec.DecodeError) as exc:
                _log.error("undecodable record, skipped", extra={
                    "topic": message.topic, "partition": message.partition,
                    "offset": message.offset, "error": str(exc)})
        marks = marked(located, self.shared)
        times.extend(mark.at for _, mark, _, _ in marks)
        latest = max(times) if times else None
        started = time.perf_counter()
        async with self.lock:
            locked = time.perf_counter()
            staged, changed = await self.confirmed.transact(
                lambda conn: self._apply(conn, verdicts, marks, latest))
            applied = time.perf_counter()
            self.cache.put(staged)
            self.written.put(changed)
            await self._publish([score_changed(new) for new in changed])
        _log.debug("batch done", extra={
            "events": len(events), "scores": len(changed), "wait_s": locked - started,
            "apply_s": applied - locked, "publish_s": time.perf_counter() - applied})

    async def tick(self) -> None:
        """Timer: year-end rules once the clock enters a new year, facts dated in the
        future coming into view (wall clock), and publishes a crash left pending."""
        async def work(conn: asyncpg.Connection) -> tuple[Rescored, list[ScoreChanged]]:
            rescored = await self._apply(conn, [], [], None, tick=True)
            return rescored, await pending_scores(conn)  # this tick's and a crash's leftovers

        async with self.lock:
            (staged, changed), pending = await self.confirmed.transact(work)
            self.cache.put(staged)
            self.written.put(changed)
            await self._publish(pending)

    async def _publish(self, scores: list[ScoreChanged]) -> None:
        if scores:
            await self.publish([(s.unit_id.encode(), encode(s)) for s in scores])
            self.confirmed.add(*scores)

    async def _clock(self, conn: asyncpg.Connection, latest: int | None) -> int:
        if not self.event_time:
            return wall_clock()
        if latest is None:
            stored = await read_clock(conn, CLOCK)
            return stored if stored is not None else -1
        return await advance_clock(conn, CLOCK, latest)

    async def _apply(self, conn: asyncpg.Connection, verdicts: list[ItemAssessed],
                     marks: list[Marked], latest: int | None, *, tick: bool = False
                     ) -> Rescored:
        """One batch (or tick) in one transaction; returns the units' verdicts to keep
        once it has committed, and the scores it changed."""
        clock = await self._clock(conn, latest)
        if clock < 0:
            return {}, []  # event time, and no event yet
        self.metrics.clock.set(clock / 1e6)
        rows: dict[tuple[str, str], ItemRow] = {}
        keys: list[tuple[str, str]] = []
        if marks:
            rows = await lock_items(conn, keys_of(marks))
            keys = fold(rows, marks)
        if tick:  # own items whose facts dated in the future have come into view
            due = await due_own_items(conn, topics.UNITS.name, clock)
            rows = await lock_items(conn, due, due_by=clock)
            keys = list(rows)
        own = await self._judge_own(conn, rows, keys, clock)
        replaced = await store_assessments(conn, [*own, *verdicts])
        changes = by_unit(replaced)
        await bump_revisions(conn, changes)
        self.metrics.assessments.inc(len(replaced))
        self.metrics.stale.inc(len(verdicts) + len(own) - len(replaced))
        pairs: Pairs = set()
        registered: set[str] = set()
        for change in replaced:
            pairs |= touched_pairs(change.old_unit, change.old_years, change.new.assessment)
            if change.new.kind == "unit":
                registered.add(change.new.item_id)
                if change.new.created_at is not None:
                    pairs.add((change.new.item_id, year_of(change.new.created_at)))
        if registered:  # a unit's category or name counts in every year it is scored
            pairs |= set(await unit_years(conn, sorted(registered)))
            pairs |= {(unit, year_of(clock)) for unit in registered}
        pairs |= set(await open_years(conn, year_of(clock)))
        return await self._rescore(conn, pairs, clock, changes)

    async def _judge_own(self, conn: asyncpg.Connection, rows: dict[tuple[str, str], ItemRow],
                         keys: list[tuple[str, str]], clock: int) -> list[ItemAssessed]:
        """Unit, report and finding items: judged here, stored with their verdicts in
        this same transaction (nothing to publish, so never pending)."""
        out: list[ItemAssessed] = []
        for key in keys:
            row = rows[key]
            judged = rejudge(row, clock, self.calendar, self.law, self.policy)
            row.scored_version = row.version  # stored with its verdict, just below
            out.append(ItemAssessed(kind=row.kind, item_id=row.item_id, unit_id=row.unit_id,
                                    version=row.version, assessed_at=row.assessed_us,
                                    marks=row.marks, assessment=judged.assessment,
                                    created_at=created_at(row, judged)))
            mark = registration(row.facts, row.assessed_us) if row.kind == "unit" else None
            if mark is not None:
                await register_unit(conn, row.item_id, mark)
        if keys:
            await save_items(conn, [rows[key] for key in keys])
        return out

    async def _rescore(self, conn: asyncpg.Connection, pairs: Pairs, clock: int,
                       changes: dict[str, list[Replaced]]) -> Rescored:
        pairs = {(unit, year) for unit, year in pairs if self.catalog(year) is not None}
        if not pairs:
            return {}, []
        units = sorted({unit for unit, _ in pairs})
        await lock_units(conn, units)
        infos = await registrations(conn, units)
        staged = await self._verdicts(conn, units, changes)
        verdicts = {unit: list(entry.verdicts.values()) for unit, entry in staged.items()}
        stored = await stored_digests(conn, pairs)
        changed: list[NewScore] = []
        known: dict[tuple[str, int], tuple[Deduction, ...]] = {}
        for unit, year in sorted(pairs):
            catalog = self.catalog(year)
            assert catalog is not None
            score = score_year(unit_info(unit, infos.get(unit), year), verdicts.get(unit, ()),
                               catalog, year, clock)
            final = is_final(year, clock)
            fingerprint = digest(score, final)
            version, previous = stored.get((unit, year), (0, ""))
            if previous != fingerprint:
                changed.append(NewScore(score, year, final, clock, version + 1, fingerprint))
                rows = self.written.known((unit, year), previous)
                if rows is not None:
                    known[(unit, year)] = rows
        await save_scores(conn, changed, known)
        self.metrics.changes.inc(len(changed))
        return staged, changed

    async def _verdicts(self, conn: asyncpg.Connection, units: list[str],
                        changes: dict[str, list[Replaced]]) -> dict[str, Entry]:
        """Every scored verdict of ``units``: kept ones brought up to date with this
        batch where their revision allows, the others read (``verdicts.py``)."""
        current = await revisions(conn, units)
        staged: dict[str, Entry] = {}
        stale: list[str] = []
        for unit in units:
            kept = self.cache.get(unit)
            now = current.get(unit, 0)
            mine = changes.get(unit, [])
            if kept is not None and kept.revision + (1 if mine else 0) == now:
                staged[unit] = Entry(now, apply(kept.verdicts, unit, mine) if mine
                                     else kept.verdicts)
            else:
                stale.append(unit)
        if stale:
            read = await scored_assessments(conn, stale)
            for unit in stale:
                staged[unit] = Entry(current.get(unit, 0), read.get(unit, {}))
        self.metrics.verdicts_read.inc(len(stale))
        return staged


def score_changed(new: NewScore) -> ScoreChanged:
    """The message for a score ``save_scores`` wrote (what ``pending_scores`` reads back
    after a crash)."""
    score = new.score
    return ScoreChanged(unit_id=score.unit_id, year=new.year, version=new.version,
                        score=_cents(score.score), grade=score.grade,
                        deducted=_cents(score.deducted), deductions=len(score.deductions),
                        final=new.final, as_of=new.as_of)


def _cents(value: float) -> float:
    """As the numeric(_, 2) columns store it (half away from zero), so a message is the
    same whether built here or read back by ``pending_scores``."""
    return float(Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP))
