"""Order and redelivery never change the result; the fast path agrees with the walk."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govmon.contract.events import GovEvent
from govmon.rules import ItemFacts, Mark, assess_item
from govmon.rules.cases import assess_case_stepwise
from tests.unit.rules import builders as b

# Instants near the interesting edges: National Day 2017 and the New Year.
_BASES = [datetime(2017, 9, 20, 9), datetime(2017, 12, 18, 9), datetime(2017, 3, 1, 9)]


def _t(base: int, hours: int) -> str:
    return (_BASES[base] + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S")


@st.composite
def scenarios(draw: st.DrawFn) -> list[GovEvent]:
    events: list[GovEvent] = []
    units = ["U1", "U2", "U3"]  # U3 is never registered
    events += [b.unit("U1", "county"), b.unit("U2", "municipal")]
    hours = st.integers(0, 24 * 40)
    for n in range(draw(st.integers(0, 4))):
        case, base = f"C{n}", draw(st.integers(0, 2))
        start = draw(st.integers(0, 24 * 5))
        kind = draw(st.sampled_from(["disclosure", "disclosure", "service"]))
        events.append(b.received(case, _t(base, start), unit_id=draw(st.sampled_from(units)),
                                 kind=kind, limit_days=3 if kind == "service" else None))
        for what in draw(st.lists(st.sampled_from(
                ["extended", "suspended", "resumed", "corrected", "replied", "withdrawn"]),
                max_size=4)):
            when = _t(base, start + draw(hours))
            if what == "extended":
                events.append(b.extended(case, when, draw(st.integers(1, 20))))
            elif what == "suspended":
                events.append(b.suspended(case, when))
            elif what == "resumed":
                events.append(b.resumed(case, when))
            else:
                events.append(b.step(what, case, when))
    for n in range(draw(st.integers(0, 2))):
        base, start = draw(st.integers(0, 2)), draw(hours)
        events.append(b.issued(f"P{n}", _t(base, start), unit_id=draw(st.sampled_from(units))))
        if draw(st.booleans()):
            events.append(b.interpreted(f"P{n}", _t(base, start + draw(hours)),
                                        by_principal=draw(st.booleans())))
    for n in range(draw(st.integers(0, 2))):
        base, start = draw(st.integers(0, 2)), draw(hours)
        events.append(b.detected(f"I{n}", _t(base, start),
                                 level=draw(st.sampled_from(["major", "general"])),
                                 unit_id=draw(st.sampled_from(units))))
        for action in draw(st.lists(st.sampled_from(["authoritative_info", "press_conference"]),
                                    max_size=2)):
            events.append(b.responded(f"I{n}", _t(base, start + draw(st.integers(0, 30))),
                                      action))
    for n in range(draw(st.integers(0, 2))):
        base, start = draw(st.integers(0, 2)), draw(hours)
        events.append(b.assigned(f"T{n}", _t(base, start), _t(base, start + 24 * 10),
                                 ["a", "b"], unit_id=draw(st.sampled_from(units))))
        for names in draw(st.lists(st.sampled_from([["a"], ["b"], ["a", "b"]]), max_size=2)):
            events.append(b.delivered(f"T{n}", _t(base, start + draw(hours)), names))
    for n in range(draw(st.integers(0, 2))):
        events.append(b.disputed(f"D{n}", "C0", _t(draw(st.integers(0, 2)), draw(hours)),
                                 liable=draw(st.booleans()),
                                 unit_id=draw(st.sampled_from(units))))
    for n in range(draw(st.integers(0, 3))):
        events.append(b.report(f"R{n}", _t(draw(st.integers(0, 2)), draw(hours)),
                               unit_id=draw(st.sampled_from(units))))
    if draw(st.booleans()):
        events.append(b.finding("F1", _t(0, draw(hours)), 1.5, unit_id="U2"))
    return events


_AS_OF = st.one_of(st.none(), st.sampled_from(
    ["2017-10-10T12:00:00", "2017-12-31T23:59:59", "2018-01-15T00:00:00"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.randoms(use_true_random=False), st.data(), _AS_OF)
def test_shuffled_and_duplicated_events_give_the_same_result(
        events: list[GovEvent], rng: object, data: st.DataObject, as_of: str | None) -> None:
    shuffled = list(events)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=len(events)))
    redelivered = shuffled + duplicates
    rng.shuffle(redelivered)  # type: ignore[attr-defined]
    for year in (2017, 2018):
        expected = b.year_json(events, year, as_of)
        assert b.year_json(redelivered, year, as_of) == expected


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 24 * 400), st.integers(-24, 24 * 60), st.integers(-24, 24 * 80),
       st.sampled_from(["replied", "withdrawn", None]), st.sampled_from([None, 1, 7, 30]))
def test_fast_path_agrees_with_the_stepwise_walk(start: int, outcome_after: int,
                                                 as_of_after: int, outcome: str | None,
                                                 service_days: int | None) -> None:
    received_at = b.at("2017-01-01T08:00:00") + start * 3_600_000_000
    marks = [Mark(received_at, "received", "e1", "s", "U1", service_days or 0,
                  "service" if service_days else "disclosure")]
    if outcome is not None:
        marks.append(Mark(received_at + outcome_after * 3_600_000_000, outcome, "e2", "s"))
    marks.sort(key=lambda m: (m.at, m.event_id, m.source))
    facts = ItemFacts("case", "C1", marks)
    as_of = max(m.at for m in marks) + abs(as_of_after) * 3_600_000_000
    fast = assess_item(facts, b.calendar(), b.law(), as_of)
    created = next(m for m in marks if m.what == "received")
    slow = assess_case_stepwise(facts, created, marks, b.calendar(), b.law(), as_of, None)
    assert fast == slow
