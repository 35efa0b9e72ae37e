"""The fold: events in, compact item facts out (idempotent, order-insensitive).

``Ledger.apply`` files each event under the item it concerns.  Follow-up events carry
only the item id (case, policy, incident, task), which is also the partition key of the
family topics, so a service partitioned by item can hold a Ledger of just its items;
a service partitioned by unit holds the unit, report and finding items.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from govmon.contract import events as ev
from govmon.rules.facts import ITEM_KINDS, ItemFacts, ItemKey, Mark
from govmon.rules.marks import event_mark, event_record, item_key

__all__ = ["Ledger", "event_mark", "event_record", "item_key"]


class Ledger:
    """Item facts keyed by ``(kind, item id)``; ``apply`` is idempotent per event key.

    Stored as one dict per kind keyed by the bare item id: no key tuple to build and
    hash per event on the replay hot path.
    """

    def __init__(self, items: Iterable[ItemFacts] = ()) -> None:
        self._kinds: dict[str, dict[str, ItemFacts]] = {kind: {} for kind in ITEM_KINDS}
        self._latest = -1  # latest event instant applied (for a "final" replay)
        self._sources: dict[str, str] = {}  # interned sources and unit ids (see marks)
        for facts in items:
            self.put(facts)

    @property
    def latest(self) -> int | None:
        return self._latest if self._latest >= 0 else None

    @property
    def items(self) -> dict[ItemKey, ItemFacts]:
        """A snapshot keyed by ``(kind, item id)`` (built on demand; not for hot paths)."""
        return {(kind, item_id): facts for kind, by_id in self._kinds.items()
                for item_id, facts in by_id.items()}

    def __len__(self) -> int:
        return sum(len(by_id) for by_id in self._kinds.values())

    def __iter__(self) -> Iterator[ItemFacts]:
        for by_id in self._kinds.values():
            yield from by_id.values()

    def get(self, key: ItemKey) -> ItemFacts | None:
        by_id = self._kinds.get(key[0])
        return by_id.get(key[1]) if by_id is not None else None

    def put(self, facts: ItemFacts) -> None:
        """Restore an item (e.g. from storage), merging marks idempotently."""
        for mark in facts.marks:
            self.fold(facts.kind, facts.item_id, mark)

    def apply(self, event: ev.GovEvent) -> ItemKey | None:
        """Fold one event in.  Returns the key of the item it changed, or None for a
        redelivery (same source + id) that changed nothing."""
        kind, item_id, mark = event_mark(event, self._sources)
        return self.fold(kind, item_id, mark)

    def fold(self, kind: str, item_id: str, mark: Mark) -> ItemKey | None:
        """Fold one mark (from ``event_mark``) into its item; None when nothing changed.

        The replay hot path: kept flat on purpose - the common cases of
        ``ItemFacts.add`` (a new item; a new latest mark) are inlined.
        """
        at = mark.at
        if at > self._latest:
            self._latest = at
        by_id = self._kinds[kind]
        facts = by_id.get(item_id)
        if facts is None:
            by_id[item_id] = ItemFacts(kind, item_id, [mark])
            return (kind, item_id)
        marks = facts.marks
        if at > marks[-1].at:
            event_id = mark.event_id
            source = mark.source
            for seen in marks:
                if seen.event_id == event_id and seen.source == source:
                    break  # same key: let `add` decide (redelivery or conflict)
            else:
                marks.append(mark)  # new and latest: stays sorted
                return (kind, item_id)
        return (kind, item_id) if facts.add(mark) else None

    def fold_all(self, records: Iterable[tuple[str, str, Mark]]) -> None:
        """``fold`` every ``(kind, item id, mark)``: the same facts, without a call and a
        key tuple per mark (pass 2 of `govmon replay` folds a bucket at a time)."""
        kinds = self._kinds
        latest = self._latest
        for kind, item_id, mark in records:
            at = mark.at
            if at > latest:
                latest = at
            by_id = kinds[kind]
            facts = by_id.get(item_id)
            if facts is None:
                by_id[item_id] = ItemFacts(kind, item_id, [mark])
                continue
            marks = facts.marks
            if at > marks[-1].at:
                event_id = mark.event_id
                source = mark.source
                for seen in marks:
                    if seen.event_id == event_id and seen.source == source:
                        break
                else:
                    marks.append(mark)  # new and latest: stays sorted
                    continue
            facts.add(mark)
        self._latest = latest
