"""Prometheus metrics.  Each service owns a registry (created at start-up, not import),
served on its `/metrics`."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, ProcessCollector


def new_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)  # memory and CPU of the worker
    return registry


class ConsumerLag:
    """Records lag = highwater - (offset + 1) per partition after each record."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.gauge = Gauge(f"govmon_{service}_consumer_lag", "records behind the partition end",
                           ["topic", "partition"], registry=registry)

    def observe(self, app: Any, topic: str, partition: int, offset: int) -> None:
        from faust.types import TP

        try:
            highwater = app.consumer.highwater(TP(topic, partition))
        except Exception:  # not known yet right after assignment
            return
        if highwater is not None:
            self.gauge.labels(topic=topic, partition=str(partition)).set(
                max(0, highwater - offset - 1))


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter("govmon_ingest_received_total", "raw records consumed",
                                registry=registry)
        self.routed = Counter("govmon_ingest_routed_total", "valid events routed",
                              ["type", "topic"], registry=registry)
        self.rejected = Counter("govmon_ingest_rejected_total",
                                "records dead-lettered, by reason", ["reason"],
                                registry=registry)
        self.duplicates = Counter("govmon_ingest_duplicates_total",
                                  "exact re-deliveries dropped", registry=registry)
        self.lag = ConsumerLag(registry, "ingest")
