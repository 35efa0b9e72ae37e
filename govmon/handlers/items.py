"""An item's stored row and the two things done to it: fold events in, judge it again.

Pure (no I/O): the services lock the rows in PostgreSQL, call :func:`fold` and
:func:`rejudge`, write the rows back and publish.  Folding is the rules' ``Ledger``,
so a redelivered event changes nothing; judging always bumps the version, because the
previous publish of the same verdict may have been lost in a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from govmon.contract.events import GovEvent
from govmon.handlers.timeliness import Judged, judge
from govmon.rules import (
    AlertPolicy,
    ItemFacts,
    ItemKey,
    Law,
    Ledger,
    Mark,
    WorkCalendar,
    event_mark,
)


@dataclass(slots=True)
class ItemRow:
    kind: str
    item_id: str
    topic: str
    partition: int
    facts: ItemFacts
    unit_id: str | None = None
    marks: int = 0
    latest_us: int = -1
    version: int = 0
    assessed_us: int = -1
    next_due_us: int | None = None
    deadline_us: int | None = None
    alerted_us: int = -1
    breached: list[str] = field(default_factory=list)
    pending: bool = False
    scored_version: int = 0  # the last version published as a snapshot (0: none)
    scored_digest: str = ""  # ``scored_digest`` of that snapshot

    @property
    def key(self) -> ItemKey:
        return (self.kind, self.item_id)


Located = tuple[GovEvent, str, int]  # an event and the topic and partition it came from
Marked = tuple[ItemKey, Mark, str, int]  # its item, its mark, topic and partition
INTERNED = 100_000  # strings ``marked`` keeps interned (a city has ~100 units)


def marked(events: Iterable[Located], shared: dict[str, str] | None = None) -> list[Marked]:
    """Each event's item and mark, made once: the keys to lock, the clock (``Mark.at``)
    and the fold all read them (making them cost as much as the fold itself).
    ``shared`` interns repeated strings (``event_mark``: sources, unit ids); keep one
    per worker.  It is emptied when it outgrows ``INTERNED``: unit ids come from the
    events, so a stream of made-up ones must not grow it for ever."""
    interned = {} if shared is None else shared
    if len(interned) > INTERNED:
        interned.clear()
    out: list[Marked] = []
    for event, topic, partition in events:
        kind, item_id, mark = event_mark(event, interned)
        out.append(((kind, item_id), mark, topic, partition))
    return out


def keys_of(marks: Iterable[Marked]) -> set[ItemKey]:
    return {key for key, _, _, _ in marks}


def fold(rows: dict[ItemKey, ItemRow], events: Iterable[Marked]) -> list[ItemKey]:
    """Fold events into ``rows`` (adding rows for new items); returns every item an
    event touched, redeliveries included, in first-seen order."""
    ledger = Ledger(row.facts for row in rows.values())
    touched: dict[ItemKey, None] = {}
    for key, mark, topic, partition in events:
        ledger.fold(key[0], key[1], mark)
        touched[key] = None
        row = rows.get(key)
        if row is None:
            row = rows[key] = ItemRow(key[0], key[1], topic, partition,
                                      ItemFacts(key[0], key[1], []))
        if mark.at > row.latest_us:
            row.latest_us = mark.at
    for key in touched:
        facts = ledger.get(key)
        if facts is not None:
            rows[key].facts = facts
    return list(touched)


def rejudge(row: ItemRow, clock: int, calendar: WorkCalendar, law: Law,
            policy: AlertPolicy) -> Judged:
    """Judge the row's item at ``clock`` (never before its previous judgement, so an
    item's clock only moves forward) and record the outcome in the row.

    The snapshot is due when what scoring counts changed since the last one, or when
    the row is ``pending``: its last publish may have been cut, whatever it held - the
    snapshot, and the breaches and warnings it announced, which are then judged new
    once more (a consumer may see one twice, never none: ``due_entries``)."""
    at = max(clock, row.assessed_us)
    pending = row.pending
    judged = judge(row.facts, calendar, law, at,
                   alerted_until=-1 if pending else row.alerted_us,
                   breached=() if pending else row.breached, policy=policy,
                   published=None if pending else row.scored_digest)
    assessment = judged.assessment
    row.unit_id = assessment.unit_id if assessment.unit_id is not None else row.unit_id
    row.marks = len(row.facts.marks)
    row.version += 1
    row.assessed_us = at
    row.next_due_us = judged.next_due
    row.deadline_us = judged.deadline
    row.alerted_us = judged.alerted_until
    row.breached = list(judged.breached)
    # Publishing is tracked by the outbox (migration 0003) or needs none (scoring's own
    # items); the flag an older worker may have left on the row is cleared here.
    row.pending = False
    if judged.snapshot:
        row.scored_version, row.scored_digest = row.version, judged.digest
    return judged


def created_at(row: ItemRow, judged: Judged) -> int | None:
    """A unit item's registration instant (which years it belongs to)."""
    if judged.assessment.category is None:
        return None
    mark = row.facts.creation(row.assessed_us)
    return mark.at if mark is not None else None


def latest_event(rows: Mapping[ItemKey, ItemRow]) -> int | None:
    return max((row.latest_us for row in rows.values()), default=None)
