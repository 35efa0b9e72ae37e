"""`govmon produce FILE.jsonl`: publish a file of CloudEvents to Kafka.

Every non-blank line is sent as a structured-mode record, valid or not: validation is
ingest's job, and a bad line must reach the dead-letter topic with its reason rather
than vanish on the producer's side.  Refused here are only lines the broker will not
take (too large, not UTF-8); they are reported with their line numbers.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path
from typing import IO

import msgspec
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from tqdm import tqdm

from govmon.adapters.loops import run_loop
from govmon.adapters.publisher import KeyPartitioner, Outgoing, send_batched
from govmon.bootstrap import require_bootstrap
from govmon.contract.codec import JSON_SPACE
from govmon.contract.topics import PIPELINE
from govmon.jsonlines import open_lines
from govmon.settings import Settings

MAX_RECORD = 900 * 1024  # below the broker's default 1 MiB message.max.bytes
CHUNK = 5000  # lines handed to the producer at once


class _Identity(msgspec.Struct):
    """Just the two fields of the key; msgspec skips the rest without building it."""

    id: object = None
    source: object = None


_PROBE = msgspec.json.Decoder(_Identity)


def _key(line: bytes) -> bytes | None:
    """source + id when the line is a JSON object that has them: re-sends of one event
    land on one raw partition, where ingest's de-duplication sees both."""
    try:
        doc = _PROBE.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if isinstance(doc.id, str):
        return f"{doc.source}\x00{doc.id}".encode()
    return None


class _Sender:
    """Sends lines a chunk at a time as whole per-partition batches
    (``publisher.send_batched``: a ``send()`` per line cost more than the rest of
    produce), with up to two chunks in flight, and says per line what the broker did."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.partition = KeyPartitioner()
        self.sent = 0
        self.refused: list[tuple[int, str]] = []
        self._in_flight: list[tuple[list[int], list[tuple[asyncio.Future[object], list[int]]]]]
        self._in_flight = []

    async def send(self, numbers: list[int], records: list[Outgoing]) -> None:
        if records:
            # A file's keys (source + id) repeat only for re-sends: no partition cache.
            batches = await send_batched(self.producer, self.partition, records)
            self._in_flight.append((numbers, batches))
        while len(self._in_flight) > 1:  # the next chunk is built while this one flies
            await self._settle(*self._in_flight.pop(0))

    async def finish(self) -> None:
        while self._in_flight:
            await self._settle(*self._in_flight.pop(0))

    async def _settle(self, numbers: list[int],
                      batches: list[tuple[asyncio.Future[object], list[int]]]) -> None:
        for future, positions in batches:
            try:
                await future
                self.sent += len(positions)
            except KafkaError as exc:
                self.refused.extend((numbers[p], f"broker refused: {exc}") for p in positions)


async def _produce(bootstrap: str, lines: IO[bytes], size: int | None, topic: str,
                   progress: bool) -> tuple[int, list[tuple[int, str]]]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=5,
                                max_batch_size=256 * 1024, max_request_size=1024 * 1024)
    await producer.start()
    sender = _Sender(producer)
    refused: list[tuple[int, str]] = []
    headers = [("content-type", b"application/cloudevents+json")]
    numbers: list[int] = []
    records: list[Outgoing] = []
    try:
        with tqdm(total=size, unit="B", unit_scale=True, disable=not progress,
                  file=sys.stderr, desc="produce") as bar:
            read = 0  # counted, not `tell()`: a pipe has no position
            for number, line in enumerate(lines, start=1):
                read += len(line)
                line = line.strip(JSON_SPACE)  # as replay and the codec measure it
                if not line:
                    continue
                if len(line) > MAX_RECORD:
                    refused.append((number, f"{len(line)} bytes, over the {MAX_RECORD}-byte "
                                            "record limit"))
                    continue
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    refused.append((number, f"not UTF-8: {exc}"))
                    continue
                numbers.append(number)
                records.append((topic, _key(line), line, headers))
                if len(records) >= CHUNK:
                    await sender.send(numbers, records)
                    bar.update(read - bar.n)
                    numbers, records = [], []
            await sender.send(numbers, records)
            await sender.finish()
            bar.update(read - bar.n)
    finally:
        await producer.stop()
    return sender.sent, sorted(refused + sender.refused)


def stack_bootstrap(settings: Settings) -> str:
    """KAFKA_BOOTSTRAP_SERVERS, else the broker of the stack `govmon up` started (as
    `govmon report` finds its database); neither: exit, saying so."""
    from govmon.localstack.stack import server_address

    return server_address(settings, "kafka") or require_bootstrap(settings)


def produce_file(settings: Settings, path: Path, *, topic: str, wait: bool,
                 progress: bool) -> int:
    try:
        lines = open_lines(path)
    except OSError as exc:
        print(f"govmon produce: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    with lines:
        info = os.fstat(lines.fileno())
        size = info.st_size if stat.S_ISREG(info.st_mode) else None  # a pipe: unknown
        bootstrap = stack_bootstrap(settings)
        sent, refused = run_loop(_produce(bootstrap, lines, size, topic, progress),
                                 settings.event_loop)
    for number, reason in refused:
        print(f"{path}:{number}: refused: {reason}", file=sys.stderr)
    print(f"sent {sent} lines to {topic}, refused {len(refused)}", file=sys.stderr)
    if wait:
        from govmon.adapters.kafka_progress import wait_for_groups

        try:
            run_loop(wait_for_groups(bootstrap, PIPELINE, within=settings.wait_timeout),
                     settings.event_loop)
        except TimeoutError as exc:
            print(f"govmon produce --wait: {exc} (GOVMON_WAIT_TIMEOUT); is every service "
                  f"running? `govmon status`, and their logs", file=sys.stderr)
            return 3
        print("all services have consumed what was sent", file=sys.stderr)
    return 1 if refused else 0
