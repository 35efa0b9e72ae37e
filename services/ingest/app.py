"""Ingest: validate, de-duplicate and route raw CloudEvents; dead-letter the rest.

Thin adapter: the decision is `govmon.handlers.ingest.decide`; this file only moves
bytes between topics, a batch at a time, and counts what happened.  The batch's
routed and dead-lettered records are all acknowledged by the broker before its
offsets are committed (``adapters.consumer``), so nothing accepted is lost.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from govmon.adapters.consumer import Record, consumer_for
from govmon.adapters.host import Service
from govmon.adapters.metrics import IngestMetrics, new_registry
from govmon.adapters.publisher import Outgoing, Publisher
from govmon.contract import topics
from govmon.handlers.ingest import Deduplicator, Duplicate, Rejected, Routed, decide, dlq_headers
from govmon.settings import Settings

_log = logging.getLogger("govmon.ingest")
STRUCTURED_HEADERS = [("content-type", b"application/cloudevents+json")]


async def build_service(settings: Settings, bootstrap: str) -> Service:
    registry = new_registry()
    metrics = IngestMetrics(registry)
    dedup = Deduplicator(settings.dedup_capacity)
    publisher = Publisher(bootstrap, topics.DLQ.name, retry_for=settings.db_retry)
    consumer = consumer_for(settings, bootstrap, "ingest", [topics.RAW.name],
                            settings.ingest_batch_size, metrics.lag)

    async def handle(records: Sequence[Record]) -> None:
        out: list[Outgoing] = []
        routed: Counter[tuple[str, str]] = Counter()
        duplicates = 0
        for record in records:
            headers = list(record.headers or ())
            try:
                decision = decide(record.value, headers, dedup,
                                  max_bytes=settings.max_event_bytes)
            except Exception as exc:  # a bug must not stall the stream: dead-letter it
                _log.exception("ingest failed on a record", extra={"offset": record.offset})
                decision = Rejected(f"internal error while validating: {exc!r}", "internal")
            if isinstance(decision, Routed):
                out.append((decision.topic, decision.key.encode(), decision.value,
                            STRUCTURED_HEADERS))
                routed[(str(decision.event.__struct_config__.tag), decision.topic)] += 1
            elif isinstance(decision, Duplicate):
                duplicates += 1
                _log.debug("duplicate dropped", extra={"event_id": decision.event.id})
            else:
                out.append((topics.DLQ.name, record.key, record.value,
                            dlq_headers(decision, topic=record.topic,
                                        partition=record.partition, offset=record.offset,
                                        original=headers)))
                metrics.rejected.labels(reason=decision.code).inc()
                _log.info("dead-lettered", extra={"reason": decision.reason,
                                                  "partition": record.partition,
                                                  "offset": record.offset})
        await publisher.send_all(out)
        metrics.received.inc(len(records))
        metrics.duplicates.inc(duplicates)
        for (kind, topic), count in routed.items():
            metrics.routed.labels(type=kind, topic=topic).inc(count)

    return Service("ingest", consumer, handle, registry, settings.ingest_port,
                   closers=[publisher.stop])
