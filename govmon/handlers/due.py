"""The due index: per assigned partition, a heap of (instant, item) ordered by time.

Deadlines and warnings fire by popping what is due, never by scanning open items.  An
item whose due time moves is pushed again; the old entry stays in the heap and is
recognised as stale when popped (its stored ``next_due`` no longer matches), so there is
no per-item dictionary to keep in memory.  Rebuilt from storage on assignment.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from heapq import heapify, heappop, heappush

Entry = tuple[int, str, str]  # (due instant, item kind, item id)


class DueIndex:
    def __init__(self) -> None:
        self._heaps: dict[Hashable, list[Entry]] = {}
        self._expected: dict[Hashable, list[Entry]] = {}  # pushed while being loaded

    def partitions(self) -> set[Hashable]:
        return set(self._heaps)

    def expect(self, partition: Hashable) -> None:
        """``partition`` is about to be (re)loaded from storage: what is pushed for it
        until then is kept and added to what is loaded (an item committed after the
        load read its rows would otherwise be in neither).  A heap it has meanwhile
        still serves ``pop_due``."""
        self._expected.setdefault(partition, [])

    def load(self, partition: Hashable, entries: Iterable[Entry]) -> None:
        heap = [*entries, *self._expected.pop(partition, [])]
        heapify(heap)
        self._heaps[partition] = heap

    def drop(self, partition: Hashable) -> None:
        self._heaps.pop(partition, None)
        self._expected.pop(partition, None)

    def push(self, partition: Hashable, due: int, kind: str, item_id: str) -> None:
        heap = self._heaps.get(partition)
        if heap is not None:
            heappush(heap, (due, kind, item_id))
        expected = self._expected.get(partition)
        if expected is not None:
            expected.append((due, kind, item_id))
        # neither: a revoked partition's items belong to another worker now

    def pop_due(self, clock: int, limit: int) -> list[tuple[Hashable, str, str]]:
        """Up to ``limit`` distinct items due at or before ``clock``, earliest first
        within each partition."""
        out: list[tuple[Hashable, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for partition, heap in self._heaps.items():
            while heap and heap[0][0] <= clock and len(out) < limit:
                _, kind, item_id = heappop(heap)
                if (kind, item_id) not in seen:
                    seen.add((kind, item_id))
                    out.append((partition, kind, item_id))
        return out

    def earliest(self) -> int | None:
        tops = [heap[0][0] for heap in self._heaps.values() if heap]
        return min(tops) if tops else None

    def __len__(self) -> int:
        return sum(len(heap) for heap in self._heaps.values())
