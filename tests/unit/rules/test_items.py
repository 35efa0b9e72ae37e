"""Policies, opinion incidents, data-sharing tasks, disputes and findings."""

from __future__ import annotations

from typing import Any

from govmon.contract.events import GovEvent
from govmon.rules import ItemAssessment, assess_item, rfc3339
from tests.unit.rules.builders import (
    assigned,
    at,
    calendar,
    delivered,
    detected,
    disputed,
    finding,
    interpreted,
    issued,
    law,
    ledger_of,
    responded,
    rules_of,
    unit,
    year_json,
)


def item(events: list[GovEvent], key: tuple[str, str], as_of: str) -> ItemAssessment:
    facts = ledger_of(events).get(key)
    assert facts is not None
    return assess_item(facts, calendar(), law(), at(as_of))


def verdicts(assessment: ItemAssessment) -> list[tuple[str, str | None]]:
    return [(b.rule, rfc3339(b.deadline) if b.deadline else None) for b in assessment.breaches]


# --- policy interpretation: 3 working days --------------------------------------------------

ISSUE = "2017-09-28T10:00:00"  # Thu: Sep 29 (1), Sat Sep 30 make-up (2), Oct 9 (3)
POLICY_DEADLINE = "2017-10-09T23:59:59+08:00"


def test_policy_window_spans_national_day() -> None:
    assessment = item([issued("P1", ISSUE)], ("policy", "P1"), "2017-09-29T00:00:00")
    assert assessment.clocks[0].deadline is not None
    assert rfc3339(assessment.clocks[0].deadline) == POLICY_DEADLINE


def test_interpretation_on_the_last_day_is_on_time() -> None:
    events = [issued("P1", ISSUE), interpreted("P1", "2017-10-09T20:00:00")]
    assert verdicts(item(events, ("policy", "P1"), "2018-01-01T00:00:00")) == []


def test_late_interpretation_costs_one_point() -> None:
    events = [issued("P1", ISSUE), interpreted("P1", "2017-10-10T08:00:00")]
    assert verdicts(item(events, ("policy", "P1"), "2018-01-01T00:00:00")) == [
        ("interpretation_late", POLICY_DEADLINE)]


def test_missing_interpretation_becomes_late_once_it_arrives() -> None:
    events = [issued("P1", ISSUE)]
    assert verdicts(item(events, ("policy", "P1"), "2017-10-10T00:00:00")) == [
        ("interpretation_missing", POLICY_DEADLINE)]
    later = [*events, interpreted("P1", "2017-10-12T09:00:00")]
    assert verdicts(item(later, ("policy", "P1"), "2017-10-13T00:00:00")) == [
        ("interpretation_late", POLICY_DEADLINE)]
    # ...but only once it exists at the evaluation instant.
    assert verdicts(item(later, ("policy", "P1"), "2017-10-11T00:00:00")) == [
        ("interpretation_missing", POLICY_DEADLINE)]


def test_principal_interpretation_is_a_year_end_rule() -> None:
    events = [unit("U1"), issued("P1", "2017-03-01T10:00:00"),
              interpreted("P1", "2017-03-02T10:00:00", by_principal=False)]
    assert rules_of(year_json(events, as_of="2017-12-31T23:59:59")) == []
    assert rules_of(year_json(events)) == [("principal_interpretation_missing", 1.0, None)]
    with_principal = [*events, interpreted("P1", "2017-06-02T10:00:00", by_principal=True)]
    assert rules_of(year_json(with_principal)) == []


def test_principal_interpretation_counts_in_the_year_it_happened() -> None:
    events = [unit("U1", time="2016-01-01T00:00:00"), issued("P1", "2016-12-26T10:00:00"),
              interpreted("P1", "2016-12-27T10:00:00"),
              interpreted("P1", "2017-01-05T10:00:00", by_principal=True)]
    assert rules_of(year_json(events, year=2017)) == []


# --- opinion incidents: 5 h / 24 h clock hours --------------------------------------------

DETECT = "2017-05-10T08:00:00"


def test_authoritative_info_exactly_at_five_hours_is_on_time() -> None:
    events = [detected("I1", DETECT), responded("I1", "2017-05-10T13:00:00", "authoritative_info"),
              responded("I1", "2017-05-11T08:00:00", "press_conference")]
    assert verdicts(item(events, ("incident", "I1"), "2017-06-01T00:00:00")) == []


def test_late_info_and_press_each_cost_a_point() -> None:
    events = [unit("U1"),
              detected("I1", DETECT, level="especially_major"),
              responded("I1", "2017-05-10T13:00:01", "authoritative_info"),
              responded("I1", "2017-05-11T08:00:01", "press_conference")]
    assessment = item(events, ("incident", "I1"), "2017-06-01T00:00:00")
    assert verdicts(assessment) == [("opinion_info_late", "2017-05-10T13:00:00+08:00"),
                                    ("opinion_press_late", "2017-05-11T08:00:00+08:00")]
    assert rules_of(year_json(events, as_of="2017-06-01T00:00:00")) == [
        ("opinion_info_late", 1.0, "I1"), ("opinion_press_late", 1.0, "I1")]


