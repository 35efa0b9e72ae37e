"""Judging one item at the service clock: verdict, what is new, when to look again."""

from __future__ import annotations

from govmon.contract.derived import DeadlineBreached, ItemAssessed, WarningIssued
from govmon.handlers.items import ItemRow, fold, marked, rejudge
from govmon.handlers.timeliness import judge, messages
from govmon.rules import AlertPolicy, ItemFacts, Ledger
from tests.unit.rules.builders import (
    at,
    calendar,
    detected,
    law,
    received,
    responded,
    step,
    unit,
)

POLICY = AlertPolicy()


def _facts(*events: object) -> ItemFacts:
    ledger = Ledger()
    for item in events:
        ledger.apply(item)  # type: ignore[arg-type]
    [facts] = [f for f in ledger if f.kind != "unit"]
    return facts


def test_open_case_warns_once_then_breaches_once() -> None:
    facts = _facts(received("C1", "2017-10-09T10:00:00"))  # 15 working days: 2017-10-30
    early = judge(facts, calendar(), law(), at("2017-10-10T10:00:00"), alerted_until=-1,
                  breached=(), policy=POLICY)
    assert early.warnings == () and early.new_breaches == ()
    assert early.deadline == at("2017-10-30T23:59:59.999999")
    # Next look: the first warning instant, before the deadline.
    assert early.next_due is not None and early.next_due < early.deadline
    warned = judge(facts, calendar(), law(), at("2017-10-30T08:00:00"),
                   alerted_until=early.alerted_until, breached=(), policy=POLICY)
    assert {w.reason for w in warned.warnings} == {"75% of the time used",
                                                   "1 working day left"}
    assert warned.next_due == at("2017-10-30T23:59:59.999999") + 1
    again = judge(facts, calendar(), law(), at("2017-10-30T09:00:00"),
                  alerted_until=warned.alerted_until, breached=(), policy=POLICY)
    assert again.warnings == ()
    late = judge(facts, calendar(), law(), warned.next_due, alerted_until=again.alerted_until,
                 breached=(), policy=POLICY)
    assert [b.rule for b in late.new_breaches] == ["reply_overdue"]
    assert late.next_due is None and late.deadline is None
    later = judge(facts, calendar(), law(), at("2017-11-02T00:00:00"),
                  alerted_until=late.alerted_until, breached=late.breached, policy=POLICY)
    assert later.new_breaches == () and later.breached == ("reply_overdue",)


def test_messages_are_keyed_by_unit_and_carry_the_version() -> None:
    facts = _facts(detected("I1", "2017-05-10T10:00:00", unit_id="U7"),
                   responded("I1", "2017-05-10T20:00:00", "authoritative_info"))
    judged = judge(facts, calendar(), law(), at("2017-05-12T00:00:00"), alerted_until=-1,
                   breached=(), policy=POLICY)
    out = messages("incident", "I1", 3, at("2017-05-12T00:00:00"), 2, judged)
    assert [key for key, _ in out] == ["U7"] * 3
    snapshot, *rest = [message for _, message in out]
    assert isinstance(snapshot, ItemAssessed) and snapshot.version == 3
    assert sorted(m.rule for m in rest if isinstance(m, DeadlineBreached)) == [
        "opinion_info_late", "opinion_press_late"]
    assert not any(isinstance(m, WarningIssued) for m in rest)


def test_an_orphan_is_keyed_by_its_item() -> None:
    facts = _facts(step("replied", "C9", "2017-05-10T10:00:00"))
    judged = judge(facts, calendar(), law(), at("2017-06-01T00:00:00"), alerted_until=-1,
                   breached=(), policy=POLICY)
    [(key, message)] = messages("case", "C9", 1, 0, 1, judged)
    assert key == "case:C9" and isinstance(message, ItemAssessed) and message.unit_id is None


