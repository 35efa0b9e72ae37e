"""Malformed lines, each a plausible producer bug made from a real event.

Every kind is refused by ``govmon.contract.codec.decode_event``; the kinds match its
refusal codes (missing_field, bad_time, unknown_type, wrong_type, bad_json, too_large,
unknown_field, invalid_value: a NUL character in a text).  Malformed lines get a fresh
``id`` so that none shares ``source`` + ``id`` with a valid event.
"""

from __future__ import annotations

import random
from typing import Any

import orjson

MAX_BYTES = 64 * 1024
REQUIRED = ("id", "source", "time", "specversion", "data")
UNKNOWN_TYPES = ("gov.application.recieved", "gov.policy.revoked", "gov.application.closed",
                 "com.example.test", "gov.opinion.detected.v2")
UNKNOWN_FIELDS = (("unit_name", "岳阳楼区"), ("remark", "补录"), ("operator", "zhangsan"),
                  ("caseId", "legacy"))
# (kind, weight): oversized lines are rarer, they are big
KINDS = (("missing_field", 3), ("bad_time", 3), ("unknown_type", 2), ("wrong_type", 3),
         ("bad_json", 2), ("too_large", 1), ("unknown_field", 2), ("invalid_value", 1))
_NAMES = tuple(kind for kind, _ in KINDS)
_CUM = tuple(sum(w for _, w in KINDS[: i + 1]) for i in range(len(KINDS)))


def _wrong(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ",".join(map(str, value))
    return 20170000 + len(str(value))  # a number where a string belongs


class Malformer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counts: dict[str, int] = dict.fromkeys(_NAMES, 0)

    def make(self, event: dict[str, Any]) -> bytes:
        """One malformed JSON Line (ending in a newline) derived from ``event``."""
        rng = self.rng
        pick = rng.random() * _CUM[-1]
        kind = next(name for name, cum in zip(_NAMES, _CUM, strict=True) if pick < cum)
        self.counts[kind] += 1
        bad = dict(event)
        bad["id"] = f"{rng.getrandbits(128):032x}"
        bad["data"] = dict(event["data"])
        if kind == "missing_field":
            del bad[rng.choice(REQUIRED)]
        elif kind == "bad_time":
            bad["time"] = str(event["time"])[:19]  # local time without its offset
        elif kind == "unknown_type":
            bad["type"] = rng.choice(UNKNOWN_TYPES)
        elif kind == "wrong_type":
            if rng.random() < 0.2:
                bad["data"] = orjson.dumps(event["data"]).decode()  # data sent as a string
            else:
                key = rng.choice(sorted(bad["data"]))
                bad["data"][key] = _wrong(bad["data"][key])
        elif kind == "bad_json":
            line = orjson.dumps(bad)
            if rng.random() < 0.5:
                return line[: max(len(line) // 2, 1)] + b"\n"  # cut off mid-write
            return repr(bad).encode() + b"\n"  # a Python dict, not JSON
        elif kind == "too_large":
            bad["attachment"] = "A" * (MAX_BYTES + 1024)  # fine but for its size
        elif kind == "unknown_field":
            name, value = rng.choice(UNKNOWN_FIELDS)
            bad["data"][name] = value
        else:  # invalid_value: a NUL in a text (e.g. a C string's end copied along)
            texts = sorted(k for k, v in bad["data"].items() if isinstance(v, str))
            key = rng.choice(texts) if texts else "id"
            target = bad["data"] if texts else bad
            target[key] = f"{target[key]}\x00"
        return orjson.dumps(bad, option=orjson.OPT_APPEND_NEWLINE)
