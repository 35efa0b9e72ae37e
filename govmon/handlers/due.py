"""The due index: per assigned partition, a heap of (instant, item) ordered by time.

Deadlines and warnings fire by popping what is due, never by scanning open items.  An
item whose due time moves is pushed again; the old entry stays in the heap.  Most
entries go stale so: a case replied before its deadline leaves its deadline behind
(~94 % of what a simulated year popped).  Each was looked up in storage to be found
not due, a query per thousand that was a quarter of the worker's database time.  So
the index remembers, per item, its newest entry not yet popped (by the version of
the judgement that pushed it, since judgements of one item may be published, and so
pushed, out of order), or that a newer judgement closed the item; an entry popped
behind a newer one is dropped here.  Only what it is sure of: an item it has no
record of, and a ``PENDING`` entry, go to storage as before.  What is remembered is
one dictionary slot per item in the heap (the entry is the heap's own tuple), and a
small object per item closed while its entry waits.  The stale entries themselves stay
in the heap until they come due, and a pop drops them without counting them against
its limit.
Rebuilt from storage on assignment.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from heapq import heapify, heappop, heappush

# (due instant, item kind, item id, version of the judgement that set it)
Entry = tuple[int, str, str, int]
PENDING = -1  # due at once, whatever the index remembers: its last publish may be lost


class _Closed:
    """An item closed by a newer judgement than its newest entry in the heap; forgotten
    when that entry is popped."""

    __slots__ = ("entry", "version")

    def __init__(self, version: int, entry: Entry) -> None:
        self.version, self.entry = version, entry


class _Heap:
    """One partition's heap, and per item (kind, then id: no key tuple per item) the
    newest entry still in it, or ``_Closed``."""

    def __init__(self) -> None:
        self.heap: list[Entry] = []
        self.newest: dict[str, dict[str, Entry | _Closed]] = {}

    def push(self, entry: Entry) -> None:
        self.add(entry)
        heappush(self.heap, entry)

    def add(self, entry: Entry) -> None:
        """Remember ``entry`` if it is newer than what is; the caller puts it in the
        heap (``push``, or ``load`` for a whole partition at once)."""
        due, kind, item_id, version = entry
        if due == PENDING:
            return
        items = self.newest.get(kind)
        if items is None:
            items = self.newest[kind] = {}
        known = items.get(item_id)
        if known is None or _version(known) < version:
            items[item_id] = entry

    def close(self, kind: str, item_id: str, version: int) -> None:
        """A judgement at ``version`` left the item nothing due.  Remembered only over
        an entry still in the heap, which forgets it when popped: never more records
        than entries."""
        items = self.newest.get(kind)
        if items is None:
            return
        known = items.get(item_id)
        if known is not None and _version(known) < version:
            items[item_id] = _Closed(version, known.entry if isinstance(known, _Closed)
                                     else known)

    def stale(self, entry: Entry) -> bool:
        """Whether a popped entry is behind a newer judgement of its item; forgets
        what the entry's pop makes useless."""
        due, kind, item_id, _ = entry
        if due == PENDING:
            return False
        items = self.newest.get(kind)
        known = items.get(item_id) if items is not None else None
        if items is None or known is None:
            return False  # not sure: storage decides
        if known is entry or (isinstance(known, _Closed) and known.entry is entry):
            del items[item_id]
        return known is not entry


def _version(known: Entry | _Closed) -> int:
    return known.version if isinstance(known, _Closed) else known[3]


class DueIndex:
    def __init__(self) -> None:
        self._heaps: dict[Hashable, _Heap] = {}
        self._expected: dict[Hashable, _Heap] = {}  # pushed while being loaded

    def partitions(self) -> set[Hashable]:
        return set(self._heaps)

    def expect(self, partition: Hashable) -> None:
        """``partition`` is about to be (re)loaded from storage: what is pushed for it
        until then is kept and added to what is loaded (an item committed after the
        load read its rows would otherwise be in neither).  A heap it has meanwhile
        still serves ``pop_due``."""
        self._expected.setdefault(partition, _Heap())

    def load(self, partition: Hashable, entries: Iterable[Entry]) -> None:
        loaded = self._expected.pop(partition, None) or _Heap()
        for entry in entries:
            loaded.add(entry)
            loaded.heap.append(entry)
        heapify(loaded.heap)
        self._heaps[partition] = loaded

    def drop(self, partition: Hashable) -> None:
        self._heaps.pop(partition, None)
        self._expected.pop(partition, None)

    def push(self, partition: Hashable, due: int, kind: str, item_id: str,
             version: int) -> None:
        """The judgement at ``version`` made the item due at ``due``."""
        entry = (due, kind, item_id, version)
        # in neither: a revoked partition's items belong to another worker now
        heap = self._heaps.get(partition)
        if heap is not None:
            heap.push(entry)
        if self._expected and (heap := self._expected.get(partition)) is not None:
            heap.push(entry)

    def close(self, partition: Hashable, kind: str, item_id: str, version: int) -> None:
        """The judgement at ``version`` left the item nothing due: entries pushed
        before it need not be looked up when they come due."""
        heap = self._heaps.get(partition)
        if heap is not None:
            heap.close(kind, item_id, version)
        if self._expected and (heap := self._expected.get(partition)) is not None:
            heap.close(kind, item_id, version)

    def pop_due(self, clock: int, limit: int) -> list[tuple[Hashable, str, str]]:
        """Up to ``limit`` distinct items due at or before ``clock``, earliest first
        within each partition; stale entries are dropped on the way."""
        out: list[tuple[Hashable, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for partition, part in self._heaps.items():
            heap = part.heap
            while heap and heap[0][0] <= clock and len(out) < limit:
                entry = heappop(heap)
                if part.stale(entry):
                    continue
                _, kind, item_id, _ = entry
                if (kind, item_id) not in seen:
                    seen.add((kind, item_id))
                    out.append((partition, kind, item_id))
        return out

    def earliest(self) -> int | None:
        tops = [part.heap[0][0] for part in self._heaps.values() if part.heap]
        return min(tops) if tops else None

    def __len__(self) -> int:
        return sum(len(part.heap) for part in self._heaps.values())

    def remembered(self) -> int:
        """Items whose newest entry (or closure) is remembered: never more than
        ``len(self)``."""
        return sum(len(items) for part in self._heaps.values()
                   for items in part.newest.values())
