"""The fold: idempotent per event key, order-insensitive, serialisable facts."""

from __future__ import annotations

import msgspec

from govmon.rules import Ledger, from_builtins, item_key, to_builtins
from govmon.rules.facts import Mark
from tests.unit.rules.builders import (
    assigned,
    at,
    delivered,
    detected,
    disputed,
    event,
    finding,
    interpreted,
    issued,
    received,
    report,
    responded,
    step,
    unit,
)


def test_apply_returns_the_item_key_and_none_for_a_redelivery() -> None:
    ledger = Ledger()
    first = received("C1", "2017-03-01T10:00:00", id="a")
    assert ledger.apply(first) == ("case", "C1")
    assert ledger.apply(first) is None
    # Same id from another source is another event.
    assert ledger.apply(received("C1", "2017-03-01T10:00:00", id="a", source="/other")) == (
        "case", "C1")
    facts = ledger.get(("case", "C1"))
    assert facts is not None and len(facts.marks) == 2


def test_every_event_type_lands_on_its_item() -> None:
    samples = {
        ("case", "C1"): [received("C1", "2017-03-01T10:00:00"), step("replied", "C1",
                                                                     "2017-03-02T10:00:00")],
        ("dispute", "D1"): [disputed("D1", "C1", "2017-03-05T10:00:00", liable=True)],
        ("policy", "P1"): [issued("P1", "2017-03-01T10:00:00"),
                           interpreted("P1", "2017-03-02T10:00:00")],
        ("incident", "I1"): [detected("I1", "2017-03-01T10:00:00"),
                             responded("I1", "2017-03-01T11:00:00", "authoritative_info")],
        ("task", "T1"): [assigned("T1", "2017-03-01T10:00:00", "2017-03-30T10:00:00", ["a"]),
                         delivered("T1", "2017-03-02T10:00:00", ["a"])],
        ("report", "R1"): [report("R1", "2017-03-01T10:00:00")],
        ("finding", "F1"): [finding("F1", "2017-03-01T10:00:00", 1.5)],
        ("unit", "U1"): [unit("U1")],
    }
    ledger = Ledger()
    for key, events in samples.items():
        for item in events:
            assert item_key(item) == key
            assert ledger.apply(item) == key
    assert sorted(ledger.items) == sorted(samples)


def test_marks_are_kept_in_time_order_whatever_the_arrival() -> None:
    events = [step("replied", "C1", "2017-03-05T10:00:00", id="z"),
              received("C1", "2017-03-01T10:00:00", id="y"),
              step("corrected", "C1", "2017-03-02T10:00:00", id="b"),
              step("corrected", "C1", "2017-03-02T10:00:00", id="a")]
    ledger = Ledger()
    for item in events:
        ledger.apply(item)
    facts = ledger.get(("case", "C1"))
    assert facts is not None
    assert [m.event_id for m in facts.marks] == ["y", "a", "b", "z"]


def test_same_key_different_content_keeps_one_deterministically() -> None:
    early = received("C1", "2017-03-01T10:00:00", id="dup")
    late = received("C1", "2017-03-02T10:00:00", id="dup")
    kept = []
    for order in ([early, late], [late, early]):
        ledger = Ledger()
        for item in order:
            ledger.apply(item)
        facts = ledger.get(("case", "C1"))
        assert facts is not None
        kept.append([m.at for m in facts.marks])
    assert kept == [[at("2017-03-01T10:00:00")]] * 2


def test_facts_round_trip_through_json() -> None:
    ledger = Ledger()
    for item in [assigned("T1", "2017-03-01T10:00:00", "2017-03-30T10:00:00", ["a", "b"]),
                 delivered("T1", "2017-03-02T10:00:00", ["a"]),
                 finding("F1", "2017-03-01T10:00:00", 1.5), unit("U1", "county")]:
        ledger.apply(item)
    for facts in ledger:
        stored = msgspec.json.decode(msgspec.json.encode(to_builtins(facts)))
        assert from_builtins(stored) == facts
    restored = Ledger(from_builtins(to_builtins(f)) for f in ledger)
    assert restored.items == ledger.items


def test_put_merges_idempotently() -> None:
    ledger = Ledger()
    ledger.apply(received("C1", "2017-03-01T10:00:00", id="r"))
    other = Ledger()
    other.apply(step("replied", "C1", "2017-03-02T10:00:00", id="p"))
    other.apply(received("C1", "2017-03-01T10:00:00", id="r"))
    for item in other:
        ledger.put(item)
        ledger.put(item)
    facts = ledger.get(("case", "C1"))
    assert facts is not None and [m.event_id for m in facts.marks] == ["r", "p"]


def test_marks_are_compact_arrays() -> None:
    mark = Mark(1, "replied", "e", "s")
    encoded = msgspec.json.encode(mark)
    assert encoded.startswith(b'[1,"replied","e","s",')  # an array, no field names
    assert msgspec.json.decode(encoded, type=Mark) == mark


def test_unknown_extension_attributes_do_not_matter() -> None:
    item = event("application.replied", "2017-03-02T10:00:00", {"case_id": "C1"})
    assert item_key(item) == ("case", "C1")


def test_assessments_and_results_survive_json() -> None:
    from govmon.rules import ItemAssessment, YearResult, assess_item, evaluate, render_result
    from tests.unit.rules.builders import calendar, catalog, law

    events = [unit("U1"), received("C1", "2017-03-01T10:00:00"),
              step("replied", "C1", "2017-04-01T10:00:00")]
    ledger = Ledger()
    for item in events:
        ledger.apply(item)
    for facts in ledger:
        assessment = assess_item(facts, calendar(), law(), at("2018-01-01T00:00:00"))
        again = msgspec.json.decode(msgspec.json.encode(assessment), type=ItemAssessment)
        assert again == assessment
    result = evaluate(ledger, {2017: catalog()}, calendar(), law(), 2017,
                      at("2018-01-01T00:00:00"))
    stored = msgspec.json.decode(msgspec.json.encode(result), type=YearResult)
    assert render_result(stored) == render_result(result)


def test_fold_converts_times_exactly_like_instant() -> None:
    from datetime import datetime

    from govmon.rules import instant

    for text in ("2017-03-01T10:00:00.123456+08:00", "2017-03-01T02:00:00Z",
                 "2017-02-28T20:30:00-05:30", "2017-03-01T10:00:00.000001+00:00"):
        ledger = Ledger()
        item = event("application.replied", text.replace("Z", "+00:00"), {"case_id": "C1"})
        ledger.apply(item)
        facts = ledger.get(("case", "C1"))
        assert facts is not None
        expected = instant(datetime.fromisoformat(text.replace("Z", "+00:00")))
        assert facts.marks[0].at == expected == instant(item.time)
        assert expected == round(datetime.fromisoformat(text.replace("Z", "+00:00"))
                                 .timestamp() * 1_000_000)
