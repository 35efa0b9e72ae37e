"""Pass 1 of `govmon replay` with the compiled scanner (``native/``, package govmon-scan).

``replay.scan_file`` decodes a line at a time with msgspec, builds its record in Python
and encodes it into its bucket; most of that time is the interpreter's, not msgspec's.
The scanner's ``Router`` does all three for a whole block of lines in Rust and hands
back every line it is not sure of - anything unusual or invalid - for the Python path
below to accept or refuse, with the contract's own reasons.  Both paths give the same
buckets and the same refusals (``tests/unit/rules/test_replay_native.py``).  The
scanner is optional: without it replay takes the Python path, with the same result.

Only the two-pass path (large files) uses it; small files fold into one Ledger, which
needs the records as Python objects anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import IO, TYPE_CHECKING, Any

from govmon.contract.codec import DEFAULT_MAX_BYTES, JSON_SPACE, InvalidEvent, try_decode
from govmon.rules import Rejected, event_record
from govmon.rules.marks import Record

if TYPE_CHECKING:
    from govmon_scan import Router

Sink = Callable[[list[Record]], object]
# (block, max_bytes, as_of) -> (lines left to Python, latest instant routed, lines)
BlockScan = Callable[[bytes, int, int | None], tuple[list[tuple[int, bytes]], int | None, int]]

# Lines are scanned in blocks of about this size: a call per block costs nothing, and
# the block stays in the CPU caches while it is scanned.
BLOCK_BYTES = 1 << 20


@cache
def router_class() -> type[Router] | None:
    """``govmon_scan.Router`` when the compiled package is installed, else None."""
    try:
        from govmon_scan import Router
    except ImportError:
        return None
    return Router


def scan_blocks(stream: IO[bytes], sink: Sink, as_of: int | None, progress: object,
                scan_block: BlockScan, max_bytes: int = DEFAULT_MAX_BYTES
                ) -> tuple[list[Rejected], int | None]:
    """``replay.scan_file``'s contract, a block at a time: lines ``scan_block`` leaves are
    decoded here, their records handed to ``sink``; returns the refused lines (in file
    order) and the latest instant."""
    rejected: list[Rejected] = []
    update = getattr(progress, "update", None)
    shared: dict[str, str] = {}
    latest = -1
    before = 0  # lines before the current block
    tail: list[bytes] = []  # a line cut by the end of the last reads, in pieces
    while True:
        chunk = stream.read(BLOCK_BYTES)
        if chunk:
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:  # no line ends in this chunk: a long line, read on
                tail.append(chunk)  # joined once: += would copy it again per read
                continue
            block = b"".join((*tail, chunk[:cut]))
            tail = [chunk[cut:]]
        elif any(tail):
            block, tail = b"".join(tail), []  # the last line has no newline
        else:
            break
        deferred, seen, lines = scan_block(block, max_bytes, as_of)
        if seen is not None and seen > latest:
            latest = seen
        records: list[Record] = []
        for index, line in deferred:
            at = _python_record(line, before + index + 1, records, rejected, as_of, shared,
                                max_bytes)
            if at is not None and at > latest:
                latest = at
        sink(records)
        before += lines
        if update is not None:
            update(len(block))
    return rejected, latest if latest >= 0 else None


def _python_record(line: bytes, number: int, records: list[Record],
                   rejected: list[Rejected], as_of: int | None,
                   shared: dict[str, str], max_bytes: int) -> int | None:
    """A line the scanner left: its record appended (returns its instant) or its
    refusal (blank lines are not events and are skipped)."""
    event: Any = try_decode(line, max_bytes)
    if isinstance(event, InvalidEvent):
        if line.strip(JSON_SPACE):
            rejected.append(Rejected(number, event.reason))
        return None
    record = event_record(event, shared)
    at: int = record[2][0]
    if as_of is not None and at > as_of:
        return None
    records.append(record)
    return at
