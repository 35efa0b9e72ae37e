"""Item buckets on disk for `govmon replay` of large files (see ``govmon.replay``).

Pass 1 routes each event's mark to one of ``count`` bucket files by a hash of its item
id, so every mark of an item lands in the same bucket whatever the file order.  Pass 2
folds one bucket at a time into a fresh ``Ledger``: only that bucket's items are in
memory, and since items are judged independently, assessing bucket after bucket gives
what one Ledger of the whole file would.

Records are MessagePack arrays ``[kind, item id, [mark fields]]`` (``event_record``):
pass 1 encodes the tuples straight into a per-bucket buffer, building no ``Mark``;
since ``Mark`` is ``array_like``, pass 2 decodes a whole bucket in one call into
``(kind, item id, Mark)`` tuples.  That is several times cheaper than decoding the JSON
again, and needs no validation - pass 1 validated every line.

Buckets are small (``replay.BUCKET_BYTES``, ~1k items each) so that one bucket's facts
stay in the CPU caches while they are folded and assessed: that alone made pass 2 a
third faster than with 16 MB buckets.  Hundreds of buckets would mean hundreds of files
(an open/append/close costs ~30 us), so every bucket's batches go to one spill file
through one buffered writer, and pass 2 reads a bucket back from its frames' offsets.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal

import msgspec

from govmon.rules import Ledger, Mark
from govmon.rules.marks import Record

if TYPE_CHECKING:
    from govmon_scan import Router

_ENCODE_INTO = msgspec.msgpack.Encoder().encode_into
# Item kinds as a Literal: msgspec then hands back the one interned string per kind
# instead of a new string per record (an allocation and a free less per event).
_Kind = Literal["case", "dispute", "policy", "incident", "task", "report", "finding", "unit"]
_DECODE = msgspec.msgpack.Decoder(list[tuple[_Kind, str, Mark]]).decode
_ARRAY32 = b"\xdd"  # MessagePack array of up to 2**32 - 1 elements; count big-endian
_WRITE_BUFFER = 1 << 20  # few, large writes to the spill file


class ItemBuckets:
    """``count`` buckets spilled to one file in ``folder`` (a temporary directory the
    caller owns); close it (``with``, or ``ledgers()`` to the end) to release the file.

    ``adder()`` buffers up to ``batch`` encoded records per bucket before writing them as
    one frame, so pass 1 holds at most ``count * batch`` records (as bytes).  With a
    ``router`` (the compiled scanner, ``replay_scan``), ``scan_block`` routes whole
    blocks of lines and ``adder()`` only the records of the lines it left to Python,
    by the router's hash, so an item's records share a bucket either way.
    """

    def __init__(self, folder: Path, count: int, batch: int = 2048,
                 router: Router | None = None) -> None:
        self._path = folder / "buckets.msgpack"
        self._out = open(self._path, "wb", buffering=_WRITE_BUFFER)
        self._written = 0  # bytes in the spill file so far
        self._frames: list[list[tuple[int, int]]] = [[] for _ in range(count)]  # offset, size
        self._pending = [bytearray() for _ in range(count)]
        self._queued = [0] * count  # records in each pending buffer
        self._stored = [0] * count  # records of each bucket in the file
        self._count = count
        self._batch = batch
        self._router = router

    def __enter__(self) -> ItemBuckets:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._out.close()

    def adder(self) -> Callable[[list[Record]], None]:
        """``add(records)``: route each ``(kind, item id, mark fields)`` to its item's
        bucket (a batch per call: a call per event would cost more than the routing)."""
        pending, queued, count, batch = self._pending, self._queued, self._count, self._batch
        write, encode_into = self._write, _ENCODE_INTO
        route = self._router.index if self._router is not None else None

        def add(records: list[Record]) -> None:
            for record in records:
                # hash() of a str is salted per process: fine, buckets live for one run.
                index = hash(record[1]) % count if route is None else route(record[1])
                encode_into(record, pending[index], -1)  # -1: append
                queued[index] += 1
                if queued[index] >= batch:
                    write(index)

        return add

    def scan_block(self, block: bytes, max_bytes: int,
                   as_of: int | None) -> tuple[list[tuple[int, bytes]], int | None, int]:
        """The router's ``scan`` of a block of whole lines, its full frames written:
        returns ``(lines left to Python, latest instant routed, lines in the block)``."""
        assert self._router is not None, "scan_block needs a router"
        frames, deferred, latest, lines = self._router.scan(block, max_bytes, as_of)
        for index, frame, count in frames:
            self._write_frame(index, frame, count)
        return deferred, latest, lines

    def _write(self, index: int) -> None:
        self._write_frame(index, self._pending[index], self._queued[index])
        self._pending[index].clear()
        self._queued[index] = 0

    def _write_frame(self, index: int, frame: bytes | bytearray, count: int) -> None:
        self._out.write(frame)
        self._frames[index].append((self._written, len(frame)))
        self._written += len(frame)
        self._stored[index] += count

    @property
    def routed(self) -> bool:
        """Whether pass 1 goes through the compiled router (``scan_block``)."""
        return self._router is not None

    @property
    def count(self) -> int:
        return self._count

    def ledgers(self, progress: object = None) -> Iterator[Ledger]:
        """Pass 2: each bucket folded into its own Ledger, one at a time (the previous
        one is released when the next is built).  ``progress.update(1)`` per bucket."""
        update = getattr(progress, "update", None)
        if self._router is not None:
            for index, frame, count in self._router.flush():
                self._write_frame(index, frame, count)
        for index in range(self._count):
            if self._queued[index]:
                self._write(index)
        self._out.close()
        with open(self._path, "rb", buffering=0) as spill:
            for frames, stored in zip(self._frames, self._stored, strict=True):
                ledger = Ledger()
                if stored:  # else no item hashed into this bucket
                    ledger.fold_all(_DECODE(_read_array(spill.fileno(), frames, stored)))
                yield ledger
                del ledger  # drop it before the next bucket is read
                if update is not None:
                    update(1)


def _read_array(fd: int, frames: list[tuple[int, int]], count: int) -> bytearray:
    """A bucket's frames as one MessagePack array of its ``count`` records."""
    data = bytearray(5 + sum(size for _, size in frames))
    data[:5] = _ARRAY32 + count.to_bytes(4, "big")
    view = memoryview(data)
    position = 5
    for offset, size in frames:
        if os.preadv(fd, [view[position:position + size]], offset) != size:
            raise OSError(f"short read from the bucket spill file at {offset}")
        position += size
    return data
