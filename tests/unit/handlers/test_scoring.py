"""Scoring decisions: which unit-years a verdict touches, a unit-year's score derived
from all of the unit's verdicts exactly as evaluate does."""

from __future__ import annotations

import msgspec

from govmon.contract.codec import decode_event
from govmon.handlers.scoring import (
    digest,
    is_final,
    registration,
    score_year,
    touched,
    unit_info,
    years_of,
)
from govmon.rules import Ledger, assess_all, evaluate, year_start
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
        assert score_year(unit_info(unit_id, registered.get(unit_id)), mine, catalog(), 2017,
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
    info = unit_info("U1", None)
    score = score_year(info, [], catalog(), 2017, at("2017-12-01T00:00:00"))
    assert not is_final(2017, at("2017-12-31T23:59:59")) and is_final(2017, year_start(2018))
    assert digest(score, False) != digest(score, True) == digest(score, True)
