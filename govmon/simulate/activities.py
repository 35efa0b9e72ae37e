"""Lifecycles of policies (issued, interpreted), opinion incidents and data-sharing tasks.

Rules of 2017 they exercise: interpretation within 3 working days and at least one by
the principal a year; for major / especially major incidents authoritative information
within 5 hours and a press conference within 24 hours; data-sharing deliveries by due.
"""

from __future__ import annotations

from govmon.simulate.schedule import Schedule
from govmon.simulate.units import Unit
from govmon.simulate.workdays import DAY, HOUR, next_office_time

# --- policies --------------------------------------------------------------------------

P_POLICY_NEVER = 0.05
P_POLICY_LATE = 0.10
ON_TIME_OFFSET = (0, 0, 0, 0, 1, 1, 1, 2, 2, 3)  # working days after issue
LATE_OFFSET = (4, 4, 5, 5, 6, 7, 8, 10, 12, 15)


def policy(s: Schedule, unit: Unit, t0: int) -> None:
    rng, cal = s.rng, s.cal
    random_ = rng.random
    policy_id = s.new_id(unit, "zc")
    source = unit.sources["oa"]
    s.push(t0, "gov.policy.issued", source, policy_id,
           {"policy_id": policy_id, "unit_id": unit.unit_id})
    draw = random_()
    p_never = min(P_POLICY_NEVER * unit.sloppiness, 0.3)
    if draw < p_never:
        return
    late = draw < p_never + min(P_POLICY_LATE * unit.sloppiness, 0.4)
    offset = (LATE_OFFSET if late else ON_TIME_OFFSET)[int(random_() * 10)]
    day = cal.shift(t0 // DAY, offset) if offset else t0 // DAY
    t = next_office_time(rng, cal, day, t0)
    # the principal interprets at least one policy a year (most units), a few more by chance
    by_principal = random_() < unit.principal_rate or (
        not unit.had_principal and t >= unit.principal_from * DAY)
    unit.had_principal = unit.had_principal or by_principal
    s.push(t, "gov.policy.interpreted", source, policy_id,
           {"policy_id": policy_id, "by_principal": by_principal})


# --- opinion incidents -----------------------------------------------------------------

LEVELS = ("general", "large", "major", "especially_major")
LEVEL_WEIGHTS = (0.62, 0.28, 0.08, 0.02)
# level: (p authoritative info, p within limit, on-time hours, late hours)
AUTHORITATIVE = {
    "especially_major": (0.98, 0.88, (0.3, 4.9), (5.2, 30.0)),
    "major": (0.96, 0.86, (0.5, 4.9), (5.2, 36.0)),
    "large": (0.92, 0.85, (0.5, 12.0), (12.0, 72.0)),
    "general": (0.75, 0.85, (1.0, 24.0), (24.0, 120.0)),
}
PRESS = {
    "especially_major": (0.92, 0.85, (3.0, 23.8), (24.5, 96.0)),
    "major": (0.88, 0.82, (4.0, 23.8), (24.5, 120.0)),
    "large": (0.2, 0.7, (12.0, 48.0), (48.0, 168.0)),
    "general": (0.02, 0.7, (24.0, 72.0), (72.0, 240.0)),
}


def opinion(s: Schedule, unit: Unit, t0: int) -> None:
    rng = s.rng
    incident = s.new_id(unit, "yq")
    source = unit.sources["yuqing"]
    level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
    s.push(t0, "gov.opinion.detected", source, incident,
           {"incident_id": incident, "unit_id": unit.unit_id, "level": level})
    for action, table in (("authoritative_info", AUTHORITATIVE), ("press_conference", PRESS)):
        p_respond, p_on_time, on_time, late = table[level]
        miss = (1 - p_respond) * unit.sloppiness
        if rng.random() < miss:
            continue
        slow = (1 - p_on_time) * unit.sloppiness
        low, high = late if rng.random() < slow else on_time
        t = t0 + int(rng.uniform(low, high) * HOUR)
        s.push(t, "gov.opinion.responded", source, incident,
               {"incident_id": incident, "action": action})
        if action == "authoritative_info" and level in ("major", "especially_major"):
            for _ in range(rng.randint(1, 3)):  # 持续发布权威信息
                t += int(rng.uniform(6, 72) * HOUR)
                s.push(t, "gov.opinion.responded", source, incident,
                       {"incident_id": incident, "action": action})


# --- data-sharing tasks ----------------------------------------------------------------

P_SHARE_NONE = 0.05
P_SHARE_PARTIAL = 0.08
P_SHARE_LATE = 0.12
P_SHARE_SPLIT = 0.25


def datashare(s: Schedule, unit: Unit, t0: int) -> None:
    rng, cal = s.rng, s.cal
    task = s.new_id(unit, "sj")
    source = unit.sources["datashare"]
    datasets = rng.sample(unit.datasets, rng.randint(1, min(6, len(unit.datasets))))
    due = max(min(cal.shift(t0 // DAY, rng.randint(15, 45)), cal.last_workday),
              t0 // DAY + 1)
    s.push(t0, "gov.datashare.assigned", source, task, {
        "task_id": task, "unit_id": unit.unit_id,
        "due": cal.format(due * DAY + DAY - 1), "datasets": list(datasets)})
    sloppy = unit.sloppiness
    draw = rng.random()
    if draw < P_SHARE_NONE * sloppy:
        return
    if draw < (P_SHARE_NONE + P_SHARE_PARTIAL) * sloppy and len(datasets) > 1:
        datasets = datasets[: rng.randint(1, len(datasets) - 1)]
    late = rng.random() < P_SHARE_LATE * sloppy
    parts = rng.randint(2, min(3, len(datasets))) if (
        len(datasets) > 1 and rng.random() < P_SHARE_SPLIT) else 1
    cuts = sorted(rng.sample(range(1, len(datasets)), parts - 1)) if parts > 1 else []
    chunks = [datasets[a:b] for a, b in zip([0, *cuts], [*cuts, len(datasets)], strict=True)]
    t = t0
    window = max(cal.count_between(t0 // DAY, due), 1)
    for i, chunk in enumerate(chunks):
        if late and i == len(chunks) - 1:
            day = cal.shift(max(due, t // DAY), rng.randint(1, 20))
        else:
            step = max(1, round(rng.triangular(1, window / len(chunks) + 1, window / 3 + 1)))
            day = min(cal.shift(t // DAY, step), due)
        t = next_office_time(rng, cal, day, t)
        s.push(t, "gov.datashare.delivered", source, task,
               {"task_id": task, "datasets": list(chunk)})
