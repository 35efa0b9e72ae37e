"""Decoding and validation of one CloudEvent, independent of any transport.

``decode_event`` is the single gate every event passes (ingest, timeliness, scoring,
replay):
whatever it refuses is refused everywhere with the same reason text.
"""

from __future__ import annotations

import msgspec

from govmon.contract.events import EVENT_TYPES, ApplicationReceived, GovEvent

# One decoder for the tagged union: validates envelope + data in one pass.
_DECODER = msgspec.json.Decoder(GovEvent)
_ENCODER = msgspec.json.Encoder()
_PROBE = msgspec.json.Decoder(dict)

DEFAULT_MAX_BYTES = 64 * 1024
# JSON can carry a NUL character only as this escape (a raw control byte in a string is
# not JSON).  PostgreSQL's text cannot hold one, so an event with it would be accepted
# here and then fail every transaction that tried to store it, for ever: refused instead.
NUL_ESCAPE = b"\\u0000"
# JSON's whitespace (RFC 8259), which may surround an event; `bytes.strip()` would also
# take \x0b and \x0c, which JSON refuses.
JSON_SPACE = b" \t\n\r"
_NUL_TEXT, _JSON_SPACE_TEXT = NUL_ESCAPE.decode(), JSON_SPACE.decode()  # for str input


class InvalidEvent(ValueError):
    """An event that cannot be accepted; ``reason`` is short, human-readable and names
    the offending field (``$.data.unit_id``) where there is one."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code  # a bounded label for metrics: too_large, bad_json, ...


# The event types `_semantic_checks` looks at: `try_decode` skips the call for the rest.
_CHECKED_TYPES = frozenset({ApplicationReceived})


def _semantic_checks(event: GovEvent) -> None:
    # Cross-field rules msgspec cannot express on its own (keep _CHECKED_TYPES in step).
    if isinstance(event, ApplicationReceived):
        if event.data.kind == "service" and event.data.limit_days is None:
            raise InvalidEvent(
                "`limit_days` is required for kind `service` - at `$.data.limit_days`",
                "missing_field",
            )


def _classify(message: str) -> str:
    if message.startswith("Object missing required field"):
        return "missing_field"
    if message.startswith("Object contains unknown field"):
        return "unknown_field"
    if "`$.type`" in message:
        return "unknown_type"
    if "`$.time`" in message or "datetime" in message:
        return "bad_time"
    if message.startswith("Expected"):
        return "wrong_type"
    return "invalid_value"


def decode_event(raw: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> GovEvent:
    """Parse and validate one structured-mode CloudEvent (JSON).

    The size limit applies to the JSON without the whitespace around it, which is what
    `govmon produce` sends for a line of a file: replay, which reads the lines, and the
    services, which read the records, then refuse the same events.
    """
    if len(raw) > max_bytes:
        size = len(raw.strip(JSON_SPACE) if isinstance(raw, bytes)
                   else raw.strip(_JSON_SPACE_TEXT))
        if size > max_bytes:
            raise InvalidEvent(f"message is {size} bytes, over the {max_bytes}-byte limit",
                               "too_large")
    try:
        event = _DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        code = _classify(message)
        if code == "unknown_type":
            message = _explain_type(raw, message)
        if message.startswith("Object missing required field"):
            code = "missing_field"
        raise InvalidEvent(message, code) from None
    except msgspec.DecodeError as exc:
        raise InvalidEvent(f"not valid JSON: {exc}", "bad_json") from None
    except UnicodeDecodeError as exc:  # msgspec raises it for bad bytes inside a string
        raise InvalidEvent(f"not valid UTF-8: byte {exc.object[exc.start]:#04x} in a string",
                           "bad_json") from None
    except UnicodeEncodeError:  # a str holding a lone surrogate
        raise InvalidEvent("not valid UTF-8: a lone surrogate in the text",
                           "bad_json") from None
    if _may_hold_nul(raw):
        _refuse_nul(raw)
    _semantic_checks(event)
    return event


def _may_hold_nul(raw: bytes | str) -> bool:
    if isinstance(raw, bytes):
        return NUL_ESCAPE in raw
    return _NUL_TEXT in raw


def _refuse_nul(raw: bytes | str) -> None:
    """Raise if a string of ``raw`` (a valid event) holds a NUL, naming where."""
    def where(value: object, path: str) -> str | None:
        if isinstance(value, str):
            return path if "\x00" in value else None
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return f"{path} (a field name)"
                if (found := where(item, f"{path}.{key}")) is not None:
                    return found
        if isinstance(value, list):
            for index, item in enumerate(value):
                if (found := where(item, f"{path}[{index}]")) is not None:
                    return found
        return None

    path = where(_PROBE.decode(raw), "$")
    if path is not None:
        raise InvalidEvent(f"text holds a NUL character (\\u0000), which cannot be stored "
                           f"- at `{path}`", "invalid_value")


def try_decode(raw: bytes | str, max_bytes: int = DEFAULT_MAX_BYTES) -> GovEvent | InvalidEvent:
    """``decode_event`` returning the refusal instead of raising it, for loops over
    millions of lines (`govmon replay`).

    Same checks, same reasons: a good message takes the short path (one decode, one type
    test); anything else is handed to ``decode_event`` itself, which says why.
    """
    if len(raw) <= max_bytes and not _may_hold_nul(raw):
        try:
            event = _DECODER.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError, UnicodeError):
            pass
        else:
            if type(event) in _CHECKED_TYPES:
                try:
                    _semantic_checks(event)
                except InvalidEvent as exc:
                    return exc
            return event
    try:
        return decode_event(raw, max_bytes=max_bytes)
    except InvalidEvent as exc:
        return exc


# `try_decode`'s fast path for a caller's own loop (`govmon replay`: a call per line
# costs a tenth of the decode): lines of at most the size limit and without
# `NUL_ESCAPE` go to
# `decode_unchecked` (raises `DECODE_ERRORS`), events whose type is in `CROSS_CHECKED`
# to `cross_check` (raises InvalidEvent); anything refused goes to `try_decode`, which
# says why.  Same checks, same reasons.
decode_unchecked = _DECODER.decode
DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeError)
CROSS_CHECKED = _CHECKED_TYPES
cross_check = _semantic_checks


def _explain_type(raw: bytes | str, message: str) -> str:
    try:
        probe = _PROBE.decode(raw)
    except msgspec.DecodeError:
        return message
    value = probe.get("type") if isinstance(probe, dict) else None
    if value is None:
        return message
    return f"unknown event type {value!r} - at `$.type` (known: {', '.join(sorted(EVENT_TYPES))})"


def encode_event(event: GovEvent) -> bytes:
    return _ENCODER.encode(event)


def to_dict(event: GovEvent) -> dict[str, object]:
    return msgspec.to_builtins(event)
