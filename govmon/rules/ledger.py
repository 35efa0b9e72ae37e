"""The fold: events in, compact item facts out (idempotent, order-insensitive).

``Ledger.apply`` files each event under the item it concerns.  Follow-up events carry
only the item id (case, policy, incident, task), which is also the partition key of the
family topics, so a service partitioned by item can hold a Ledger of just its items;
a service partitioned by unit holds the unit, report and finding items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from govmon.contract import events as ev
from govmon.rules.facts import (
    ASSIGNED,
    CASE,
    CORRECTED,
    DELIVERED,
    DETECTED,
    DISPUTE,
    DISPUTED,
    EXTENDED,
    FINDING,
    FOUND,
    INCIDENT,
    INTERPRETED,
    ISSUED,
    ITEM_KINDS,
    POLICY,
    RECEIVED,
    REGISTERED,
    REPLIED,
    REPORT,
    RESPONDED,
    RESUMED,
    SUBMITTED,
    SUSPENDED,
    TASK,
    UNIT,
    WITHDRAWN,
    ItemFacts,
    ItemKey,
    Mark,
)
from govmon.rules.instants import (
    _EPOCH_ORDINAL,
    US_PER_SECOND,
    _offset_cache,
    _offset_us,
    instant,
)

# One small function per event type: (event, at, source, shared) -> (item kind, item
# id, mark).  A dict dispatch on the exact type is the cheapest branch on the replay hot
# path.  `shared` interns strings that repeat across events (sources, unit ids): one
# string per unit instead of one per item on a year of a province.
_Out = tuple[str, str, Mark]
_Shared = dict[str, str]
_Handler = Callable[[Any, int, str, _Shared], _Out]


def _unit(unit_id: str, shared: _Shared) -> str:
    return shared.get(unit_id) or shared.setdefault(unit_id, unit_id)


def _received(e: ev.ApplicationReceived, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return CASE, d.case_id, Mark(at, RECEIVED, e.id, src, _unit(d.unit_id, shared),
                                 d.limit_days or 0, d.kind)


def _extended(e: ev.ApplicationExtended, at: int, src: str, shared: _Shared) -> _Out:
    return CASE, e.data.case_id, Mark(at, EXTENDED, e.id, src, None, e.data.extra_days)


def _case_step(what: str) -> _Handler:
    def handler(e: Any, at: int, src: str, shared: _Shared) -> _Out:
        return CASE, e.data.case_id, Mark(at, what, e.id, src)
    return handler


def _disputed(e: ev.ApplicationDisputed, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return DISPUTE, d.dispute_id, Mark(at, DISPUTED, e.id, src, _unit(d.unit_id, shared),
                                       int(d.liable), d.case_id)


def _detected(e: ev.OpinionDetected, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return INCIDENT, d.incident_id, Mark(at, DETECTED, e.id, src, _unit(d.unit_id, shared),
                                         0, d.level)


def _responded(e: ev.OpinionResponded, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return INCIDENT, d.incident_id, Mark(at, RESPONDED, e.id, src, None, 0, d.action)


def _issued(e: ev.PolicyIssued, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return POLICY, d.policy_id, Mark(at, ISSUED, e.id, src, _unit(d.unit_id, shared))


def _interpreted(e: ev.PolicyInterpreted, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return POLICY, d.policy_id, Mark(at, INTERPRETED, e.id, src, None, int(d.by_principal))


def _assigned(e: ev.DatashareAssigned, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return TASK, d.task_id, Mark(at, ASSIGNED, e.id, src, _unit(d.unit_id, shared),
                                 instant(d.due), None, tuple(d.datasets))


def _delivered(e: ev.DatashareDelivered, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return TASK, d.task_id, Mark(at, DELIVERED, e.id, src, None, 0, None, tuple(d.datasets))


def _submitted(e: ev.ReportSubmitted, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return REPORT, d.report_id, Mark(at, SUBMITTED, e.id, src, _unit(d.unit_id, shared))


def _found(e: ev.InspectionFindingRecorded, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    # The note is free text for humans; scoring needs only indicator and points.
    return FINDING, d.finding_id, Mark(at, FOUND, e.id, src, _unit(d.unit_id, shared), 0,
                                       d.indicator, (), d.points)


def _registered(e: ev.UnitRegistered, at: int, src: str, shared: _Shared) -> _Out:
    d = e.data
    return UNIT, d.unit_id, Mark(at, REGISTERED, e.id, src, _unit(d.unit_id, shared), 0,
                                 d.category, (d.name,))


_HANDLERS: dict[type, _Handler] = {
    ev.ApplicationReceived: _received,
    ev.ApplicationExtended: _extended,
    ev.ApplicationSuspended: _case_step(SUSPENDED),
    ev.ApplicationResumed: _case_step(RESUMED),
    ev.ApplicationCorrected: _case_step(CORRECTED),
    ev.ApplicationReplied: _case_step(REPLIED),
    ev.ApplicationWithdrawn: _case_step(WITHDRAWN),
    ev.ApplicationDisputed: _disputed,
    ev.OpinionDetected: _detected,
    ev.OpinionResponded: _responded,
    ev.PolicyIssued: _issued,
    ev.PolicyInterpreted: _interpreted,
    ev.DatashareAssigned: _assigned,
    ev.DatashareDelivered: _delivered,
    ev.ReportSubmitted: _submitted,
    ev.InspectionFindingRecorded: _found,
    ev.UnitRegistered: _registered,
}


def item_key(event: ev.GovEvent) -> ItemKey:
    """The item an event belongs to (without folding it)."""
    kind, item_id, _ = _HANDLERS[type(event)](event, 0, "", {})
    return (kind, item_id)


def event_mark(event: ev.GovEvent, shared: dict[str, str]) -> tuple[str, str, Mark]:
    """``(item kind, item id, mark)`` of one event: what ``Ledger.fold`` takes.

    ``shared`` interns strings that repeat across events (sources, unit ids); pass the
    same dict for a whole run.  Split from the fold so that `govmon replay` can route
    marks to item buckets before folding them.
    """
    source = event.source
    source = shared.get(source) or shared.setdefault(source, source)
    # `instant(event.time)`, inlined: the call alone is a tenth of the fold's time.
    moment = event.time
    cached = _offset_cache.get(id(moment.tzinfo))
    offset = cached[1] if cached is not None else _offset_us(moment)
    at = (((moment.toordinal() - _EPOCH_ORDINAL) * 86_400 + moment.hour * 3600
           + moment.minute * 60 + moment.second) * US_PER_SECOND
          + moment.microsecond - offset)
    return _HANDLERS[type(event)](event, at, source, shared)


class Ledger:
    """Item facts keyed by ``(kind, item id)``; ``apply`` is idempotent per event key.

    Stored as one dict per kind keyed by the bare item id: no key tuple to build and
    hash per event on the replay hot path.
    """

    def __init__(self, items: Iterable[ItemFacts] = ()) -> None:
        self._kinds: dict[str, dict[str, ItemFacts]] = {kind: {} for kind in ITEM_KINDS}
        self._latest = -1  # latest event instant applied (for a "final" replay)
        self._sources: dict[str, str] = {}  # interned sources and unit ids (see _Shared)
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
