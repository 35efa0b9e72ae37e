"""A plain idempotent aiokafka producer for the services' derived messages.

Faust's own send path costs ~0.3 ms per message (futures, sensors, attachments); a
batch of verdicts is hundreds of messages, sent at once and awaited as a whole, so
this goes straight to aiokafka.  Idempotence keeps a partition's messages in send
order across retries (consumers still go by versions, see `contract.derived`).
A send that fails raises: the caller dies without committing (``adapters.batches``).
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer


class Publisher:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                            enable_idempotence=True, linger_ms=2)
                await producer.start()
                self._producer = producer
            return self._producer

    async def __call__(self, records: list[tuple[bytes, bytes]]) -> None:
        """Send every (key, value) and wait until the broker has them all."""
        if not records:
            return
        producer = await self._started()
        futures = [await producer.send(self.topic, value, key=key) for key, value in records]
        await asyncio.gather(*futures)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
