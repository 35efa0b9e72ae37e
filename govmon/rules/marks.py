"""Events to marks: which item an event concerns and what it contributes.

``event_record`` gives a mark's fields as a plain tuple, in ``Mark``'s field order
(trailing defaults left out), so `govmon replay` can write it to a MessagePack bucket
without building a ``Mark`` it would throw away: ``Mark`` is ``array_like``, so pass 2
decodes the tuple straight into one.  ``event_mark`` builds the ``Mark`` itself (the
in-memory fold, the services).
"""

from __future__ import annotations

from collections.abc import Callable
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
    ItemKey,
    Mark,
)
from govmon.rules.instants import US_PER_SECOND, instant, midnights, remember_midnight

# A mark's fields in ``Mark`` order: (at, what, event_id, source, unit_id, arg, text,
# names, points), possibly cut after any field whose default follows.
Fields = tuple[Any, ...]
Record = tuple[str, str, Fields]  # (item kind, item id, mark fields)

# One small function per event type: (event, at, source, shared) -> Record.  A dict
# dispatch on the exact type is the cheapest branch on the replay hot path.  `shared`
# interns strings that repeat across events (sources, unit ids): one string per unit
# instead of one per item on a year of a province.
_Shared = dict[str, str]
_Handler = Callable[[Any, int, str, _Shared], Record]


def _received(e: ev.ApplicationReceived, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    unit = shared.get(d.unit_id) or shared.setdefault(d.unit_id, d.unit_id)
    return CASE, d.case_id, (at, RECEIVED, e.id, src, unit,
                             d.limit_days or 0, d.kind)


def _extended(e: ev.ApplicationExtended, at: int, src: str, shared: _Shared) -> Record:
    return CASE, e.data.case_id, (at, EXTENDED, e.id, src, None, e.data.extra_days)


def _case_step(what: str) -> _Handler:
    def handler(e: Any, at: int, src: str, shared: _Shared) -> Record:
        return CASE, e.data.case_id, (at, what, e.id, src)
    return handler


def _disputed(e: ev.ApplicationDisputed, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    unit = shared.get(d.unit_id) or shared.setdefault(d.unit_id, d.unit_id)
    return DISPUTE, d.dispute_id, (at, DISPUTED, e.id, src, unit,
                                   int(d.liable), d.case_id)


def _detected(e: ev.OpinionDetected, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    unit = shared.get(d.unit_id) or shared.setdefault(d.unit_id, d.unit_id)
    return INCIDENT, d.incident_id, (at, DETECTED, e.id, src, unit,
                                     0, d.level)


def _responded(e: ev.OpinionResponded, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    return INCIDENT, d.incident_id, (at, RESPONDED, e.id, src, None, 0, d.action)


def _issued(e: ev.PolicyIssued, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    unit = shared.get(d.unit_id) or shared.setdefault(d.unit_id, d.unit_id)
    return POLICY, d.policy_id, (at, ISSUED, e.id, src, unit)


def _interpreted(e: ev.PolicyInterpreted, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    return POLICY, d.policy_id, (at, INTERPRETED, e.id, src, None, int(d.by_principal))


def _assigned(e: ev.DatashareAssigned, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    unit = shared.get(d.unit_id) or shared.setdefault(d.unit_id, d.unit_id)
    return TASK, d.task_id, (at, ASSIGNED, e.id, src, unit,
                             instant(d.due), None, tuple(d.datasets))


def _delivered(e: ev.DatashareDelivered, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    return TASK, d.task_id, (at, DELIVERED, e.id, src, None, 0, None, tuple(d.datasets))


def _submitted(e: ev.ReportSubmitted, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    unit = shared.get(d.unit_id) or shared.setdefault(d.unit_id, d.unit_id)
    return REPORT, d.report_id, (at, SUBMITTED, e.id, src, unit)


def _found(e: ev.InspectionFindingRecorded, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    unit = shared.get(d.unit_id) or shared.setdefault(d.unit_id, d.unit_id)
    # The note is free text for humans; scoring needs only indicator and points.
    return FINDING, d.finding_id, (at, FOUND, e.id, src, unit, 0,
                                   d.indicator, (), d.points)


def _registered(e: ev.UnitRegistered, at: int, src: str, shared: _Shared) -> Record:
    d = e.data
    unit = shared.get(d.unit_id) or shared.setdefault(d.unit_id, d.unit_id)
    return UNIT, d.unit_id, (at, REGISTERED, e.id, src, unit, 0,
                             d.category, (d.name,))


HANDLERS: dict[type, _Handler] = {
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
    kind, item_id, _ = HANDLERS[type(event)](event, 0, "", {})
    return (kind, item_id)


def event_record(event: ev.GovEvent, shared: dict[str, str]) -> Record:
    """``(item kind, item id, mark fields)`` of one event; ``Mark(*fields)`` is its mark.

    ``shared`` interns strings that repeat across events (sources, unit ids); pass the
    same dict for a whole run.
    """
    source = event.source
    source = shared.get(source) or shared.setdefault(source, source)
    # `instant(event.time)` from the memo of its day's midnight (see instants).
    moment = event.time
    days = midnights.get(id(moment.tzinfo))
    midnight = days.get(moment.toordinal()) if days is not None else None
    if midnight is None:
        at = remember_midnight(moment)
    else:
        at = midnight + ((moment.hour * 3600 + moment.minute * 60 + moment.second)
                         * US_PER_SECOND + moment.microsecond)
    return HANDLERS[type(event)](event, at, source, shared)


def event_mark(event: ev.GovEvent, shared: dict[str, str]) -> tuple[str, str, Mark]:
    """``(item kind, item id, mark)`` of one event: what ``Ledger.fold`` takes.

    Split from the fold so that `govmon replay` can route marks to item buckets before
    folding them (it routes ``event_record``'s tuples, see above).
    """
    kind, item_id, fields = event_record(event, shared)
    return kind, item_id, Mark(*fields)
