"""Unit-level scoring: points by category, year-end rules, caps, score and grade.

Arithmetic is in ``Decimal`` so that 0.5-point deductions and caps add up exactly and
the published score (2 decimals, half up) is the same on every machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from msgspec import Struct

from govmon.rules.catalog import AS_RECORDED, Catalog, RuleSpec
from govmon.rules.instants import year_of, year_start
from govmon.rules.verdicts import Breach, Credit, ItemAssessment

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_ZERO = Decimal(0)


class UnitInfo(Struct, frozen=True):
    unit_id: str
    category: str | None  # None: never registered
    name: str | None = None


def registered_for(assessment: ItemAssessment, year: int, created: int | None = None
                   ) -> tuple[UnitInfo, bool]:
    """A registered unit's identity for ``year`` and whether it was registered by the
    year's end.  A unit is scored for a year as it stood at that year's end: the latest
    registration dated in or before the year (a re-registration replaces an earlier
    one, but not for the years before it).  A unit registered only later is scored
    with its first registration, if it has something in the year.

    ``created``: the first registration's instant, for an assessment stored before
    registrations were kept (its latest registration then counted for every year from
    ``created`` on, as before)."""
    unit_id = assessment.key[1]
    history = assessment.registrations
    if not history:
        return (UnitInfo(unit_id, assessment.category, assessment.name),
                created is not None and year_of(created) <= year)
    in_force = None
    for registration in history:
        if year_of(registration.at) > year:
            break
        in_force = registration
    chosen = in_force or history[0]
    return UnitInfo(unit_id, chosen.category, chosen.name), in_force is not None


class Deduction(Struct, frozen=True, gc=False):
    rule: str
    points: float  # the rule's points before caps
    ref: str | None  # item id; None for year-end rules
    event_ids: tuple[str, ...]
    at: int | None  # the instant it is dated by (deadline or event); None for year-end
    cap_group: str | None
    detail: str = ""


class CapUse(Struct, frozen=True):
    group: str
    cap: float
    raw: float  # sum of the group's deductions
    applied: float  # what counts: min(raw, cap)


class UnitScore(Struct, frozen=True):
    unit_id: str
    name: str | None
    category: str | None  # as registered; None when never registered
    scored_as: str  # the catalog category used (the fallback for unregistered units)
    score: float
    grade: str
    deducted: float  # total after caps
    deductions: tuple[Deduction, ...]
    caps: tuple[CapUse, ...]


def deduction_order(d: Deduction) -> tuple[str, str, int, tuple[str, ...]]:
    return (d.rule, d.ref or "", d.at if d.at is not None else -1, d.event_ids)


@lru_cache(maxsize=1024)
def _decimal(points: float) -> Decimal:
    """Points (or a cap) as the exact decimal they were written as.  Cached: the scoring
    worker scores a unit-year again at every change of it, and this conversion, made
    anew for every deduction each time, was the larger part of that arithmetic."""
    return Decimal(str(points))


def year_end_deductions(category_rules: dict[str, RuleSpec], credits: Iterable[Credit],
                        year: int) -> list[Deduction]:
    """The rules judged on the whole year (call only once the year is over)."""
    counted: dict[str, set[str]] = {"report": set(), "principal_interpretation": set()}
    for credit in credits:
        if credit.year == year and credit.kind in counted:
            # Distinct refs/events: a redelivered report or interpretation counts once.
            counted[credit.kind].add(credit.ref if credit.kind == "report" else credit.event_id)
    result = []
    principal = category_rules.get("principal_interpretation_missing")
    have = len(counted["principal_interpretation"])
    if principal is not None and principal.min_count is not None and isinstance(
            principal.points, float) and have < principal.min_count:
        result.append(Deduction("principal_interpretation_missing", principal.points, None, (),
                                None, principal.cap_group,
                                f"{have} of {principal.min_count} interpretations by the "
                                f"principal"))
    reports = category_rules.get("reports_shortfall")
    if reports is not None and reports.quota is not None and isinstance(reports.points, float):
        missing = reports.quota - len(counted["report"])
        if missing > 0:
            points = float(_decimal(reports.points) * missing)
            result.append(Deduction("reports_shortfall", points, None, (), None,
                                    reports.cap_group,
                                    f"{len(counted['report'])} of {reports.quota} reports"))
    return result


def score_unit(unit: UnitInfo, breaches: Iterable[Breach], credits: Iterable[Credit],
               catalog: Catalog, year: int, as_of: int) -> UnitScore:
    """Score one unit for ``year`` as known at ``as_of``.

    ``breaches`` and ``credits`` may include other years; only ``year``'s count.
    Year-end rules apply once ``as_of`` is at or after 1 January of the next year.
    Breaches of 0-point rules (e.g. service_overdue) are not deductions.
    """
    scored_as = unit.category if unit.category in catalog.categories \
        else catalog.unregistered_category
    spec = catalog.categories[scored_as]
    deductions: list[Deduction] = []
    rules = spec.rules
    for breach in breaches:
        if breach.year != year:
            continue
        rule = rules.get(breach.rule)
        if rule is None:
            continue  # rule not applicable to this category in this year's catalog
        points = (breach.points or 0.0) if rule.points == AS_RECORDED else float(rule.points)
        if points > 0:
            deductions.append(Deduction(breach.rule, points, breach.ref, breach.event_ids,
                                        breach.at, rule.cap_group, breach.detail))
    if as_of >= year_start(year + 1):
        deductions.extend(year_end_deductions(spec.rules, credits, year))
    deductions.sort(key=deduction_order)

    raw: dict[str | None, Decimal] = {}
    for deduction in deductions:
        group = deduction.cap_group
        raw[group] = raw.get(group, _ZERO) + _decimal(deduction.points)
    caps: list[CapUse] = []
    total = raw.pop(None, _ZERO)  # uncapped (findings)
    for group in sorted(g for g in raw if g is not None):
        cap = _decimal(spec.caps[group])
        applied = min(raw[group], cap)
        total += applied
        caps.append(CapUse(group, float(cap), float(raw[group]), float(applied)))
    score = max(_HUNDRED - total, _ZERO).quantize(_CENT, rounding=ROUND_HALF_UP)
    # The grade is taken on the score as published (rounded), so the two never disagree.
    return UnitScore(unit.unit_id, unit.name, unit.category, scored_as, float(score),
                     catalog.grade(float(score)), float(total), tuple(deductions),
                     tuple(caps))
