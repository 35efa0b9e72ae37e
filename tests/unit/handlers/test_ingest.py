"""Ingest's decision on one record: route, drop as duplicate, or dead-letter."""

from __future__ import annotations

import json

from govmon.contract.bindings import encode_binary
from govmon.contract.codec import decode_event
from govmon.handlers.ingest import (
    Deduplicator,
    Duplicate,
    Rejected,
    Routed,
    decide,
    dlq_headers,
)
from tests.unit.contract.test_codec import VALID

STRUCT = [("content-type", b"application/cloudevents+json")]


def _raw(**changes: object) -> bytes:
    return json.dumps({**VALID, **changes}).encode()


def test_valid_event_is_routed_by_case() -> None:
    decision = decide(_raw(), STRUCT, Deduplicator(10), max_bytes=65536)
    assert isinstance(decision, Routed)
    assert (decision.topic, decision.key) == ("gov.applications.v1", "c-1")
    assert decision.value == _raw()  # forwarded as received


def test_exact_redelivery_is_dropped_but_same_id_other_source_is_not() -> None:
    dedup = Deduplicator(10)
    assert isinstance(decide(_raw(), STRUCT, dedup, max_bytes=65536), Routed)
    assert isinstance(decide(_raw(), STRUCT, dedup, max_bytes=65536), Duplicate)
    other = _raw(source="/yueyang/other")
    assert isinstance(decide(other, STRUCT, dedup, max_bytes=65536), Routed)


def test_binary_and_structured_copies_are_the_same_event() -> None:
    dedup = Deduplicator(10)
    value, headers = encode_binary(decode_event(_raw()))
    assert isinstance(decide(value, headers, dedup, max_bytes=65536), Routed)
    assert isinstance(decide(_raw(), STRUCT, dedup, max_bytes=65536), Duplicate)


def test_invalid_record_is_rejected_with_reason() -> None:
    decision = decide(_raw(time="2017-09-28T10:00:00"), STRUCT, Deduplicator(10),
                      max_bytes=65536)
    assert isinstance(decision, Rejected)
    assert decision.code == "bad_time" and "$.time" in decision.reason


def test_invalid_records_do_not_use_dedup_memory() -> None:
    dedup = Deduplicator(10)
    decide(b"{bad", STRUCT, dedup, max_bytes=65536)
    assert len(dedup) == 0


def test_dedup_memory_is_bounded_and_forgets_the_oldest() -> None:
    dedup = Deduplicator(3)
    for i in range(5):
        assert not dedup.seen("s", str(i))
    assert len(dedup) == 3
    assert dedup.seen("s", "4") and dedup.seen("s", "2")
    assert not dedup.seen("s", "0")  # forgotten: bounded memory


def test_dlq_headers_name_origin_and_reason() -> None:
    headers = dict(dlq_headers(Rejected("Expected `str` - at `$.id`", "wrong_type"),
                               topic="gov.events.raw", partition=3, offset=41,
                               original=[("trace", b"1")]))
    assert headers["govmon.dlq.topic"] == b"gov.events.raw"
    assert headers["govmon.dlq.partition"] == b"3"
    assert headers["govmon.dlq.offset"] == b"41"
    assert headers["govmon.dlq.reason"] == b"Expected `str` - at `$.id`"
    assert headers["govmon.dlq.code"] == b"wrong_type"
    assert headers["trace"] == b"1"


def test_the_configured_size_limit_is_the_one_applied() -> None:
    big = _raw(subject="x" * 150, traceparent="t" * 1500)  # ~2 KB, valid
    refused = decide(big, STRUCT, Deduplicator(10), max_bytes=1000)
    assert isinstance(refused, Rejected) and refused.code == "too_large"
    assert "1000-byte limit" in refused.reason
    assert isinstance(decide(big, STRUCT, Deduplicator(10), max_bytes=4000), Routed)
