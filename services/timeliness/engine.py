"""The timeliness worker's shell: batches of family events and due deadlines in,
item verdicts out.  Decisions are in ``govmon.handlers``; this file orders the I/O.

Per batch: one transaction folds the events into their items' stored facts and judges
each touched item at the service clock; then the verdicts are published and awaited;
only then does the handler return, so the batch's offsets are committed after both
(``govmon.adapters.consumer``).  In event-time mode the watermark the batch moved fires
the items it made due in the same step, so `produce --wait` cannot return early (the
batch's verdicts go out in one publish with the first of those), and then goes to
scoring itself (``WatermarkAdvanced``) - from the last batch started only (see below).

Batches in flight (``settings.timeliness_in_flight``, two by default): while one waits
for PostgreSQL and the broker, the next is decoded, folded and judged - the worker was
the pipeline's slowest stage, idle for a third of each batch.  What keeps that as one
batch after the other: items an earlier batch in flight also writes are folded only
once it has committed (``claims``: the row lock would not order two transactions
creating one new item); publishing and firing take turns in fetch order
(``_turn``), and only the last batch started announces the watermark; offsets are
committed in fetch order.  What may differ: a fire (of the timer, or of the batch
before) and a batch can judge one item concurrently, and publish its versions out of
order - consumers keep the highest version.

Deadlines fire from a due index (a heap per assigned partition, rebuilt from
``item_facts`` when the assignment changes): a timer pops what is due at the clock.
A popped item is judged and stored with its next due time, and in the same
transaction those with news are listed in the outbox (``unpublished_verdicts``); once
the publish is confirmed the entry is dropped, in the worker's next transaction.  A crash
in between leaves it listed; the next rebuild turns it into ``pending`` flags on its
items, which are due at once, so they are fired again (the same verdict, with a
higher version) - once (``item_store.due_entries``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial

import asyncpg

from govmon.adapters.consumer import Record
from govmon.adapters.db import Confirmations, Database
from govmon.adapters.item_store import (
    add_unpublished,
    advance_clock,
    drop_unpublished,
    due_entries,
    flagged,
    lock_items,
    read_clock,
    save_items,
)
from govmon.adapters.metrics import TimelinessMetrics
from govmon.contract.codec import InvalidEvent, decode_event
from govmon.contract.derived import (
    WATERMARK_KEY,
    DeadlineBreached,
    WarningIssued,
    WatermarkAdvanced,
    encode,
)
from govmon.handlers.due import PENDING, DueIndex
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
from govmon.handlers.timeliness import Judged, messages
from govmon.rules import AlertPolicy, Law, WorkCalendar
from govmon.settings import Settings
from services.timeliness.claims import Claims, let_go

CLOCK = "timeliness"  # its row in service_clocks (the event-time watermark)
FLAGS_EVERY = 5.0  # seconds between looks for flags another worker's rebuild set
_log = logging.getLogger("govmon.timeliness")

Publish = Callable[[list[tuple[bytes, bytes]]], Awaitable[None]]
Results = list[tuple[ItemRow, Judged]]
Saved = tuple[Results, int | None]  # the judged rows and their outbox entry


def wall_clock() -> int:
    return time.time_ns() // 1000


class TimelinessEngine:
    def __init__(self, settings: Settings, db: Database, publish: Publish,
                 assignment: Callable[[], set[tuple[str, int]]], metrics: TimelinessMetrics,
                 calendar: WorkCalendar, law: Law) -> None:
        self.event_time = settings.clock == "event"
        self.max_bytes = settings.max_event_bytes  # as ingest: what it routed decodes here
        self.fire_batch = settings.fire_batch
        self.db = db
        self.publish = publish
        self.assignment = assignment
        self.metrics = metrics
        self.calendar = calendar
        self.law = law
        self.policy = AlertPolicy()
        self.index = DueIndex()
        # outbox entries whose publish is confirmed: dropped in the next transaction
        self.confirmed = Confirmations(db, drop_unpublished)
        self.interrupted = db.interrupted  # as of the last full rebuild
        # Batches in flight (``settings.timeliness_in_flight``) fold at once the items no
        # earlier one writes (``claims``); the heaps are rebuilt one at a time; and
        # publishing and firing take turns in fetch order (``_turn``).
        self.claims = Claims()
        self.rebuilding = asyncio.Lock()
        self.turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.turn.set_result(None)
        self.known = -1  # the latest clock this worker has seen (event time)
        self.batches = 0  # batches started (the last one announces the watermark)
        self.fired_at = -1  # the latest clock this worker has fired at
        self.announced = -1  # the last watermark this worker published (event time)
        self.flags_due = 0.0  # monotonic time of the next look for flags (_adopt_flags)
        self.shared: dict[str, str] = {}  # sources and unit ids, interned (``marked``)

    async def handle_batch(self, events: Sequence[Record]) -> None:
        located: list[Located] = []
        for message in events:
            try:
                located.append((decode_event(message.value or b"", max_bytes=self.max_bytes),
                                message.topic, message.partition))
            except InvalidEvent as exc:  # ingest validated it: a bug or a foreign producer
                _log.error("undecodable record on a family topic, skipped",
                           extra={"topic": message.topic, "partition": message.partition,
                                  "offset": message.offset, "reason": exc.reason})
        async with self._turn() as previous:  # first, before any wait: in fetch order
            if located:  # one with nothing to fold fires and announces nothing
                self.batches += 1
            number = self.batches
            started = time.perf_counter()
            async with self.rebuilding:
                await self._sync_partitions()
            clock, saved = await self._fold_all(marked(located, self.shared))
            folded = time.perf_counter()
            await asyncio.shield(previous)  # the batch before has published and fired
            if clock is not None:
                self.metrics.events.inc(len(located))
                self.metrics.clock.set(clock / 1e6)
            if not self.event_time or clock is None:
                await self._publish([(part, "event") for part in saved])
            else:
                # deadlines the watermark has just passed, then the watermark itself -
                # at least where a batch before this one fired (its clock may be later:
                # batches in flight judge at the latest clock seen when they start).
                # The batch's verdicts go out with the first round of them, before its
                # breaches: one wait for the broker in the turn where there were two.
                clock = max(clock, self.fired_at)
                await self._fire(clock, announce=number, along=saved)
                if self.db.interrupted != self.interrupted:  # see _sync_partitions
                    async with self.rebuilding:
                        await self._sync_partitions()
                    await self._fire(clock)
        _log.debug("batch done", extra={"events": len(events), "fold_s": folded - started,
                                        "fire_s": time.perf_counter() - folded})

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[asyncio.Future[None]]:
        """A place in the line of publishing and firing, taken on entry (no wait before
        it): a batch fires after the one before it has pushed its due times, and
        publishes after that one's breaches.  Yields the turn before; the next one goes
        on when this block ends (or fails with it)."""
        previous, mine = self.turn, asyncio.get_running_loop().create_future()
        self.turn = mine
        try:
            yield previous
        except BaseException:
            let_go(mine, failed=True)
            raise
        let_go(mine, failed=False)

    async def _fold_all(self, marks: list[Marked]) -> tuple[int | None, list[Saved]]:
        """Fold and judge a batch's items: those no earlier batch in flight writes at
        once, the others once it has committed (``claims``)."""
        if not marks:
            return None, []
        claim = self.claims.claim(keys_of(marks))
        done: list[tuple[int, Saved]] = []
        try:
            free = [m for m in marks if m[0] not in claim.shared]
            if free:
                done.append(await self._fold_committed(free))
            if claim.shared:
                await claim.wait()
                done.append(await self._fold_committed(
                    [m for m in marks if m[0] in claim.shared]))
        except BaseException:
            self.claims.release(claim, failed=True)
            raise
        self.claims.release(claim)
        return max(clock for clock, _ in done), [saved for _, saved in done]

    async def _fold_committed(self, marks: list[Marked]) -> tuple[int, Saved]:
        """``_fold`` as its own transaction; once committed, its items go into the due
        index (``_track``)."""
        clock, saved = await self.confirmed.transact(partial(self._fold, marks=marks))
        self._track(saved[0])
        return clock, saved

    async def _fold(self, conn: asyncpg.Connection, marks: list[Marked]
                    ) -> tuple[int, Saved]:
        """One transaction: fold ``marks`` into their items' rows, judge them, store;
        returns the clock they were judged at."""
        latest = max(mark.at for _, mark, _, _ in marks)
        # Event time: judged at the latest instant this worker has seen (the shared
        # clock as of its last look, its own batches since); the shared clock is moved
        # last, as its row stays locked until the commit and a batch in flight beside
        # this one would wait for it before doing anything.  A clock another worker
        # moved further is learnt there and by the timer, which fires what it makes due.
        clock = max(latest, self.known) if self.event_time else wall_clock()
        self.known = max(self.known, clock)
        rows = await lock_items(conn, keys_of(marks))
        touched = fold(rows, marks)
        results = [(rows[key], rejudge(rows[key], clock, self.calendar, self.law, self.policy))
                   for key in touched]
        saved = await self._save(conn, results)
        if self.event_time:
            self.known = max(self.known, await advance_clock(conn, CLOCK, latest))
        return clock, saved

    async def _save(self, conn: asyncpg.Connection, results: Results) -> Saved:
        """Store the judged rows and list those with news in the outbox (``rejudge`` left
        their `pending` flag down: flipping it back after the publish rewrote every row
        twice)."""
        await save_items(conn, [row for row, _ in results])
        news = [row for row, judged in results if judged.news]
        entry = await add_unpublished(conn, news) if news else None
        return results, entry

    async def tick(self) -> None:
        """Timer: fire what is due at the clock (wall clock, or the shared watermark)."""
        async with self._turn() as previous:
            # Event time: read first, before waiting for the batches ahead in line: what
            # they judged at the clock they moved goes out in their turns, before ours.
            # (A batch behind us in line could move it during this one round trip; then
            # only snapshots of ours, never a watermark, would run ahead.)
            stored = await self._learn_clock() if self.event_time else None
            if not self.event_time:
                # An idle worker drops its confirmed outbox entries here (event time:
                # in _learn_clock): one left listed is fired again by the next rebuild
                # of any partition, its breaches and warnings announced once more.
                await self.confirmed.flush()
            async with self.rebuilding:
                await self._sync_partitions()
                await self._adopt_flags()
            await asyncio.shield(previous)
            clock = stored if self.event_time else wall_clock()
            if clock is not None:
                self.metrics.clock.set(clock / 1e6)
                await self._fire(clock)

    async def _learn_clock(self) -> int | None:
        """The shared clock in the record (event time), which this worker's clock then
        does not fall behind (another worker may have moved it).  Run as a transaction
        that also records confirmed publishes, so an idle worker still drops them."""
        stored = await self.confirmed.transact(lambda conn: read_clock(conn, CLOCK))
        if stored is not None:
            self.known = max(self.known, stored)
        return stored

    async def _fire(self, clock: int, *, announce: int | None = None,
                    along: Sequence[Saved] = ()) -> None:
        """Judge, store and publish what is due at ``clock``.  ``announce`` (event time,
        after batch number ``announce``): the watermark goes out with the last of them,
        or alone, so scoring never sees the clock pass a deadline before the breach it
        causes - unless a later batch has started meanwhile: it may have judged (and
        will publish) a breach due by then, so it announces instead.  ``along``: a
        batch's judged items, published before the first of them."""
        async def work(conn: asyncpg.Connection, keys: list[tuple[str, str]]) -> Saved:
            rows = await lock_items(conn, keys, due_by=clock)
            results = [(row, rejudge(row, clock, self.calendar, self.law, self.policy))
                       for row in rows.values()]
            return await self._save(conn, results)

        self.fired_at = max(self.fired_at, clock)
        while True:
            due = self.index.pop_due(clock, self.fire_batch)
            last = len(due) < self.fire_batch  # an empty round too
            keys = [(kind, item_id) for _, kind, item_id in due]
            saved = await self.confirmed.transact(partial(work, keys=keys)) if due else ([], None)
            self._track(saved[0])
            ours = last and announce is not None and announce == self.batches
            await self._publish([*((part, "event") for part in along), (saved, "deadline")],
                                clock if ours else None)
            along = ()
            if last:
                return

    async def _publish(self, parts: Sequence[tuple[Saved, str]],
                       watermark: int | None = None) -> None:
        """Publish the judged items' messages, each part's in turn, and await the broker
        (a part: what one transaction judged, and why: ``event`` or ``deadline``).
        ``watermark`` (event time, a batch's clock): also the clock's progress for
        scoring when it is past what this worker last announced (before the batch's
        offsets are committed)."""
        if watermark is not None and watermark <= self.announced:
            watermark = None
        if not any(results for (results, _), _ in parts) and watermark is None:
            return
        records: list[tuple[bytes, bytes]] = []
        breaches: Counter[str] = Counter()  # counted here, then one metric update each:
        warnings = 0  # a `labels()` per message was 3 % of the worker's time
        for (results, _), _ in parts:
            for row, judged in results:
                for key, message in messages(row.kind, row.item_id, row.version,
                                             row.assessed_us, row.marks, judged,
                                             created_at(row, judged)):
                    records.append((key.encode(), encode(message)))
                    if isinstance(message, DeadlineBreached):
                        breaches[message.rule] += 1
                    elif isinstance(message, WarningIssued):
                        warnings += 1
        for rule, count in breaches.items():
            self.metrics.breaches.labels(rule=rule).inc(count)
        if warnings:
            self.metrics.warnings.inc(warnings)
        if watermark is not None:
            records.append((WATERMARK_KEY, encode(WatermarkAdvanced(at=watermark))))
        if records:
            await self.publish(records)
        if watermark is not None:
            self.announced = watermark
        for (results, entry), cause in parts:
            if entry is not None:
                self.confirmed.add(entry)
            self.metrics.assessed.labels(cause=cause).inc(len(results))

    def _track(self, results: Results) -> None:
        """The due index learns what a transaction has just committed: each judged
        item's next due time, or that it has none.  At once, not after the publish:
        a batch fires before its own verdicts go out (``along``), and the deadlines
        and warnings its clock passed are mostly of items it has just closed, which
        the index then drops unread (~950 of every 1,000 popped).  An item pushed is
        not due by the clock it was judged at; one that a fire takes before its batch
        has published is published out of order, which consumers allow for (above).
        A failed batch ends the process, and the index with it."""
        for row, _ in results:
            if row.next_due_us is not None:
                self.index.push((row.topic, row.partition), row.next_due_us, row.kind,
                                row.item_id, row.version)
            else:
                self.index.close((row.topic, row.partition), row.kind, row.item_id,
                                 row.version)
        self.metrics.due_index.set(len(self.index))

    async def _adopt_flags(self) -> None:
        """Items flagged ``pending`` in partitions this worker holds, by another worker's
        rebuild (``item_store.due_entries``: outbox entries of any partition become
        flags), go into the heap due at once.  A rebuild of our own partitions finds
        them too, but a partition kept across a rebalance is not rebuilt, and no later
        judgement of an unchanged item sends its snapshot again."""
        now = time.monotonic()
        held = sorted(self.assignment() & self.index.partitions())
        if now < self.flags_due or not held:
            return
        self.flags_due = now + FLAGS_EVERY
        for topic, partition, kind, item_id in await self.db.transact(
                partial(flagged, partitions=held)):
            self.index.push((topic, partition), PENDING, kind, item_id, 0)  # (any version)

    async def _sync_partitions(self) -> None:
        """Follow the consumer's assignment: rebuild the heaps of new partitions from
        storage, drop those of revoked ones."""
        assigned = self.assignment()
        held = self.index.partitions()
        if self.db.interrupted != self.interrupted:
            # A transaction an outage cut may have committed unseen.  Its rerun finds
            # what it fired no longer due and publishes nothing, but the first run's
            # outbox entry is in the record: rebuilding every heap fires its items
            # (``due_entries``), usually before the batch's offsets are committed - if
            # another batch in flight or the timer noticed first, with its next fire,
            # and the flags in the record keep them until then whatever happens.
            self.interrupted = self.db.interrupted
            held = set()
        for gone in self.index.partitions() - assigned:
            self.index.drop(gone)
        # Heaps reloaded keep serving fires until their reload is in, and keep what a
        # batch in flight pushes meanwhile (``DueIndex.expect``).
        loading = sorted(assigned - held)
        for topic, partition in loading:
            self.index.expect((topic, partition))
        if loading and self.event_time:  # judged no earlier than the record's clock
            await self._learn_clock()
        for topic, partition in loading:
            started = time.monotonic()
            entries = await self.db.transact(partial(due_entries, topic=topic,
                                                     partition=partition))
            self.index.load((topic, partition), entries)
            _log.info("due index rebuilt", extra={
                "topic": topic, "partition": partition, "entries": len(entries),
                "seconds": round(time.monotonic() - started, 3)})
        self.metrics.due_index.set(len(self.index))
