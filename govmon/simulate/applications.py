"""Lifecycle of one application for disclosure (依申请公开) or a service.

Received in office hours on a working day; perhaps corrected (补正, the clock restarts),
suspended for a third party's opinion and resumed, extended, withdrawn; then replied in
time (most), late (~8 %, a few placed just after Spring Festival / National Day) or never
(~2 %); a few end in reconsideration or litigation.  "N working days" is approximated
with ``chinese_calendar``: the day of receipt is not counted.
"""

from __future__ import annotations

from math import sqrt

from govmon.simulate.schedule import Schedule
from govmon.simulate.units import Unit
from govmon.simulate.workdays import DAY, next_office_time

DISCLOSURE_LIMIT = 15  # working days (政府信息公开条例)
SERVICE_LIMITS = (5, 5, 7, 10, 10, 15, 20)
EXTRA_DAYS = (5, 10, 15, 15, 15, 20)
LATE_BY = (1, 1, 1, 1, 2, 2, 3, 3, 4, 5, 7, 10)

P_SERVICE = 0.2
P_WITHDRAWN = 0.02
P_CORRECTED = 0.05
P_SUSPENDED = 0.03
P_EXTENDED = 0.07
P_NEVER = 0.02
P_LATE = 0.08
P_BOUNDARY = 0.06  # replied on the last allowed day
P_AFTER_BREAK = 0.4  # when a long holiday falls inside the window: reply just after it

SUSPEND_REASONS = ("征求第三方意见", "需会商相关部门意见", "涉及第三方权益，书面征求意见")
RESUME_REASONS = ("第三方意见已反馈", "第三方逾期未答复，恢复办理", "会商意见已回复")

RECEIVED = "gov.application.received"


def prepare(units: list[Unit]) -> None:
    """Per-unit reply behaviour: sloppier units miss and overrun more."""
    for unit in units:
        unit.p_never = min(P_NEVER * unit.sloppiness, 0.2)
        unit.p_late = min(P_LATE * unit.sloppiness, 0.4)


def application(s: Schedule, unit: Unit, t0: int) -> None:
    rng, cal = s.rng, s.cal
    random_ = rng.random
    case = s.new_id(unit, "ysq")
    source = unit.sources["ysq"]
    if random_() < P_SERVICE:
        limit = SERVICE_LIMITS[int(random_() * len(SERVICE_LIMITS))]
        s.push(t0, RECEIVED, source, case, {"case_id": case, "unit_id": unit.unit_id,
                                            "kind": "service", "limit_days": limit})
    else:
        limit = DISCLOSURE_LIMIT
        s.push(t0, RECEIVED, source, case, {"case_id": case, "unit_id": unit.unit_id,
                                            "kind": "disclosure"})
    t = t0
    start = t0 // DAY
    if random_() < P_WITHDRAWN:
        t = next_office_time(rng, cal, cal.shift(start, rng.randint(1, 8)), t)
        s.push(t, "gov.application.withdrawn", source, case, {"case_id": case})
        return
    if random_() < P_CORRECTED:
        t = next_office_time(rng, cal, cal.shift(start, rng.randint(1, 7)), t)
        s.push(t, "gov.application.corrected", source, case, {"case_id": case})
        start = t // DAY
    paused = 0
    if random_() < P_SUSPENDED:
        t = next_office_time(rng, cal, cal.shift(t // DAY, rng.randint(2, 6)), t)
        s.push(t, "gov.application.suspended", source, case,
               {"case_id": case, "reason": rng.choice(SUSPEND_REASONS)})
        resumed = next_office_time(rng, cal, cal.shift(t // DAY, rng.randint(4, 15)), t)
        s.push(resumed, "gov.application.resumed", source, case,
               {"case_id": case, "reason": rng.choice(RESUME_REASONS)})
        paused = cal.count_between(t // DAY, resumed // DAY)
        t = resumed
    due = cal.shift(start, limit + paused)
    if random_() < (P_EXTENDED if limit == DISCLOSURE_LIMIT else P_EXTENDED / 2):
        day = max(cal.shift(start, max(limit + paused - rng.randint(0, 5), 1)), t // DAY)
        extended = next_office_time(rng, cal, day, t)
        if extended // DAY <= due:
            extra = rng.choice(EXTRA_DAYS)
            s.push(extended, "gov.application.extended", source, case,
                   {"case_id": case, "extra_days": extra})
            t = extended
            due = cal.shift(start, limit + paused + extra)
    _reply(s, unit, case, source, t, due)


def _reply(s: Schedule, unit: Unit, case: str, source: str, t: int, due: int) -> None:
    rng, cal = s.rng, s.cal
    random_ = rng.random
    draw = random_()
    if draw < unit.p_never:
        _dispute(s, unit, case, due, late=True, p=0.25)
        return
    late = draw < unit.p_never + unit.p_late
    today = t // DAY
    if late:
        day = cal.shift(max(due, today), LATE_BY[int(random_() * len(LATE_BY))])
        brk = cal.break_between(due, day + 10)
        if brk is not None and due < brk[0] and rng.random() < P_AFTER_BREAK:
            day = cal.shift(brk[1], rng.randint(0, 2))  # "we were on holiday"
    else:
        after = cal.after  # hot path: cal.count_between / cal.shift inlined
        remaining = after[due] - after[today]
        brk = cal.next_break[today]
        if remaining == 0 or random_() < P_BOUNDARY:
            day = due
        elif brk is not None and brk[1] <= due and random_() < P_AFTER_BREAK:
            day = min(cal.shift(brk[1], rng.randint(0, 1)), due)  # looks late, is not
        else:  # triangular over the allowed working days, mode at 30 %
            u = random_()
            x = sqrt(u * 0.3) if u < 0.3 else 1.0 - sqrt((1.0 - u) * 0.7)
            day = cal.workdays[after[today] + max(1, round(x * remaining)) - 1]
    replied = next_office_time(rng, cal, day, t)
    if s.push(replied, "gov.application.replied", source, case, {"case_id": case}) and (
            random_() < (0.12 if late else 0.03)):
        _dispute(s, unit, case, replied // DAY, late=late, p=1.0)


def _dispute(s: Schedule, unit: Unit, case: str, after: int, *, late: bool, p: float) -> None:
    rng, cal = s.rng, s.cal
    if rng.random() >= p:
        return
    litigation = rng.random() < 0.25
    day = cal.shift(after, rng.randint(15, 80) if litigation else rng.randint(5, 40))
    t = next_office_time(rng, cal, day, after * DAY)
    if t >= s.year_end:  # only disputes raised within the year
        return
    s.push(t, "gov.application.disputed", unit.sources["ysq"], case, {
        "dispute_id": s.new_id(unit, "fy"), "case_id": case, "unit_id": unit.unit_id,
        "kind": "litigation" if litigation else "reconsideration",
        "liable": rng.random() < (0.55 if late else 0.15),
    })
