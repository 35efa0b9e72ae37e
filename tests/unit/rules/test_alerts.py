"""Warning instants before a breach."""

from __future__ import annotations

from govmon.rules import AlertPolicy, alerts, rfc3339
from tests.unit.rules.builders import (
    assigned,
    at,
    calendar,
    detected,
    law,
    ledger_of,
    received,
    step,
)


def warn(events: list, key: tuple[str, str], as_of: str,
         policy: AlertPolicy | None = None) -> list[tuple[str, str, str]]:
    facts = ledger_of(events).get(key)
    assert facts is not None
    return [(a.rule, rfc3339(a.at), a.reason)
            for a in alerts(facts, calendar(), law(), at(as_of), policy)]


def test_case_alerts_one_working_day_left_and_at_75_percent() -> None:
    # Received Fri 2017-09-29: deadline Thu 2017-10-26.  75 % of 15 days = 11 days used:
    # Sep 30 (1), Oct 9-13 (2-6), Oct 16-20 (7-11) -> warn at the end of Oct 20.
    events = [received("C1", "2017-09-29T10:00:00")]
    assert warn(events, ("case", "C1"), "2017-09-29T12:00:00") == [
        ("reply_overdue", "2017-10-21T00:00:00+08:00", "75% of the time used"),
        ("reply_overdue", "2017-10-26T00:00:00+08:00", "1 working day left"),
    ]


def test_two_days_left_skips_the_weekend() -> None:
    events = [received("C1", "2017-09-29T10:00:00")]
    policy = AlertPolicy(working_days_before=(2,), fractions=())
    # Deadline Thu Oct 26: two working days left from the start of Wed Oct 25.
    assert warn(events, ("case", "C1"), "2017-09-29T12:00:00", policy) == [
        ("reply_overdue", "2017-10-25T00:00:00+08:00", "2 working days left")]


def test_no_alerts_for_closed_items() -> None:
    events = [received("C1", "2017-09-29T10:00:00"), step("replied", "C1", "2017-10-09T10:00:00")]
    assert warn(events, ("case", "C1"), "2017-10-10T00:00:00") == []


def test_opinion_alerts_at_75_percent_of_the_hours() -> None:
    events = [detected("I1", "2017-05-10T08:00:00")]
    assert warn(events, ("incident", "I1"), "2017-05-10T08:30:00",
                AlertPolicy(working_days_before=(), fractions=(0.75,))) == [
        ("opinion_info_late", "2017-05-10T11:45:00+08:00", "75% of the time used"),
        ("opinion_press_late", "2017-05-11T02:00:00+08:00", "75% of the time used")]


def test_datashare_alert_a_working_day_before_due() -> None:
    # Due Mon 2017-10-09 17:00 after National Day: the working day before is Sat Sep 30.
    events = [assigned("T1", "2017-09-01T10:00:00", "2017-10-09T17:00:00", ["a"])]
    assert warn(events, ("task", "T1"), "2017-09-02T00:00:00",
                AlertPolicy(working_days_before=(1,), fractions=())) == [
        ("datashare_missing", "2017-09-30T17:00:00+08:00", "1 working day left")]
