"""Points per category, caps, year-end rules, score, grade and year attribution."""

from __future__ import annotations

import pytest

from govmon.rules import Breach, Credit, UnitInfo, score_unit, year_start
from tests.unit.rules.builders import (
    at,
    catalog,
    disputed,
    finding,
    interpreted,
    issued,
    received,
    report,
    rules_of,
    step,
    unit,
    unit_json,
    year_json,
)

PRINCIPAL = [issued("P0", "2017-02-06T10:00:00"),
             interpreted("P0", "2017-02-07T10:00:00", by_principal=True)]


def finding_score(points: float) -> tuple[float, str]:
    score = score_unit(UnitInfo("U1", "municipal"),
                       [Breach("inspection_finding", "F1", "U1", at("2017-03-01T00:00:00"), 2017,
                               ("e1",), None, points)], [], catalog(), 2017,
                       at("2017-06-01T00:00:00"))
    return score.score, score.grade


@pytest.mark.parametrize(("points", "expected"), [
    (0, (100.0, "excellent")),
    (10, (90.0, "excellent")),
    (10.01, (89.99, "good")),
    (20, (80.0, "good")),
    (20.5, (79.5, "pass")),
    (40, (60.0, "pass")),
    (40.01, (59.99, "fail")),
    (100, (0.0, "fail")),
])
def test_grade_boundaries(points: float, expected: tuple[float, str]) -> None:
    assert finding_score(points) == expected


def test_score_is_not_below_zero() -> None:
    events = [unit("U1"), finding("F1", "2017-03-01T00:00:00", 70),
              finding("F2", "2017-03-02T00:00:00", 60)]
    assert unit_json(year_json(events, as_of="2017-06-01T00:00:00"))["score"] == 0.0


def test_grade_is_taken_on_the_rounded_score() -> None:
    assert finding_score(10.004) == (90.0, "excellent")


def test_reply_overdue_cap_is_five_points() -> None:
    events = [unit("U1"), *PRINCIPAL]
    for i in range(12):
        events += [received(f"C{i}", "2017-03-01T10:00:00"),
                   step("replied", f"C{i}", "2017-04-20T10:00:00")]
    result = unit_json(year_json(events))
    assert len(result["deductions"]) == 12
    assert all(d["points"] == 0.5 for d in result["deductions"])
    assert result["caps"] == [{"group": "reply_overdue", "cap": 5.0, "raw": 6.0, "applied": 5.0}]
    assert result["score"] == 95.0 and result["deducted"] == 5.0


def test_interpretation_rules_share_one_cap_of_four() -> None:
    events = [unit("U1")]
    for i in range(3):
        events.append(issued(f"P{i}", "2017-03-01T10:00:00"))  # all missing: 3 x 2 points
    result = unit_json(year_json(events))  # + principal missing at year end: 1
    assert sorted(d["rule"] for d in result["deductions"]) == [
        "interpretation_missing"] * 3 + ["principal_interpretation_missing"]
    assert result["caps"] == [{"group": "interpretation", "cap": 4.0, "raw": 7.0,
                               "applied": 4.0}]
    assert result["score"] == 96.0


def test_reports_shortfall_for_county_only() -> None:
    events = [unit("UC", "county"), unit("UM", "municipal")]
    for unit_id in ("UC", "UM"):
        events += [issued(f"P-{unit_id}", "2017-02-06T10:00:00", unit_id=unit_id),
                   interpreted(f"P-{unit_id}", "2017-02-07T10:00:00", by_principal=True)]
        events += [report(f"R-{unit_id}-{i}", "2017-05-01T10:00:00", unit_id=unit_id)
                   for i in range(5)]
    result = year_json(events)
    assert rules_of(result, "UC") == [("reports_shortfall", 3.5, None)]  # 7 missing x 0.5
    assert rules_of(result, "UM") == []
    assert unit_json(result, "UC")["score"] == 96.5


