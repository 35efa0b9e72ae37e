"""Messages the services derive from events: `gov.timeliness.v1` and `gov.scores.v1`.

Tagged msgspec Structs (the ``type`` field names the message, in the past tense), JSON
on the wire.  Instants are ``int`` microseconds since the Unix epoch, as everywhere in
``govmon.rules``; years and days are Shanghai ones.

Delivery is at-least-once and, across partitions, unordered: verdicts and scores carry a
``version`` that only grows per item (timeliness) or per unit and year (scores), so a
consumer keeps the highest version it has seen and ignores the rest; a watermark only
ever moves a clock forward.
"""

from __future__ import annotations

import msgspec
from msgspec import Struct

from govmon.rules import ItemAssessment


class _Message(Struct, frozen=True, kw_only=True, tag_field="type", omit_defaults=True):
    pass


class ItemAssessed(_Message, frozen=True, tag="gov.timeliness.item_assessed"):
    """The whole verdict on one item at ``assessed_at``: it replaces every earlier one.

    Keyed by unit id (the item id while the unit is unknown, e.g. an orphan reply).
    """

    kind: str
    item_id: str
    unit_id: str | None
    version: int  # per item, strictly increasing
    assessed_at: int  # the service's clock when it judged (wall or event time)
    marks: int  # events known for the item: how complete the facts were
    assessment: ItemAssessment
    created_at: int | None = None  # unit items: the registration instant


class DeadlineBreached(_Message, frozen=True, tag="gov.timeliness.deadline_breached"):
    """A rule newly found broken by an item (announced once per rule and item)."""

    kind: str
    item_id: str
    unit_id: str
    rule: str
    deadline: int | None
    year: int
    detected_at: int
    event_ids: tuple[str, ...]
    version: int
    detail: str = ""


class WarningIssued(_Message, frozen=True, tag="gov.timeliness.warning_issued"):
    """A warning instant passed while an item's clock is still running."""

    kind: str
    item_id: str
    unit_id: str
    rule: str
    deadline: int
    at: int  # the warning instant
    reason: str  # "1 working day left", "75% of the time used"
    detected_at: int


class WatermarkAdvanced(_Message, frozen=True, tag="gov.timeliness.watermark_advanced"):
    """Event-time mode only: the timeliness clock (the latest event time it has seen)
    reached ``at``.  Snapshots go out only when a score could change, so without this
    scoring's clock, which follows its inputs, would stop where the last one did and
    miss e.g. the turn of the year.  Keyed ``watermark`` (one partition): scoring keeps
    one clock for all its workers, in PostgreSQL."""

    at: int


class ScoreChanged(_Message, frozen=True, tag="gov.scores.score_changed"):
    """A unit's score for a year changed (or was first computed); keyed by unit id."""

    unit_id: str
    year: int
    version: int  # per unit and year, strictly increasing
    score: float
    grade: str
    deducted: float
    deductions: int
    final: bool  # year-end rules applied (the service's clock is past the year)
    as_of: int


TimelinessMessage = ItemAssessed | DeadlineBreached | WarningIssued | WatermarkAdvanced

_ENCODER = msgspec.json.Encoder()
_TIMELINESS = msgspec.json.Decoder(TimelinessMessage)
_SCORES = msgspec.json.Decoder(ScoreChanged)


WATERMARK_KEY = b"watermark"


def encode(message: TimelinessMessage | ScoreChanged) -> bytes:
    return _ENCODER.encode(message)


def decode_timeliness(data: bytes) -> TimelinessMessage:
    return _TIMELINESS.decode(data)


def decode_score(data: bytes) -> ScoreChanged:
    return _SCORES.decode(data)
