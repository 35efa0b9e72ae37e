"""A whole year: assess every item, score every unit (what `govmon replay` and
`govmon report` print)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

from msgspec import Struct

from govmon.rules.assess import assess_item
from govmon.rules.catalog import Catalog, CatalogMissingError
from govmon.rules.facts import ItemFacts
from govmon.rules.instants import year_of
from govmon.rules.law import Law
from govmon.rules.scoring import UnitInfo, UnitScore, registered_for, score_unit
from govmon.rules.verdicts import Breach, Clock, Credit, ItemAssessment
from govmon.rules.workdays import CalendarGapError, WorkCalendar

# An item's assessment and, for a unit item, the instant it was registered (else None).
Assessed = tuple[ItemAssessment, int | None]

# Notes that concern the year they are dated in and are worth a human's look.
_NOTE_FLAGS = ("orphan", "conflict", "ignored_after_breach")


class Flag(Struct, frozen=True):
    """A line of the result's ``flags``: a breach, an open item, or something odd."""

    kind: str  # breach | open | orphan | conflict | ignored_after_breach | unregistered_unit
    rule: str | None
    ref: str | None
    unit_id: str | None
    deadline: int | None
    detail: str
    event_ids: tuple[str, ...] = ()


class Rejected(Struct, frozen=True):
    line: int
    reason: str


class YearResult(Struct, frozen=True):
    year: int
    as_of: int
    catalog: str  # the catalog file the points came from
    units: tuple[UnitScore, ...]
    flags: tuple[Flag, ...]
    rejected: tuple[Rejected, ...] = ()


def flag_order(flag: Flag) -> tuple[str, str, str, str, int, str]:
    return (flag.kind, flag.unit_id or "", flag.rule or "", flag.ref or "",
            flag.deadline if flag.deadline is not None else -1, flag.detail)


def _open_in_year(clock: Clock, year: int) -> bool:
    """An open clock concerns ``year`` if it started by then and is not due before it."""
    return year_of(clock.opened) <= year and (
        clock.deadline is None or year_of(clock.deadline) >= year)


def evaluate(ledger: Iterable[ItemFacts], catalogs: Mapping[int, Catalog], calendar: WorkCalendar,
             law: Law, year: int, as_of: int) -> YearResult:
    """Score every unit for ``year`` as known at ``as_of`` (an instant, see ``instants``).

    Composes ``assess_item`` over every item (``assess_all``) and ``summarize``.
    Raises CatalogMissingError / CalendarGapError when ``year`` itself is not covered.
    """
    catalog = catalogs.get(year)
    if catalog is None:
        raise CatalogMissingError(year, "the given catalogs", sorted(catalogs))
    if not calendar.covers(year):
        raise CalendarGapError(year, calendar.override_file, "the calendar in use")
    return summarize(_reportable(ledger, calendar, law, as_of), catalog, year, as_of)


def assess_all(items: Iterable[ItemFacts], calendar: WorkCalendar, law: Law,
               as_of: int) -> Iterator[Assessed]:
    """Every item assessed at ``as_of``, with a unit's registration instant."""
    for facts in items:
        assessment = assess_item(facts, calendar, law, as_of)
        if assessment.category is None:
            yield assessment, None
        else:
            created = facts.creation(as_of)
            yield assessment, created.at if created is not None else None


def _reportable(items: Iterable[ItemFacts], calendar: WorkCalendar, law: Law,
                as_of: int) -> Iterator[Assessed]:
    """``assess_all`` without the assessments ``summarize`` would skip anyway (nothing
    to report and not a unit): most items of a year, on the replay hot path."""
    for facts in items:
        assessment = assess_item(facts, calendar, law, as_of)
        if assessment.category is not None:
            created = facts.creation(as_of)
            yield assessment, created.at if created is not None else None
        elif assessment.breaches or assessment.clocks or assessment.credits \
                or assessment.notes:
            yield assessment, None


def summarize(assessed: Iterable[Assessed], catalog: Catalog, year: int,
              as_of: int) -> YearResult:
    """The year's result from item assessments made at ``as_of`` (pure; shared by
    `govmon replay`, which assesses a file, and `govmon report`, which reads them from
    storage).

    Scores the units registered by the end of ``year`` plus any unit with a breach or
    credit in it.  ``flags`` lists the year's breaches (0-point ones included), clocks
    still open that concern the year, notes dated in the year and unregistered units.
    Each element is an assessment and, for a unit item, its registration instant.
    """
    breaches: dict[str, list[Breach]] = defaultdict(list)
    credits: dict[str, list[Credit]] = defaultdict(list)
    units: dict[str, UnitInfo] = {}
    registered_later: dict[str, UnitInfo] = {}
    flags: list[Flag] = []
    for assessment, created in assessed:
        # Most items end with nothing to report: test before looping (replay hot path).
        if assessment.breaches:
            for breach in assessment.breaches:
                if breach.year == year:
                    breaches[breach.unit_id].append(breach)
                    flags.append(Flag("breach", breach.rule, breach.ref, breach.unit_id,
                                      breach.deadline, breach.detail, breach.event_ids))
        if assessment.credits:
            for credit in assessment.credits:
                if credit.year == year:
                    credits[credit.unit_id].append(credit)
        if assessment.clocks:
            for clock in assessment.clocks:
                if _open_in_year(clock, year):
                    flags.append(Flag("open", clock.rule, clock.ref, clock.unit_id,
                                      clock.deadline, clock.detail))
        if assessment.notes:
            for note in assessment.notes:
                if note.kind in _NOTE_FLAGS and note.year == year:
                    flags.append(Flag(note.kind, None, note.ref, note.unit_id, None,
                                      note.detail, note.event_ids))
        if assessment.category is not None:  # a registered unit
            info, by_year_end = registered_for(assessment, year, created)
            if by_year_end:
                units[info.unit_id] = info
            else:
                registered_later[info.unit_id] = info
    # A unit registered after the year is still scored (with its category) if it has
    # something in the year; a unit never registered is scored with the fallback.
    for unit_id in set(breaches) | set(credits):
        if unit_id in units:
            continue
        later = registered_later.get(unit_id)
        if later is not None:
            units[unit_id] = later
            continue
        units[unit_id] = UnitInfo(unit_id, None)
        flags.append(Flag("unregistered_unit", None, None, unit_id, None,
                          f"no gov.unit.registered: scored with the "
                          f"{catalog.unregistered_category} catalog"))
    scores = tuple(
        score_unit(units[unit_id], breaches.get(unit_id, ()), credits.get(unit_id, ()),
                   catalog, year, as_of)
        for unit_id in sorted(units))
    # Order is the renderer's job (it sorts), so a result rebuilt from storage renders
    # the same; here flags stay in ledger order.
    return YearResult(year, as_of, catalog.file, scores, tuple(flags))
