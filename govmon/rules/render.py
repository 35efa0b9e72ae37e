"""The one JSON shape of a year's result, shared by `govmon replay` and `govmon report`.

Both commands build a :class:`YearResult` and call :func:`render_result`, so they cannot
disagree on format, order or rounding.  Times are RFC 3339 in +08:00.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from govmon.rules.evaluate import Flag, YearResult, flag_order
from govmon.rules.instants import rfc3339
from govmon.rules.scoring import UnitScore


def _time(at: int | None) -> str | None:
    return rfc3339(at) if at is not None else None


def _unit(score: UnitScore) -> dict[str, Any]:
    return {
        "unit_id": score.unit_id,
        "name": score.name,
        "category": score.category,
        "scored_as": score.scored_as,
        "score": score.score,
        "grade": score.grade,
        "deducted": score.deducted,
        "caps": [{"group": c.group, "cap": c.cap, "raw": c.raw, "applied": c.applied}
                 for c in score.caps],
        "deductions": [
            {"rule": d.rule, "points": d.points, "ref": d.ref, "event_ids": list(d.event_ids),
             "at": _time(d.at), "detail": d.detail}
            for d in score.deductions],
    }


def _flag(flag: Flag) -> dict[str, Any]:
    return {"kind": flag.kind, "rule": flag.rule, "ref": flag.ref, "unit_id": flag.unit_id,
            "deadline": _time(flag.deadline), "detail": flag.detail,
            "event_ids": list(flag.event_ids)}


def render_result(result: YearResult) -> dict[str, Any]:
    """JSON-able dict; every list is in a deterministic order.

    ``deductions[].points`` are each deduction's own points before caps; ``caps`` shows
    per cap group the raw sum and what was applied; ``score`` = 100 - ``deducted``
    (the capped total), not below 0, rounded to 2 decimals.
    """
    return {
        "year": result.year,
        "as_of": rfc3339(result.as_of),
        "catalog": result.catalog,
        "units": [_unit(u) for u in sorted(result.units, key=lambda u: u.unit_id)],
        "flags": [_flag(f) for f in sorted(result.flags, key=flag_order)],
        "rejected": [{"line": r.line, "reason": r.reason}
                     for r in sorted(result.rejected, key=lambda r: (r.line, r.reason))],
    }


_encode = msgspec.json.Encoder().encode


def render_chunks(result: YearResult) -> Iterator[bytes]:
    """``msgspec.json.encode(render_result(result))`` in pieces, byte for byte.

    One unit or flag is rendered at a time, so a year's output (tens of MB) is never
    held as a tree of dicts plus one bytes object: `govmon replay` writes the pieces.
    """
    yield (b'{"year":' + _encode(result.year) + b',"as_of":' + _encode(rfc3339(result.as_of))
           + b',"catalog":' + _encode(result.catalog) + b',"units":[')
    separator = b""
    for score in sorted(result.units, key=lambda u: u.unit_id):
        yield separator + _encode(_unit(score))
        separator = b","
    yield b'],"flags":['
    separator = b""
    for flag in sorted(result.flags, key=flag_order):
        yield separator + _encode(_flag(flag))
        separator = b","
    rejected = [{"line": r.line, "reason": r.reason}
                for r in sorted(result.rejected, key=lambda r: (r.line, r.reason))]
    yield b'],"rejected":' + _encode(rejected) + b"}"
