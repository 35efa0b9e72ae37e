"""Batches of Kafka records whose offsets are committed only after they were applied.

Every service consumes with one plain aiokafka consumer in a consumer group: take what
the fetcher holds (up to ``max_records``), hand it to the service's handler, and commit
those offsets only once the handler has returned - i.e. after its database transaction
and its publishes.  A handler that fails ends the process without committing
(``adapters.batches.die``); the supervisor starts it again and it re-reads from the
last commit.  Everything downstream is idempotent, so re-reading is safe.

Why not Faust's stream: on this machine a Faust agent reading with ``take_events`` and
doing nothing else peaks at about 4,300 records/s, aiokafka's ``getmany`` at about
230,000 (README, "Why aiokafka and not Faust").  The services need 20,000 end to end.

With ``ordered`` the partitions are merged by the records' timestamps: a batch is
what was produced up to the point every partition that may send more has shown
(``adapters.merge``), not one partition's buffer after another.  Partitions running
ahead are paused, so what waits in memory is bounded; a partition that stays silent
while the broker says it holds more is waited for at most ``hold_for`` seconds.

A rebalance runs in aiokafka's coordinator task, concurrently with a batch: the
revocation waits for the batches in hand (and their commits) to finish, so no partition
changes hands with work applied but not committed; what the merge held of it is dropped,
and so is a batch fetched but not handed over yet (``_loop``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from govmon.adapters.batches import die, finish
from govmon.adapters.merge import FREE, WAIT, ProducedOrder
from govmon.adapters.metrics import ConsumerLag
from govmon.settings import Settings

_log = logging.getLogger(__name__)
_DRAIN = 1 << 30  # records per getmany: no limit


def _stamp(record: Record) -> int:
    """When the producer sent it (-1: not known; None in Kafka's oldest format)."""
    stamp = record.timestamp
    return stamp if stamp is not None else -1


# aiokafka's record: topic, partition, offset, key, value, headers
Record: TypeAlias = ConsumerRecord[bytes, bytes]
Handle = Callable[[Sequence[Record]], Awaitable[None]]
Fetch = Callable[[], Awaitable[tuple[list[Record], dict[TopicPartition, int]]]]


class _Listener(ConsumerRebalanceListener):
    def __init__(self, owner: BatchConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.owner.rebalancing = True
        try:
            await self.owner.settle(0)  # the batches in hand finish and commit
        except Exception:  # aiokafka would log it and go on: die, as a batch would
            die(_log, "offsets not committed before a rebalance; exiting")
        self.owner.forget(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.owner.rebalancing = False
        _log.info("partitions assigned", extra={
            "partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in assigned)})


class BatchConsumer:
    def __init__(self, bootstrap: str, group_id: str, topics: Sequence[str], *,
                 max_records: int, idle_ms: int, session_timeout: float,
                 retry_for: float, fetch_min_bytes: int = 1, fetch_wait_ms: int = 500,
                 lag: ConsumerLag | None = None, in_flight: int = 1,
                 ordered: bool = False, hold_for: float = 2.0) -> None:
        self.retry_for = retry_for
        self.fetch_min_bytes = fetch_min_bytes
        # Batches handled at once (``run``): more than one only for a handler that may
        # run beside itself (timeliness).
        self.in_flight = in_flight
        self.in_hand: deque[tuple[asyncio.Future[None], list[Record],
                                  dict[TopicPartition, int]]] = deque()
        self.lag = lag  # set after each applied batch
        self.topics = sorted(topics)
        self.max_records = max_records
        self.idle_ms = idle_ms
        self.merge: ProducedOrder[TopicPartition, Record] | None = (
            ProducedOrder(_stamp) if ordered else None)
        self.hold_for = hold_for
        self.silent_since: dict[TopicPartition, float] = {}
        self.batch_lock = asyncio.Lock()
        self.finished = asyncio.Event()  # a batch in hand has finished (to commit)
        self.rebalancing = True  # until the first assignment
        self.started = False
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
            auto_offset_reset="earliest", max_poll_records=max_records,
            fetch_max_bytes=64 * 1024 * 1024, max_partition_fetch_bytes=8 * 1024 * 1024,
            # Under load the broker answers a fetch only once this much is there (or
            # the wait is over): fewer, larger batches - fewer requests, transactions
            # and commits per record - for at most `fetch_wait_ms` of latency.
            fetch_min_bytes=fetch_min_bytes, fetch_max_wait_ms=fetch_wait_ms,
            session_timeout_ms=int(session_timeout * 1000),
            heartbeat_interval_ms=int(max(session_timeout / 5, 0.5) * 1000))

    def assignment(self) -> set[tuple[str, int]]:
        if not self.started:
            return set()
        return {(tp.topic, tp.partition) for tp in self.consumer.assignment()}

    def highwater(self, topic: str, partition: int) -> int | None:
        try:
            return self.consumer.highwater(TopicPartition(topic, partition))
        except Exception:  # not known yet right after an assignment
            return None

    async def start(self) -> None:
        await self.consumer.start()
        self.consumer.subscribe(self.topics, listener=_Listener(self))
        self.started = True

    async def stop(self) -> None:
        self.started = False
        await self.consumer.stop()

    async def run(self, handle: Handle, stopping: asyncio.Event, log: logging.Logger) -> None:
        """Until ``stopping`` is set: fetch, apply, commit.  The next batch is fetched
        while the ones in hand are applied, and handed to ``handle`` once fewer than
        ``in_flight`` of them are unfinished, topped up with what came meanwhile.
        Offsets are committed in fetch order, a batch's as soon as it and every batch
        before it have returned (``_commit_finished``).  So fetching and committing are
        off the path from one batch to the next (in the timeliness worker they took
        ~80 ms of every ~350).  A stop lets the batches in hand finish and commit
        first."""
        fetch = self._fetch if self.merge is None else self._fetch_ordered
        committer = asyncio.ensure_future(self._commit_finished())
        try:
            await self._loop(fetch, handle, stopping, log)
            await self.settle(0)
        finally:
            committer.cancel()
            await asyncio.gather(committer, return_exceptions=True)

    async def _loop(self, fetch: Fetch, handle: Handle, stopping: asyncio.Event,
                    log: logging.Logger) -> None:
        while not stopping.is_set():
            records, offsets = await fetch()
            if not records:
                continue
            if self._unfinished() >= self.in_flight:
                await self._slot()
                records, offsets = await self._top_up(records, offsets)
            if stopping.is_set() or self.rebalancing:
                # Not handed over: stopping, or a rebalance under way (aiokafka still
                # reports the old assignment).  Nothing of it is committed, and the
                # next assignment reads every partition again from its commit.
                continue
            # A rebalance came and went while it waited: what another member now holds
            # is theirs to read from the last commit (a partition given back to this
            # one is read again from there too: applied twice, which is harmless).
            records, offsets = self._assigned_only(records, offsets)
            if not records:
                continue
            if len(self.in_hand) >= 2 * self.in_flight:
                # Commits lagging (the broker away, and `_commit` retrying): finished
                # batches, and their records, must not pile up meanwhile.
                await self.settle(self.in_flight)
            work = asyncio.ensure_future(finish(handle(records), log, "batch"))
            work.add_done_callback(lambda _: self.finished.set())
            self.in_hand.append((work, records, offsets))
            await asyncio.sleep(0)  # it starts before the next fetch

    async def _commit_finished(self) -> None:
        """Commit each batch once it and those before it have finished, at once: not
        when the fetch loop next looks up (it may be waiting ``idle_ms`` for records,
        or for a slot).  Waiting in the loop for the batches to finish instead kept
        it from fetching meanwhile: in the timeliness worker the next batch then came
        ~0.15-0.4 s after a slot freed, several times a run."""
        try:
            while True:
                await self.finished.wait()
                self.finished.clear()
                await self.settle(self.in_flight)
        except Exception:  # the commit's retries are over: as a failed batch would
            die(_log, "offsets not committed; exiting")

    def _unfinished(self) -> int:
        """Batches in hand from the oldest unfinished one on (those before it only wait
        for their commit): at most ``in_flight``, as before the prefetch."""
        for position, (work, _, _) in enumerate(self.in_hand):
            if not work.done():
                return len(self.in_hand) - position
        return 0

    async def _slot(self) -> None:
        """Until fewer than ``in_flight`` batches in hand are unfinished."""
        while self._unfinished() >= self.in_flight:
            oldest = next(work for work, _, _ in self.in_hand if not work.done())
            await asyncio.wait([oldest])

    def _assigned_only(self, records: list[Record], offsets: dict[TopicPartition, int]
                       ) -> tuple[list[Record], dict[TopicPartition, int]]:
        assigned = self.consumer.assignment()
        if offsets.keys() <= assigned:
            return records, offsets
        return ([r for r in records if TopicPartition(r.topic, r.partition) in assigned],
                {tp: offset for tp, offset in offsets.items() if tp in assigned})

    async def _fetch(self) -> tuple[list[Record], dict[TopicPartition, int]]:
        return await self._take(self.max_records, self.idle_ms)

    async def _take(self, limit: int, wait_ms: int
                    ) -> tuple[list[Record], dict[TopicPartition, int]]:
        """Up to ``limit`` records as they come (unordered), waiting at most ``wait_ms``
        for the first."""
        fetched = await self.consumer.getmany(timeout_ms=wait_ms, max_records=limit)
        records = [record for batch in fetched.values() for record in batch]
        return records, {tp: batch[-1].offset + 1 for tp, batch in fetched.items()}

    async def _fetch_ordered(self) -> tuple[list[Record], dict[TopicPartition, int]]:
        """The next batch in produced order: all the fetcher holds goes into the merge,
        which hands out what it can; until it can, wait (``idle_ms``) for more.
        Nothing within such a wait: nothing (the consumer is idle)."""
        wait = 0
        while True:
            records, offsets, fetched = await self._take_merged(self.max_records, wait)
            if records:
                return records, offsets
            if wait and not fetched:
                return [], {}
            wait = self.idle_ms

    async def _take_merged(self, limit: int, wait_ms: int
                           ) -> tuple[list[Record], dict[TopicPartition, int], bool]:
        """Up to ``limit`` records in produced order, after waiting at most ``wait_ms``
        for the fetcher; and whether it had anything."""
        assert self.merge is not None
        # All of it: a partition paused (``_pace``) loses what the fetcher holds
        fetched = await self.consumer.getmany(timeout_ms=wait_ms, max_records=_DRAIN)
        received = int(time.time() * 1000)
        for tp, batch in fetched.items():
            self.merge.add(tp, batch, received)
        self._pace()
        records, last = self.merge.take(limit, await self._silent())
        return records, {tp: record.offset + 1 for tp, record in last.items()}, bool(fetched)

    async def _top_up(self, records: list[Record], offsets: dict[TopicPartition, int]
                      ) -> tuple[list[Record], dict[TopicPartition, int]]:
        """``records`` (fetched while the batches before ran) and what followed them
        since, up to ``max_records``, without waiting."""
        room = self.max_records - len(records)
        if room <= 0:
            return records, offsets
        if self.merge is None:
            more, later = await self._take(room, 0)
        else:
            more, later, _ = await self._take_merged(room, 0)
        return records + more, {**offsets, **later}

    def _pace(self) -> None:
        """Pause the partitions the merge holds two batches of (they are ahead of the
        others: a batch never takes more than one of any partition), resume those it
        has handed out down to half a batch.  What a service holds is thus at most
        two batches and a fetch (``max_partition_fetch_bytes``) per partition."""
        assert self.merge is not None
        paused = self.consumer.paused()
        for tp in self.consumer.assignment():
            held = self.merge.size(tp)
            if held >= 2 * self.max_records and tp not in paused:
                self.consumer.pause(tp)
            elif held <= self.max_records // 2 and tp in paused:
                self.consumer.resume(tp)

    async def _silent(self) -> dict[TopicPartition, float]:
        """The merge's bound for each assigned partition it holds nothing of: ``FREE``
        once read to the broker's end, else ``WAIT`` (more in the broker, or nothing
        fetched yet since the assignment) - for ``hold_for`` seconds."""
        assert self.merge is not None
        bounds: dict[TopicPartition, float] = {}
        now = time.monotonic()
        for tp in self.consumer.assignment():
            if self.merge.size(tp):
                self.silent_since.pop(tp, None)
                continue
            try:  # not self.highwater: its None for a revoked partition would read WAIT
                highwater = self.consumer.highwater(tp)
                read_to_end = (highwater is not None
                               and await self.consumer.position(tp) >= highwater)
            except (IllegalStateError, AssertionError):  # revoked meanwhile (aiokafka
                read_to_end = True  # asserts the assignment in `highwater`)
            if read_to_end:
                self.silent_since.pop(tp, None)
                bounds[tp] = FREE
            elif now - self.silent_since.setdefault(tp, now) > self.hold_for:
                bounds[tp] = FREE  # order is an economy: do not stall the rest for it
            else:
                bounds[tp] = WAIT
        return bounds

    def forget(self, revoked: set[TopicPartition]) -> None:
        if self.merge is not None:
            self.merge.drop(revoked)
        for tp in revoked:
            self.silent_since.pop(tp, None)

    async def settle(self, keep: int) -> None:
        """Commit the offsets of the oldest batches in hand once they are applied, until
        at most ``keep`` are left (and the oldest of those is still running)."""
        async with self.batch_lock:
            while self.in_hand and (len(self.in_hand) > keep or self.in_hand[0][0].done()):
                work, records, offsets = self.in_hand[0]
                await work
                self.in_hand.popleft()
                if self.lag is not None:
                    self.lag.observe_batch(records, self.highwater)
                await self._commit(offsets)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        # Retried in place while the broker is away: `produce --wait` and the lag
        # metrics read committed offsets, and a partition that gets no further record
        # would otherwise stay behind forever.
        give_up = time.monotonic() + self.retry_for
        delay = 0.2
        while True:
            try:
                await self.consumer.commit(offsets)
                return
            except (CommitFailedError, IllegalStateError) as exc:
                # The group moved on (a rebalance; or a partition of the batch is no
                # longer assigned here, which no retry mends): the new owner re-reads
                # these records, which is harmless - everything they touch is idempotent.
                _log.warning("offsets not committed, the group rebalanced",
                             extra={"error": str(exc)})
                return
            except KafkaError as exc:
                if time.monotonic() > give_up:
                    raise
                _log.warning("commit refused, retrying", extra={"error": repr(exc)})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


def consumer_for(settings: Settings, bootstrap: str, service: str, topics: Sequence[str],
                 max_records: int, lag: ConsumerLag | None = None, in_flight: int = 1,
                 fetch_min_bytes: int | None = None) -> BatchConsumer:
    """The consumer of service ``service`` (group ``govmon-<service>``) from settings;
    ``fetch_min_bytes`` in place of ``settings.fetch_min_bytes``."""
    return BatchConsumer(bootstrap, f"govmon-{service}", topics, max_records=max_records,
                         lag=lag, in_flight=in_flight, ordered=settings.ordered,
                         hold_for=settings.order_hold,
                         idle_ms=int(settings.batch_within * 1000),
                         session_timeout=settings.session_timeout,
                         retry_for=settings.db_retry,
                         fetch_min_bytes=(settings.fetch_min_bytes if fetch_min_bytes is None
                                          else fetch_min_bytes),
                         fetch_wait_ms=int(settings.fetch_wait * 1000))
