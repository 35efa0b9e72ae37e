"""What a publish confirmed is recorded by exactly one of the transactions that follow,
even when two run at once (timeliness' batches in flight), and is kept for the next if
that one fails."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from govmon.adapters.db import Confirmations


class _Transactions:
    """Runs each transaction's work with a plain object for a connection (no server:
    only the bookkeeping around it is under test); ``fail`` makes the next one fail."""

    def __init__(self) -> None:
        self.fail = False

    async def transact(self, work: Callable[[Any], Awaitable[Any]]) -> Any:
        result = await work(object())
        await asyncio.sleep(0.01)  # the commit: another transaction runs meanwhile
        if self.fail:
            self.fail = False
            raise RuntimeError("refused")
        return result


def test_two_transactions_at_once_record_each_confirmation_once() -> None:
    async def scenario() -> list[list[int]]:
        recorded: list[list[int]] = []

        async def record(_conn: object, done: list[int]) -> None:
            recorded.append(list(done))

        db = _Transactions()
        confirmations = Confirmations(db, record)  # type: ignore[arg-type]
        confirmations.add(1, 2)

        async def nothing(_conn: object) -> None:
            await asyncio.sleep(0.01)

        first = asyncio.ensure_future(confirmations.transact(nothing))
        await asyncio.sleep(0)
        confirmations.add(3)  # confirmed while the first transaction runs
        await asyncio.gather(first, confirmations.transact(nothing))
        db.fail = True
        confirmations.add(4)
        with pytest.raises(RuntimeError):
            await confirmations.transact(nothing)
        await confirmations.transact(nothing)  # 4 again: its transaction failed
        return recorded

    assert asyncio.run(scenario()) == [[1, 2], [3], [4], [4]]
