"""The scoring worker's record of the deduction rows it wrote: vouched for only by the
digest written with them, and bounded."""

from __future__ import annotations

from govmon.adapters.score_store import NewScore
from govmon.rules import Deduction, UnitScore
from services.scoring.written import WrittenDeductions


def new_score(unit: str, digest: str, *refs: str) -> NewScore:
    deductions = tuple(Deduction("reply_overdue", 0.5, ref, ("e",), 1, "replies")
                       for ref in refs)
    score = UnitScore(unit_id=unit, name=None, category="county", scored_as="county",
                      score=100 - 0.5 * len(refs), grade="excellent",
                      deducted=0.5 * len(refs), deductions=deductions, caps=())
    return NewScore(score, 2017, False, 1, 1, digest)


def test_rows_are_known_only_under_the_digest_written_with_them() -> None:
    written = WrittenDeductions(capacity=10)
    first = new_score("U-1", "d1", "C-1", "C-2")
    written.put([first])
    assert written.known(("U-1", 2017), "d1") == first.score.deductions
    assert written.known(("U-1", 2017), "other") is None  # another writer since
    assert written.known(("U-1", 2018), "d1") is None
    written.put([new_score("U-1", "d2", "C-1")])
    assert written.known(("U-1", 2017), "d1") is None
    assert len(written.known(("U-1", 2017), "d2") or ()) == 1


def test_least_recently_written_go_first_beyond_the_rows_allowed() -> None:
    written = WrittenDeductions(capacity=6)  # a unit-year counts its rows plus one
    written.put([new_score("U-1", "a", "C-1"), new_score("U-2", "b", "C-2", "C-3")])
    written.put([new_score("U-1", "a2", "C-1")])  # U-1 written again: U-2 is the oldest
    assert written.size == 5
    written.put([new_score("U-3", "c", "C-4", "C-5")])  # 8: U-2 goes
    assert written.known(("U-2", 2017), "b") is None
    assert written.size == 5
    assert len(written.known(("U-1", 2017), "a2") or ()) == 1
    assert len(written.known(("U-3", 2017), "c") or ()) == 2
    for n in range(10):  # unit-years without deductions count too: no pile-up
        written.put([new_score(f"E-{n}", "e")])
    assert written.size <= 6 and written.known(("E-9", 2017), "e") == ()
