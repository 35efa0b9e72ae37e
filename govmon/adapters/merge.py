"""Records of several partitions handed out in the order they were produced.

Why: a consumer of several partitions gets them from aiokafka one fetched buffer at a
time (``getmany`` empties one partition's buffer before it takes from the next), so a
backlog comes out of a multi-partition topic weeks out of event-time order: the
partitions of `gov.raw.v1` interleaved that way reach timeliness in that order, its
event-time clock runs ahead of the replies it has not read yet, and it announces
thousands of breaches that it withdraws later (docs/performance.md, eleventh session).
Each partition is in order by itself; so is the producer's stream as a whole, which
the records' timestamps (set when each was sent) remember.  Merging the partitions by
those timestamps gives that stream back.

The merge holds each partition's records until every partition that may still send an
earlier one has shown its next record: a partition with nothing buffered stops the
merge (``WAIT``) unless the caller knows it has nothing more (``FREE``: read to its
end).  Pure: the consumer (``adapters.consumer``) says which partitions are which.

Order is an economy, not a correctness property: every state downstream is
order-insensitive, so a partition the merge stops waiting for (held too long) only
costs work, never a wrong result.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Mapping
from itertools import accumulate, repeat
from operator import itemgetter
from typing import Generic, TypeVar

P = TypeVar("P", bound=Hashable)  # a partition
R = TypeVar("R")  # a record

WAIT = -math.inf  # a partition with nothing buffered that may have more: stop there
FREE = math.inf  # a partition read to its end: no record of it is awaited

_first = itemgetter(0)
_second = itemgetter(1)


class _Held(Generic[R]):
    """One partition's records not handed out yet: ``records[start:]``, with their keys.
    Lists and an index rather than a deque, so that a batch's share is found by
    bisection and cut by slicing (C loops): ~0.5 us per record with 120,000 held."""

    __slots__ = ("keys", "records", "start")

    def __init__(self) -> None:
        self.keys: list[int] = []
        self.records: list[R] = []
        self.start = 0

    def __len__(self) -> int:
        return len(self.keys) - self.start

    def cut(self, end: int) -> None:
        self.start = end
        if end > 4096 and 2 * end > len(self.keys):  # reclaim what was handed out
            del self.keys[:end], self.records[:end]
            self.start = 0


class ProducedOrder(Generic[P, R]):
    """The merge.  Keys are whole numbers (milliseconds): ``take`` bisects their range."""

    def __init__(self, stamp: Callable[[R], int]) -> None:
        self.stamp = stamp
        self.held: dict[P, _Held[R]] = {}
        # The latest stamp seen per partition: a record's key is never below its
        # predecessor's, so each partition stays in offset order (clocks step back, and
        # several producers write one partition) and the merge always moves on.
        self.latest: dict[P, int] = {}

    def add(self, partition: P, records: Iterable[R], ceiling: int) -> None:
        """Hold ``records`` (the partition's next ones), received at ``ceiling``: a
        stamp later than that is a producer's clock running ahead, and would hold the
        partition back by as much (and everything after it, keys never falling)."""
        held = self.held.get(partition)
        if held is None:
            held = self.held[partition] = _Held()
        records = list(records)
        if not records:
            return
        stamps = map(min, map(self.stamp, records), repeat(ceiling))
        keys = list(accumulate(stamps, max, initial=self.latest.get(partition, -1)))
        del keys[0]
        held.keys += keys
        held.records += records
        self.latest[partition] = keys[-1]

    def size(self, partition: P) -> int:
        held = self.held.get(partition)
        return len(held) if held else 0

    def buffered(self) -> int:
        return sum(len(held) for held in self.held.values())

    def drop(self, partitions: Iterable[P]) -> None:
        """Forget partitions (revoked: their next owner reads them from the commit)."""
        for partition in partitions:
            self.held.pop(partition, None)
            self.latest.pop(partition, None)

    def take(self, limit: int, empty: Mapping[P, float]) -> tuple[list[R], dict[P, R]]:
        """Up to ``limit`` held records in produced order (ties: partition by partition,
        each in offset order), as far as it is known: up to the earliest of the
        partitions' latest held records and of ``empty``, the bound of each partition
        with nothing held (``WAIT``, ``FREE``).  Also each partition's last record
        taken (its offset is the one to commit)."""
        held = {part: h for part, h in self.held.items() if len(h)}
        bound = min((h.keys[-1] for h in held.values()), default=FREE)
        bound = min(bound, min(empty.values(), default=FREE))
        ends = {part: bisect_right(h.keys, bound, h.start) for part, h in held.items()}
        if sum(ends[part] - h.start for part, h in held.items()) > limit:
            ends = self._ends_of_earliest(limit, held, ends)
        pairs: list[tuple[int, R]] = []
        last: dict[P, R] = {}
        for part, h in held.items():
            end = ends[part]
            if end > h.start:
                pairs += zip(h.keys[h.start:end], h.records[h.start:end], strict=True)
                last[part] = h.records[end - 1]
                h.cut(end)
        pairs.sort(key=_first)  # stable: each partition keeps its offset order
        return list(map(_second, pairs)), last

    @staticmethod
    def _ends_of_earliest(limit: int, held: Mapping[P, _Held[R]], ends: Mapping[P, int]
                          ) -> dict[P, int]:
        """Where each partition's share of the ``limit`` earliest records ends: all
        records keyed below the least key K that more than ``limit`` records reach,
        then records keyed K partition by partition."""
        def reach(key: int) -> int:
            return sum(bisect_right(h.keys, key, h.start, ends[p]) - h.start
                       for p, h in held.items())

        low = min(h.keys[h.start] for h in held.values())
        high = max(h.keys[ends[p] - 1] for p, h in held.items() if ends[p] > h.start)
        while low < high:
            middle = (low + high) // 2
            if reach(middle) > limit:
                high = middle
            else:
                low = middle + 1
        below = {p: bisect_left(h.keys, low, h.start, ends[p]) for p, h in held.items()}
        room = limit - sum(below[p] - h.start for p, h in held.items())
        out = {}
        for p, h in held.items():
            extra = min(room, bisect_right(h.keys, low, below[p], ends[p]) - below[p])
            out[p] = below[p] + extra
            room -= extra
        return out
