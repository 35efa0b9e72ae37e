"""What ingest decides about one raw record.  No Kafka here: the agent feeds bytes and
headers in and sends what comes out, so the decision is unit-tested without a broker."""

from __future__ import annotations

from collections import OrderedDict
from hashlib import blake2b
from typing import NamedTuple

from govmon.contract.bindings import Headers, decode_message
from govmon.contract.codec import InvalidEvent
from govmon.contract.events import GovEvent
from govmon.contract.topics import route


class Deduplicator:
    """Remembers the last ``capacity`` event identities (source + id).

    Bounded on purpose: exact re-deliveries come close together (producer retries,
    re-sent files); older duplicates that slip through are harmless because every
    consumer downstream is idempotent on the same key.  Digests keep memory at ~100 B
    per remembered event.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[bytes, None] = OrderedDict()

    def seen(self, source: str, event_id: str) -> bool:
        """True if already seen; otherwise remember it and return False."""
        digest = blake2b(f"{source}\x00{event_id}".encode(), digest_size=16).digest()
        if digest in self._seen:
            return True
        self._seen[digest] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._seen)


# Named tuples rather than frozen dataclasses: one is made per event, and a frozen
# dataclass's ``__init__`` takes ~0.75 us (a named tuple's ~0.25) of the ~13 us ingest
# spends on an event.
class Routed(NamedTuple):
    event: GovEvent
    topic: str
    key: str
    value: bytes  # structured-mode JSON, as received (lossless)


class Duplicate(NamedTuple):
    event: GovEvent


class Rejected(NamedTuple):
    reason: str
    code: str


Decision = Routed | Duplicate | Rejected


def decide(value: bytes | None, headers: Headers, dedup: Deduplicator, *,
           max_bytes: int) -> Decision:
    try:
        event, structured = decode_message(value, headers, max_bytes=max_bytes)
    except InvalidEvent as exc:
        return Rejected(exc.reason, exc.code)
    if dedup.seen(event.source, event.id):
        return Duplicate(event)
    spec, key = route(event)
    return Routed(event, spec.name, key, structured)


def dlq_headers(rejected: Rejected, *, topic: str, partition: int, offset: int,
                original: Headers) -> list[tuple[str, bytes]]:
    """Where the record came from and why it was refused; original headers kept."""
    return [
        *[(k, v) for k, v in original],
        ("govmon.dlq.reason", rejected.reason.encode()),
        ("govmon.dlq.code", rejected.code.encode()),
        ("govmon.dlq.topic", topic.encode()),
        ("govmon.dlq.partition", str(partition).encode()),
        ("govmon.dlq.offset", str(offset).encode()),
    ]
