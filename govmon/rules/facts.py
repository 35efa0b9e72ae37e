"""Compact per-item facts: what the rules need from events, nothing more.

An *item* is the thing a rule judges: a case, a policy, an opinion incident, a
data-sharing task, a dispute, a report, an inspection finding, or a unit.  Each item
keeps one :class:`Mark` per distinct event (keyed by CloudEvents ``source`` + ``id``),
so a redelivered event is recognised and dropped, and nothing is ever counted by
incrementing.  Verdicts are derived from the marks on demand, sorted by
``(at, event_id, source)``, so arrival order never matters.

Facts are msgspec Structs: ``to_builtins``/``from_builtins`` give JSON-able values a
service can store (e.g. in a PostgreSQL ``json`` column).  Structs are ``gc=False`` and
marks are ``array_like`` so that a year of a province (millions of marks) stays small
and does not slow the cyclic garbage collector down.
"""

from __future__ import annotations

from bisect import insort
from typing import Any

import msgspec
from msgspec import Struct

# Item kinds (first half of an item key).
CASE = "case"
DISPUTE = "dispute"
POLICY = "policy"
INCIDENT = "incident"
TASK = "task"
REPORT = "report"
FINDING = "finding"
UNIT = "unit"
ITEM_KINDS = (CASE, DISPUTE, POLICY, INCIDENT, TASK, REPORT, FINDING, UNIT)

ItemKey = tuple[str, str]  # (kind, item id): case id, policy id, incident id, ...

# Mark kinds (`Mark.what`), one per event type.  The first mark kind listed per item
# kind is the item's creation; an item without it is an orphan (its creation event has
# not arrived, or never will).
RECEIVED = "received"
EXTENDED = "extended"
SUSPENDED = "suspended"
RESUMED = "resumed"
CORRECTED = "corrected"
REPLIED = "replied"
WITHDRAWN = "withdrawn"
DISPUTED = "disputed"
DETECTED = "detected"
RESPONDED = "responded"
ISSUED = "issued"
INTERPRETED = "interpreted"
ASSIGNED = "assigned"
DELIVERED = "delivered"
SUBMITTED = "submitted"
FOUND = "found"
REGISTERED = "registered"

CREATION = {
    CASE: RECEIVED, DISPUTE: DISPUTED, POLICY: ISSUED, INCIDENT: DETECTED,
    TASK: ASSIGNED, REPORT: SUBMITTED, FINDING: FOUND, UNIT: REGISTERED,
}


class Mark(Struct, frozen=True, array_like=True, gc=False):
    """One event's contribution to an item.

    Field meaning depends on ``what`` (kept generic so one compact type serves all):
    ``arg``: limit_days (received, service), extra_days (extended), liable (disputed),
    by_principal (interpreted), due instant (assigned);
    ``text``: kind (received, disputed), level (detected), action (responded),
    category (registered), indicator (found), case id (disputed);
    ``names``: datasets (assigned, delivered), (unit name,) (registered);
    ``points``: found.
    """

    at: int  # instant of the event's `time`, microseconds since the Unix epoch
    what: str
    event_id: str
    source: str
    unit_id: str | None = None
    arg: int = 0
    text: str | None = None
    names: tuple[str, ...] = ()
    points: float = 0.0


def mark_order(mark: Mark) -> tuple[int, str, str]:
    """Deterministic order of marks: by time, then event id, then source."""
    return (mark.at, mark.event_id, mark.source)


class ItemFacts(Struct, gc=False):
    """An item's marks, kept sorted by :func:`mark_order` (``add`` maintains it), so
    assessments read them in order without sorting.  Build through ``Ledger`` or
    ``from_builtins``, which keep that invariant."""

    kind: str
    item_id: str
    marks: list[Mark] = []

    @property
    def key(self) -> ItemKey:
        return (self.kind, self.item_id)

    def creation(self, as_of: int | None = None) -> Mark | None:
        """The earliest creation mark visible at ``as_of`` (a later one is ignored)."""
        what = CREATION[self.kind]
        for mark in self.marks:
            if as_of is not None and mark.at > as_of:
                return None
            if mark.what == what:
                return mark
        return None

    def add(self, mark: Mark) -> bool:
        """Insert idempotently (keyed by event id + source); True when facts changed."""
        marks = self.marks
        event_id = mark.event_id
        for seen in marks:
            if seen.event_id == event_id and seen.source == mark.source:
                return self._collide(seen, mark)
        # Events mostly arrive in time order: appending is the common case.
        if not marks or mark.at > marks[-1].at or mark_order(mark) >= mark_order(marks[-1]):
            marks.append(mark)
        else:
            insort(marks, mark, key=mark_order)
        return True

    def _collide(self, seen: Mark, mark: Mark) -> bool:
        if seen == mark or _collision_order(seen) <= _collision_order(mark):
            return False  # a redelivery (or the loser of a same-key conflict)
        # Same key, different content (a producer bug): keep the same one whatever the
        # arrival order - the earlier, then the smaller encoding.
        self.marks.remove(seen)
        insort(self.marks, mark, key=mark_order)
        return True


def _collision_order(mark: Mark) -> tuple[int, bytes]:
    return (mark.at, msgspec.json.encode(mark))


_FACTS_DECODER = msgspec.json.Decoder(ItemFacts)


def facts_to_json(facts: ItemFacts) -> bytes:
    """JSON of an item's facts (for a ``json`` column; cheaper than ``to_builtins``)."""
    return msgspec.json.encode(facts)


def facts_from_json(data: bytes | str) -> ItemFacts:
    facts = _FACTS_DECODER.decode(data)
    facts.marks.sort(key=mark_order)  # stored data may come in any order
    return facts


def to_builtins(facts: ItemFacts) -> dict[str, Any]:
    """JSON-able form of an item's facts (for storage)."""
    result: dict[str, Any] = msgspec.to_builtins(facts)
    return result


def from_builtins(value: Any) -> ItemFacts:
    facts = msgspec.convert(value, ItemFacts)
    facts.marks.sort(key=mark_order)  # stored data may come in any order
    return facts