def test_fold_is_idempotent_and_order_insensitive_and_rejudge_bumps_versions() -> None:
    events = [received("C1", "2017-10-09T10:00:00", id="a"),
              step("replied", "C1", "2017-11-20T10:00:00", id="b"),
              unit("U1", id="u")]
    located = [(e, "topic", 0) for e in events]
    first: dict[tuple[str, str], ItemRow] = {}
    assert sorted(fold(first, marked(located))) == [("case", "C1"), ("unit", "U1")]
    second: dict[tuple[str, str], ItemRow] = {}
    fold(second, marked(reversed(located)))
    assert fold(second, marked(located[:1])) == [("case", "C1")]  # a redelivery still touches
    assert {k: r.facts for k, r in first.items()} == {k: r.facts for k, r in second.items()}
    row = first[("case", "C1")]
    row.pending = True  # as an older worker left it (before the outbox)
    one = rejudge(row, at("2017-12-01T00:00:00"), calendar(), law(), POLICY)
    assert (row.version, row.pending, row.breached) == (1, False, ["reply_overdue"])
    assert [b.event_ids for b in one.assessment.breaches] == [("a", "b")]
    rejudge(row, at("2017-11-01T00:00:00"), calendar(), law(), POLICY)  # clock went back
    assert row.version == 2 and row.assessed_us == at("2017-12-01T00:00:00")


def test_derived_messages_round_trip() -> None:
    from govmon.contract.derived import ScoreChanged, decode_score, decode_timeliness, encode

    facts = _facts(detected("I2", "2017-05-10T10:00:00"))
    judged = judge(facts, calendar(), law(), at("2017-05-12T00:00:00"), alerted_until=-1,
                   breached=(), policy=POLICY)
    for _, message in messages("incident", "I2", 1, at("2017-05-12T00:00:00"), 1, judged):
        assert decode_timeliness(encode(message)) == message
    score = ScoreChanged(unit_id="U1", year=2017, version=2, score=98.5, grade="excellent",
                         deducted=1.5, deductions=2, final=True, as_of=0)
    assert decode_score(encode(score)) == score
    assert b'"type":"gov.scores.score_changed"' in encode(score)


def _snapshots(row: ItemRow, *clocks: str) -> list[bool]:
    return [rejudge(row, at(clock), calendar(), law(), POLICY).snapshot for clock in clocks]


def test_a_snapshot_goes_out_only_when_what_scoring_counts_changes() -> None:
    events = [received("C1", "2017-10-09T10:00:00", id="a")]  # deadline 2017-10-30
    rows: dict[tuple[str, str], ItemRow] = {}
    fold(rows, marked((e, "topic", 0) for e in events))
    row = rows[("case", "C1")]
    # Received, then warned: no breach yet, nothing for scoring (as scoring never saw it).
    assert _snapshots(row, "2017-10-10T00:00:00", "2017-10-30T08:00:00") == [False, False]
    assert (row.scored_version, row.scored_digest) == (0, "")
    [late] = _snapshots(row, "2017-10-31T00:00:00")  # the breach: scoring must know
    assert late and row.scored_version == row.version == 3 and row.scored_digest
    judged = rejudge(row, at("2017-11-05T00:00:00"), calendar(), law(), POLICY)
    assert not judged.snapshot and not judged.news and row.scored_version == 3
    assert [type(m) for _, m in messages("case", "C1", row.version, row.assessed_us,
                                         row.marks, judged)] == []
    # The reply changes the breach's evidence (its event ids): a new snapshot.
    fold(rows, marked([(step("replied", "C1", "2017-11-06T10:00:00", id="b"), "topic", 0)]))
    assert _snapshots(row, "2017-11-06T10:00:00") == [True]
    assert row.scored_version == row.version == 5


