"""The deduction rows this worker last wrote per unit-year, kept between batches (no
I/O here).

A unit-year's deductions used to be deleted and inserted again, all of them, at every
change of its score: by December a unit has hundreds, and one new breach rewrote them
all (a fifth of PostgreSQL's time in the pipeline benchmark).  With the rows this
worker wrote, ``save_scores`` writes only the differences - but only while the stored
digest is the one written with them, read under the unit's lock in the same
transaction.  Any other writer (another worker after a rebalance, a transaction an
outage cut that committed unseen) has left another digest, and the rows are then
replaced as a whole.  Kept only once the transaction that wrote them has committed.
"""

from __future__ import annotations

from collections.abc import Iterable

from govmon.adapters.score_store import NewScore, UnitYear
from govmon.rules import Deduction
from services.scoring.lru import SizedLru


class WrittenDeductions:
    """Least recently written unit-years first out, beyond ``capacity`` in all: a
    unit-year counts its rows (it may hold hundreds) plus one."""

    def __init__(self, capacity: int) -> None:
        # unit-year -> (the digest written with the rows, the rows)
        self._rows: SizedLru[UnitYear, tuple[str, tuple[Deduction, ...]]] = SizedLru(
            capacity, lambda entry: len(entry[1]))

    @property
    def size(self) -> int:
        return self._rows.size

    def known(self, unit_year: UnitYear, stored_digest: str) -> tuple[Deduction, ...] | None:
        """The unit-year's stored rows, if they are the ones written with this digest."""
        entry = self._rows.get(unit_year)
        return entry[1] if entry is not None and entry[0] == stored_digest else None

    def put(self, written: Iterable[NewScore]) -> None:
        """After the transaction that wrote ``written`` committed."""
        for new in written:
            self._rows.put((new.score.unit_id, new.year), (new.digest, new.score.deductions))
