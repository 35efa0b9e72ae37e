"""CloudEvents Kafka binding: structured and binary content modes."""

from __future__ import annotations

import json

import pytest

from govmon.contract.bindings import (
    binary_to_structured,
    decode_message,
    encode_binary,
    encode_structured,
)
from govmon.contract.codec import InvalidEvent, decode_event
from govmon.contract.topics import route
from tests.unit.contract.test_codec import SAMPLES, VALID


def test_structured_round_trip() -> None:
    event = decode_event(json.dumps(VALID))
    value, headers = encode_structured(event)
    assert ("content-type", b"application/cloudevents+json") in headers
    decoded, structured = decode_message(value, headers)
    assert decoded == event and structured == value


def test_binary_round_trip_keeps_data_bytes() -> None:
    event = decode_event(json.dumps(VALID))
    value, headers = encode_binary(event)
    names = {k for k, _ in headers}
    assert {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"} <= names
    decoded, structured = decode_message(value, headers)
    assert decoded.data == event.data and decoded.id == event.id
    assert json.loads(structured)["data"] == json.loads(value)


def test_binary_extension_headers_survive() -> None:
    event = decode_event(json.dumps(VALID))
    value, headers = encode_binary(event)
    structured = binary_to_structured(value, [*headers, ("ce_traceparent", b"00-ab-01")])
    assert json.loads(structured)["traceparent"] == "00-ab-01"


def test_binary_missing_header_is_named() -> None:
    event = decode_event(json.dumps(VALID))
    value, headers = encode_binary(event)
    with pytest.raises(InvalidEvent, match="`time`"):
        decode_message(value, [h for h in headers if h[0] != "ce_time"])


def test_binary_bad_data_json() -> None:
    with pytest.raises(InvalidEvent, match="message value"):
        decode_message(b"{oops", [("ce_specversion", b"1.0")])


def test_foreign_content_type_is_refused() -> None:
    with pytest.raises(InvalidEvent, match="content-type"):
        decode_message(json.dumps(VALID).encode(), [("content-type", b"text/plain")])


def test_tombstone_is_refused() -> None:
    with pytest.raises(InvalidEvent, match="tombstone"):
        decode_message(None, [])


def test_oversized_binary_record_counts_headers() -> None:
    # Binary mode: its attributes are headers, so they count (before it is rebuilt).
    with pytest.raises(InvalidEvent) as info:
        decode_message(b"{}", [("ce_specversion", b"1.0"), ("ce_id", b"x" * 70_000)])
    assert info.value.code == "too_large"


def test_structured_limit_is_on_the_event_as_replay_counts_it() -> None:
    # Structured mode: the event is the value; transport headers are not the event, and
    # `govmon replay` of the same line must refuse what ingest refuses.
    value = json.dumps(VALID).encode()
    event, _ = decode_message(value, [("x-trace", b"x" * 100)], max_bytes=len(value))
    assert event.id == VALID["id"]
    with pytest.raises(InvalidEvent) as info:
        decode_message(value, [], max_bytes=len(value) - 1)
    assert info.value.code == "too_large"


@pytest.mark.parametrize(
    ("type_", "topic", "key"),
    [
        ("gov.application.replied", "gov.applications.v1", "c"),
        ("gov.application.disputed", "gov.applications.v1", "c"),
        ("gov.opinion.responded", "gov.opinions.v1", "i"),
        ("gov.policy.interpreted", "gov.policies.v1", "p"),
        ("gov.datashare.delivered", "gov.datashare.v1", "t"),
        ("gov.unit.registered", "gov.units.v1", "u"),
        ("gov.report.submitted", "gov.units.v1", "u"),
        ("gov.inspection.finding", "gov.units.v1", "u"),
    ],
)
def test_routing_keeps_an_item_on_one_key(type_: str, topic: str, key: str) -> None:
    event = decode_event(json.dumps({**VALID, "type": type_, "data": SAMPLES[type_]}))
    spec, routed_key = route(event)
    assert (spec.name, routed_key) == (topic, key)
