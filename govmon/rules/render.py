"""The one JSON shape of a year's result, shared by `govmon replay` and `govmon report`.

Both commands build a :class:`YearResult` and call :func:`render_result`, so they cannot
disagree on format, order or rounding.  Times are RFC 3339 in +08:00.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

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
T = TypeVar("T")


def render_chunks(result: YearResult) -> Iterator[bytes]:
    """``msgspec.json.encode(render_result(result))`` in pieces, byte for byte.

    A few hundred units or flags are rendered at a time, so a year's output (tens of MB)
    is never held as a tree of dicts plus one bytes object: `govmon replay` writes the
    pieces.  A piece is the encoded list without its brackets: msgspec writes no spaces.
    """
    yield (b'{"year":' + _encode(result.year) + b',"as_of":' + _encode(rfc3339(result.as_of))
           + b',"catalog":' + _encode(result.catalog) + b',"units":[')
    yield from _pieces([_unit(score) for score in batch]
                       for batch in _batches(sorted(result.units, key=lambda u: u.unit_id)))
    yield b'],"flags":['
    yield from _pieces([_flag(flag) for flag in batch]
                       for batch in _batches(sorted(result.flags, key=flag_order)))
    rejected = [{"line": r.line, "reason": r.reason}
                for r in sorted(result.rejected, key=lambda r: (r.line, r.reason))]
    yield b'],"rejected":' + _encode(rejected) + b"}"


_BATCH = 512  # units or flags per piece: one encode call each, still a small piece


def _batches(values: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(values), _BATCH):
        yield values[start:start + _BATCH]


def _pieces(batches: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    separator = b""
    for batch in batches:
        yield separator + _encode(batch)[1:-1]
        separator = b","
