"""Policies, opinion incidents, data-sharing tasks, disputes, reports, findings, units.

Each function derives its verdict from the item's marks alone, in ``(time, id)`` order;
choices where the notice is silent are documented in ``data/catalog_2017.toml``.
"""

from __future__ import annotations

from govmon.rules.facts import (
    ASSIGNED,
    DELIVERED,
    DETECTED,
    DISPUTED,
    FOUND,
    INTERPRETED,
    ISSUED,
    REGISTERED,
    RESPONDED,
    SUBMITTED,
    ItemFacts,
    Mark,
)
from govmon.rules.instants import US_PER_HOUR, US_PER_SECOND, day_of, year_of
from govmon.rules.law import Law
from govmon.rules.verdicts import (
    Breach,
    Clock,
    Credit,
    ItemAssessment,
    Note,
    Registration,
    earliest,
)
from govmon.rules.workdays import CalendarGapError, WorkCalendar


def visible(facts: ItemFacts, as_of: int) -> tuple[list[Mark], int | None]:
    """Marks visible at ``as_of`` (in order: facts keep them sorted) and the instant of
    the first hidden one, which is when the verdict may change next."""
    marks = facts.marks
    if not marks or marks[-1].at <= as_of:
        return marks, None  # the usual case in replay: everything is visible
    shown = [m for m in marks if m.at <= as_of]
    return shown, marks[len(shown)].at


def orphan(facts: ItemFacts, marks: list[Mark], future: int | None) -> ItemAssessment:
    """Follow-ups whose creation event has not arrived (yet): nothing to judge."""
    if not marks:
        return ItemAssessment(facts.key, None, next_due=future)
    note = Note("orphan", facts.item_id, None, year_of(marks[0].at),
                f"{facts.kind} events without their creation event",
                tuple(m.event_id for m in marks))
    return ItemAssessment(facts.key, None, notes=(note,), next_due=future)


def _timed(rules: tuple[str, str], ref: str, unit: str, created: Mark, deadline: int,
           first: Mark | None, as_of: int, details: tuple[str, str]) -> Breach | Clock | None:
    """The shared verdict of "first response by the deadline" rules.

    ``rules`` and ``details`` are (late, missing): a response after the deadline is
    late; none at all while the deadline has passed is missing - judged at ``as_of``,
    so a missing response that comes later turns the verdict into late.
    """
    if first is not None and first.at <= deadline:
        return None
    if first is not None:
        return Breach(rules[0], ref, unit, deadline, year_of(deadline),
                      (created.event_id, first.event_id), deadline, None, details[0])
    if as_of > deadline:
        return Breach(rules[1], ref, unit, deadline, year_of(deadline), (created.event_id,),
                      deadline, None, details[1])
    return Clock(rules[1], ref, unit, created.at, deadline)


def _collect(facts: ItemFacts, unit: str, verdicts: list[Breach | Clock | None],
             credits: tuple[Credit, ...] = (), notes: tuple[Note, ...] = (),
             future: int | None = None) -> ItemAssessment:
    breaches: list[Breach] = []
    clocks: list[Clock] = []
    due = future
    for verdict in verdicts:
        if isinstance(verdict, Breach):
            breaches.append(verdict)
        elif verdict is not None:
            clocks.append(verdict)
            if verdict.deadline is not None:
                due = earliest(due, verdict.deadline + 1)
    return ItemAssessment((facts.kind, facts.item_id), unit, tuple(breaches), tuple(clocks),
                          credits, notes, due)


def assess_policy(facts: ItemFacts, calendar: WorkCalendar, law: Law,
                  as_of: int) -> ItemAssessment:
    marks, future = visible(facts, as_of)
    created = marks[0] if marks and marks[0].what == ISSUED else next(
        (m for m in marks if m.what == ISSUED), None)
    if created is None:
        return orphan(facts, marks, future)
    unit = created.unit_id or ""
    first: Mark | None = None
    credits: tuple[Credit, ...] = ()
    for mark in marks:
        if mark.what == INTERPRETED:
            if first is None:
                first = mark
            if mark.arg:  # by the principal: counts for the year-end rule, in its own year
                credits += (Credit("principal_interpretation", unit, year_of(mark.at),
                                   facts.item_id, mark.event_id),)
    issue_day = day_of(created.at)
    try:
        deadline = calendar.end_of_working_day_after(issue_day,
                                                     law.interpretation_days(issue_day))
    except CalendarGapError as gap:
        note = Note("calendar_gap", facts.item_id, unit, gap.year,
                    f"the interpretation deadline reaches into {gap.year}, which the "
                    f"working-day calendar does not cover", (created.event_id,))
        clock = Clock("interpretation_missing", facts.item_id, unit, created.at, None,
                      detail=f"deadline in {gap.year}, beyond the calendar")
        return ItemAssessment(facts.key, unit, clocks=(clock,), credits=credits,
                              notes=(note,), next_due=future)
    if first is not None and first.at <= deadline:  # the usual case: on time
        return ItemAssessment((facts.kind, facts.item_id), unit, (), (), credits, (), future)
    verdict = _timed(("interpretation_late", "interpretation_missing"), facts.item_id, unit,
                     created, deadline, first, as_of,
                     ("interpreted after the deadline", "no interpretation by the deadline"))
    return _collect(facts, unit, [verdict], credits, future=future)


