"""Application cases (依申请公开 / 政务服务): the reply clock.

The counting conventions (extension, suspension, correction, withdrawal, what happens
after a breach) are documented in ``data/law.toml`` next to the limits themselves.
"""

from __future__ import annotations

from govmon.rules.facts import (
    CORRECTED,
    EXTENDED,
    RECEIVED,
    REPLIED,
    RESUMED,
    SUSPENDED,
    WITHDRAWN,
    ItemFacts,
    Mark,
)
from govmon.rules.instants import _OFFSET_US, US_PER_DAY, day_end, day_of, year_of, year_start
from govmon.rules.items import orphan, visible
from govmon.rules.law import Law
from govmon.rules.verdicts import Breach, Clock, ItemAssessment, Note, earliest
from govmon.rules.workdays import CalendarGapError, WorkCalendar

Pauses = tuple[tuple[int, int], ...]


def counted_deadline_day(calendar: WorkCalendar, start: int, days: int,
                         pauses: Pauses) -> int:
    """The ``days``-th working day after ``start`` that is not in a pause.

    ``pauses`` are ``(first, last)`` day ranges (both inclusive, sorted by first) whose
    working days do not count.
    """
    current, remaining = start, days
    for first, last in pauses:
        if last <= current:
            continue  # wholly before counting begins
        candidate = calendar.add_working_days(current, remaining)
        if candidate < first:
            return candidate
        # Working days before the pause count; counting resumes after its last day.
        remaining -= calendar.count_working_days(current, max(first, current + 1) - 1)
        current = last
    return calendar.add_working_days(current, remaining)


class _CaseClock:
    """The clock state while walking a case's events in time order."""

    def __init__(self, calendar: WorkCalendar, start: int, days: int) -> None:
        self.calendar = calendar
        self.start = start  # the day counting starts after (receipt or correction day)
        self.base = days
        self.extra = 0
        self.pauses: list[tuple[int, int]] = []
        self.paused_from: int | None = None
        self.gap: int | None = None  # uncovered year the deadline would reach into
        self.deadline: int | None = None
        self.recompute()

    def recompute(self) -> None:
        self.gap = None
        if self.paused_from is not None:
            self.deadline = None
            return
        try:
            day = counted_deadline_day(self.calendar, self.start, self.base + self.extra,
                                       tuple(self.pauses))
        except CalendarGapError as gap:
            self.deadline, self.gap = None, gap.year
            return
        self.deadline = day_end(day)

    def passed_before(self, at: int) -> bool:
        """Had the deadline in force passed by ``at``?"""
        return self.deadline is not None and at > self.deadline

    def unknown_at(self, at: int) -> bool:
        """Is it unknowable whether ``at`` is late (deadline in an uncovered year)?"""
        return self.gap is not None and at >= year_start(self.gap)


def assess_case(facts: ItemFacts, calendar: WorkCalendar, law: Law,
                as_of: int) -> ItemAssessment:
    marks = facts.marks
    count = len(marks)
    # Fast path (most cases, and the replay hot loop): everything visible, receipt
    # first, then at most a reply or withdrawal.  Kept flat: few calls per case.
    if count and marks[-1].at <= as_of:
        created = marks[0]
        if created.what == RECEIVED and (count == 1 or marks[1].what in _OUTCOMES) \
                and count <= 2:
            fast = _simple_case(facts, created, marks[1] if count == 2 else None,
                                calendar, law, as_of)
            if fast is not None:
                return fast
    shown, future = visible(facts, as_of)
    first = next((m for m in shown if m.what == RECEIVED), None)
    if first is None:
        return orphan(facts, shown, future)
    return assess_case_stepwise(facts, first, shown, calendar, law, as_of, future)


_OUTCOMES = (REPLIED, WITHDRAWN)


def _limit(created: Mark, law: Law) -> tuple[str, int]:
    if created.text == "service":
        return "service_overdue", created.arg
    return "reply_overdue", law.reply_days(day_of(created.at))


def _simple_case(facts: ItemFacts, created: Mark, outcome: Mark | None,
                 calendar: WorkCalendar, law: Law, as_of: int) -> ItemAssessment | None:
    """Same verdict as the stepwise walk for a case with no extension, suspension or
    correction; None when the stepwise walk must decide (calendar gap)."""
    start = (created.at + _OFFSET_US) // US_PER_DAY  # day_of inlined: most items are cases
    if created.text == "service":
        rule, limit = "service_overdue", created.arg
    else:
        rule, limit = "reply_overdue", law.reply_days(start)
    try:
        deadline = calendar.end_of_working_day_after(start, limit)
    except CalendarGapError:
        return None
    unit = created.unit_id or ""
    key = (facts.kind, facts.item_id)
    if outcome is None:
        if as_of > deadline:
            return _breach(key, rule, unit, deadline, [created.event_id],
                           "not replied", [], None)
        clock = Clock(rule, facts.item_id, unit, created.at, deadline, start, limit)
        return ItemAssessment(key, unit, (), (clock,), (), (), deadline + 1)
    if outcome.at > deadline:
        detail = ("replied late" if outcome.what == REPLIED
                  else "not replied; withdrawn after the deadline")
        return _breach(key, rule, unit, deadline, [created.event_id, outcome.event_id],
                       detail, [], None)
    return ItemAssessment(key, unit)


