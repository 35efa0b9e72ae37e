"""The merge of partitions in produced order (adapters.merge), on plain records: a record
is (name, stamp in ms)."""

from __future__ import annotations

import random

from govmon.adapters.merge import FREE, WAIT, ProducedOrder

NOW = 10**6  # ms: the time records are received at; every stamp here is earlier


def _merge() -> ProducedOrder[str, tuple[str, int]]:
    return ProducedOrder(lambda record: record[1])


def _names(taken: tuple[list[tuple[str, int]], dict[str, tuple[str, int]]]) -> list[str]:
    return [name for name, _ in taken[0]]


def test_buffers_come_out_interleaved_by_stamp() -> None:
    merge = _merge()
    merge.add("a", [("a1", 1), ("a2", 4), ("a3", 6)], NOW)
    merge.add("b", [("b1", 2), ("b2", 3), ("b3", 7)], NOW)
    # a's latest is 6: b's 7 may still be preceded by an a not fetched yet
    records, last = merge.take(100, {})
    assert [name for name, _ in records] == ["a1", "b1", "b2", "a2", "a3"]
    assert last == {"a": ("a3", 6), "b": ("b2", 3)}  # where each partition's commit goes
    assert merge.size("a") == 0 and merge.size("b") == 1
    assert merge.take(100, {"a": WAIT}) == ([], {})  # a may have more: b3 waits
    assert _names(merge.take(100, {"a": FREE})) == ["b3"]  # a is read to its end


def test_a_silent_partition_that_may_have_more_stops_the_merge() -> None:
    merge = _merge()
    merge.add("a", [("a1", 5)], NOW)
    assert merge.take(100, {"b": WAIT}) == ([], {})
    assert _names(merge.take(100, {"b": FREE})) == ["a1"]


def test_the_limit_takes_the_earliest_and_keeps_the_rest_in_order() -> None:
    merge = _merge()
    merge.add("a", [("a1", 1), ("a2", 3), ("a3", 5)], NOW)
    merge.add("b", [("b1", 2), ("b2", 4), ("b3", 6)], NOW)
    assert _names(merge.take(3, {})) == ["a1", "b1", "a2"]
    assert _names(merge.take(3, {})) == ["b2", "a3"]  # b3 after a's latest (5)
    assert _names(merge.take(3, {"a": FREE})) == ["b3"]


def test_a_stamp_that_steps_back_keeps_its_partition_in_offset_order() -> None:
    """Producers' clocks step back, several producers write one partition: a record
    never overtakes its predecessors, and the merge does not get stuck on it."""
    merge = _merge()
    merge.add("a", [("a1", 10), ("a2", 5), ("a3", 11)], NOW)
    merge.add("b", [("b1", 7), ("b2", 12)], NOW)
    assert _names(merge.take(100, {})) == ["b1", "a1", "a2", "a3"]
    merge.add("a", [("a4", 1)], NOW)  # keyed at 11, a's latest so far
    assert _names(merge.take(100, {})) == ["a4"]
    assert _names(merge.take(100, {"a": FREE})) == ["b2"]


def test_ties_go_partition_by_partition() -> None:
    merge = _merge()
    merge.add("a", [("a1", 1), ("a2", 1)], NOW)
    merge.add("b", [("b1", 1)], NOW)
    assert _names(merge.take(100, {})) == ["a1", "a2", "b1"]


def test_dropped_partitions_are_forgotten() -> None:
    merge = _merge()
    merge.add("a", [("a1", 9)], NOW)
    merge.add("b", [("b1", 1), ("b2", 2)], NOW)
    merge.drop(["a"])
    assert merge.size("a") == 0 and merge.buffered() == 2
    assert _names(merge.take(100, {})) == ["b1", "b2"]
    merge.add("a", [("a1", 3)], NOW)  # re-read from its commit by a new owner: a fresh start
    assert _names(merge.take(100, {})) == ["a1"]


def _through_the_merge(stream: list[tuple[str, int]], rng: random.Random
                       ) -> tuple[list[tuple[str, int]], dict[str, list[tuple[str, int]]]]:
    """``stream`` spread over 5 partitions, fetched in random chunks, partitions in
    random order, each batch taken limited at random: what comes out, and what each
    partition held."""
    parts: dict[str, list[tuple[str, int]]] = {p: [] for p in "abcde"}
    for record in stream:
        parts[rng.choice("abcde")].append(record)
    written = {p: list(records) for p, records in parts.items()}
    merge = _merge()
    out: list[tuple[str, int]] = []
    while any(parts.values()):
        part = rng.choice([p for p in parts if parts[p]])
        chunk = rng.randint(1, 40)
        merge.add(part, parts[part][:chunk], NOW)
        del parts[part][:chunk]
        bounds = {p: (FREE if not parts[p] else WAIT) for p in parts if not merge.size(p)}
        out += merge.take(rng.randint(1, 60), bounds)[0]
    while merge.buffered():
        out += merge.take(rng.randint(1, 60), {p: FREE for p in parts})[0]
    return out, written


def test_any_fetch_pattern_gives_the_produced_order_once_all_is_read() -> None:
    rng = random.Random(7)
    for _ in range(50):
        stream = [(f"r{i}", i) for i in range(300)]
        out, _ = _through_the_merge(stream, rng)
        assert out == stream


def test_records_sent_in_the_same_millisecond_come_out_by_stamp_each_partition_in_order(
) -> None:
    rng = random.Random(8)
    for _ in range(50):
        stream = [(f"r{i}", i // 7) for i in range(300)]
        out, written = _through_the_merge(stream, rng)
        assert sorted(out) == sorted(stream)
        assert [stamp for _, stamp in out] == sorted(stamp for _, stamp in stream)
        for records in written.values():
            assert [r for r in out if r in records] == records


def test_a_stamp_ahead_of_its_arrival_counts_as_its_arrival() -> None:
    """A producer whose clock runs an hour ahead does not hold its partition back an
    hour: a record cannot have been sent after it was received."""
    merge = _merge()
    merge.add("a", [("a1", 3_600_000)], 100)
    merge.add("b", [("b1", 90), ("b2", 150)], 160)
    assert _names(merge.take(100, {})) == ["b1", "a1"]  # keyed 100, not an hour on
    assert _names(merge.take(100, {"a": FREE})) == ["b2"]


def test_long_runs_are_cut_and_reclaimed_in_order() -> None:
    merge = _merge()
    for start in range(0, 30_000, 1_000):
        merge.add("a", [(f"a{i}", 2 * i) for i in range(start, start + 1_000)], NOW)
        merge.add("b", [(f"b{i}", 2 * i + 1) for i in range(start, start + 1_000)], NOW)
    out: list[str] = []
    while merge.buffered():
        out += _names(merge.take(777, {"a": FREE, "b": FREE}))
    assert out == [f"{p}{i}" for i in range(30_000) for p in "ab"]
    assert len(merge.held["a"].keys) < 30_000  # what was handed out was let go
