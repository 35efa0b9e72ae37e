"""The reply clock of applications: hand-counted deadlines around holidays and rules."""

from __future__ import annotations

from govmon.contract.events import GovEvent
from govmon.rules import ItemAssessment, assess_item, rfc3339
from tests.unit.rules.builders import (
    at,
    calendar,
    extended,
    law,
    ledger_of,
    received,
    resumed,
    rules_of,
    step,
    suspended,
    unit,
    year_json,
)


def case(events: list[GovEvent], as_of: str, case_id: str = "C1") -> ItemAssessment:
    facts = ledger_of(events).get(("case", case_id))
    assert facts is not None
    return assess_item(facts, calendar(), law(), at(as_of))


def deadline_of(events: list[GovEvent], as_of: str = "2017-01-01T00:00:00") -> str:
    """The deadline of the open clock, seen before anything is late."""
    assessment = case(events, as_of)
    assert len(assessment.clocks) == 1, assessment
    deadline = assessment.clocks[0].deadline
    assert deadline is not None
    return rfc3339(deadline)


def breach(events: list[GovEvent], as_of: str = "2018-06-01T00:00:00") -> tuple[str, str] | None:
    assessment = case(events, as_of)
    if not assessment.breaches:
        return None
    only = assessment.breaches[0]
    assert only.deadline is not None
    return only.rule, rfc3339(only.deadline)


# --- the basic 15-working-day limit ---------------------------------------------------

def test_fifteen_working_days_across_national_day_with_make_up_saturday() -> None:
    events = [received("C1", "2017-09-29T10:00:00")]
    assert deadline_of(events, "2017-09-29T12:00:00") == "2017-10-26T23:59:59+08:00"


def test_reply_on_the_last_day_is_on_time_and_next_morning_is_late() -> None:
    base = [received("C1", "2017-09-29T10:00:00")]
    assert breach([*base, step("replied", "C1", "2017-10-26T23:59:59")]) is None
    assert breach([*base, step("replied", "C1", "2017-10-27T00:00:00")]) == (
        "reply_overdue", "2017-10-26T23:59:59+08:00")


def test_spring_festival_2018() -> None:
    events = [received("C1", "2018-02-09T09:00:00")]
    assert deadline_of(events, "2018-02-09T10:00:00") == "2018-03-07T23:59:59+08:00"


def test_receipt_day_is_the_shanghai_day() -> None:
    # 16:30 UTC on 29 Sep is 00:30 on 30 Sep in Shanghai: counting starts after Sep 30.
    events = [received("C1", "2017-09-29T16:30:00Z")]
    assert deadline_of(events, "2017-09-30T01:00:00") == "2017-10-27T23:59:59+08:00"


# --- the 2019-05-15 change of the regulation ---------------------------------------------

def test_received_2019_05_14_has_15_working_days() -> None:
    events = [received("C1", "2019-05-14T15:00:00")]
    # May 15-17 (1-3), 20-24 (4-8), 27-31 (9-13), Jun 3-4 (14-15).
    assert deadline_of(events, "2019-05-14T16:00:00") == "2019-06-04T23:59:59+08:00"


def test_received_2019_05_15_has_20_working_days() -> None:
    events = [received("C1", "2019-05-15T09:00:00")]
    # May 16-17 (1-2), 20-24 (3-7), 27-31 (8-12), Jun 3-6 (13-16), Jun 7 端午 off,
    # Jun 10-13 (17-20).
    assert deadline_of(events, "2019-05-15T10:00:00") == "2019-06-13T23:59:59+08:00"


# --- extensions, suspension, correction -----------------------------------------------------

BASE = "2017-03-01T10:00:00"  # Wed; 15 working days end Wed 2017-03-22


def test_base_deadline_in_march_2017() -> None:
    assert deadline_of([received("C1", BASE)], BASE) == "2017-03-22T23:59:59+08:00"


