"""`govmon produce` sends whole batches; when the broker refuses one, each of its lines
is reported by its number and the rest count as sent.  The producer here is a
stand-in for aiokafka's (this checks our bookkeeping; the real broker path is
tests/integration/test_ingest.py)."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaError

from govmon.adapters.publisher import Outgoing, default_partition
from govmon.produce import _Sender

FAILING = 1  # the partition whose batches the stand-in broker refuses


class _Batch:
    def append(self, **_: object) -> object:
        return self  # never full


class _Producer:
    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1}

    def create_batch(self) -> _Batch:
        return _Batch()

    async def send_batch(self, batch: _Batch, topic: str, partition: int
                         ) -> asyncio.Future[object]:
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if partition == FAILING:
            future.set_exception(KafkaError("not leader"))
        else:
            future.set_result(None)
        return future


def test_a_refused_batch_refuses_its_lines_by_number() -> None:
    keys = [f"source\x00event-{n}".encode() for n in range(12)]
    numbers = [n * 3 + 1 for n in range(12)]  # blank or refused lines in between
    records: list[Outgoing] = [("raw", key, b"{}", None) for key in keys]
    refused = {number for number, key in zip(numbers, keys, strict=True)
               if default_partition(key, [0, 1], [0, 1]) == FAILING}
    assert 0 < len(refused) < len(keys)

    async def run() -> _Sender:
        sender = _Sender(_Producer())  # type: ignore[arg-type]
        await sender.send(numbers[:5], records[:5])
        await sender.send(numbers[5:], records[5:])
        await sender.finish()
        return sender

    sender = asyncio.run(run())
    assert {number for number, _ in sender.refused} == refused
    assert all(reason.startswith("broker refused:") for _, reason in sender.refused)
    assert sender.sent == len(keys) - len(refused)
