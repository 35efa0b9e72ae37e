"""Writing events as JSON Lines, with the faults a real feed has: duplicates (at-least-once
delivery) and malformed lines; optionally shuffled (out-of-order arrival).

Streams: without ``shuffle`` only a few lines are held at a time.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from heapq import heappop, heappush
from pathlib import Path
from typing import Any, BinaryIO, TextIO, cast

import orjson

from govmon.simulate.malformed import Malformer

CHUNK_LINES = 4096
DUPLICATE_GAP = 50  # a second copy follows within this many lines


@dataclass(slots=True)
class Stats:
    valid: int = 0  # distinct valid events
    duplicates: int = 0  # extra identical copies of valid events
    invalid: int = 0  # malformed lines
    bytes: int = 0
    invalid_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def lines(self) -> int:
        return self.valid + self.duplicates + self.invalid


def _check_share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a share between 0 and 1, got {value}")


def _lines(events: Iterable[dict[str, Any]], stats: Stats, rng: random.Random,
           duplicates: float, invalid: float) -> Iterator[bytes]:
    dumps, option = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    random_ = rng.random
    malformer = Malformer(rng)
    pending: list[tuple[int, int, bytes]] = []  # (write after line n, tiebreak, line)
    n = 0
    for event in events:
        line = dumps(event, option=option)
        n += 1
        yield line
        if duplicates and random_() < duplicates:
            heappush(pending, (n + 1 + int(random_() * DUPLICATE_GAP), n, line))
        while pending and pending[0][0] <= n:
            stats.duplicates += 1
            yield heappop(pending)[2]
        if invalid and random_() < invalid:
            stats.invalid += 1
            yield malformer.make(event)
    stats.valid = n
    while pending:
        stats.duplicates += 1
        yield heappop(pending)[2]
    stats.invalid_kinds = {k: v for k, v in malformer.counts.items() if v}


def _plain(events: Iterable[dict[str, Any]], stats: Stats) -> Iterator[bytes]:
    dumps, option = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for event in events:
        stats.valid += 1
        yield dumps(event, option=option)


def write_jsonl(events: Iterable[dict[str, Any]], out: Path | str | TextIO | BinaryIO, *,
                duplicates: float = 0.0, invalid: float = 0.0, shuffle: bool = False,
                seed: int = 2017) -> Stats:
    """Write ``events`` one per line to ``out`` (a path, or an open text or bytes stream).

    ``duplicates``: share of events written a second time, byte-identical, a few lines
    later; ``invalid``: share (of the events) of extra malformed lines inserted;
    ``shuffle``: a deterministic shuffle of all lines (holds them all in memory).
    """
    _check_share("duplicates", duplicates)
    _check_share("invalid", invalid)
    stats = Stats()
    rng = random.Random(f"govmon-write:{seed}")
    lines: Iterable[bytes]
    if duplicates or invalid or shuffle:
        lines = _lines(events, stats, rng, duplicates, invalid)
    else:  # the common, fast case: one line per event
        lines = _plain(events, stats)
    if shuffle:
        every = list(lines)
        rng.shuffle(every)
        lines = every
    if isinstance(out, str | os.PathLike):
        with open(out, "wb") as sink:
            _copy(lines, sink.write, stats)
    elif isinstance(out, io.TextIOBase) or hasattr(out, "encoding"):
        text = cast(TextIO, out)
        buffer = getattr(text, "buffer", None)
        if buffer is not None:  # sys.stdout: bytes go straight to the binary layer
            text.flush()
            _copy(lines, buffer.write, stats)
            buffer.flush()
        else:
            _copy(lines, lambda data: text.write(data.decode()), stats)
    else:
        _copy(lines, cast(BinaryIO, out).write, stats)
    return stats


def _copy(lines: Iterable[bytes], write: Callable[[bytes], object], stats: Stats) -> None:
    chunk: list[bytes] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= CHUNK_LINES:
            data = b"".join(chunk)
            write(data)
            stats.bytes += len(data)
            chunk.clear()
    if chunk:
        data = b"".join(chunk)
        write(data)
        stats.bytes += len(data)
