"""The scoring worker's kept verdicts: a batch's replacements applied per unit must
give exactly the set a fresh read would (an item's verdict moving between units, or
ceasing to count, included), and the cache stays within its capacity."""

from __future__ import annotations

from govmon.adapters.score_store import Replaced
from govmon.contract.derived import ItemAssessed
from govmon.rules import ItemAssessment
from govmon.rules.verdicts import Breach
from services.scoring.verdicts import Entry, VerdictCache, apply, by_unit


def verdict(item: str, unit: str, *, counts: bool = True, version: int = 1) -> ItemAssessed:
    breaches = (Breach("reply_overdue", item, unit, 1, 2017, ("e",)),) if counts else ()
    return ItemAssessed(kind="case", item_id=item, unit_id=unit, version=version,
                        assessed_at=1, marks=1,
                        assessment=ItemAssessment(("case", item), unit, breaches=breaches))


def replaced(new: ItemAssessed, old_unit: str | None = None,
             old_years: list[int] | None = None) -> Replaced:
    return Replaced(new, old_unit, old_years or [])


def test_changes_are_grouped_by_every_unit_they_touch() -> None:
    moved = replaced(verdict("C-1", "U-2"), "U-1", [2017])
    fresh = replaced(verdict("C-2", "U-1"))
    silent = replaced(verdict("C-3", "U-3", counts=False))  # counted nowhere, before or now
    groups = by_unit([moved, fresh, silent])
    assert groups == {"U-1": [moved, fresh], "U-2": [moved]}


def test_apply_adds_replaces_and_removes() -> None:
    kept = {("case", "C-1"): verdict("C-1", "U-1").assessment,
            ("case", "C-9"): verdict("C-9", "U-1").assessment}
    changes = [replaced(verdict("C-1", "U-2", version=2), "U-1", [2017]),  # moved away
               replaced(verdict("C-9", "U-1", counts=False, version=2), "U-1", [2017]),
               replaced(verdict("C-5", "U-1"))]
    after = apply(kept, "U-1", changes)
    assert set(after) == {("case", "C-5")}
    assert set(kept) == {("case", "C-1"), ("case", "C-9")}  # the kept copy is untouched
    assert set(apply({}, "U-2", changes)) == {("case", "C-1")}


def test_cache_evicts_least_recently_stored_units_beyond_capacity() -> None:
    cache = VerdictCache(capacity=5)  # a unit counts its verdicts plus one
    two = {("case", f"C-{i}"): verdict(f"C-{i}", "U").assessment for i in range(2)}
    cache.put({"U-1": Entry(1, two)})
    cache.put({"U-2": Entry(1, two)})
    assert cache.get("U-1") is None and cache.get("U-2") is not None
    assert cache.size == 3
    cache.put({"U-2": Entry(2, {})})  # replacing an entry frees its verdicts
    assert cache.size == 1 and cache.get("U-2") == Entry(2, {})
    for n in range(10):  # units without verdicts count too: they cannot pile up
        cache.put({f"E-{n}": Entry(1, {})})
    assert cache.size == 5 and cache.get("E-9") is not None and cache.get("E-4") is None


def test_score_messages_carry_the_stored_rounding() -> None:
    # Scores are stored as numeric(_, 2); the message built in memory must say the same.
    from govmon.adapters.score_store import NewScore
    from govmon.rules.scoring import UnitScore
    from services.scoring.engine import score_changed

    score = UnitScore("U1", "u", "county", "county", 98.75, "excellent", 1.255, (), ())
    message = score_changed(NewScore(score, 2017, False, 123, 4, "digest"))
    assert (message.score, message.deducted, message.deductions, message.version,
            message.final, message.as_of) == (98.75, 1.26, 0, 4, False, 123)