def test_a_pending_row_publishes_its_snapshot_and_its_breach_again() -> None:
    """Its last publish may have been cut by a crash: the digest stored with it says
    nothing about what scoring received, nor its breaches about what people were told."""
    rows: dict[tuple[str, str], ItemRow] = {}
    fold(rows, marked([(received("C2", "2017-10-09T10:00:00"), "topic", 0)]))
    row = rows[("case", "C2")]
    assert _snapshots(row, "2017-10-31T00:00:00", "2017-11-01T00:00:00") == [True, False]
    row.pending = True
    judged = rejudge(row, at("2017-11-02T00:00:00"), calendar(), law(), POLICY)
    assert judged.snapshot and judged.news and not row.pending
    snapshot, breach = [m for _, m in messages("case", "C2", row.version, row.assessed_us,
                                                row.marks, judged)]
    assert isinstance(snapshot, ItemAssessed) and snapshot.version == row.scored_version == 3
    assert isinstance(breach, DeadlineBreached) and breach.rule == "reply_overdue"
    assert breach.deadline == at("2017-10-30T23:59:59.999999")
    # Judged again without the flag: nothing is new.
    again = rejudge(row, at("2017-11-03T00:00:00"), calendar(), law(), POLICY)
    assert messages("case", "C2", row.version, row.assessed_us, row.marks, again) == []


def test_a_pending_row_issues_its_warnings_again() -> None:
    rows: dict[tuple[str, str], ItemRow] = {}
    fold(rows, marked([(received("C3", "2017-10-09T10:00:00"), "topic", 0)]))
    row = rows[("case", "C3")]
    warned = rejudge(row, at("2017-10-30T08:00:00"), calendar(), law(), POLICY)
    assert len(warned.warnings) == 2
    row.pending = True  # that publish may have been cut
    again = rejudge(row, at("2017-10-30T09:00:00"), calendar(), law(), POLICY)
    assert {w.reason for w in again.warnings} == {w.reason for w in warned.warnings}
    assert rejudge(row, at("2017-10-30T10:00:00"), calendar(), law(), POLICY).warnings == ()


def test_scored_digest_ignores_clocks_and_sees_units_breaches_credits() -> None:
    from govmon.handlers.timeliness import scored_digest

    open_case = _facts(received("C3", "2017-10-09T10:00:00", unit_id="U1"))
    early = judge(open_case, calendar(), law(), at("2017-10-10T00:00:00"), alerted_until=-1,
                  breached=(), policy=POLICY).assessment
    later = judge(open_case, calendar(), law(), at("2017-10-20T00:00:00"), alerted_until=-1,
                  breached=(), policy=POLICY).assessment
    assert early.clocks and not early.breaches  # a running clock, nothing scored
    assert scored_digest(early) == scored_digest(later) == ""
    late = judge(open_case, calendar(), law(), at("2017-11-01T00:00:00"), alerted_until=-1,
                 breached=(), policy=POLICY).assessment
    other = judge(_facts(received("C3", "2017-10-09T10:00:00", unit_id="U2")), calendar(),
                  law(), at("2017-11-01T00:00:00"), alerted_until=-1, breached=(),
                  policy=POLICY).assessment
    assert "" != scored_digest(late) != scored_digest(other) != ""


def test_watermark_round_trips() -> None:
    from govmon.contract.derived import WatermarkAdvanced, decode_timeliness, encode

    mark = WatermarkAdvanced(at=at("2018-01-02T00:00:00"))
    assert decode_timeliness(encode(mark)) == mark
    assert b'"type":"gov.timeliness.watermark_advanced"' in encode(mark)


def test_marked_keeps_its_interned_strings_bounded() -> None:
    from govmon.handlers.items import INTERNED

    shared = {f"unit-{i}": f"unit-{i}" for i in range(INTERNED + 1)}
    [(key, mark, topic, partition)] = marked([(received("C1", "2017-10-09T10:00:00"),
                                               "topic", 3)], shared)
    assert (key, topic, partition) == (("case", "C1"), "topic", 3)
    assert mark.at == at("2017-10-09T10:00:00")
    assert len(shared) < 10  # emptied, then this event's strings
