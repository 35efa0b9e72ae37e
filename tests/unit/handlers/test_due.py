"""The due index: time order per partition, stale entries, assignment changes."""

from __future__ import annotations

from govmon.handlers.due import DueIndex


def test_pops_what_is_due_in_time_order_and_no_more() -> None:
    index = DueIndex()
    index.load(("t", 0), [(30, "case", "c3"), (10, "case", "c1"), (20, "task", "t2")])
    index.load(("t", 1), [(15, "incident", "i1")])
    assert index.earliest() == 10
    assert index.pop_due(20, 100) == [(("t", 0), "case", "c1"), (("t", 0), "task", "t2"),
                                      (("t", 1), "incident", "i1")]
    assert index.pop_due(20, 100) == []
    assert len(index) == 1 and index.earliest() == 30


def test_limit_and_duplicates() -> None:
    index = DueIndex()
    index.load(("t", 0), [])
    for due in (5, 3, 4):
        index.push(("t", 0), due, "case", "c1")  # moved twice: three entries, one item
    index.push(("t", 0), 4, "case", "c2")
    assert index.pop_due(10, 1) == [(("t", 0), "case", "c1")]
    rest = index.pop_due(10, 10)
    # The stale copies of c1 come out too; the caller checks them against storage.
    assert [(kind, item) for _, kind, item in rest] == [("case", "c1"), ("case", "c2")]


def test_a_revoked_partition_is_forgotten() -> None:
    index = DueIndex()
    index.load(("t", 0), [(1, "case", "c1")])
    index.drop(("t", 0))
    index.push(("t", 0), 1, "case", "c2")  # a late result for a partition we lost
    assert index.partitions() == set() and index.pop_due(10, 10) == []


def test_what_is_pushed_while_a_partition_is_loaded_is_kept() -> None:
    """A batch in flight may commit and push an item after the rebuild read its
    partition's rows: the entry must survive the load."""
    index = DueIndex()
    index.expect(("t", 0))
    index.push(("t", 0), 7, "case", "c9")  # committed after the read
    assert index.partitions() == set()  # not loaded yet: nothing fires from it
    index.load(("t", 0), [(3, "case", "c1")])
    assert index.pop_due(10, 10) == [(("t", 0), "case", "c1"), (("t", 0), "case", "c9")]
    index.expect(("t", 1))
    index.drop(("t", 1))  # revoked before it was loaded: forgotten
    index.push(("t", 1), 1, "case", "c2")
    index.load(("t", 1), [])
    assert index.pop_due(10, 10) == []


def test_a_heap_being_reloaded_serves_until_the_reload_is_in() -> None:
    index = DueIndex()
    index.load(("t", 0), [(2, "case", "c1"), (9, "case", "c2")])
    index.expect(("t", 0))  # reloaded after an outage
    index.push(("t", 0), 5, "case", "c3")  # committed meanwhile
    assert index.pop_due(3, 10) == [(("t", 0), "case", "c1")]  # the old heap still fires
    index.load(("t", 0), [(9, "case", "c2"), (-1, "case", "c4")])  # c4: a pending flag
    assert index.pop_due(10, 10) == [(("t", 0), "case", "c4"), (("t", 0), "case", "c3"),
                                     (("t", 0), "case", "c2")]
