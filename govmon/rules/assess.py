"""Item-level assessment, category-independent: one entry point for every item kind."""

from __future__ import annotations

from govmon.rules.cases import assess_case
from govmon.rules.facts import (
    CASE,
    DISPUTE,
    FINDING,
    INCIDENT,
    POLICY,
    REPORT,
    TASK,
    UNIT,
    ItemFacts,
)
from govmon.rules.items import (
    assess_dispute,
    assess_finding,
    assess_incident,
    assess_policy,
    assess_report,
    assess_task,
    assess_unit,
)
from govmon.rules.law import Law
from govmon.rules.verdicts import ItemAssessment
from govmon.rules.workdays import WorkCalendar


def assess_item(facts: ItemFacts, calendar: WorkCalendar, law: Law,
                as_of: int) -> ItemAssessment:
    """Breaches, open clocks, credits and notes of one item as known at ``as_of``.

    Facts dated after ``as_of`` are ignored (and bring ``next_due`` forward), so the
    result depends only on the facts and the instant, never on arrival order.
    """
    kind = facts.kind
    if kind == CASE:
        return assess_case(facts, calendar, law, as_of)
    if kind == POLICY:
        return assess_policy(facts, calendar, law, as_of)
    if kind == INCIDENT:
        return assess_incident(facts, law, as_of)
    if kind == TASK:
        return assess_task(facts, as_of)
    if kind == DISPUTE:
        return assess_dispute(facts, as_of)
    if kind == REPORT:
        return assess_report(facts, as_of)
    if kind == FINDING:
        return assess_finding(facts, as_of)
    if kind == UNIT:
        return assess_unit(facts, as_of)
    raise ValueError(f"unknown item kind {kind!r}")
