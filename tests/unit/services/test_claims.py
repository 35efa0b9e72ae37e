"""Timeliness' claims: a batch in flight folds at once only the items no earlier batch
in flight writes, and the others after that batch has committed."""

import asyncio

from services.timeliness.claims import Claims


def test_a_later_batch_waits_only_for_the_items_it_shares() -> None:
    async def scenario() -> list[str]:
        claims, log = Claims(), []
        first = claims.claim([("case", "A"), ("case", "B")])
        second = claims.claim([("case", "B"), ("case", "C")])
        third = claims.claim([("case", "D")])
        assert (first.shared, second.shared, third.shared) == (set(), {("case", "B")}, set())
        assert second.earlier == [first.done] and not third.earlier

        async def later() -> None:
            await second.wait()
            log.append("second folds B")

        waiting = asyncio.ensure_future(later())
        await asyncio.sleep(0.01)
        log.append("first commits")
        claims.release(first)
        await waiting
        claims.release(second)
        claims.release(third)
        assert len(claims) == 0  # nothing left claimed
        return log

    assert asyncio.run(scenario()) == ["first commits", "second folds B"]


def test_a_third_batch_waits_for_the_latest_claim_of_an_item() -> None:
    async def scenario() -> None:
        claims = Claims()
        first = claims.claim([("case", "A")])
        second = claims.claim([("case", "A")])
        third = claims.claim([("case", "A"), ("case", "E")])
        assert third.earlier == [second.done]  # which itself waits for the first
        claims.release(first)
        assert len(claims) == 2  # A (claimed by the third) and E
        claims.release(third)
        claims.release(second)
        assert len(claims) == 0

    asyncio.run(scenario())
