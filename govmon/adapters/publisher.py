"""A plain idempotent aiokafka producer for the services' derived messages.

Faust's own send path costs ~0.3 ms per message (futures, sensors, attachments); a
batch of verdicts is hundreds of messages, sent at once and awaited as a whole, so
this goes straight to aiokafka.  Idempotence keeps a partition's messages in send
order across retries (consumers still go by versions, see `contract.derived`).
A batch the broker refuses (no leader yet after a broker restart, a timeout, or an
idempotence sequence the restart broke, which poisons the producer) is sent again, whole,
by a fresh producer, for up to ``retry_for`` seconds: duplicates are harmless downstream.
Then it raises, and the caller dies without committing (``adapters.batches``).
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

_log = logging.getLogger(__name__)


class Publisher:
    def __init__(self, bootstrap: str, topic: str, *, retry_for: float = 300) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.retry_for = retry_for
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                            enable_idempotence=True, linger_ms=2)
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def __call__(self, records: list[tuple[bytes, bytes]]) -> None:
        """Send every (key, value) and wait until the broker has them all."""
        if not records:
            return
        give_up = time.monotonic() + self.retry_for
        delay = 0.5
        while True:
            try:
                producer = await self._started()
                futures = [await producer.send(self.topic, value, key=key)
                           for key, value in records]
                await asyncio.gather(*futures)
                return
            except KafkaError as exc:
                if time.monotonic() > give_up:
                    raise
                _log.warning("publish refused, sending again with a fresh producer",
                             extra={"error": repr(exc), "retry_in": delay})
                await self.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except KafkaError:
                pass  # closing a broken producer: nothing left to save
