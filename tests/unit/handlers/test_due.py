"""The due index: time order per partition, stale entries, assignment changes."""

from __future__ import annotations

import random

from govmon.handlers.due import PENDING, DueIndex

P = ("t", 0)


def test_pops_what_is_due_in_time_order_and_no_more() -> None:
    index = DueIndex()
    index.load(P, [(30, "case", "c3", 1), (10, "case", "c1", 1), (20, "task", "t2", 1)])
    index.load(("t", 1), [(15, "incident", "i1", 1)])
    assert index.earliest() == 10
    assert index.pop_due(20, 100) == [(P, "case", "c1"), (P, "task", "t2"),
                                      (("t", 1), "incident", "i1")]
    assert index.pop_due(20, 100) == []
    assert len(index) == 1 and index.earliest() == 30


def test_an_item_moved_comes_out_at_its_newest_time() -> None:
    index = DueIndex()
    index.load(P, [])
    for version, due in enumerate((5, 3, 4), start=1):
        index.push(P, due, "case", "c1", version)  # moved twice: three entries, one item
    index.push(P, 4, "case", "c2", 1)
    assert index.pop_due(3, 10) == []  # c1's entry at 3 is behind its judgement at 4
    assert index.pop_due(10, 1) == [(P, "case", "c1")]
    # c1's entry at 5 is older than the one just popped, whose record went with it:
    # not known to be stale any more, so storage decides.
    assert index.pop_due(10, 10) == [(P, "case", "c2"), (P, "case", "c1")]
    assert len(index) == 0 and index.remembered() == 0


def test_judgements_published_out_of_order_go_by_version() -> None:
    """Two batches in flight may publish one item's judgements out of order: the newer
    one's time counts, whichever was pushed last."""
    index = DueIndex()
    index.load(P, [])
    index.push(P, 8, "case", "c1", 2)
    index.push(P, 5, "case", "c1", 1)  # the older judgement, published later
    assert index.pop_due(6, 10) == []
    assert index.pop_due(9, 10) == [(P, "case", "c1")]


def test_an_item_closed_is_not_looked_up_when_its_old_entry_comes_due() -> None:
    index = DueIndex()
    index.load(P, [(5, "case", "c1", 1), (6, "case", "c2", 1)])
    index.close(P, "case", "c1", 2)  # replied before its deadline
    index.close(P, "case", "c2", 1)  # not newer than the entry: changes nothing
    index.close(P, "case", "c3", 4)  # nothing in the heap: nothing to remember
    assert index.remembered() == 2
    assert index.pop_due(10, 10) == [(P, "case", "c2")]
    assert index.remembered() == 0  # what is remembered goes with the entries


def test_what_is_not_known_goes_to_storage() -> None:
    """Only what the index is sure of is dropped: an item closed before any entry of
    it was pushed, an entry older than the loaded row, and a pending flag all come out
    (storage decides)."""
    index = DueIndex()
    index.load(P, [(5, "case", "c1", 3)])
    index.close(P, "case", "c2", 9)  # c2 has no entry yet
    index.push(P, 7, "case", "c2", 8)  # an older judgement, published later
    index.push(P, 9, "case", "c1", 2)  # older than the loaded row
    index.push(P, PENDING, "case", "c1", 0)  # flagged by another worker's rebuild
    assert index.pop_due(10, 10) == [(P, "case", "c1"), (P, "case", "c2")]
    index.push(P, 20, "case", "c1", 4)
    index.push(P, PENDING, "case", "c1", 0)
    assert index.pop_due(10, 10) == [(P, "case", "c1")]  # the flag, despite the newer entry
    assert index.pop_due(30, 10) == [(P, "case", "c1")]


def test_a_revoked_partition_is_forgotten() -> None:
    index = DueIndex()
    index.load(P, [(1, "case", "c1", 1)])
    index.drop(P)
    index.push(P, 1, "case", "c2", 1)  # a late result for a partition we lost
    index.close(P, "case", "c1", 2)
    assert index.partitions() == set() and index.pop_due(10, 10) == []


def test_what_is_pushed_while_a_partition_is_loaded_is_kept() -> None:
    """A batch in flight may commit and push an item after the rebuild read its
    partition's rows: the entry must survive the load."""
    index = DueIndex()
    index.expect(P)
    index.push(P, 7, "case", "c9", 2)  # committed after the read
    index.push(P, 8, "case", "c5", 3)
    index.close(P, "case", "c5", 4)
    assert index.partitions() == set()  # not loaded yet: nothing fires from it
    index.load(P, [(3, "case", "c1", 1), (2, "case", "c9", 1)])  # c9 as it was read
    assert index.pop_due(10, 10) == [(P, "case", "c1"), (P, "case", "c9")]
    index.expect(("t", 1))
    index.drop(("t", 1))  # revoked before it was loaded: forgotten
    index.push(("t", 1), 1, "case", "c2", 1)
    index.load(("t", 1), [])
    assert index.pop_due(10, 10) == []


def test_a_heap_being_reloaded_serves_until_the_reload_is_in() -> None:
    index = DueIndex()
    index.load(P, [(2, "case", "c1", 1), (9, "case", "c2", 1)])
    index.expect(P)  # reloaded after an outage
    index.push(P, 5, "case", "c3", 1)  # committed meanwhile
    assert index.pop_due(3, 10) == [(P, "case", "c1")]  # the old heap still fires
    index.load(P, [(9, "case", "c2", 1), (PENDING, "case", "c4", 1)])  # c4: a pending flag
    assert index.pop_due(10, 10) == [(P, "case", "c4"), (P, "case", "c3"), (P, "case", "c2")]


def test_the_newest_due_time_always_comes_out() -> None:
    """Random judgements of a few items, published in a shuffled order between pops at a
    rising clock: each item's newest judgement with a due time is returned by a pop
    after it was pushed (what storage would then fire), and nothing is remembered for
    entries no longer in the heap."""
    rng = random.Random(7)
    for _ in range(300):
        index = DueIndex()
        index.load(P, [])
        judgements = []  # (item, version, due or None)
        for item in ("c1", "c2", "c3"):
            for version in range(1, rng.randint(1, 6)):
                judgements.append((item, version, rng.choice((None, *range(1, 40)))))
        rng.shuffle(judgements)  # published out of order (batches in flight)
        newest: dict[str, tuple[int, int | None, int]] = {}  # item: version, due, step
        returned: dict[str, list[int]] = {}
        clock = 0
        for step, (item, version, due) in enumerate(judgements):
            if due is None:
                index.close(P, "case", item, version)
            else:
                index.push(P, due, "case", item, version)
            if item not in newest or newest[item][0] < version:
                newest[item] = (version, due, step)
            assert index.remembered() <= len(index)
            if rng.random() < 0.4:
                clock += rng.randint(0, 8)
                for _, _, popped in index.pop_due(clock, rng.randint(1, 3)):
                    returned.setdefault(popped, []).append(step)
                assert index.remembered() <= len(index)
        while len(index):
            for _, _, popped in index.pop_due(1000, 2):
                returned.setdefault(popped, []).append(len(judgements))
        for item, (_, due, pushed_at) in newest.items():
            if due is not None:
                assert any(step >= pushed_at for step in returned.get(item, [])), item
        assert index.remembered() == 0
