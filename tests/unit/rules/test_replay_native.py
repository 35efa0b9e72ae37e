"""The compiled pass 1 (``native/``, ``govmon_scan.Router``) never decides otherwise than
the Python path.

Its rule is one-sided: a line it accepts must be one msgspec accepts, routed as the
record the Python handlers make of it (decoded back from its MessagePack frame); any
other line it must leave to Python.  Checked on generated years, on hand-picked edge
cases and on lines mutated at random.  That whole runs agree is in test_replay_paths.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govmon import replay_scan
from govmon.contract.codec import DEFAULT_MAX_BYTES, InvalidEvent, try_decode
from govmon.replay_partition import ItemBuckets, _Kind
from govmon.rules import Mark, event_record
from govmon.simulate import generate

# `make install` builds it (NATIVE=0 skips the build, and so these tests).
Router = pytest.importorskip("govmon_scan", reason="built without NATIVE=1").Router

_ONE = msgspec.msgpack.Decoder(tuple[_Kind, str, Mark])


def _python(line: bytes) -> tuple[str, str, Mark] | None:
    """What the Python path makes of a line: its record, or None (refused)."""
    event = try_decode(line)
    if isinstance(event, InvalidEvent):
        return None
    kind, item_id, fields = event_record(event, {})
    return kind, item_id, Mark(*fields)


def _native(line: bytes) -> tuple[str, str, Mark] | None:
    """What the router makes of a line alone: its record, or None (left to Python)."""
    router = Router(1, 1)
    frames, deferred, latest, lines = router.scan(line, DEFAULT_MAX_BYTES, None)
    assert lines == 1
    if deferred:
        assert deferred == [(0, line)] and frames == [] and latest is None
        return None
    [(bucket, frame, count)] = frames
    assert bucket == 0 and count == 1
    record = _ONE.decode(frame)
    assert latest == record[2].at
    return record


def _agree(line: bytes) -> bool:
    """The one-sided rule; True when the router accepted the line."""
    native = _native(line)
    if native is not None:
        assert native == _python(line), line
    return native is not None


def _year(count: int, seed: int) -> list[dict[str, Any]]:
    return list(generate(year=2017, units=5, events=count, seed=seed))


def test_generated_events_are_routed_as_python_records() -> None:
    for doc in _year(3000, seed=21):
        for line in (json.dumps(doc, ensure_ascii=False).encode(),  # as written
                     # \u escapes of non-ASCII text, other spacing, CRLF
                     json.dumps(doc, separators=(" , ", " : ")).encode() + b" \r\n"):
            routed = _agree(line)
            # The fast path is taken for every type but findings (left to Python).
            assert routed == (doc["type"] != "gov.inspection.finding"), line


def _base(kind: str, data: dict[str, Any], time: str = "2017-03-01T10:00:00+08:00",
          **extra: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": "e1", "source": "/s", "type": f"gov.{kind}",
            "time": time, "data": data, **extra}


RECEIVED = {"case_id": "C1", "unit_id": "U1", "kind": "disclosure"}


@pytest.mark.parametrize("doc", [
    _base("application.received", {**RECEIVED, "kind": "service"}),  # no limit_days
    _base("application.received", {**RECEIVED, "limit_days": 0}),
    _base("application.received", {**RECEIVED, "limit_days": 367}),
    _base("application.received", {**RECEIVED, "limit_days": 5.0}),
    _base("application.received", {**RECEIVED, "limit_days": True}),
    _base("application.received", {**RECEIVED, "extra": 1}),
    _base("application.received", {**RECEIVED, "case_id": ""}),
    _base("application.received", {**RECEIVED, "case_id": "岳" * 201}),
    _base("application.received", {**RECEIVED, "kind": "Disclosure"}),
    _base("application.received", RECEIVED, time="2017-03-01T10:00:00"),
    _base("application.received", RECEIVED, time="2017-02-29T10:00:00+08:00"),
    _base("application.received", RECEIVED, time="2017-03-01T24:00:00+08:00"),
    _base("application.received", RECEIVED, subject=5),
    _base("application.received", RECEIVED, specversion="0.3"),
    _base("application.received", RECEIVED, id=""),
    _base("application.received", RECEIVED, source="s" * 501),
    _base("application.lost", RECEIVED),
    _base("policy.interpreted", {"policy_id": "P1", "by_principal": 1}),
    _base("datashare.assigned", {"task_id": "T", "unit_id": "U", "due": "2017-03-01",
                                 "datasets": ["a"]}),
    _base("datashare.delivered", {"task_id": "T", "datasets": []}),
    _base("datashare.delivered", {"task_id": "T", "datasets": [""]}),
    _base("datashare.delivered", {"task_id": "T", "datasets": ["a"] * 1001}),
    _base("opinion.detected", {"incident_id": "I", "unit_id": "U", "level": "huge"}),
])
def test_invalid_events_are_left_to_python(doc: dict[str, Any]) -> None:
    line = json.dumps(doc, ensure_ascii=False).encode()
    assert _python(line) is None  # the contract refuses it ...
    assert _native(line) is None  # ... and the router leaves it to say why


@pytest.mark.parametrize("line", [
    b"\n", b"   \n", b"{", b"[1]\n", b"null", b"\xff\xfe{}",
    json.dumps(_base("application.replied", {"case_id": "C1"})).encode() + b" x",
    json.dumps(_base("application.replied", {"case_id": "C1"})).encode()[:-1],
    b'{"specversion":"1.0","specversion":"1.0","id":"e","source":"/s",'
    b'"type":"gov.application.replied","time":"2017-03-01T10:00:00Z","data":{"case_id":"C"}}',
    b'{"specversion":"1.0","id":"e","source":"/s","type":"gov.application.replied",'
    b'"time":"2017-03-01T10:00:00Z","data":{"case_id":"C\xff"}}',  # not UTF-8
    # Escaped quotes and backslashes must stay escaped: written out, this id would end
    # early and the rest would read as another member.
    b'{"specversion":"1.0","id":"e1\\u0022,\\u0022x\\u0022:\\u0022y","source":"/s",'
    b'"type":"gov.application.replied","time":"2017-03-01T10:00:00Z","data":{"case_id":"C"}}',
    b'{"specversion":"1.0","id":"e1\\u005c\\u0022,\\u0022x\\u0022:\\u0022y","source":"/s",'
    b'"type":"gov.application.replied","time":"2017-03-01T10:00:00Z","data":{"case_id":"C"}}',
    b'{"specversion":"1.0","id":"e\\u0041","source":"/s",'
    b'"type":"gov.application.replied","time":"2017-03-01T10:00:00Z","data":{"case_id":"C"}}',
])
def test_odd_lines_are_left_to_python_or_agree(line: bytes) -> None:
    _agree(line)


@pytest.mark.parametrize("time", [
    "2017-03-01T10:00:00Z", "2017-03-01T10:00:00.5+08:00", "2017-03-01T10:00:00.123456-05:30",
    "2016-12-31T23:59:59+14:00", "2017-01-01T00:00:00-12:00", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z", "2000-02-29T12:00:00+00:00", "2017-03-01T10:00:00.1234567Z",
    "2017-03-01 10:00:00Z", "2017-03-01t10:00:00z", "2017-03-01T10:00:60Z",
    "2017-03-01T10:00:00+24:00", "2017-03-01T10:00:00+08", "2017-03-01T10:00Z",
    "1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00Z", "2199-12-31T23:59:59-12:00",
    "2200-01-01T00:00:00Z",
])
def test_times_are_python_instants_or_left_to_python(time: str) -> None:
    line = json.dumps(_base("application.replied", {"case_id": "C1"}, time=time)).encode()
    _agree(line)


def test_plain_times_are_routed() -> None:
    for time in ("2017-03-01T10:00:00Z", "2017-03-01T10:00:00.123456-05:30",
                 "1971-01-01T00:00:00+14:00", "2198-12-31T23:59:59.999999-12:00"):
        line = json.dumps(_base("application.replied", {"case_id": "C1"}, time=time)).encode()
        assert _agree(line), time


# Mutations of valid lines: the kinds of damage real feeds carry, at random places.
_NOISE = ["", " ", "\\", '"', "\\u00e9", "\\n", "\t", "\x01", "岳", "0", "-1", "1.5", "1e3",
          "true", "null", "[]", "{}", ",", ":", "}", "]", "\xff", "\\/", "\\u0041", "\\u0022",
          "\\u005c", "\\u001f", "\\u0000", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\u12", "\\\\"]


@st.composite
def mutated_lines(draw: st.DrawFn) -> bytes:
    docs = _MUTATION_BASE
    doc = json.loads(json.dumps(draw(st.sampled_from(docs))))
    how = draw(st.integers(0, 5))
    if how == 0:  # a value of another type or shape
        target = doc["data"] if draw(st.booleans()) else doc
        key = draw(st.sampled_from(sorted(target)))
        target[key] = draw(st.sampled_from(
            [None, 0, 1, 366, 367, -1, 1.0, "", "x", True, [], ["a"], {}, "岳" * 200,
             "岳" * 201, "2017-03-01T10:00:00Z", "2017-13-01T10:00:00Z"]))
    elif how == 1:  # a key dropped
        target = doc["data"] if draw(st.booleans()) else doc
        target.pop(draw(st.sampled_from(sorted(target))))
    elif how == 2:  # a key added
        target = doc["data"] if draw(st.booleans()) else doc
        target[draw(st.sampled_from(["extra", "subject", "unit_id", "limit_days", "name"]))] = (
            draw(st.sampled_from([None, "x", 3, [1], {"a": 1}])))
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    if how >= 3:  # raw text damage
        at = draw(st.integers(0, len(text)))
        end = at + draw(st.integers(0, 3)) if how == 4 else at
        text = text[:at] + draw(st.sampled_from(_NOISE)) + text[end:]
    return text.encode("utf-8", "surrogateescape") + draw(st.sampled_from([b"", b"\n"]))


_MUTATION_BASE = [doc for doc in _year(400, seed=5)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_lines())
def test_mutated_lines_never_make_the_router_accept_what_python_refuses(line: bytes) -> None:
    _agree(line)


def test_blocks_straddling_lines_keep_numbers_order_and_latest(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    lines = [json.dumps(doc, ensure_ascii=False).encode() for doc in _year(300, seed=7)]
    lines[3] = b"{bad"
    lines[10] = b""
    lines[20] = b"{" + b" " * DEFAULT_MAX_BYTES + b"}"  # too large, whatever it holds
    lines[30] = json.dumps(_base("inspection.finding", {  # left to Python, accepted there
        "finding_id": "F", "unit_id": "U", "indicator": "x", "points": 1.5, "note": ""}),
        ensure_ascii=False).encode()
    rng = random.Random(3)
    for size in (64, 257, 1 << 20):  # blocks smaller than a line, and one for all
        monkeypatch.setattr(replay_scan, "BLOCK_BYTES", size)
        for ending in (b"\n", b""):  # with and without a last newline
            data = b"\n".join(lines) + ending
            buckets = ItemBuckets(tmp_path, 3, batch=rng.randint(1, 40), router=Router(3, 7))
            rejected, latest = replay_scan.scan_blocks(
                io.BytesIO(data), buckets.adder(), None, None, buckets.scan_block)
            assert [r.line for r in rejected] == [4, 21]
            got = sorted(_encoded(record) for ledger in buckets.ledgers()
                         for facts in ledger for record in
                         ((facts.kind, facts.item_id, mark) for mark in facts.marks))
            expected = [r for r in (_python(line) for line in lines) if r is not None]
            assert got == sorted(_encoded(record) for record in expected)
            assert latest == max(mark.at for _, _, mark in expected)


def _encoded(record: tuple[str, str, Mark]) -> bytes:
    return msgspec.json.encode(record)
