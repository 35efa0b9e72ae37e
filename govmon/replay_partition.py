"""Item buckets on disk for `govmon replay` of large files (see ``govmon.replay``).

Pass 1 routes each event's mark to one of ``count`` bucket files by a hash of its item
id, so every mark of an item lands in the same bucket whatever the file order.  Pass 2
folds one bucket at a time into a fresh ``Ledger``: only that bucket's items are in
memory, and since items are judged independently, assessing bucket after bucket gives
what one Ledger of the whole file would.

Records are msgspec MessagePack arrays ``[kind, item id, mark]`` (a ``Mark`` is
``array_like``): decoding them is several times cheaper than decoding the JSON again,
and needs no validation - pass 1 validated every line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec

from govmon.rules import Ledger, Mark

_Record = tuple[str, str, Mark]
_ENCODE = msgspec.msgpack.Encoder().encode
_DECODE = msgspec.msgpack.Decoder(list[_Record]).decode
_LENGTH = 4  # bytes of the little-endian frame length before each batch


class ItemBuckets:
    """``count`` bucket files in ``folder`` (a temporary directory the caller owns).

    ``adder()`` buffers up to ``batch`` records per bucket before writing them as one frame,
    so pass 1 holds at most ``count * batch`` records.
    """

    def __init__(self, folder: Path, count: int, batch: int = 2048) -> None:
        self._paths = [folder / f"bucket-{n:04d}.msgpack" for n in range(count)]
        self._pending: list[list[_Record]] = [[] for _ in range(count)]
        self._count = count
        self._batch = batch

    def adder(self) -> Callable[[str, str, Mark], None]:
        """``add(kind, item_id, mark)``: route one mark to its item's bucket.

        A closure over locals rather than a method: it runs once per event.
        """
        pending, count, batch, write = self._pending, self._count, self._batch, self._write

        def add(kind: str, item_id: str, mark: Mark) -> None:
            # hash() of a str is salted per process: fine, buckets live for one run only.
            index = hash(item_id) % count
            records = pending[index]
            records.append((kind, item_id, mark))
            if len(records) >= batch:
                write(index)

        return add

    def _write(self, index: int) -> None:
        pending = self._pending[index]
        payload = _ENCODE(pending)
        with self._paths[index].open("ab") as out:
            out.write(len(payload).to_bytes(_LENGTH, "little"))
            out.write(payload)
        pending.clear()

    @property
    def count(self) -> int:
        return self._count

    def ledgers(self, progress: object = None) -> Iterator[Ledger]:
        """Pass 2: each bucket folded into its own Ledger, one at a time (the previous
        one is released when the next is built).  ``progress.update(1)`` per bucket."""
        update = getattr(progress, "update", None)
        for index in range(self._count):
            if self._pending[index]:
                self._write(index)
        for path in self._paths:
            ledger = Ledger()
            fold = ledger.fold
            for frame in _frames(path):
                for kind, item_id, mark in _DECODE(frame):
                    fold(kind, item_id, mark)
            yield ledger
            del ledger  # drop it before the next bucket is read
            if update is not None:
                update(1)


def _frames(path: Path) -> Iterator[bytes]:
    if not path.exists():
        return  # no item hashed into this bucket
    with path.open("rb") as stream:
        while header := stream.read(_LENGTH):
            yield stream.read(int.from_bytes(header, "little"))
