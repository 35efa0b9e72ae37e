"""`/readyz` (adapters.host): not ready until the consumer runs and has finished a
rebalance (a member assigned no partition is a ready standby); not ready again while
it rebalances.  The consumer is a
stand-in with only what `readiness` reads (started, rebalancing, assignment()): the
real consumer on the real broker is in tests/integration/test_consumer.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import pytest
from prometheus_client import CollectorRegistry

from govmon.adapters.consumer import BatchConsumer
from govmon.adapters.host import Service, readiness, web_app


@dataclass
class StandIn:
    """A BatchConsumer as `readiness` sees it; starts as the real one does."""

    started: bool = False
    rebalancing: bool = True  # until the first assignment
    held: set[tuple[str, int]] = field(default_factory=set)

    def assignment(self) -> set[tuple[str, int]]:
        return set(self.held)


async def _handle(records: Any) -> None:
    raise AssertionError("no batch is handled here")


def _ready(consumer: StandIn) -> tuple[bool, dict[str, Any]]:
    return readiness(cast(BatchConsumer, consumer))


def _client(consumer: StandIn) -> httpx.AsyncClient:
    """The service's web app, called in this process (httpx's ASGI transport)."""
    service = Service("ingest", cast(BatchConsumer, consumer), _handle, CollectorRegistry(),
                      port=0)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=web_app(service)),
                             base_url="http://service")


# The consumer's life: built, started, assigned, rebalancing (partitions revoked), and
# assigned again.  (stand-in, ready?, detail)
LIFE: list[tuple[str, StandIn, bool, dict[str, Any]]] = [
    ("built", StandIn(), False, {"reason": "consumer not started"}),
    ("not started, stale state", StandIn(False, False, {("t", 0)}), False,
     {"reason": "consumer not started"}),
    ("started, joining", StandIn(True), False, {"reason": "rebalancing", "partitions": 0}),
    ("rebalancing, still holding", StandIn(True, True, {("t", 0), ("t", 1)}), False,
     {"reason": "rebalancing", "partitions": 2}),
    # more members than partitions: a standby, ready to take over
    ("assigned nothing", StandIn(True, False), True, {"partitions": 0, "standby": True}),
    ("holds one", StandIn(True, False, {("t", 0)}), True, {"partitions": 1}),
    ("holds three", StandIn(True, False, {("t", 0), ("t", 1), ("u", 0)}), True,
     {"partitions": 3}),
]


@pytest.mark.parametrize(("consumer", "ready", "detail"),
                         [case[1:] for case in LIFE], ids=[case[0] for case in LIFE])
def test_readiness(consumer: StandIn, ready: bool, detail: dict[str, Any]) -> None:
    assert _ready(consumer) == (ready, detail)


@pytest.mark.parametrize(("consumer", "ready", "detail"),
                         [case[1:] for case in LIFE], ids=[case[0] for case in LIFE])
async def test_readyz_route(consumer: StandIn, ready: bool, detail: dict[str, Any]) -> None:
    async with _client(consumer) as client:
        response = await client.get("/readyz")
    assert response.status_code == (200 if ready else 503)
    assert response.json() == {"ready": ready, **detail}


async def test_readyz_follows_the_consumer_through_a_rebalance() -> None:
    """The same app answers from the consumer's state at each request."""
    consumer = StandIn()
    async with _client(consumer) as client:

        async def status() -> int:
            return (await client.get("/readyz")).status_code

        assert await status() == 503  # built, not started
        consumer.started = True
        assert await status() == 503  # joining the group
        consumer.rebalancing, consumer.held = False, {("t", 0)}
        assert await status() == 200  # assigned
        consumer.rebalancing = True  # partitions revoked: the batches in hand settle
        assert await status() == 503
        consumer.rebalancing, consumer.held = False, {("t", 1)}
        assert await status() == 200
        consumer.started = False  # stopping
        assert await status() == 503
        alive = (await client.get("/healthz")).json()
        assert alive == {"status": "alive", "service": "govmon-ingest"}


async def test_the_stand_in_starts_as_a_real_consumer() -> None:
    """A real BatchConsumer, built but not started (nothing is contacted): the stand-in
    has its attributes and their first values, so the cases above are the real ones."""
    real = BatchConsumer("127.0.0.1:1", "govmon-test-readiness", ["t"], max_records=1,
                         idle_ms=100, session_timeout=10, retry_for=1)
    try:
        fresh = StandIn()
        assert (real.started, real.rebalancing, real.assignment()) == (
            fresh.started, fresh.rebalancing, fresh.assignment())
        assert readiness(real) == _ready(fresh) == (False, {"reason": "consumer not started"})
    finally:
        await real.stop()  # closes what was built; it never connected