def test_extension_adds_working_days_including_qingming_make_up_day() -> None:
    events = [received("C1", BASE), extended("C1", "2017-03-20T09:00:00", 15)]
    # Mar 23-24 (16-17), 27-31 (18-22), Sat Apr 1 make-up (23), Apr 2-4 清明 off,
    # Apr 5-7 (24-26), Apr 10-13 (27-30).
    assert deadline_of(events, "2017-03-21T00:00:00") == "2017-04-13T23:59:59+08:00"
    assert breach([*events, step("replied", "C1", "2017-04-13T17:00:00")]) is None


def test_extension_after_the_deadline_changes_nothing() -> None:
    events = [received("C1", BASE), extended("C1", "2017-03-23T09:00:00", 15),
              step("replied", "C1", "2017-04-10T09:00:00")]
    assert breach(events) == ("reply_overdue", "2017-03-22T23:59:59+08:00")
    notes = case(events, "2018-01-01T00:00:00").notes
    assert [n.kind for n in notes] == ["ignored_after_breach"]


def test_suspension_after_the_deadline_leaves_the_breach() -> None:
    # Deadline Wed 2017-03-22; suspended the next morning and never resumed or replied.
    events = [received("C1", BASE), suspended("C1", "2017-03-23T09:00:00")]
    assert breach(events) == ("reply_overdue", "2017-03-22T23:59:59+08:00")
    assessment = case(events, "2018-01-01T00:00:00")
    assert assessment.clocks == ()
    assert [n.kind for n in assessment.notes] == ["ignored_after_breach"]


def test_correction_after_the_deadline_does_not_restart_the_clock() -> None:
    # Corrected the day after the deadline, replied within 15 working days of it: late
    # all the same, because the breach had already happened.
    events = [received("C1", BASE), step("corrected", "C1", "2017-03-23T09:00:00"),
              step("replied", "C1", "2017-03-30T09:00:00")]
    assert breach(events) == ("reply_overdue", "2017-03-22T23:59:59+08:00")
    notes = case(events, "2018-01-01T00:00:00").notes
    assert [n.kind for n in notes] == ["ignored_after_breach"]


def test_suspension_days_through_the_resume_day_do_not_count() -> None:
    events = [received("C1", BASE), suspended("C1", "2017-03-06T10:00:00"),
              resumed("C1", "2017-03-10T15:00:00")]
    # Mar 2-3 (1-2), Mar 6-10 suspended, Mar 13-17 (3-7), 20-24 (8-12), 27-29 (13-15).
    assert deadline_of(events, "2017-03-11T00:00:00") == "2017-03-29T23:59:59+08:00"


def test_suspend_and_resume_on_one_day_excludes_that_day() -> None:
    events = [received("C1", BASE), suspended("C1", "2017-03-06T09:00:00"),
              resumed("C1", "2017-03-06T16:00:00")]
    assert deadline_of(events, "2017-03-07T00:00:00") == "2017-03-23T23:59:59+08:00"


def test_open_suspension_pauses_the_clock() -> None:
    events = [received("C1", BASE), suspended("C1", "2017-03-06T10:00:00")]
    assessment = case(events, "2017-06-01T00:00:00")
    assert assessment.breaches == ()
    assert assessment.clocks[0].deadline is None
    assert assessment.clocks[0].detail == "suspended"
    assert assessment.next_due is None


def test_correction_restarts_the_clock_from_its_day() -> None:
    events = [received("C1", BASE), step("corrected", "C1", "2017-03-08T11:00:00")]
    # Mar 9-10 (1-2), 13-17 (3-7), 20-24 (8-12), 27-29 (13-15).
    assert deadline_of(events, "2017-03-09T00:00:00") == "2017-03-29T23:59:59+08:00"
    assert breach([*events, step("replied", "C1", "2017-03-28T10:00:00")]) is None


def test_correction_drops_earlier_extensions() -> None:
    events = [received("C1", BASE), extended("C1", "2017-03-02T10:00:00", 10),
              step("corrected", "C1", "2017-03-08T11:00:00")]
    assert deadline_of(events, "2017-03-09T00:00:00") == "2017-03-29T23:59:59+08:00"


# --- outcomes ------------------------------------------------------------------------------

