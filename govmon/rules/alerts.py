"""Warning instants before an open clock breaches (for the notifier).

Working-day clocks warn when only N working days are left (at 00:00 of the N-th
working day counted back from the deadline day) and when a fraction of the allowed
working days has been used (at the end of that day).  Clocks measured in hours or to a
due instant warn at the same fraction of their elapsed time, and N working days before
the due instant at the same time of day.
"""

from __future__ import annotations

from math import floor

from govmon.rules.assess import assess_item
from govmon.rules.cases import counted_deadline_day
from govmon.rules.facts import ItemFacts
from govmon.rules.instants import US_PER_DAY, day_end, day_of, day_start
from govmon.rules.law import Law
from govmon.rules.verdicts import Alert, AlertPolicy, Clock
from govmon.rules.workdays import CalendarGapError, WorkCalendar


def clock_alerts(clock: Clock, calendar: WorkCalendar, policy: AlertPolicy) -> list[Alert]:
    """All warning instants of one clock, strictly between its start and its deadline."""
    if clock.deadline is None:
        return []  # paused or beyond the calendar: nothing to warn about yet
    deadline = clock.deadline
    found: dict[int, str] = {}
    try:
        for left in policy.working_days_before:
            if clock.start_day is not None:
                at = day_start(calendar.nth_working_day_back(day_of(deadline), left))
            else:
                back = calendar.nth_working_day_back(day_of(deadline) - 1, left)
                at = deadline - (day_of(deadline) - back) * US_PER_DAY
            found.setdefault(at, f"{left} working day{'s' if left > 1 else ''} left")
        for fraction in policy.fractions:
            label = f"{fraction:.0%} of the time used"
            if clock.start_day is not None:
                used = floor(clock.days * fraction)
                if used >= 1:
                    day = counted_deadline_day(calendar, clock.start_day, used, clock.pauses)
                    found.setdefault(day_end(day) + 1, label)
            else:
                found.setdefault(clock.opened + floor((deadline - clock.opened) * fraction),
                                 label)
    except CalendarGapError:
        pass  # an alert we cannot place is skipped; the deadline itself is known
    return sorted(
        (Alert(clock.rule, clock.ref, clock.unit_id, at, deadline, reason)
         for at, reason in found.items() if clock.opened < at <= deadline),
        key=lambda a: (a.at, a.reason))


def alerts(facts: ItemFacts, calendar: WorkCalendar, law: Law, as_of: int,
           policy: AlertPolicy | None = None) -> list[Alert]:
    """Warning instants for the item's open clocks as known at ``as_of`` (past ones
    included: the caller knows which it has already sent)."""
    chosen = policy or AlertPolicy()
    assessment = assess_item(facts, calendar, law, as_of)
    result: list[Alert] = []
    for clock in assessment.clocks:
        result.extend(clock_alerts(clock, calendar, chosen))
    return sorted(result, key=lambda a: (a.at, a.rule, a.reason))