def assess_incident(facts: ItemFacts, law: Law, as_of: int) -> ItemAssessment:
    marks, future = visible(facts, as_of)
    created = next((m for m in marks if m.what == DETECTED), None)
    if created is None:
        return orphan(facts, marks, future)
    unit = created.unit_id or ""
    windows = law.opinion_windows(day_of(created.at))
    if created.text not in windows.levels:
        return ItemAssessment(facts.key, unit, next_due=future)  # no window for this level
    verdicts: list[Breach | Clock | None] = []
    for action, hours, seconds, rule in (
            ("authoritative_info", windows.authoritative_info_hours,
             windows.authoritative_info_seconds, "opinion_info_late"),
            ("press_conference", windows.press_conference_hours,
             windows.press_conference_seconds, "opinion_press_late")):
        first = next((m for m in marks if m.what == RESPONDED and m.text == action), None)
        # Clock hours, not working days (seconds: test laws only, see law.py).
        window, span = ((seconds * US_PER_SECOND, f"{seconds} s") if seconds is not None
                        else (hours * US_PER_HOUR, f"{hours} h"))
        deadline = created.at + window
        verdicts.append(_timed((rule, rule), facts.item_id, unit, created, deadline, first,
                               as_of, (f"{action} after {span}",
                                       f"no {action} within {span}")))
    return _collect(facts, unit, verdicts, future=future)


def assess_task(facts: ItemFacts, as_of: int) -> ItemAssessment:
    marks, future = visible(facts, as_of)
    created = next((m for m in marks if m.what == ASSIGNED), None)
    if created is None:
        return orphan(facts, marks, future)
    unit, due, required = created.unit_id or "", created.arg, set(created.names)
    deliveries = [m for m in marks if m.what == DELIVERED]
    on_time = {name for m in deliveries if m.at <= due for name in m.names} & required
    if on_time == required:
        return ItemAssessment(facts.key, unit, next_due=future)  # complete in time: final
    if as_of <= due:
        clock = Clock("datashare_missing", facts.item_id, unit, created.at, due,
                      detail=f"{len(required) - len(on_time)} of {len(required)} datasets due")
        return _collect(facts, unit, [clock], future=future)
    delivered = {n for m in deliveries for n in m.names} & required
    if not delivered:
        rule, detail = "datashare_missing", "nothing delivered"
    elif delivered == required:
        rule, detail = "datashare_late", "all delivered, some after the due time"
    else:
        rule, detail = "datashare_incomplete", (
            f"{len(required) - len(delivered)} of {len(required)} datasets missing")
    evidence = (created.event_id, *(m.event_id for m in deliveries))
    breach = Breach(rule, facts.item_id, unit, due, year_of(due), evidence, due, None, detail)
    return _collect(facts, unit, [breach], future=future)


def assess_dispute(facts: ItemFacts, as_of: int) -> ItemAssessment:
    marks, future = visible(facts, as_of)
    liable = [m for m in marks if m.what == DISPUTED and m.arg]
    first = next((m for m in marks if m.what == DISPUTED), None)
    if not liable:
        return ItemAssessment(facts.key, first.unit_id if first else None, next_due=future)
    mark = liable[0]  # dated by the first finding of liability
    unit = mark.unit_id or ""
    breach = Breach("dispute_liable", facts.item_id, unit, mark.at, year_of(mark.at),
                    (mark.event_id,), None, None, f"case {mark.text}")
    return ItemAssessment(facts.key, unit, breaches=(breach,), next_due=future)


def assess_report(facts: ItemFacts, as_of: int) -> ItemAssessment:
    marks, future = visible(facts, as_of)
    created = next((m for m in marks if m.what == SUBMITTED), None)
    if created is None:
        return ItemAssessment(facts.key, None, next_due=future)
    unit = created.unit_id or ""
    credit = Credit("report", unit, year_of(created.at), facts.item_id, created.event_id)
    return ItemAssessment(facts.key, unit, credits=(credit,), next_due=future)


def assess_finding(facts: ItemFacts, as_of: int) -> ItemAssessment:
    marks, future = visible(facts, as_of)
    created = next((m for m in marks if m.what == FOUND), None)
    if created is None:
        return ItemAssessment(facts.key, None, next_due=future)
    unit = created.unit_id or ""
    breach = Breach("inspection_finding", facts.item_id, unit, created.at,
                    year_of(created.at), (created.event_id,), None, created.points,
                    created.text or "")
    return ItemAssessment(facts.key, unit, breaches=(breach,), next_due=future)


def assess_unit(facts: ItemFacts, as_of: int) -> ItemAssessment:
    marks, future = visible(facts, as_of)
    registrations = [m for m in marks if m.what == REGISTERED]
    if not registrations:
        return ItemAssessment(facts.key, facts.item_id, next_due=future)
    history = tuple(Registration(m.at, m.text or "", m.names[0] if m.names else None)
                    for m in registrations)
    latest = history[-1]
    return ItemAssessment(facts.key, facts.item_id, next_due=future, category=latest.category,
                          name=latest.name, registrations=history)