def test_withdrawal_before_the_deadline_counts_nothing() -> None:
    events = [received("C1", BASE), step("withdrawn", "C1", "2017-03-10T10:00:00")]
    assert breach(events) is None
    assert case(events, "2018-01-01T00:00:00").clocks == ()


def test_withdrawal_after_the_deadline_keeps_the_breach() -> None:
    events = [received("C1", BASE), step("withdrawn", "C1", "2017-03-25T10:00:00")]
    assert breach(events) == ("reply_overdue", "2017-03-22T23:59:59+08:00")


def test_not_replied_is_overdue_once_the_deadline_has_passed() -> None:
    events = [received("C1", BASE)]
    assert breach(events, "2017-03-22T23:59:59") is None
    assert breach(events, "2017-03-23T00:00:00") == ("reply_overdue",
                                                      "2017-03-22T23:59:59+08:00")


def test_next_due_is_the_first_instant_after_the_deadline() -> None:
    assessment = case([received("C1", BASE)], "2017-03-05T00:00:00")
    assert assessment.next_due == at("2017-03-23T00:00:00")


def test_a_reply_arriving_before_its_case_gives_the_same_result() -> None:
    reply = step("replied", "C1", "2017-03-24T10:00:00")
    receipt = received("C1", BASE)
    assert case([reply, receipt], "2018-01-01T00:00:00") == \
        case([receipt, reply], "2018-01-01T00:00:00")
    assert breach([reply, receipt]) == ("reply_overdue", "2017-03-22T23:59:59+08:00")


def test_reply_without_its_case_is_an_orphan_not_a_breach() -> None:
    assessment = case([step("replied", "C1", "2017-03-24T10:00:00")], "2018-01-01T00:00:00")
    assert assessment.breaches == ()
    assert [n.kind for n in assessment.notes] == ["orphan"]


def test_service_case_uses_its_own_limit_and_costs_nothing() -> None:
    events = [unit("U1"), received("C1", "2017-09-29T10:00:00", kind="service",
                                   limit_days=2),
              step("replied", "C1", "2017-10-10T09:00:00")]
    # Sep 30 (1, make-up Saturday), Oct 9 (2).
    assert breach(events) == ("service_overdue", "2017-10-09T23:59:59+08:00")
    result = year_json(events)
    assert ("service_overdue", "C1", "2017-10-09T23:59:59+08:00") in [
        (f["rule"], f["ref"], f["deadline"]) for f in result["flags"]]
    assert [r for r in rules_of(result) if r[0] == "service_overdue"] == []


def test_each_late_reply_costs_half_a_point() -> None:
    events = [unit("U1"), received("C1", BASE), step("replied", "C1", "2017-03-23T09:00:00"),
              received("C2", BASE), step("replied", "C2", "2017-03-22T18:00:00"),
              received("C3", BASE)]
    result = year_json(events, as_of="2017-06-01T00:00:00")
    assert rules_of(result) == [("reply_overdue", 0.5, "C1"), ("reply_overdue", 0.5, "C3")]
    assert result["units"][0]["score"] == 99.0


def test_calendar_gap_at_year_end_is_flagged_not_guessed() -> None:
    # 2026-12-18 (Fri): only 9 working days left in 2026; 2027 is not in any calendar.
    events = [unit("U1"), received("C1", "2026-12-18T10:00:00")]
    assessment = case(events, "2027-02-01T00:00:00")
    assert assessment.breaches == ()
    assert [n.kind for n in assessment.notes] == ["calendar_gap"]
    assert assessment.notes[0].year == 2027
    result = year_json(events, year=2026)
    open_flags = [f for f in result["flags"] if f["kind"] == "open"]
    assert open_flags[0]["deadline"] is None and "2027" in open_flags[0]["detail"]
    assert rules_of(result) == [("principal_interpretation_missing", 1.0, None)]


def test_reply_before_the_uncovered_year_is_on_time() -> None:
    events = [received("C1", "2026-12-18T10:00:00"), step("replied", "C1", "2026-12-30T10:00:00")]
    assessment = case(events, "2027-02-01T00:00:00")
    assert assessment.breaches == () and assessment.notes == () and assessment.clocks == ()
