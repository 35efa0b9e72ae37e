"""How the batch consumer drives its merge (adapters.consumer): which silent partition
it waits for, and for how long; which partitions it pauses.  aiokafka's consumer is
replaced by a stand-in that answers as it would; nothing is contacted."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

from aiokafka import TopicPartition

from govmon.adapters.consumer import BatchConsumer
from govmon.adapters.merge import FREE, WAIT

A, B, C = (TopicPartition("t", p) for p in range(3))
NOW = 10**6  # ms: every stamp here is earlier


class _Fetcher:
    """aiokafka's consumer as the merge asks it: assignment, high watermarks, positions
    and pausing."""

    def __init__(self, highwater: dict[TopicPartition, int | None],
                 position: dict[TopicPartition, int]) -> None:
        self.highwaters = highwater
        self.positions = position
        self.paused_tps: set[TopicPartition] = set()
        self.fetches: list[dict[TopicPartition, list[SimpleNamespace]]] = []
        self.commits: list[dict[TopicPartition, int]] = []
        self.commit_gate: asyncio.Event | None = None

    async def getmany(self, *partitions: TopicPartition, timeout_ms: int,
                      max_records: int) -> dict[TopicPartition, list[SimpleNamespace]]:
        if self.fetches:
            fetched = self.fetches.pop(0)
            for tp, records in fetched.items():  # taken from aiokafka: its position moves
                self.positions[tp] = records[-1].offset + 1
            return fetched
        await asyncio.sleep(timeout_ms / 1000)
        return {}

    def assignment(self) -> set[TopicPartition]:
        return set(self.highwaters)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwaters[tp]

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_tps)

    def pause(self, tp: TopicPartition) -> None:
        self.paused_tps.add(tp)

    def resume(self, tp: TopicPartition) -> None:
        self.paused_tps.discard(tp)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.commit_gate is not None:  # the broker slow to answer
            await self.commit_gate.wait()
        self.commits.append(dict(offsets))


def _consumer(fetcher: _Fetcher, hold_for: float = 60, idle_ms: int = 100,
              in_flight: int = 1, max_records: int = 10) -> BatchConsumer:
    consumer = BatchConsumer("127.0.0.1:1", "govmon-test", ["t"], max_records=max_records,
                             idle_ms=idle_ms, session_timeout=10, retry_for=10, ordered=True,
                             hold_for=hold_for, in_flight=in_flight)
    consumer.consumer = fetcher  # type: ignore[assignment]
    consumer.rebalancing = False  # as once the group has assigned the partitions
    return consumer


def _records(tp: TopicPartition, *stamps: int, first: int = 0) -> list[SimpleNamespace]:
    return [SimpleNamespace(topic=tp.topic, partition=tp.partition, offset=first + i,
                            timestamp=s) for i, s in enumerate(stamps)]


async def test_a_silent_partition_is_waited_for_only_while_the_broker_holds_more_of_it() -> None:
    fetcher = _Fetcher({A: 5, B: 7, C: None}, {A: 5, B: 3, C: 0})
    consumer = _consumer(fetcher)
    assert consumer.merge is not None
    consumer.merge.add(A, _records(A, 1), NOW)  # type: ignore[arg-type]
    bounds = await consumer._silent()
    # A: something held, no bound; B: read to 3 of 7; C: nothing heard of it yet
    assert bounds == {B: WAIT, C: WAIT}
    fetcher.positions[B] = 7
    fetcher.highwaters[C] = 0
    assert await consumer._silent() == {B: FREE, C: FREE}


async def test_a_partition_silent_for_longer_than_the_hold_is_no_longer_waited_for() -> None:
    consumer = _consumer(_Fetcher({A: 5}, {A: 2}), hold_for=0.05)
    assert await consumer._silent() == {A: WAIT}
    await asyncio.sleep(0.1)
    assert await consumer._silent() == {A: FREE}


async def test_partitions_far_ahead_are_paused_and_resumed_once_mostly_handed_out() -> None:
    fetcher = _Fetcher({A: 100, B: 100}, {A: 0, B: 0})
    consumer = _consumer(fetcher)
    assert consumer.merge is not None
    consumer.merge.add(A, _records(A, *range(20)), NOW)  # type: ignore[arg-type]
    consumer.merge.add(B, _records(B, *range(19)), NOW)  # type: ignore[arg-type]
    consumer._pace()
    assert fetcher.paused_tps == {A}  # 2 batches of 10 held
    consumer.merge.take(19, {})  # A 0-9, B 0-8 taken: A holds 10
    consumer._pace()
    assert fetcher.paused_tps == {A}
    consumer.merge.take(10, {})  # A 10-14, B 9-13 taken: A holds 5, B 5
    consumer._pace()
    assert fetcher.paused_tps == set()


async def test_a_fetch_hands_out_merged_batches_and_their_offsets() -> None:
    fetcher = _Fetcher({A: 3, B: 2}, {A: 0, B: 0})
    consumer = _consumer(fetcher)
    fetcher.fetches = [{A: _records(A, 1, 4, 6)}, {B: _records(B, 2, 5)}]
    records, offsets = await consumer._fetch_ordered()
    # A alone, B not fetched yet (0 of 2): it waits for B's, then goes up to the
    # earlier of the two latest (B's 5); A's 6 waits for B to be known read to its end
    assert [(r.partition, r.offset) for r in records] == [(0, 0), (1, 0), (0, 1), (1, 1)]
    assert offsets == {A: 2, B: 2}
    records, offsets = await consumer._fetch_ordered()
    assert [(r.partition, r.offset) for r in records] == [(0, 2)]
    assert offsets == {A: 3}
    assert await consumer._fetch_ordered() == ([], {})  # idle: nothing within a wait


async def test_a_fetch_waits_for_a_silent_partition_no_longer_than_the_hold() -> None:
    fetcher = _Fetcher({A: 1, B: 5}, {A: 1, B: 0})  # B: 5 in the broker, none come
    consumer = _consumer(fetcher, hold_for=0.3)
    fetcher.fetches = [{A: _records(A, 7)}]
    started = asyncio.get_running_loop().time()
    calls = 1
    records, offsets = await consumer._fetch_ordered()
    while not records:  # the service's loop asks again after each idle wait
        calls += 1
        records, offsets = await consumer._fetch_ordered()
    assert [(r.partition, r.offset) for r in records] == [(0, 0)]
    assert offsets == {A: 1}
    assert asyncio.get_running_loop().time() - started >= 0.3
    assert calls > 1


class _Handler:
    """A service's batch handler that holds its first batch until released (the rest
    go at once: a consumer that hands out too much fails the test, not hangs it)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()

    async def __call__(self, records: list[SimpleNamespace]) -> None:
        self.batches.append([r.offset for r in records])
        if len(self.batches) == 1:
            await self.release.wait()


