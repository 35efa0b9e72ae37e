"""What the rules conclude about one item: breaches, open clocks, credits, notes.

These are the messages between the two streaming services: the timeliness service
(partitioned by item) produces :class:`ItemAssessment` values; the scoring service
(partitioned by unit) consumes their breaches and credits.  All are msgspec Structs,
so ``msgspec.json.encode`` / ``msgspec.json.decode(..., type=ItemAssessment)`` carry
them over Kafka or into PostgreSQL unchanged.  Instants are microseconds since the
Unix epoch (see ``instants``).
"""

from __future__ import annotations

from msgspec import Struct

from govmon.rules.facts import ItemKey


class Breach(Struct, frozen=True, gc=False):
    """A rule broken by one item; it costs points in the catalog of ``year``."""

    rule: str
    ref: str  # the item id: case, policy, incident, task, dispute or finding id
    unit_id: str
    at: int  # the instant the deduction is dated by: its deadline, or its event
    year: int  # the assessment year it belongs to (Shanghai year of ``at``)
    event_ids: tuple[str, ...]  # evidence, in time order
    deadline: int | None = None  # None for disputes and findings (no deadline)
    points: float | None = None  # findings only: the assessor's points, taken as given
    detail: str = ""


class Clock(Struct, frozen=True, gc=False):
    """A deadline still running: the item will breach ``rule`` if nothing happens."""

    rule: str
    ref: str
    unit_id: str
    opened: int  # the instant the clock (re)started: receipt, correction, issue, ...
    deadline: int | None  # None: paused (suspended), or beyond the calendar (see notes)
    start_day: int | None = None  # working-day clocks: counting starts after this day
    days: int = 0  # working days allowed, extensions included
    pauses: tuple[tuple[int, int], ...] = ()  # (first, last) suspended days, not counted
    detail: str = ""


class Credit(Struct, frozen=True, gc=False):
    """A unit-level fact a year-end rule counts (a report, a principal's interpretation)."""

    kind: str  # "report" | "principal_interpretation"
    unit_id: str
    year: int
    ref: str
    event_id: str


class Note(Struct, frozen=True, gc=False):
    """Something a human should look at that is not a breach."""

    kind: str  # orphan | conflict | ignored_after_breach | calendar_gap
    ref: str
    unit_id: str | None
    year: int  # the year it concerns (for calendar_gap: the uncovered year)
    detail: str
    event_ids: tuple[str, ...] = ()


class Registration(Struct, frozen=True, gc=False):
    """One `unit.registered` event of a unit: its category and name from ``at`` on."""

    at: int
    category: str
    name: str | None = None


class ItemAssessment(Struct, frozen=True, gc=False):
    key: ItemKey
    unit_id: str | None
    breaches: tuple[Breach, ...] = ()
    clocks: tuple[Clock, ...] = ()
    credits: tuple[Credit, ...] = ()
    notes: tuple[Note, ...] = ()
    # The next instant at which this assessment can change by time alone (a deadline
    # passing, or a fact dated after `as_of` coming into view); None: only a new event
    # can change it.  A service keeps a heap of these.
    next_due: int | None = None
    category: str | None = None  # unit items only: the latest registered category
    name: str | None = None  # unit items only
    # Unit items only: every registration visible, in time order.  A unit re-registered
    # (e.g. another category) keeps its earlier years' category: see ``registered_for``.
    registrations: tuple[Registration, ...] = ()


class Alert(Struct, frozen=True, gc=False):
    """A warning instant before a clock would breach."""

    rule: str
    ref: str
    unit_id: str
    at: int
    deadline: int
    reason: str  # e.g. "1 working day left", "75% of the time used"


class AlertPolicy(Struct, frozen=True):
    working_days_before: tuple[int, ...] = (1,)
    fractions: tuple[float, ...] = (0.75,)


def earliest(*instants: int | None) -> int | None:
    """The earliest of the given instants, ignoring None (for ``next_due``)."""
    present = [value for value in instants if value is not None]
    return min(present) if present else None
