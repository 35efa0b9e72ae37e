"""The batch consumer with batches in flight (timeliness), on the real broker: the next
batch is handled while an earlier one is still running, and offsets are committed in
order, each only once every batch up to it has returned."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest
from aiokafka import TopicPartition

from govmon.adapters.consumer import BatchConsumer, Record
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
        await asyncio.sleep(0.5)
        assert log == ["start b'r0'", "start b'r1'", "end b'r1'"]  # no third: 2 in flight
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
