"""CloudEvents Kafka protocol binding (structured and binary content modes).

Pure functions over ``(value, headers)`` so that the same code is used by the ingest
agent, `govmon produce` and the tests.  Whatever the incoming mode, the accepted
event is forwarded in structured mode, byte-for-byte what was received (structured)
or the attributes spliced around the untouched data (binary), so extension
attributes are never lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from govmon.contract.codec import DEFAULT_MAX_BYTES, InvalidEvent, decode_event, encode_event
from govmon.contract.events import GovEvent

STRUCTURED = "application/cloudevents+json"
Headers = Sequence[tuple[str, bytes]]

_ATTR_ENCODER = msgspec.json.Encoder()
_JSON = msgspec.json.Decoder()


def _header(headers: Headers, name: str) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def is_binary(headers: Headers) -> bool:
    return _header(headers, "ce_specversion") is not None


def decode_message(
    value: bytes | None, headers: Headers, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[GovEvent, bytes]:
    """Validate one Kafka record; return the event and its structured-mode JSON."""
    if value is None:
        raise InvalidEvent("message has no value (tombstone)", "empty")
    if is_binary(headers):
        # Bounded before it is rebuilt; the rebuilt JSON is then held to the limit too.
        size = len(value) + sum(len(k) + len(v or b"") for k, v in headers)
        if size > max_bytes:
            raise InvalidEvent(f"message is {size} bytes, over the {max_bytes}-byte limit",
                               "too_large")
        structured = binary_to_structured(value, headers)
    else:
        content_type = _header(headers, "content-type")
        if content_type is not None and not content_type.decode("latin-1").lower().startswith(
            STRUCTURED
        ):
            raise InvalidEvent(
                f"content-type {content_type.decode('latin-1')!r} is neither "
                f"{STRUCTURED!r} (structured mode) nor accompanied by ce_* headers "
                "(binary mode)",
                "bad_content_type",
            )
        structured = value
    return decode_event(structured, max_bytes=max_bytes), structured


def binary_to_structured(value: bytes, headers: Headers) -> bytes:
    """Rebuild the structured JSON: ``ce_*`` headers become attributes, value is data."""
    attrs: dict[str, str] = {}
    for key, raw in headers:
        lower = key.lower()
        if not lower.startswith("ce_"):
            continue
        try:
            attrs[lower[3:]] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidEvent(f"header {key!r} is not UTF-8", "bad_header") from None
    content_type = _header(headers, "content-type")
    if content_type is not None:
        attrs["datacontenttype"] = content_type.decode("latin-1")
    try:
        _JSON.decode(value)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"data (the message value) is not valid JSON: {exc}",
                           "bad_json") from None
    head = _ATTR_ENCODER.encode(attrs)
    # `head` is a JSON object; splice the untouched data in before its closing brace.
    joiner = b',"data":' if len(head) > 2 else b'"data":'
    return head[:-1] + joiner + value + b"}"


def encode_structured(event: GovEvent) -> tuple[bytes, list[tuple[str, bytes]]]:
    return encode_event(event), [("content-type", STRUCTURED.encode())]


def encode_binary(event: GovEvent) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Binary mode: attributes in ``ce_*`` headers, only the data in the value."""
    doc = msgspec.to_builtins(event)
    data = doc.pop("data")
    headers = [(f"ce_{k}", str(v).encode()) for k, v in doc.items() if v is not None]
    headers.append(("content-type", b"application/json"))
    return _ATTR_ENCODER.encode(data), headers


def header_dict(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in headers}
