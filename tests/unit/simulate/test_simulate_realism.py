"""What a reviewer looks at: office hours on working days, and plausible proportions.

Deadlines are recomputed here independently with ``chinese_calendar`` (receipt day not
counted; suspension pauses; an extension adds working days; a correction restarts).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

import chinese_calendar

from govmon.simulate import generate
from govmon.simulate.yearly import FINDINGS

OFFICE = {"gov.application.received", "gov.application.replied", "gov.application.extended",
          "gov.application.suspended", "gov.application.resumed", "gov.application.corrected",
          "gov.application.withdrawn", "gov.application.disputed", "gov.policy.issued",
          "gov.policy.interpreted", "gov.report.submitted", "gov.datashare.assigned",
          "gov.datashare.delivered", "gov.inspection.finding"}


@lru_cache(maxsize=1)
def big_year() -> tuple[dict[str, Any], ...]:
    return tuple(generate(year=2017, units=120, events=60_000, seed=11))


@cache
def is_workday(day: date) -> bool:
    return bool(chinese_calendar.is_workday(day))


def workday_after(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        n -= is_workday(day)
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days in (start, end]."""
    return sum(is_workday(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def application_outcomes(events: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    cases: dict[str, dict[str, Any]] = defaultdict(dict)
    for event in events:
        kind = event["type"]
        if not kind.startswith("gov.application."):
            continue
        case = cases[event["data"]["case_id"]]
        case.setdefault(kind.rsplit(".", 1)[1], datetime.fromisoformat(event["time"]))
        if kind == "gov.application.received":
            case["limit"] = event["data"].get("limit_days") or 15
        elif kind == "gov.application.extended":
            case["extra"] = event["data"]["extra_days"]
        elif kind == "gov.application.disputed":
            case["liable"] = event["data"]["liable"]
    counts: Counter[str] = Counter()
    straddling_on_time = 0
    for case in cases.values():
        if "withdrawn" in case:
            counts["withdrawn"] += 1
            continue
        start = (case.get("corrected") or case["received"]).date()
        paused = 0
        if "resumed" in case:
            paused = workdays_between(case["suspended"].date(), case["resumed"].date())
        due = workday_after(start, case["limit"] + paused + case.get("extra", 0))
        if "replied" not in case:
            counts["never" if due < date(2018, 1, 20) else "open"] += 1
        elif case["replied"].date() > due:
            counts["late"] += 1
        else:
            counts["on_time"] += 1
            if (case["replied"].date() - start).days > 30:  # a holiday inside the window
                straddling_on_time += 1
        for step in ("extended", "suspended", "corrected", "disputed"):
            counts[step] += step in case
        counts["liable"] += case.get("liable", False)
    return {"cases": len(cases), "straddling_on_time": straddling_on_time, **counts}


def test_office_hours_on_working_days() -> None:
    for event in big_year():
        t = datetime.fromisoformat(event["time"])
        if event["type"] in OFFICE:
            assert is_workday(t.date()), event
            minutes = t.hour * 60 + t.minute
            assert 8 * 60 + 30 <= minutes < 12 * 60 or 14 * 60 <= minutes < 17 * 60 + 30, event


def test_application_proportions() -> None:
    out = application_outcomes(big_year())
    decided = out["on_time"] + out["late"] + out["never"]
    assert out["cases"] > 10_000
    assert 0.05 <= out["late"] / decided <= 0.12, out
    assert 0.01 <= out["never"] / decided <= 0.04, out
    assert 0.01 <= out["withdrawn"] / out["cases"] <= 0.04, out
    for step, low, high in (("extended", 0.03, 0.09), ("suspended", 0.015, 0.05),
                            ("corrected", 0.03, 0.08), ("disputed", 0.02, 0.07)):
        assert low <= out[step] / out["cases"] <= high, (step, out)
    assert 0.2 <= out["liable"] / out["disputed"] <= 0.45, out
    assert out["straddling_on_time"] > 10, out  # on time only counting working days


def test_late_replies_cluster_after_long_holidays() -> None:
    replied_after_break = Counter(
        datetime.fromisoformat(e["time"]).date() for e in big_year()
        if e["type"] == "gov.application.replied")
    national_day_back, usual = date(2017, 10, 9), date(2017, 10, 24)
    assert replied_after_break[national_day_back] > replied_after_break[usual]


def test_services_have_limits_and_most_are_disclosure() -> None:
    received = [e["data"] for e in big_year() if e["type"] == "gov.application.received"]
    services = [d for d in received if d["kind"] == "service"]
    assert 0.12 <= len(services) / len(received) <= 0.3
    assert {d["limit_days"] for d in services} <= set(range(5, 21))
    assert all("limit_days" not in d for d in received if d["kind"] == "disclosure")


def test_more_applications_in_some_months() -> None:
    months = Counter(e["time"][5:7] for e in big_year()
                     if e["type"] == "gov.application.received")
    assert max(months.values()) > 1.4 * min(months.values())


def test_policies_interpreted_mostly_within_three_working_days() -> None:
    issued: dict[str, datetime] = {}
    delays: list[int] = []
    by_principal: dict[str, int] = Counter()
    unit_of: dict[str, str] = {}
    for event in big_year():
        data = event["data"]
        if event["type"] == "gov.policy.issued":
            issued[data["policy_id"]] = datetime.fromisoformat(event["time"])
            unit_of[data["policy_id"]] = data["unit_id"]
            by_principal[data["unit_id"]] += 0
        elif event["type"] == "gov.policy.interpreted":
            start = issued[data["policy_id"]].date()
            delays.append(workdays_between(start, datetime.fromisoformat(event["time"]).date()))
            by_principal[unit_of[data["policy_id"]]] += data["by_principal"]
    on_time = sum(d <= 3 for d in delays) / len(delays)
    assert 0.75 <= on_time <= 0.93
    assert 0.02 <= 1 - len(delays) / len(issued) <= 0.1  # never interpreted
    assert any(count == 0 for count in by_principal.values())
    assert sum(count > 0 for count in by_principal.values()) > 0.7 * len(by_principal)


def test_opinion_responses() -> None:
    detected: dict[str, tuple[str, datetime]] = {}
    first: dict[tuple[str, str], float] = {}
    for event in big_year():
        data = event["data"]
        if event["type"] == "gov.opinion.detected":
            detected[data["incident_id"]] = (data["level"], datetime.fromisoformat(event["time"]))
        elif event["type"] == "gov.opinion.responded":
            _, at = detected[data["incident_id"]]
            hours = (datetime.fromisoformat(event["time"]) - at).total_seconds() / 3600
            first.setdefault((data["incident_id"], data["action"]), hours)
    levels = Counter(level for level, _ in detected.values())
    assert levels["general"] > levels["large"] > levels["major"] > levels["especially_major"] > 0
    serious = [i for i, (level, _) in detected.items() if level in ("major", "especially_major")]
    info = [first[(i, "authoritative_info")] for i in serious if (i, "authoritative_info") in first]
    press = [first[(i, "press_conference")] for i in serious if (i, "press_conference") in first]
    assert 0.75 <= sum(h <= 5 for h in info) / len(serious) <= 0.97
    assert 0.6 <= sum(h <= 24 for h in press) / len(serious) <= 0.9
    assert len(press) < len(serious)  # some never held


def test_datashare_tasks() -> None:
    assigned: dict[str, dict[str, Any]] = {}
    delivered: dict[str, list[tuple[datetime, list[str]]]] = defaultdict(list)
    for event in big_year():
        data = event["data"]
        if event["type"] == "gov.datashare.assigned":
            assigned[data["task_id"]] = data
            assert datetime.fromisoformat(data["due"]).year == 2017
        elif event["type"] == "gov.datashare.delivered":
            delivered[data["task_id"]].append((datetime.fromisoformat(event["time"]),
                                               data["datasets"]))
    outcome: Counter[str] = Counter()
    for task, data in assigned.items():
        got = delivered.get(task, [])
        sets = {name for _, names in got for name in names}
        assert sets <= set(data["datasets"])
        due = datetime.fromisoformat(data["due"])
        if not got:
            outcome["none"] += 1
        elif sets != set(data["datasets"]):
            outcome["partial"] += 1
        elif max(t for t, _ in got) > due:
            outcome["late"] += 1
        else:
            outcome["on_time_multi" if len(got) > 1 else "on_time"] += 1
    assert min(outcome.values()) > 0 and len(outcome) == 5, outcome
    assert outcome["on_time"] + outcome["on_time_multi"] > 0.6 * len(assigned)


def test_reports_and_findings() -> None:
    events = big_year()
    category = {e["data"]["unit_id"]: e["data"]["category"] for e in events
                if e["type"] == "gov.unit.registered"}
    reports = Counter(e["data"]["unit_id"] for e in events if e["type"] == "gov.report.submitted")
    county = [reports[u] for u, c in category.items() if c == "county"]
    municipal = [reports[u] for u, c in category.items() if c == "municipal"]
    assert 10 <= statistics.median(county) <= 16
    assert any(n < 12 for n in county)
    assert statistics.median(municipal) <= 6
    findings = [e["data"] for e in events if e["type"] == "gov.inspection.finding"]
    assert 0 < len(findings) < len(category)
    known = {indicator for indicator, *_ in FINDINGS}
    for finding in findings:
        assert finding["indicator"] in known
        assert 0.5 <= finding["points"] <= 2
        assert finding["note"]
