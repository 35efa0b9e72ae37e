"""Each unit's scored verdicts, kept between batches (no I/O here).

Scoring derives a unit's score from *all* its stored verdicts.  Reading them all from
PostgreSQL for every touched unit on every batch made a batch cost grow with the year
(a province unit has hundreds).  So the worker keeps them, tagged with the unit's
revision in ``unit_revisions`` (bumped in the same transaction as any change to the
unit's verdicts, by whichever worker).  A cached unit is used only if its revision plus
this batch's own bump is the stored one: any other change means it is read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from govmon.adapters.score_store import Replaced
from govmon.handlers.scoring import years_of
from govmon.rules import ItemAssessment, ItemKey
from services.scoring.lru import SizedLru

Verdicts = dict[ItemKey, ItemAssessment]


@dataclass(frozen=True, slots=True)
class Entry:
    revision: int
    verdicts: Verdicts


def by_unit(replaced: Iterable[Replaced]) -> dict[str, list[Replaced]]:
    """This batch's replacements per unit whose set of scored verdicts they change
    (an item moving between units changes both)."""
    out: dict[str, list[Replaced]] = {}
    for change in replaced:
        units = set()
        if change.old_unit is not None and change.old_years:
            units.add(change.old_unit)
        unit = change.new.assessment.unit_id
        if unit is not None and years_of(change.new.assessment):
            units.add(unit)
        for name in units:
            out.setdefault(name, []).append(change)
    return out


def apply(verdicts: Verdicts, unit: str, changes: Iterable[Replaced]) -> Verdicts:
    """``verdicts`` of ``unit`` with this batch's ``changes`` of it (a new dict)."""
    out = dict(verdicts)
    for change in changes:
        key = (change.new.kind, change.new.item_id)
        new = change.new.assessment
        if new.unit_id == unit and years_of(new):
            out[key] = new
        else:
            out.pop(key, None)
    return out


class VerdictCache:
    """Least recently used units first out, beyond ``capacity`` in all: a unit counts
    its verdicts plus one."""

    def __init__(self, capacity: int) -> None:
        self._units: SizedLru[str, Entry] = SizedLru(capacity, lambda e: len(e.verdicts))

    @property
    def size(self) -> int:
        return self._units.size

    def get(self, unit: str) -> Entry | None:
        return self._units.get(unit)

    def put(self, staged: dict[str, Entry]) -> None:
        """After the transaction that read or derived ``staged`` committed."""
        for unit, entry in staged.items():
            self._units.put(unit, entry)
