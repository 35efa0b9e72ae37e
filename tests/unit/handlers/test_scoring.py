"""Scoring decisions: which unit-years a verdict touches, a unit-year's score derived
from all of the unit's verdicts exactly as evaluate does."""

from __future__ import annotations

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from govmon.contract.codec import decode_event
from govmon.handlers.scoring import (
    deduction_changes,
    deduction_key,
    digest,
    is_final,
    registration,
    score_year,
    touched,
    unit_info,
    years_of,
)
from govmon.rules import Deduction, Ledger, assess_all, evaluate, year_start
from govmon.simulate import generate
from tests.unit.rules.builders import at, calendar, catalog, finding, law, unit


def test_score_year_equals_evaluate_for_every_unit() -> None:
    ledger = Ledger()
    for doc in generate(year=2017, units=5, events=1200, seed=3):
        ledger.apply(decode_event(msgspec.json.encode(doc)))
    as_of = max(year_start(2018), ledger.latest or 0)
    expected = {u.unit_id: u for u in evaluate(ledger, {2017: catalog()}, calendar(), law(),
                                               2017, as_of).units}
    assessed = [a for a, _ in assess_all(ledger, calendar(), law(), as_of)]
    registered = {a.key[1]: a for a in assessed if a.key[0] == "unit"}
    for unit_id, score in expected.items():
        mine = [a for a in assessed if a.unit_id == unit_id]
        assert score_year(unit_info(unit_id, registered.get(unit_id), 2017), mine, catalog(), 2017,
                          as_of) == score
    assert len(expected) == 5


def test_touched_pairs_cover_the_old_and_the_new_verdict() -> None:
    ledger = Ledger()
    ledger.apply(finding("F1", "2017-03-01T10:00:00", 2.0, unit_id="U2"))
    [(assessment, _)] = list(assess_all(ledger, calendar(), law(), at("2017-04-01T00:00:00")))
    assert years_of(assessment) == [2017]
    assert touched("U1", [2016], assessment) == {("U2", 2017), ("U1", 2016)}
    assert touched(None, [], assessment) == {("U2", 2017)}


def test_latest_registration_wins_and_digest_tracks_finality() -> None:
    ledger = Ledger()
    ledger.apply(unit("U1", "county", "2017-01-01T00:00:00", id="r1"))
    ledger.apply(unit("U1", "municipal", "2017-06-01T00:00:00", id="r2"))
    facts = ledger.get(("unit", "U1"))
    assert facts is not None
    first = registration(facts, at("2017-03-01T00:00:00"))
    latest = registration(facts, at("2017-07-01T00:00:00"))
    assert first is not None and first.text == "county"
    assert latest is not None and latest.text == "municipal"
    info = unit_info("U1", None, 2017)
    score = score_year(info, [], catalog(), 2017, at("2017-12-01T00:00:00"))
    assert not is_final(2017, at("2017-12-31T23:59:59")) and is_final(2017, year_start(2018))
    assert digest(score, False) != digest(score, True) == digest(score, True)


_deduction = st.builds(
    Deduction, rule=st.sampled_from(["reply_overdue", "dispute_liable", "reports_shortfall"]),
    points=st.sampled_from([0.5, 1.0, 2.0]), ref=st.sampled_from([None, "", "C-1", "P-1"]),
    event_ids=st.lists(st.sampled_from(["e1", "e2", "e3"]), max_size=2).map(tuple),
    at=st.sampled_from([None, 1, 2]), cap_group=st.sampled_from([None, "replies"]))


def _rows(deductions: list[Deduction]) -> list[Deduction]:
    """As the table can hold them: one row per (rule, ref)."""
    return list({deduction_key(d): d for d in deductions}.values())


@given(st.lists(_deduction).map(_rows), st.lists(_deduction).map(_rows))
def test_deduction_changes_turn_the_stored_rows_into_the_new(
        stored: list[Deduction], new: list[Deduction]) -> None:
    gone, added = deduction_changes(stored, new)
    table = {deduction_key(d): d for d in stored}
    for key in gone:
        del table[key]  # a key deleted is one the table has
    for d in added:
        assert deduction_key(d) not in table  # the insert never conflicts
        table[deduction_key(d)] = d
    assert sorted(table.values(), key=repr) == sorted(new, key=repr)
    assert len(gone) + len(added) <= len(stored) + len(new)


def test_one_new_deduction_is_one_insert() -> None:
    old = [Deduction("reply_overdue", 0.5, f"C-{n}", (f"e{n}",), n, "replies")
           for n in range(300)]
    new = [*old, Deduction("dispute_liable", 1.0, "D-1", ("e-d",), 400, "disputes")]
    assert deduction_changes(old, new) == ([], [new[-1]])
    changed = [*old[:-1], Deduction("reply_overdue", 0.5, "C-299", ("e299", "x"), 299,
                                    "replies")]
    assert deduction_changes(old, changed) == ([("reply_overdue", "C-299")], [changed[-1]])


def test_scoring_a_past_year_keeps_its_registration_as_evaluate_does() -> None:
    """The scoring worker rescoring 2017 after a 2018 re-registration (another category)
    scores it as replay does: with the registration in force at the end of 2017."""
    ledger = Ledger()
    ledger.apply(unit("U1", "county", "2017-01-01T00:00:00", id="r1"))
    ledger.apply(unit("U1", "municipal", "2018-03-01T00:00:00", id="r2"))
    ledger.apply(finding("F1", "2017-05-01T10:00:00", 2.0, unit_id="U1"))
    as_of = at("2018-04-01T00:00:00")
    assessed = [a for a, _ in assess_all(ledger, calendar(), law(), as_of)]
    [registered] = [a for a in assessed if a.key[0] == "unit"]
    for year in (2017, 2018):
        [expected] = evaluate(ledger, {year: catalog(year)}, calendar(), law(), year,
                              as_of).units
        mine = score_year(unit_info("U1", registered, year), assessed, catalog(year), year,
                          as_of)
        assert mine == expected
        assert mine.category == ("county" if year == 2017 else "municipal")
