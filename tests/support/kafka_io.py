"""Reading and writing topics directly in tests (plain aiokafka)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from govmon.contract.topics import TopicSpec


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]

    def json(self) -> dict[str, object]:
        assert self.value is not None
        return json.loads(self.value)  # type: ignore[no-any-return]


async def read_all(bootstrap: str, *specs: TopicSpec, within: float = 60) -> list[Record]:
    """Every record currently in the topics, from the beginning to the end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(s.name, p) for s in specs for p in range(s.partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[Record] = []
        # Progress is judged by the offsets received, not `position()`, which can report
        # the end before a lazy seek has been carried out.
        remaining = {tp for tp in tps if ends[tp] > 0}
        deadline = time.monotonic() + within
        while remaining:
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read to the end in {within}s: "
                                     f"{[(str(tp), ends[tp]) for tp in remaining]}")
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, messages in batch.items():
                for m in messages:
                    out.append(Record(m.topic, m.partition, m.offset, m.key, m.value,
                                      dict(m.headers or ())))
                if messages and messages[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return out
    finally:
        await consumer.stop()


async def send_raw(bootstrap: str, topic: str,
                   records: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]],
                   partition: int | None = None) -> None:
    """(key, value, headers) to ``topic``, in order; to one ``partition`` if given."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key, headers=headers,
                                       partition=partition)
                   for key, value, headers in records]
        for fut in futures:
            await fut
    finally:
        await producer.stop()