def test_open_windows_and_missing_responses() -> None:
    events = [detected("I1", DETECT)]
    early = item(events, ("incident", "I1"), "2017-05-10T12:00:00")
    assert early.breaches == ()
    assert early.next_due == at("2017-05-10T13:00:00") + 1
    midway = item(events, ("incident", "I1"), "2017-05-10T14:00:00")
    assert verdicts(midway) == [("opinion_info_late", "2017-05-10T13:00:00+08:00")]
    assert [c.rule for c in midway.clocks] == ["opinion_press_late"]


def test_other_levels_have_no_window() -> None:
    for level in ("large", "general"):
        events = [detected("I1", DETECT, level=level)]
        assessment = item(events, ("incident", "I1"), "2017-06-01T00:00:00")
        assert assessment.breaches == () and assessment.clocks == ()


# --- data sharing -------------------------------------------------------------------------

DUE = "2017-06-30T17:00:00"


def task(*deliveries: tuple[str, list[str]], as_of: str = "2017-08-01T00:00:00") -> list[Any]:
    events = [assigned("T1", "2017-06-01T09:00:00", DUE, ["a", "b"])]
    events += [delivered("T1", when, names) for when, names in deliveries]
    return verdicts(item(events, ("task", "T1"), as_of))


def test_datashare_verdicts() -> None:
    deadline = "2017-06-30T17:00:00+08:00"
    assert task(("2017-06-30T17:00:00", ["a", "b"])) == []
    assert task() == [("datashare_missing", deadline)]
    assert task(("2017-07-03T10:00:00", ["b", "a"])) == [("datashare_late", deadline)]
    assert task(("2017-06-20T10:00:00", ["a"]), ("2017-07-03T10:00:00", ["b"])) == [
        ("datashare_late", deadline)]
    assert task(("2017-06-20T10:00:00", ["a"])) == [("datashare_incomplete", deadline)]
    assert task(("2017-06-20T10:00:00", ["x"])) == [("datashare_missing", deadline)]
    assert task(as_of="2017-06-30T16:00:00") == []  # not due yet


def test_datashare_points_and_cap() -> None:
    events = [unit("U1"),
              assigned("T1", "2017-06-01T09:00:00", DUE, ["a"]),
              assigned("T2", "2017-06-01T09:00:00", DUE, ["a"]),
              assigned("T3", "2017-06-01T09:00:00", DUE, ["a"]),
              delivered("T3", "2017-07-01T09:00:00", ["a"])]
    result = year_json(events, as_of="2017-08-01T00:00:00")
    assert rules_of(result) == [("datashare_late", 2.0, "T3"), ("datashare_missing", 4.0, "T1"),
                                ("datashare_missing", 4.0, "T2")]
    assert result["units"][0]["score"] == 96.0  # 10 raw, capped at 4
    assert result["units"][0]["caps"] == [
        {"group": "datashare", "cap": 4.0, "raw": 10.0, "applied": 4.0}]


# --- disputes and findings -----------------------------------------------------------------

def test_only_liable_disputes_cost_a_point_each_capped_at_three() -> None:
    events = [unit("U1")] + [disputed(f"D{i}", "C1", "2017-04-01T10:00:00", liable=True)
                             for i in range(4)]
    events.append(disputed("D9", "C1", "2017-04-01T10:00:00", liable=False))
    result = year_json(events, as_of="2017-06-01T00:00:00")
    assert [r[0] for r in rules_of(result)] == ["dispute_liable"] * 4
    assert result["units"][0]["score"] == 97.0


def test_a_dispute_found_liable_later_counts_once() -> None:
    events = [unit("U1"), disputed("D1", "C1", "2017-04-01T10:00:00", liable=False),
              disputed("D1", "C1", "2017-05-01T10:00:00", liable=True),
              disputed("D1", "C1", "2017-05-02T10:00:00", liable=True)]
    assert rules_of(year_json(events, as_of="2017-06-01T00:00:00")) == [
        ("dispute_liable", 1.0, "D1")]


def test_findings_are_taken_as_recorded_and_uncapped() -> None:
    events = [unit("U1"), finding("F1", "2017-04-01T10:00:00", 7.5),
              finding("F2", "2017-04-02T10:00:00", 6.25)]
    result = year_json(events, as_of="2017-06-01T00:00:00")
    assert rules_of(result) == [("inspection_finding", 7.5, "F1"),
                                ("inspection_finding", 6.25, "F2")]
    assert result["units"][0]["score"] == 86.25
