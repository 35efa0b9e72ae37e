"""Which items the batches in flight in a timeliness worker are writing
(``settings.timeliness_in_flight``).

Two transactions may fold the same item only one after the other: PostgreSQL's row
lock orders them for an item already stored, but not for a new one - both would find
no row and each write the item without the other's events.  So a batch folds at once
the items no earlier batch in flight has claimed, and the others once those batches
have committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from govmon.rules import ItemKey


def let_go(waited_on: asyncio.Future[None], failed: bool) -> None:
    """Let those waiting go on - or fail with it: the process is ending."""
    if waited_on.done():
        return
    if failed:
        waited_on.set_exception(RuntimeError("an earlier batch failed"))
    else:
        waited_on.set_result(None)


@dataclass
class Claim:
    shared: set[ItemKey]  # items an earlier batch in flight also writes
    earlier: list[asyncio.Future[None]]  # those batches: done once they have committed
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop()
                                       .create_future())
    keys: set[ItemKey] = field(default_factory=set)

    async def wait(self) -> None:
        """Until every earlier batch this one shares an item with has committed; raises
        if one of them failed (the process is then ending)."""
        for future in self.earlier:
            await asyncio.shield(future)


class Claims:
    def __init__(self) -> None:
        self._by_key: dict[ItemKey, asyncio.Future[None]] = {}

    def claim(self, keys: Iterable[ItemKey]) -> Claim:
        """Claim ``keys`` for a new batch; later batches wait for its ``release``."""
        listed = set(keys)
        shared = {key for key in listed if key in self._by_key}
        earlier = list({id(f): f for f in (self._by_key[key] for key in shared)}.values())
        claim = Claim(shared, earlier, keys=listed)
        for key in listed:
            self._by_key[key] = claim.done
        return claim

    def release(self, claim: Claim, *, failed: bool = False) -> None:
        """Its transactions have committed - or it failed, and so do the batches
        waiting for it (the process is ending)."""
        for key in claim.keys:
            if self._by_key.get(key) is claim.done:
                del self._by_key[key]
        let_go(claim.done, failed)

    def __len__(self) -> int:
        return len(self._by_key)
