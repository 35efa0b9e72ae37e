"""What the scoring service decides, with no I/O: which unit-years an assessment
touches and a unit-year's score, derived from every stored assessment of the unit
(never incremented, so applying anything twice changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import blake2b

import msgspec

from govmon.rules import (
    Catalog,
    Deduction,
    ItemAssessment,
    ItemFacts,
    Mark,
    UnitInfo,
    UnitScore,
    registered_for,
    score_unit,
    year_start,
)
from govmon.rules.facts import REGISTERED


def years_of(assessment: ItemAssessment) -> list[int]:
    """The assessment years its breaches and credits count in."""
    years = {b.year for b in assessment.breaches} | {c.year for c in assessment.credits}
    return sorted(years)


def touched(old_unit: str | None, old_years: Iterable[int], new: ItemAssessment
            ) -> set[tuple[str, int]]:
    """(unit, year) pairs whose score may change when ``new`` replaces an assessment
    that counted for ``old_unit`` in ``old_years``."""
    pairs = {(b.unit_id, b.year) for b in new.breaches}
    pairs |= {(c.unit_id, c.year) for c in new.credits}
    if old_unit:
        pairs |= {(old_unit, year) for year in old_years}
    return pairs


def unit_info(unit_id: str, registration: ItemAssessment | None, year: int) -> UnitInfo:
    """The unit as scored for ``year`` (``registered_for``, as replay)."""
    if registration is None or registration.category is None:
        return UnitInfo(unit_id, None)  # never registered: scored with the fallback
    return registered_for(registration, year)[0]


def score_year(info: UnitInfo, assessments: Iterable[ItemAssessment], catalog: Catalog,
               year: int, as_of: int) -> UnitScore:
    """The unit's score for ``year`` from all of its assessments, as ``evaluate``
    computes it (breaches and credits are attributed to the unit they name)."""
    unit_id = info.unit_id
    breaches = [b for a in assessments for b in a.breaches
                if b.unit_id == unit_id and b.year == year]
    credits = [c for a in assessments for c in a.credits
               if c.unit_id == unit_id and c.year == year]
    return score_unit(info, breaches, credits, catalog, year, as_of)


def is_final(year: int, as_of: int) -> bool:
    """Year-end rules apply from 1 January of the next year."""
    return as_of >= year_start(year + 1)


def digest(score: UnitScore, final: bool) -> str:
    """Identity of a published score, evidence included: a change of any part of it is
    a change worth a new version."""
    return blake2b(msgspec.json.encode((score, final)), digest_size=16).hexdigest()


def registration(facts: ItemFacts, as_of: int) -> Mark | None:
    """A unit's registration in force at ``as_of``: the latest (a re-registration, e.g.
    a category change, replaces the earlier one, as in the rules)."""
    found = None
    for mark in facts.marks:
        if mark.at > as_of:
            break
        if mark.what == REGISTERED:
            found = mark
    return found


def deduction_key(deduction: Deduction) -> tuple[str, str]:
    """A deduction's row within its unit-year: (rule, ref), ref '' for year-end rules."""
    return deduction.rule, deduction.ref or ""


def deduction_changes(stored: Sequence[Deduction], new: Sequence[Deduction]
                      ) -> tuple[list[tuple[str, str]], list[Deduction]]:
    """What turns a unit-year's stored deduction rows into ``new``: the keys
    (``deduction_key``) to delete, gone or changed, and the deductions to insert.  A
    score change usually adds one deduction to a unit-year that has hundreds by
    December: rewriting them all each time grew with the year."""
    before, after = set(stored), set(new)
    gone = [deduction_key(d) for d in stored if d not in after]
    return gone, [d for d in new if d not in before]
