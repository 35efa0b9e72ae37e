"""`govmon produce FILE.jsonl`: publish a file of CloudEvents to Kafka.

Every non-blank line is sent as a structured-mode record, valid or not: validation is
ingest's job, and a bad line must reach the dead-letter topic with its reason rather
than vanish on the producer's side.  Refused here are only lines the broker will not
take (too large, not UTF-8); they are reported with their line numbers.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import msgspec
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from tqdm import tqdm

from govmon.bootstrap import require_bootstrap
from govmon.contract.topics import PIPELINE
from govmon.settings import Settings

MAX_RECORD = 900 * 1024  # below the broker's default 1 MiB message.max.bytes
IN_FLIGHT = 5000


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


async def _produce(bootstrap: str, path: Path, size: int, topic: str, progress: bool
                   ) -> tuple[int, list[tuple[int, str]]]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=5,
                                max_request_size=1024 * 1024)
    await producer.start()
    sent = 0
    refused: list[tuple[int, str]] = []
    pending: list[tuple[int, asyncio.Future[object]]] = []

    async def drain() -> None:
        nonlocal sent
        for number, fut in pending:
            try:
                await fut
                sent += 1
            except KafkaError as exc:
                refused.append((number, f"broker refused: {exc}"))
        pending.clear()

    headers = [("content-type", b"application/cloudevents+json")]
    try:
        with path.open("rb") as fh, tqdm(total=size, unit="B", unit_scale=True,
                                          disable=not progress, file=sys.stderr,
                                          desc="produce") as bar:
            for number, line in enumerate(fh, start=1):
                bar.update(len(line))
                line = line.strip()
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
                fut = await producer.send(topic, line, key=_key(line), headers=headers)
                pending.append((number, fut))
                if len(pending) >= IN_FLIGHT:
                    await drain()
            await drain()
    finally:
        await producer.stop()
    return sent, refused


def produce_file(settings: Settings, path: Path, *, topic: str, wait: bool,
                 progress: bool) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        print(f"govmon produce: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    bootstrap = require_bootstrap(settings)
    sent, refused = asyncio.run(_produce(bootstrap, path, size, topic, progress))
    for number, reason in refused:
        print(f"{path}:{number}: refused: {reason}", file=sys.stderr)
    print(f"sent {sent} lines to {topic}, refused {len(refused)}", file=sys.stderr)
    if wait:
        from govmon.adapters.kafka_progress import wait_for_groups

        asyncio.run(wait_for_groups(bootstrap, PIPELINE, within=settings.wait_timeout))
        print("all services have consumed what was sent", file=sys.stderr)
    return 1 if refused else 0
