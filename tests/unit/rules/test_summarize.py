"""`summarize` over stored assessments, test laws in seconds, facts as JSON.

The report rebuilds a year from assessments the services stored (as JSON) and re-assesses
only what went stale; these tests pin the property that makes that equal to replay.
"""

from __future__ import annotations

import msgspec
import pytest

from govmon.contract.codec import decode_event
from govmon.contract.events import GovEvent
from govmon.rules import (
    ItemAssessment,
    Ledger,
    UnitInfo,
    assess_all,
    assess_item,
    evaluate,
    facts_from_json,
    facts_to_json,
    registered_for,
    render_result,
    summarize,
    year_start,
)
from govmon.rules.law import parse_law
from govmon.simulate import generate
from tests.support.laws import seconds_law
from tests.unit.rules.builders import (
    at,
    calendar,
    catalog,
    detected,
    event,
    finding,
    law,
    responded,
)

TEST_LAW = seconds_law(info_seconds=4, press_seconds=9)


def _year_ledger() -> Ledger:
    ledger = Ledger()
    for doc in generate(year=2017, units=6, events=1500, seed=11):
        ledger.apply(decode_event(msgspec.json.encode(doc)))
    return ledger


@pytest.mark.parametrize("as_of", ["2017-07-01T12:00:00", None])
def test_summarize_over_stored_assessments_equals_evaluate(as_of: str | None) -> None:
    ledger = _year_ledger()
    moment = at(as_of) if as_of else max(year_start(2018), ledger.latest or 0)
    expected = render_result(evaluate(ledger, {2017: catalog()}, calendar(), law(), 2017,
                                      moment))
    # What the services store: each assessment as JSON, read back later.
    stored = [(msgspec.json.decode(msgspec.json.encode(a), type=ItemAssessment), created)
              for a, created in assess_all(ledger, calendar(), law(), moment)]
    assert render_result(summarize(stored, catalog(), 2017, moment)) == expected
    assert expected["units"] and expected["flags"]


def test_an_assessment_holds_until_its_next_due() -> None:
    """The report re-uses a stored assessment made at `t` for any as_of in
    [t, next_due): the verdict cannot change by time alone before then."""
    ledger = _year_ledger()
    made_at = at("2017-06-15T10:00:00")
    checked = 0
    for facts in ledger:
        before = assess_item(facts, calendar(), law(), made_at)
        later = made_at + 3 * 3600 * 1_000_000
        if before.next_due is None or before.next_due > later:
            assert assess_item(facts, calendar(), law(), later) == before
            checked += 1
        if before.next_due is not None:
            assert assess_item(facts, calendar(), law(), before.next_due - 1) == before
    assert checked > 100


def test_a_test_law_may_set_opinion_windows_in_seconds() -> None:
    fast = parse_law(TEST_LAW, "test-law.toml")
    events = [detected("I1", "2017-05-10T10:00:00"),
              responded("I1", "2017-05-10T10:00:03", "authoritative_info")]
    ledger = Ledger()
    for item in events:
        ledger.apply(item)
    facts = ledger.get(("incident", "I1"))
    assert facts is not None
    open_ = assess_item(facts, calendar(), fast, at("2017-05-10T10:00:05"))
    assert open_.breaches == ()
    assert [c.rule for c in open_.clocks] == ["opinion_press_late"]
    assert open_.next_due == at("2017-05-10T10:00:09") + 1
    late = assess_item(facts, calendar(), fast, at("2017-05-10T10:00:10"))
    assert [(b.rule, b.detail) for b in late.breaches] == [
        ("opinion_press_late", "no press_conference within 9 s")]
    # The production law is untouched: hours, as the notice says.
    assert law().opinion_windows(0).authoritative_info_seconds is None


def test_facts_survive_a_json_round_trip_in_any_mark_order() -> None:
    ledger = _year_ledger()
    for facts in list(ledger)[:200]:
        again = facts_from_json(facts_to_json(facts))
        assert again == facts
    facts = next(f for f in ledger if len(f.marks) > 1)
    doc = msgspec.json.decode(facts_to_json(facts))
    doc["marks"].reverse()
    assert facts_from_json(msgspec.json.encode(doc)) == facts


def _registration(unit_id: str, category: str, name: str, time: str) -> GovEvent:
    return event("unit.registered", time, {"unit_id": unit_id, "name": name,
                                           "category": category})


def test_a_year_is_scored_with_the_registration_in_force_at_its_end() -> None:
    """A unit re-registered in 2018 (another category, another name) keeps 2017's: the
    year's result must not change when next year's registry does.  A unit registered
    only after the year is scored with its first registration."""
    ledger = Ledger()
    for doc in [
        _registration("U1", "county", "旧县", "2017-01-01T00:00:00"),
        _registration("U1", "municipal", "新局", "2018-03-01T00:00:00"),
        _registration("U2", "county", "后县", "2018-02-01T00:00:00"),
        _registration("U2", "municipal", "后局", "2018-09-01T00:00:00"),
        _registration("U3", "municipal", "甲局", "2017-01-01T00:00:00"),
        _registration("U3", "county", "甲县", "2017-06-01T00:00:00"),  # within 2017
        finding("F1", "2017-05-01T10:00:00", 2.0, unit_id="U1"),
        finding("F2", "2018-05-01T10:00:00", 1.0, unit_id="U1"),
        finding("F3", "2017-06-01T10:00:00", 1.0, unit_id="U2"),
    ]:
        ledger.apply(doc)
    as_of = at("2019-01-01T00:00:00")

    def units(year: int) -> dict[str, tuple[str | None, str | None]]:
        result = evaluate(ledger, {year: catalog(year)}, calendar(), law(), year, as_of)
        stored = [(msgspec.json.decode(msgspec.json.encode(a), type=ItemAssessment), c)
                  for a, c in assess_all(ledger, calendar(), law(), as_of)]
        assert summarize(stored, catalog(year), year, as_of) == result  # from storage too
        return {u.unit_id: (u.category, u.name) for u in result.units}

    assert units(2017) == {"U1": ("county", "旧县"), "U2": ("county", "后县"),
                           "U3": ("county", "甲县")}
    assert units(2018) == {"U1": ("municipal", "新局"), "U2": ("municipal", "后局"),
                           "U3": ("county", "甲县")}


def test_an_assessment_stored_before_registrations_were_kept_counts_as_then() -> None:
    legacy = ItemAssessment(("unit", "U1"), "U1", category="county", name="旧县")
    created = at("2018-02-01T00:00:00")
    assert registered_for(legacy, 2018, created) == (UnitInfo("U1", "county", "旧县"), True)
    assert registered_for(legacy, 2017, created) == (UnitInfo("U1", "county", "旧县"), False)
    assert registered_for(legacy, 2017) == (UnitInfo("U1", "county", "旧县"), False)
