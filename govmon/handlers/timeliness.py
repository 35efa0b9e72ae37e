"""What the timeliness service decides about one item at its clock.  Pure: the service
loads the item's facts and bookkeeping, calls :func:`judge`, stores the result and
publishes :func:`messages`; tests call it with plain values.
"""

from __future__ import annotations

from hashlib import blake2b
from typing import NamedTuple

import msgspec

from govmon.contract.derived import DeadlineBreached, ItemAssessed, TimelinessMessage, WarningIssued
from govmon.rules import (
    Alert,
    AlertPolicy,
    Breach,
    ItemAssessment,
    ItemFacts,
    Law,
    WorkCalendar,
    assess_item,
    clock_alerts,
)
from govmon.rules.verdicts import earliest


class Judged(NamedTuple):
    """One judgement (a named tuple, not a frozen dataclass: it is made for every item
    judged, and a frozen dataclass's ``__init__`` was 4 % of the timeliness worker's
    time)."""

    assessment: ItemAssessment
    next_due: int | None  # when to look again: a verdict change or a warning instant
    deadline: int | None  # earliest running deadline
    breached: tuple[str, ...]  # rules broken now (announced ones are not repeated)
    new_breaches: tuple[Breach, ...]
    warnings: tuple[Alert, ...]
    alerted_until: int  # warnings up to here have been issued
    digest: str  # ``scored_digest`` of the assessment
    # Publish the snapshot (ItemAssessed)?  Only when the digest differs from the last
    # published one (``judge``'s ``published``; None: always).
    snapshot: bool

    @property
    def news(self) -> bool:
        """Anything to publish: the item goes in the outbox."""
        return self.snapshot or bool(self.new_breaches) or bool(self.warnings)


def scored_digest(assessment: ItemAssessment) -> str:
    """Identity of what scoring takes from a verdict: its unit, breaches and credits
    (``handlers.scoring.score_year``, ``services/scoring/verdicts.py``).  Empty for a
    verdict that counts for nothing, as an item scoring never heard of does.  Most
    events (a case received, a policy published on time) leave it as it was: their
    snapshot would change no score, so it is not published (~95 % of a simulated year's
    events)."""
    if not assessment.breaches and not assessment.credits:
        return ""
    body = msgspec.json.encode((assessment.unit_id, assessment.breaches, assessment.credits))
    return blake2b(body, digest_size=16).hexdigest()


def judge(facts: ItemFacts, calendar: WorkCalendar, law: Law, clock: int, *,
          alerted_until: int, breached: tuple[str, ...] | list[str],
          policy: AlertPolicy, published: str | None = None) -> Judged:
    """The item's verdict at ``clock``, what is new since the last one, and when to
    look again.  ``alerted_until``/``breached`` are what earlier calls returned;
    ``published`` is the digest of the last snapshot published (None: unknown)."""
    assessment = assess_item(facts, calendar, law, clock)
    rules: tuple[str, ...] = ()
    new: tuple[Breach, ...] = ()
    if assessment.breaches:  # most judgements find none: no sets to build
        rules = tuple(sorted({b.rule for b in assessment.breaches}))
        known = set(breached)
        new = tuple(b for b in assessment.breaches if b.rule not in known)
    warnings: list[Alert] = []
    next_warning: int | None = None
    deadline: int | None = None
    for running in assessment.clocks:
        # earliest(), inline: this loop runs for every item judged
        if running.deadline is not None and (deadline is None or running.deadline < deadline):
            deadline = running.deadline
        for alert in clock_alerts(running, calendar, policy):
            if alert.at > clock:
                next_warning = earliest(next_warning, alert.at)
            elif alert.at > alerted_until:
                warnings.append(alert)
    digest = scored_digest(assessment)
    return Judged(assessment, earliest(assessment.next_due, next_warning), deadline, rules,
                  new, tuple(warnings), max(alerted_until, clock), digest,
                  published is None or digest != published)


def partition_key(kind: str, item_id: str, unit_id: str | None) -> str:
    """Derived messages are keyed by unit (scoring is partitioned by unit); an item
    whose unit is not known yet (an orphan follow-up) by its own id."""
    return unit_id if unit_id else f"{kind}:{item_id}"


def messages(kind: str, item_id: str, version: int, clock: int, marks: int,
             judged: Judged, created_at: int | None = None
             ) -> list[tuple[str, TimelinessMessage]]:
    """(key, message) to publish for one judged item: the snapshot (if scoring needs
    it), then what is new."""
    assessment = judged.assessment
    unit_id = assessment.unit_id
    key = partition_key(kind, item_id, unit_id)
    out: list[tuple[str, TimelinessMessage]] = []
    if judged.snapshot:
        out.append((key, ItemAssessed(
            kind=kind, item_id=item_id, unit_id=unit_id, version=version, assessed_at=clock,
            marks=marks, created_at=created_at, assessment=assessment)))
    for breach in judged.new_breaches:
        out.append((key, DeadlineBreached(
            kind=kind, item_id=item_id, unit_id=breach.unit_id, rule=breach.rule,
            deadline=breach.deadline, year=breach.year, detected_at=clock,
            event_ids=breach.event_ids, detail=breach.detail, version=version)))
    for alert in judged.warnings:
        out.append((key, WarningIssued(
            kind=kind, item_id=item_id, unit_id=alert.unit_id, rule=alert.rule,
            deadline=alert.deadline, at=alert.at, reason=alert.reason, detected_at=clock)))
    return out
