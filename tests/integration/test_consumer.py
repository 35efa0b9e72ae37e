"""The batch consumer with batches in flight (timeliness), on the real broker: the next
batch is handled while an earlier one is still running, and offsets are committed in
order, each only once every batch up to it has returned.  The merge of partitions in
produced order.  And the service's readiness (`/readyz`) around a real consumer."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence

import httpx
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry

from govmon.adapters.consumer import BatchConsumer, Record
from govmon.adapters.host import Service, readiness, web_app
from govmon.contract import topics
from tests.support.kafka_io import send_raw

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
TOPIC = topics.DLQ.name  # one partition, emptied by clean_kafka


async def _scenario(bootstrap: str) -> None:
    await send_raw(bootstrap, TOPIC, [(None, f"r{i}".encode(), []) for i in range(3)])
    consumer = BatchConsumer(bootstrap, "govmon-test-in-flight", [TOPIC], max_records=1,
                             idle_ms=100, session_timeout=10, retry_for=10, in_flight=2)
    gate, second_done = asyncio.Event(), asyncio.Event()
    log: list[str] = []

    async def handle(records: Sequence[Record]) -> None:
        [record] = records  # max_records=1: a batch per record
        log.append(f"start {record.value!r}")
        if record.offset == 0:
            await gate.wait()
        log.append(f"end {record.value!r}")
        if record.offset == 1:
            second_done.set()

    tp = TopicPartition(TOPIC, 0)
    stopping = asyncio.Event()
    await consumer.start()
    running = asyncio.ensure_future(consumer.run(handle, stopping, logging.getLogger("test")))
    try:
        await asyncio.wait_for(second_done.wait(), 30)  # it ran while the first waits
        await _r2_within_reach(consumer, tp)
        await asyncio.sleep(0.3)  # a third batch in flight would start at once now
        assert log == ["start b'r0'", "start b'r1'", "end b'r1'"]  # no third: 2 in flight
        # r2 is taken from the fetcher (the next batch is fetched while those in hand
        # run), not started
        assert await consumer.consumer.position(tp) == 3
        assert await consumer.consumer.committed(tp) is None  # r1 done, r0 not: nothing
        gate.set()
        for _ in range(600):
            if await consumer.consumer.committed(tp) == 3:
                break
            await asyncio.sleep(0.05)
        assert await consumer.consumer.committed(tp) == 3
        assert log[3:] == ["end b'r0'", "start b'r2'", "end b'r2'"]
    finally:
        gate.set()
        stopping.set()
        await running
        await consumer.stop()


async def _r2_within_reach(consumer: BatchConsumer, tp: TopicPartition) -> None:
    """Wait until the consumer has fetched up to r2.  All three records were in the log
    before the consumer's first fetch, so a fetch response that reports the high
    watermark 3 carries every record from its fetch position up to it, and the run loop
    takes r2 from aiokafka's fetcher at once (it fetches the next batch while those in
    hand run).  Only then does "no third batch started" say that the in-flight limit
    held it back, not a slow fetch."""
    for _ in range(200):
        if consumer.highwater(tp.topic, tp.partition) == 3:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the consumer never fetched up to r2: highwater "
                         f"{consumer.highwater(tp.topic, tp.partition)}")


def test_batches_in_flight_commit_in_order(clean_kafka: str) -> None:
    asyncio.run(_scenario(clean_kafka))


async def _commit_elsewhere(bootstrap: str) -> int | None:
    """Commit offsets of a partition the consumer does not hold (a rebalance gave it to
    another member while the batch ran); then what it committed on its own one."""
    consumer = BatchConsumer(bootstrap, "govmon-test-not-assigned", [TOPIC], max_records=10,
                             idle_ms=100, session_timeout=10, retry_for=600)
    await consumer.start()
    try:
        for _ in range(600):
            if consumer.consumer.assignment():
                break
            await asyncio.sleep(0.05)
        # aiokafka refuses it (IllegalStateError): no retry can mend that, so it is not
        # retried for `retry_for` (600 s here) but given up as after a rebalance
        await asyncio.wait_for(consumer._commit({TopicPartition(topics.RAW.name, 0): 1}), 30)
        await asyncio.wait_for(consumer._commit({TopicPartition(TOPIC, 0): 0}), 30)
        return await consumer.consumer.committed(TopicPartition(TOPIC, 0))
    finally:
        await consumer.stop()


def test_a_commit_for_a_partition_held_elsewhere_is_given_up(clean_kafka: str) -> None:
    assert asyncio.run(_commit_elsewhere(clean_kafka)) == 0


async def _readiness_on_the_broker(
    bootstrap: str,
) -> tuple[tuple[bool, dict[str, object]], list[tuple[int, dict[str, object]]]]:
    """`/readyz` of a service around a real consumer: before start(), from start() until
    the group assigned it a partition, once it holds it, and after stop().  Also what
    `readiness` said the moment start() returned."""
    consumer = BatchConsumer(bootstrap, "govmon-test-readiness", [TOPIC], max_records=10,
                             idle_ms=100, session_timeout=10, retry_for=10)

    async def handle(records: Sequence[Record]) -> None:
        raise AssertionError("nothing is handled here")

    app = web_app(Service("test", consumer, handle, CollectorRegistry(), port=0))
    answers: list[tuple[int, dict[str, object]]] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://service") as client:

        async def probe() -> tuple[int, dict[str, object]]:
            response = await client.get("/readyz")
            answers.append((response.status_code, response.json()))
            return answers[-1]

        await probe()  # built
        await consumer.start()
        try:
            # start() returns once subscribed; the group assigns partitions later, in
            # aiokafka's coordinator task, which has not run yet at this point
            just_started = readiness(consumer)
            for _ in range(600):
                if (await probe())[0] == 200:
                    break
                await asyncio.sleep(0.05)
            assert consumer.assignment() == {(TOPIC, 0)}
        finally:
            await consumer.stop()
        await probe()  # stopped
    return just_started, answers


def test_ready_once_the_real_consumer_holds_a_partition(clean_kafka: str) -> None:
    just_started, answers = asyncio.run(_readiness_on_the_broker(clean_kafka))
    not_started = (503, {"ready": False, "reason": "consumer not started"})
    assert answers[0] == not_started
    assert just_started == (False, {"reason": "rebalancing", "partitions": 0})
    # not ready from start() until the group's assignment, ready once it holds one
    assert all(status == 503 and body["reason"] == "rebalancing"
               for status, body in answers[1:-2]), answers
    assert answers[-2] == (200, {"ready": True, "partitions": 1})
    assert answers[-1] == not_started


async def _handed_out(bootstrap: str, *, ordered: bool, count: int
                      ) -> tuple[list[int], dict[int, int | None]]:
    """``count`` records produced as one stream over the raw topic's 6 partitions (each
    stamped 1 ms after the one before), then consumed by a BatchConsumer: the order in
    which its batches handed them out, and the offsets it committed per partition."""
    rng = random.Random(3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        base = int(time.time() * 1000) - count
        sent = [await producer.send(topics.RAW.name, str(i).encode(), timestamp_ms=base + i,
                                    partition=rng.randrange(topics.RAW.partitions))
                for i in range(count)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    consumer = BatchConsumer(bootstrap, f"govmon-test-ordered-{ordered}", [topics.RAW.name],
                             max_records=37, idle_ms=100, session_timeout=10, retry_for=10,
                             ordered=ordered)
    seen: list[int] = []
    done = asyncio.Event()

    async def handle(records: Sequence[Record]) -> None:
        seen.extend(int(record.value) for record in records)
        if len(seen) >= count:
            done.set()

    stopping = asyncio.Event()
    await consumer.start()
    running = asyncio.ensure_future(consumer.run(handle, stopping, logging.getLogger("test")))
    try:
        await asyncio.wait_for(done.wait(), 60)
    finally:
        stopping.set()
        await running
    try:
        committed = {p: await consumer.consumer.committed(TopicPartition(topics.RAW.name, p))
                     for p in range(topics.RAW.partitions)}
    finally:
        await consumer.stop()
    return seen, committed


def test_an_ordered_consumer_hands_partitions_out_in_produced_order(clean_kafka: str) -> None:
    seen, committed = asyncio.run(_handed_out(clean_kafka, ordered=True, count=3000))
    assert seen == list(range(3000))
    assert sum(offset or 0 for offset in committed.values()) == 3000  # all, committed


def test_without_the_merge_a_backlog_comes_partition_by_partition(clean_kafka: str) -> None:
    """What the merge is for: aiokafka hands out one partition's fetched buffer, then the
    next one's."""
    seen, _ = asyncio.run(_handed_out(clean_kafka, ordered=False, count=3000))
    assert sorted(seen) == list(range(3000))
    assert seen != list(range(3000))
