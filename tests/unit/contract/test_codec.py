"""Every validation path of the event contract, with the reason a person would read."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from govmon.contract.codec import (
    DEFAULT_MAX_BYTES,
    InvalidEvent,
    decode_event,
    encode_event,
    try_decode,
)
from govmon.contract.events import EVENT_TYPES, ApplicationReceived, DatashareAssigned

VALID = {
    "specversion": "1.0",
    "id": "evt-1",
    "source": "/yueyang/yy-county-01/oa",
    "type": "gov.application.received",
    "time": "2017-09-28T10:00:00+08:00",
    "data": {"case_id": "c-1", "unit_id": "yy-county-01", "kind": "disclosure"},
}

# One valid sample of every event type: each must decode to its own model.
SAMPLES = {
    "gov.unit.registered": {"unit_id": "u", "name": "岳阳楼区", "category": "county"},
    "gov.application.received": {"case_id": "c", "unit_id": "u", "kind": "service",
                                 "limit_days": 5},
    "gov.application.extended": {"case_id": "c", "extra_days": 15},
    "gov.application.suspended": {"case_id": "c", "reason": "征求第三方意见"},
    "gov.application.resumed": {"case_id": "c", "reason": "第三方已答复"},
    "gov.application.corrected": {"case_id": "c"},
    "gov.application.replied": {"case_id": "c"},
    "gov.application.withdrawn": {"case_id": "c"},
    "gov.application.disputed": {"dispute_id": "d", "case_id": "c", "unit_id": "u",
                                 "kind": "litigation", "liable": True},
    "gov.opinion.detected": {"incident_id": "i", "unit_id": "u", "level": "major"},
    "gov.opinion.responded": {"incident_id": "i", "action": "press_conference"},
    "gov.policy.issued": {"policy_id": "p", "unit_id": "u"},
    "gov.policy.interpreted": {"policy_id": "p", "by_principal": False},
    "gov.datashare.assigned": {"task_id": "t", "unit_id": "u",
                               "due": "2017-06-30T18:00:00+08:00", "datasets": ["人口"]},
    "gov.datashare.delivered": {"task_id": "t", "datasets": ["人口"]},
    "gov.report.submitted": {"report_id": "r", "unit_id": "u"},
    "gov.inspection.finding": {"finding_id": "f", "unit_id": "u", "indicator": "领导机构",
                               "points": 1.5, "note": "未成立领导小组"},
}


def _event(**changes: object) -> dict[str, object]:
    doc = copy.deepcopy(VALID)
    doc.update(changes)
    return doc


def _reject(doc: object, max_bytes: int = DEFAULT_MAX_BYTES) -> InvalidEvent:
    raw = doc if isinstance(doc, (bytes, str)) else json.dumps(doc, ensure_ascii=False)
    with pytest.raises(InvalidEvent) as info:
        decode_event(raw, max_bytes=max_bytes)
    # The replay's loop variant must refuse with the very same reason and code.
    returned = try_decode(raw, max_bytes)
    assert isinstance(returned, InvalidEvent)
    assert (returned.reason, returned.code) == (info.value.reason, info.value.code)
    return info.value


def test_valid_event_decodes_to_its_model() -> None:
    event = decode_event(json.dumps(VALID))
    assert isinstance(event, ApplicationReceived)
    assert event.data.unit_id == "yy-county-01"
    assert event.time.utcoffset() == timedelta(hours=8)
    assert event.key == ("/yueyang/yy-county-01/oa", "evt-1")


def test_every_type_has_a_model_and_a_sample() -> None:
    assert set(SAMPLES) == set(EVENT_TYPES)


@pytest.mark.parametrize("type_", sorted(SAMPLES))
def test_each_event_type_decodes_and_round_trips(type_: str) -> None:
    event = decode_event(json.dumps(_event(type=type_, data=SAMPLES[type_])))
    assert type(event) is EVENT_TYPES[type_]
    assert try_decode(json.dumps(_event(type=type_, data=SAMPLES[type_]))) == event
    assert decode_event(encode_event(event)) == event


@pytest.mark.parametrize("attribute", ["specversion", "id", "source", "type", "time", "data"])
def test_each_missing_attribute_is_named(attribute: str) -> None:
    doc = _event()
    del doc[attribute]
    error = _reject(doc)
    assert f"`{attribute}`" in error.reason
    assert error.code in {"missing_field", "unknown_type"}


@pytest.mark.parametrize("field", ["case_id", "unit_id", "kind"])
def test_each_missing_data_field_is_named(field: str) -> None:
    doc = _event()
    del doc["data"][field]  # type: ignore[attr-defined]
    error = _reject(doc)
    assert error.code == "missing_field"
    assert f"`{field}`" in error.reason and "$.data" in error.reason


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("id",), 17, "$.id"),
        (("data", "unit_id"), 3, "$.data.unit_id"),
        (("data", "kind"), ["disclosure"], "$.data.kind"),
        (("data", "limit_days"), "15", "$.data.limit_days"),
    ],
)
def test_wrong_types_name_the_path(path: tuple[str, ...], value: object, where: str) -> None:
    doc = _event()
    target = doc
    for key in path[:-1]:
        target = target[key]  # type: ignore[assignment]
    target[path[-1]] = value
    error = _reject(doc)
    assert error.code == "wrong_type"
    assert f"`{where}`" in error.reason


@pytest.mark.parametrize(
    "value",
    ["2017-09-28T10:00:00", "2017-09-28 10:00", "yesterday", "2017-13-01T00:00:00+08:00",
     1506564000],
)
def test_bad_time_is_refused(value: object) -> None:
    error = _reject(_event(time=value))
    assert "`$.time`" in error.reason
    assert error.code in {"bad_time", "wrong_type"}


def test_time_without_offset_says_so() -> None:
    error = _reject(_event(time="2017-09-28T10:00:00"))
    assert error.code == "bad_time"
    assert "timezone" in error.reason


def test_bad_time_inside_data_is_named() -> None:
    error = _reject(_event(type="gov.datashare.assigned",
                           data={**SAMPLES["gov.datashare.assigned"], "due": "2017-06-30"}))
    assert "`$.data.due`" in error.reason


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-08:00", "0001-01-01T00:00:00+09:00",
                                   "1969-12-31T23:59:59.999999Z", "2200-01-01T00:00:00Z",
                                   # in range by their local year, out by the instant
                                   "1970-01-01T07:59:59+08:00", "2199-12-31T19:00:00-05:00"])
def test_a_time_the_rules_cannot_place_is_refused(value: str) -> None:
    """Such an event once passed ingest and then failed every batch of its partition in
    the event-time services (its year cannot be computed), for ever."""
    error = _reject(_event(time=value))
    assert (error.code, error.reason.split(" ")[0]) == ("bad_time", "time")
    assert "outside the supported range" in error.reason
    due = _reject(_event(type="gov.datashare.assigned",
                         data={**SAMPLES["gov.datashare.assigned"], "due": value}))
    assert due.code == "bad_time" and due.reason.startswith("due ")
    assert due.reason.endswith("`$.data`")


def test_the_ends_of_the_supported_range() -> None:
    assert decode_event(json.dumps(_event(time="1970-01-01T00:00:00Z")))
    assert decode_event(json.dumps(_event(time="2199-12-31T23:59:59.999999Z")))
    # out of range by their local year, in by the instant
    assert decode_event(json.dumps(_event(time="1969-12-31T20:00:00-05:00")))
    assert decode_event(json.dumps(_event(time="2200-01-01T07:59:59+08:00")))


def test_unknown_type_lists_the_known_ones() -> None:
    error = _reject(_event(type="gov.application.lost"))
    assert error.code == "unknown_type"
    assert "'gov.application.lost'" in error.reason and "gov.application.received" in error.reason


def test_wrong_specversion() -> None:
    error = _reject(_event(specversion="0.3"))
    assert "`$.specversion`" in error.reason


def test_empty_id_is_refused() -> None:
    error = _reject(_event(id=""))
    assert "`$.id`" in error.reason


def test_unknown_data_field_is_refused() -> None:
    error = _reject(_event(data={**VALID["data"], "unitid": "x"}))  # type: ignore[dict-item]
    assert error.code == "unknown_field" and "unitid" in error.reason


def test_unknown_extension_attribute_is_allowed() -> None:
    assert decode_event(json.dumps(_event(traceparent="00-abc-01"))).id == "evt-1"


def test_service_case_needs_limit_days() -> None:
    error = _reject(_event(data={"case_id": "c", "unit_id": "u", "kind": "service"}))
    assert "`$.data.limit_days`" in error.reason


@pytest.mark.parametrize(
    ("type_", "data", "where"),
    [
        ("gov.application.extended", {"case_id": "c", "extra_days": 0}, "$.data.extra_days"),
        ("gov.inspection.finding", {**SAMPLES["gov.inspection.finding"], "points": -1},
         "$.data.points"),
        ("gov.datashare.delivered", {"task_id": "t", "datasets": []}, "$.data.datasets"),
        ("gov.opinion.detected", {"incident_id": "i", "unit_id": "u", "level": "huge"},
         "$.data.level"),
        ("gov.unit.registered", {"unit_id": "u", "name": "x", "category": "province"},
         "$.data.category"),
    ],
)
def test_out_of_range_values(type_: str, data: dict[str, object], where: str) -> None:
    error = _reject(_event(type=type_, data=data))
    assert f"`{where}`" in error.reason


def test_oversized_message() -> None:
    error = _reject(json.dumps(_event(data={**VALID["data"], "pad": "x" * 70_000})))
    assert error.code == "too_large" and "limit" in error.reason


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_not_an_object(raw: bytes) -> None:
    error = _reject(raw)
    assert error.reason


def test_model_is_fast_path_typed() -> None:
    doc = _event(type="gov.datashare.assigned", data=SAMPLES["gov.datashare.assigned"])
    event = decode_event(json.dumps(doc, ensure_ascii=False))
    assert isinstance(event, DatashareAssigned)
    assert event.data.due.utcoffset() == timedelta(hours=8)


def test_bad_utf8_inside_a_string_is_refused_not_raised() -> None:
    # msgspec raises UnicodeDecodeError (not a DecodeError) for it: once a crash of
    # ingest and replay on such a line.
    line = (b'{"specversion":"1.0","id":"e","source":"/s","type":"gov.application.replied",'
            b'"time":"2017-03-01T10:00:00Z","data":{"case_id":"C\xff"}}')
    with pytest.raises(InvalidEvent) as caught:
        decode_event(line)
    assert caught.value.code == "bad_json" and "0xff" in caught.value.reason
    refused = try_decode(line)
    assert isinstance(refused, InvalidEvent) and refused.reason == caught.value.reason
    surrogate = line.decode("utf-8", "surrogateescape")  # str with a lone surrogate
    refused = try_decode(surrogate)
    assert isinstance(refused, InvalidEvent) and refused.code == "bad_json"


@pytest.mark.parametrize(("path", "where"), [(("data", "case_id"), "$.data.case_id"),
                                             (("id",), "$.id"),
                                             (("traceparent",), "$.traceparent")])
def test_a_nul_character_is_refused_where_it_is(path: tuple[str, ...], where: str) -> None:
    # PostgreSQL's text cannot hold it: accepted, such an event would fail every
    # transaction that stored it (a worker crashing on it for ever).
    doc = json.loads(json.dumps(VALID))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "C\u00001"
    raw = json.dumps(doc).encode()
    error = _reject(raw)
    assert error.code == "invalid_value" and f"`{where}`" in error.reason
    refused = try_decode(raw)
    assert isinstance(refused, InvalidEvent) and refused.reason == error.reason


def test_the_text_backslash_u0000_is_not_a_nul() -> None:
    doc = json.loads(json.dumps(VALID))
    doc["data"]["case_id"] = "C\\u00001"  # a backslash, then "u00001"
    assert decode_event(json.dumps(doc)).data.case_id == "C\\u00001"  # type: ignore[union-attr]


def test_the_limit_is_on_the_event_without_json_whitespace_around_it() -> None:
    line = json.dumps(VALID).encode()
    padded = b" \t" + line + b"\r\n" * 40
    assert decode_event(padded, max_bytes=len(line)).id == VALID["id"]
    error = _reject(padded, max_bytes=len(line) - 1)
    assert error.code == "too_large" and f"message is {len(line)} bytes" in error.reason
    # \x0c is whitespace to Python, not to JSON: it counts, and never makes a line valid.
    form_feeds = line + b"\x0c" * 5
    assert _reject(form_feeds, max_bytes=len(line) + 10).code == "bad_json"
    assert _reject(form_feeds, max_bytes=len(line) + 2).code == "too_large"

