"""Prometheus metrics.  Each service owns a registry (created at start-up, not import),
served on its `/metrics`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, ProcessCollector


def new_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)  # memory and CPU of the worker
    return registry


class ConsumerLag:
    """Records lag = highwater - (offset + 1) per partition after each batch."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.gauge = Gauge(f"govmon_{service}_consumer_lag", "records behind the partition end",
                           ["topic", "partition"], registry=registry)

    def observe_batch(self, records: Sequence[Any],
                      highwater: Callable[[str, int], int | None]) -> None:
        last: dict[tuple[str, int], int] = {}
        for record in records:
            last[(record.topic, record.partition)] = record.offset
        for (topic, partition), offset in last.items():
            self.observe(highwater(topic, partition), topic, partition, offset)

    def observe(self, highwater: int | None, topic: str, partition: int, offset: int) -> None:
        if highwater is not None:  # unknown right after an assignment
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


class TimelinessMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter("govmon_timeliness_events_total", "family events folded",
                              registry=registry)
        self.assessed = Counter("govmon_timeliness_assessed_total",
                                "item verdicts published, by cause", ["cause"],
                                registry=registry)
        self.breaches = Counter("govmon_timeliness_breaches_total",
                                "breaches announced, by rule", ["rule"], registry=registry)
        self.warnings = Counter("govmon_timeliness_warnings_total", "warnings issued",
                                registry=registry)
        self.due_index = Gauge("govmon_timeliness_due_index_entries",
                               "entries in the due heaps of this worker", registry=registry)
        self.clock = Gauge("govmon_timeliness_clock_seconds",
                           "the service clock (event time in event mode)", registry=registry)
        self.lag = ConsumerLag(registry, "timeliness")


class ScoringMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.assessments = Counter("govmon_scoring_assessments_total",
                                   "item verdicts applied (newer than the stored one)",
                                   registry=registry)
        self.stale = Counter("govmon_scoring_stale_total",
                             "item verdicts ignored (an equal or newer one was stored)",
                             registry=registry)
        self.changes = Counter("govmon_scoring_score_changes_total",
                               "unit-year scores changed and published", registry=registry)
        self.clock = Gauge("govmon_scoring_clock_seconds",
                           "the service clock (event time in event mode)", registry=registry)
        self.verdicts_read = Counter("govmon_scoring_units_read_total",
                                     "units whose verdicts were read from PostgreSQL "
                                     "(not kept from earlier batches)", registry=registry)
        self.lag = ConsumerLag(registry, "scoring")