async def _until(condition: object, within: float = 2.0) -> None:
    for _ in range(int(within / 0.01)):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_the_next_batch_is_fetched_while_one_runs_and_topped_up_when_handed() -> None:
    fetcher = _Fetcher({A: 3}, {A: 0})
    consumer = _consumer(fetcher)  # one batch in flight, up to 10 records
    fetcher.fetches = [{A: _records(A, 1, 2, 3)}, {A: _records(A, 4, 5, first=3)}]
    handle, stopping = _Handler(), asyncio.Event()
    run = asyncio.ensure_future(consumer.run(handle, stopping,  # type: ignore[arg-type]
                                             logging.getLogger("test")))
    await _until(lambda: handle.batches == [[0, 1, 2]] and not fetcher.fetches)
    # 3-4 were fetched while 0-2 ran; 5 comes before 0-2 are done
    fetcher.fetches.append({A: _records(A, 6, first=5)})
    handle.release.set()
    await _until(lambda: len(handle.batches) == 2)
    assert handle.batches[1] == [3, 4, 5]  # handed out with what came meanwhile
    await _until(lambda: len(fetcher.commits) == 2)
    stopping.set()
    await asyncio.wait_for(run, 2)
    assert fetcher.commits == [{A: 3}, {A: 6}]  # each once its batch was applied


async def test_a_batch_fetched_before_a_rebalance_keeps_only_partitions_still_held() -> None:
    fetcher = _Fetcher({A: 3, B: 2}, {A: 0, B: 0})
    consumer = _consumer(fetcher)
    fetcher.fetches = [{A: _records(A, 1, 2, 3), B: _records(B, 1, 2)},
                       {A: _records(A, 4, 5, first=3), B: _records(B, 4, 5, first=2)}]
    handle, stopping = _Handler(), asyncio.Event()
    run = asyncio.ensure_future(consumer.run(handle, stopping,  # type: ignore[arg-type]
                                             logging.getLogger("test")))
    await _until(lambda: len(handle.batches) == 1 and not fetcher.fetches)
    del fetcher.highwaters[B]  # a rebalance gave B to another member meanwhile
    handle.release.set()
    await _until(lambda: len(handle.batches) == 2)
    await _until(lambda: len(fetcher.commits) == 2)
    stopping.set()
    await asyncio.wait_for(run, 2)
    # B's 2-3 are the new owner's to read from the last commit
    assert handle.batches[1] == [2, 3, 4] and fetcher.commits[1] == {A: 5}