def test_reports_shortfall_capped_at_six_and_only_after_the_year() -> None:
    events = [unit("UC", "county"), *[e for e in PRINCIPAL]]
    assert rules_of(year_json(events, as_of="2017-12-31T23:59:59"), "UC") == []
    final = year_json(events)
    assert ("reports_shortfall", 6.0, None) in rules_of(final, "UC")


def test_redelivered_reports_count_once() -> None:
    events = [unit("UC", "county")]
    once = report("R1", "2017-05-01T10:00:00", unit_id="UC", id="r1")
    events += [once, once] + [report(f"R{i}", "2017-05-01T10:00:00", unit_id="UC")
                              for i in range(2, 12)]
    assert ("reports_shortfall", 0.5, None) in rules_of(year_json(events), "UC")


def test_deadline_across_new_year_belongs_to_the_next_year() -> None:
    # 2017-12-20 (Wed): Dec 21-22, 25-29 (1-7), Dec 30-Jan 1 off, Jan 2-5 (8-11),
    # Jan 8-11 (12-15): deadline 2018-01-11.
    events = [unit("U1"), received("C1", "2017-12-20T10:00:00"),
              step("replied", "C1", "2018-01-12T09:00:00")]
    result_2017 = year_json(events, year=2017)
    assert [r for r in rules_of(result_2017) if r[0] == "reply_overdue"] == []
    result_2018 = year_json(events, year=2018)
    assert ("reply_overdue", 0.5, "C1") in rules_of(result_2018)
    flag = next(f for f in result_2018["flags"] if f["kind"] == "breach")
    assert flag["deadline"] == "2018-01-11T23:59:59+08:00"


def test_open_case_at_year_end_is_flagged_in_its_receipt_year() -> None:
    events = [unit("U1"), received("C1", "2017-12-20T10:00:00")]
    flags = year_json(events, year=2017)["flags"]
    assert [(f["kind"], f["ref"], f["deadline"]) for f in flags] == [
        ("open", "C1", "2018-01-11T23:59:59+08:00")]


def test_events_are_dated_by_shanghai_year() -> None:
    events = [unit("U1"),
              disputed("D1", "C1", "2017-12-31T15:30:00Z", liable=True),  # 23:30 Shanghai
              disputed("D2", "C1", "2017-12-31T16:30:00Z", liable=True)]  # 00:30 on Jan 1
    assert [r[2] for r in rules_of(year_json(events, year=2017))
            if r[0] == "dispute_liable"] == ["D1"]
    assert [r[2] for r in rules_of(year_json(events, year=2018))
            if r[0] == "dispute_liable"] == ["D2"]


def test_unregistered_unit_is_scored_as_municipal_and_flagged() -> None:
    events = [received("C1", "2017-03-01T10:00:00", unit_id="UX")]
    result = year_json(events)
    ux = unit_json(result, "UX")
    assert ux["category"] is None and ux["scored_as"] == "municipal"
    assert [d["rule"] for d in ux["deductions"]] == ["principal_interpretation_missing",
                                                     "reply_overdue"]
    assert ("unregistered_unit", "UX") in [(f["kind"], f["unit_id"]) for f in result["flags"]]


def test_registered_units_without_events_are_scored() -> None:
    result = year_json([unit("U1", "county")])
    assert unit_json(result)["deductions"] == [
        {"rule": "principal_interpretation_missing", "points": 1.0, "ref": None,
         "event_ids": [], "at": None, "detail": "0 of 1 interpretations by the principal"},
        {"rule": "reports_shortfall", "points": 6.0, "ref": None, "event_ids": [],
         "at": None, "detail": "0 of 12 reports"}]
    assert unit_json(result)["score"] == 93.0


def test_unit_registered_after_the_year_is_not_scored_for_it() -> None:
    assert year_json([unit("U1", time="2018-03-01T00:00:00")], year=2017)["units"] == []


def test_credits_of_other_years_do_not_count() -> None:
    credit = Credit("principal_interpretation", "U1", 2016, "P1", "e1")
    score = score_unit(UnitInfo("U1", "municipal"), [], [credit], catalog(), 2017,
                       year_start(2018))
    assert [d.rule for d in score.deductions] == ["principal_interpretation_missing"]
