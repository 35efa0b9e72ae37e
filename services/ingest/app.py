"""Ingest: validate, de-duplicate and route raw CloudEvents; dead-letter the rest.

Thin adapter: the decision is `govmon.handlers.ingest.decide`; this file only moves
bytes between topics and counts what happened.
"""

from __future__ import annotations

import logging

import faust

from govmon.adapters.faust_base import make_app
from govmon.adapters.metrics import IngestMetrics, new_registry
from govmon.contract import topics
from govmon.handlers.ingest import Deduplicator, Duplicate, Rejected, Routed, decide, dlq_headers
from govmon.settings import Settings

_log = logging.getLogger("govmon.ingest")
STRUCTURED_HEADERS = [("content-type", b"application/cloudevents+json")]


def build_app(settings: Settings, bootstrap: str) -> faust.App:
    registry = new_registry()
    app = make_app("govmon-ingest", settings, bootstrap, web_port=settings.ingest_port,
                   registry=registry)
    metrics = IngestMetrics(registry)
    dedup = Deduplicator(settings.dedup_capacity)

    def _topic(name: str) -> faust.TopicT:
        return app.topic(name, key_serializer="raw", value_serializer="raw", internal=False)

    raw = _topic(topics.RAW.name)
    dlq = _topic(topics.DLQ.name)
    out = {spec.name: _topic(spec.name) for spec in topics.FAMILY_TOPICS}

    @app.agent(raw, name="ingest")
    async def ingest(stream: faust.StreamT) -> None:
        async for event in stream.events():
            msg = event.message
            headers = list(msg.headers or [])
            metrics.received.inc()
            try:
                decision = decide(msg.value, headers, dedup, max_bytes=settings.max_event_bytes)
            except Exception as exc:  # a bug must not stall the stream: dead-letter it
                _log.exception("ingest failed on a record", extra={"offset": msg.offset})
                decision = Rejected(f"internal error while validating: {exc!r}", "internal")
            if isinstance(decision, Routed):
                await out[decision.topic].send(
                    key=decision.key.encode(), value=decision.value, headers=STRUCTURED_HEADERS
                )
                metrics.routed.labels(type=decision.event.__struct_config__.tag,
                                      topic=decision.topic).inc()
            elif isinstance(decision, Duplicate):
                metrics.duplicates.inc()
                _log.debug("duplicate dropped", extra={"event_id": decision.event.id})
            else:
                await dlq.send(
                    key=msg.key, value=msg.value,
                    headers=dlq_headers(decision, topic=msg.topic, partition=msg.partition,
                                        offset=msg.offset, original=headers),
                )
                metrics.rejected.labels(reason=decision.code).inc()
                _log.info("dead-lettered", extra={"reason": decision.reason,
                                                  "partition": msg.partition,
                                                  "offset": msg.offset})
            metrics.lag.observe(app, msg.topic, msg.partition, msg.offset)

    return app