async def test_a_batch_fetched_while_a_rebalance_is_under_way_is_not_handed_out() -> None:
    """aiokafka reports the old assignment until the rebalance is over; the batch is
    dropped instead, uncommitted (the next assignment reads it again from the commit)."""
    fetcher = _Fetcher({A: 3}, {A: 0})
    consumer = _consumer(fetcher)
    fetcher.fetches = [{A: _records(A, 1, 2, 3)}, {A: _records(A, 4, 5, first=3)}]
    handle, stopping = _Handler(), asyncio.Event()
    run = asyncio.ensure_future(consumer.run(handle, stopping,  # type: ignore[arg-type]
                                             logging.getLogger("test")))
    await _until(lambda: handle.batches == [[0, 1, 2]] and not fetcher.fetches)
    consumer.rebalancing = True  # the revocation has begun
    handle.release.set()
    await _until(lambda: fetcher.commits == [{A: 3}])
    await asyncio.sleep(0.3)
    stopping.set()
    await asyncio.wait_for(run, 2)
    assert handle.batches == [[0, 1, 2]] and fetcher.commits == [{A: 3}]


class _Holds:
    """A batch handler that holds batch number n (from 1) until ``release(n)``."""

    def __init__(self, *held: int) -> None:
        self.batches: list[list[int]] = []
        self.gates = {n: asyncio.Event() for n in held}

    def release(self, number: int) -> None:
        self.gates[number].set()

    def release_all(self) -> None:
        for gate in self.gates.values():
            gate.set()

    async def __call__(self, records: list[SimpleNamespace]) -> None:
        self.batches.append([r.offset for r in records])
        gate = self.gates.get(len(self.batches))
        if gate is not None:
            await gate.wait()


async def test_a_finished_batch_is_committed_at_once_while_the_fetch_waits_for_records(
        ) -> None:
    fetcher = _Fetcher({A: 3}, {A: 0})
    consumer = _consumer(fetcher, idle_ms=30_000)  # an idle fetch waits 30 s
    fetcher.fetches = [{A: _records(A, 1, 2, 3)}]
    handle, stopping = _Holds(1), asyncio.Event()
    run = asyncio.ensure_future(consumer.run(handle, stopping,  # type: ignore[arg-type]
                                             logging.getLogger("test")))
    await _until(lambda: handle.batches == [[0, 1, 2]] and not fetcher.fetches)
    try:
        await asyncio.sleep(0.05)  # the loop is in its idle fetch now
        handle.release(1)
        await _until(lambda: fetcher.commits == [{A: 3}], within=1.0)
    finally:  # a consumer that fails the test must not hang it
        handle.release_all()
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)


async def test_a_slot_freed_takes_the_next_batch_while_a_later_one_still_runs() -> None:
    """Two in flight: the first finishes, the second runs on; the batch fetched
    meanwhile goes at once - even after a fetch that found nothing (the loop used to
    wait there for every batch in hand)."""
    fetcher = _Fetcher({A: 5}, {A: 0})
    consumer = _consumer(fetcher, idle_ms=50, in_flight=2)
    fetcher.fetches = [{A: _records(A, 1, 2, 3)}, {A: _records(A, 4, 5, first=3)}]
    handle, stopping = _Holds(1, 2), asyncio.Event()
    run = asyncio.ensure_future(consumer.run(handle, stopping,  # type: ignore[arg-type]
                                             logging.getLogger("test")))
    try:
        await _until(lambda: len(handle.batches) == 2)
        await asyncio.sleep(0.2)  # fetches that find nothing
        fetcher.highwaters[A] = 6
        fetcher.fetches.append({A: _records(A, 6, first=5)})
        handle.release(1)
        await _until(lambda: len(handle.batches) == 3)
        assert handle.batches[2] == [5] and not handle.gates[2].is_set()
        assert fetcher.commits == [{A: 3}]  # the first batch's, at once
        handle.release(2)
        await _until(lambda: fetcher.commits == [{A: 3}, {A: 5}, {A: 6}])
        stopping.set()
        await asyncio.wait_for(run, 2)
    finally:  # a consumer that fails the test must not hang it
        handle.release_all()
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)


async def test_finished_batches_do_not_pile_up_while_commits_lag() -> None:
    fetcher = _Fetcher({A: 1}, {A: 0})
    fetcher.commit_gate = asyncio.Event()
    consumer = _consumer(fetcher, max_records=1)  # one batch of one record in flight
    fetcher.highwaters[A] = 5
    fetcher.fetches = [{A: _records(A, n, first=n - 1)} for n in range(1, 6)]
    handle, stopping = _Holds(), asyncio.Event()
    run = asyncio.ensure_future(consumer.run(handle, stopping,  # type: ignore[arg-type]
                                             logging.getLogger("test")))
    try:
        await _until(lambda: len(handle.batches) == 3)
        await asyncio.sleep(0.2)
        # the first being committed, two finished waiting for it: the fourth waits
        assert handle.batches == [[0], [1], [2]] and fetcher.commits == []
        fetcher.commit_gate.set()
        await _until(lambda: fetcher.commits[-1:] == [{A: 5}])
        assert [offset for batch in handle.batches for offset in batch] == [0, 1, 2, 3, 4]
        ends = [commit[A] for commit in fetcher.commits]
        assert ends == sorted(set(ends)) and ends[0] == 1  # in fetch order, each once
        stopping.set()
        await asyncio.wait_for(run, 2)
    finally:
        fetcher.commit_gate.set()
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