def assess_case_stepwise(facts: ItemFacts, created: Mark, marks: list[Mark],
                         calendar: WorkCalendar, law: Law, as_of: int,
                         future: int | None) -> ItemAssessment:
    """The general walk over a case's events in time order (see law.toml)."""
    ref = facts.item_id
    unit = created.unit_id or ""
    rule, limit = _limit(created, law)
    clock = _CaseClock(calendar, day_of(created.at), limit)
    opened = created.at
    evidence = [created.event_id]
    notes: list[Note] = []
    outcome: Mark | None = None
    for mark in marks:
        what = mark.what
        if what == RECEIVED:
            if mark is not created and (mark.unit_id, mark.text, mark.arg) != (
                    created.unit_id, created.text, created.arg):
                notes.append(Note("conflict", ref, unit, year_of(mark.at),
                                  "a second receipt with different data is ignored",
                                  (mark.event_id,)))
            continue
        if what in _OUTCOMES:
            outcome = mark
            break
        if clock.unknown_at(mark.at):
            break  # cannot tell whether it came in time: judged as a calendar gap below
        if clock.passed_before(mark.at):
            notes.append(Note("ignored_after_breach", ref, unit, year_of(mark.at),
                              f"{what} after the deadline changes nothing", (mark.event_id,)))
            continue
        if what == EXTENDED:
            clock.extra += mark.arg
        elif what == SUSPENDED and clock.paused_from is None:
            clock.paused_from = day_of(mark.at)
        elif what == RESUMED and clock.paused_from is not None:
            clock.pauses.append((clock.paused_from, day_of(mark.at)))
            clock.paused_from = None
        elif what == CORRECTED:
            # Restart as if received today: earlier extensions and pauses lapse.
            clock.start, clock.extra, clock.pauses, clock.paused_from = day_of(mark.at), 0, [], None
            opened = mark.at
            evidence = [created.event_id]
        else:
            continue  # an unmatched suspend/resume: nothing to do
        evidence.append(mark.event_id)
        clock.recompute()
    return _verdict(facts, clock, rule, unit, opened, evidence, outcome, notes, as_of, future)


def _verdict(facts: ItemFacts, clock: _CaseClock, rule: str, unit: str, opened: int,
             evidence: list[str], outcome: Mark | None, notes: list[Note], as_of: int,
             future: int | None) -> ItemAssessment:
    ref = facts.item_id
    key = facts.key
    if clock.gap is not None and (outcome is None or outcome.at >= year_start(clock.gap)):
        # The deadline lies in a year without a holiday schedule: we know only that it
        # is no earlier than 1 January of that year.  Say so instead of guessing.
        notes.append(Note("calendar_gap", ref, unit, clock.gap,
                          f"the deadline reaches into {clock.gap}, which the working-day "
                          f"calendar does not cover", tuple(evidence)))
        clocks = () if outcome is not None else (
            Clock(rule, ref, unit, opened, None, clock.start, clock.base + clock.extra,
                  tuple(clock.pauses), f"deadline in {clock.gap}, beyond the calendar"),)
        return ItemAssessment(key, unit, clocks=clocks, notes=tuple(notes), next_due=future)
    if outcome is None:
        if clock.deadline is not None and as_of > clock.deadline:
            return _breach(key, rule, unit, clock.deadline, evidence, "not replied", notes,
                           future)
        open_clock = Clock(rule, ref, unit, opened, clock.deadline, clock.start,
                           clock.base + clock.extra, tuple(clock.pauses),
                           "suspended" if clock.paused_from is not None else "")
        due = clock.deadline + 1 if clock.deadline is not None else None
        return ItemAssessment(key, unit, clocks=(open_clock,), notes=tuple(notes),
                              next_due=earliest(due, future))
    if clock.deadline is not None and outcome.at > clock.deadline:
        detail = ("replied late" if outcome.what == REPLIED
                  # Withdrawn after the deadline had passed: the breach had happened.
                  else "not replied; withdrawn after the deadline")
        return _breach(key, rule, unit, clock.deadline, [*evidence, outcome.event_id],
                       detail, notes, future)
    return ItemAssessment(key, unit, notes=tuple(notes), next_due=future)


def _breach(key: tuple[str, str], rule: str, unit: str, deadline: int, evidence: list[str],
            detail: str, notes: list[Note], future: int | None) -> ItemAssessment:
    breach = Breach(rule, key[1], unit, deadline, year_of(deadline), tuple(evidence),
                    deadline, None, detail)
    return ItemAssessment(key, unit, (breach,), (), (), tuple(notes), future)
