"""A least-recently-put cache bounded by the items its entries hold (no I/O): what the
scoring worker keeps between batches (``verdicts.VerdictCache``,
``written.WrittenDeductions``)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class SizedLru(Generic[K, V]):
    """Oldest entries out first, beyond ``capacity`` in all: an entry counts
    ``items(value)`` plus one (so empty entries cannot pile up either)."""

    def __init__(self, capacity: int, items: Callable[[V], int]) -> None:
        self.capacity = capacity
        self.size = 0
        self._items = items
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= 1 + self._items(old)
        self._entries[key] = value
        self.size += 1 + self._items(value)
        while self.size > self.capacity and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self.size -= 1 + self._items(dropped)
