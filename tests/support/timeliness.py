"""A timeliness engine on the real database and broker, holding one partition, for
tests that drive its batches and ticks directly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.timeliness.engine import TimelinessEngine

Publish = Callable[[list[tuple[bytes, bytes]]], Awaitable[None]]


@asynccontextmanager
async def timeliness_engine(url: str, bootstrap: str, clock: str, partition: tuple[str, int],
                            wrap: Callable[[Publish], Publish] = lambda publish: publish
                            ) -> AsyncIterator[TimelinessEngine]:
    """The engine, its publishes through ``wrap``; its publisher and pool closed on
    exit."""
    from govmon.adapters.db import Database
    from govmon.adapters.metrics import TimelinessMetrics, new_registry
    from govmon.adapters.publisher import Publisher
    from govmon.contract import topics
    from govmon.rules import load_calendar, load_law
    from govmon.settings import load_settings
    from services.timeliness.engine import TimelinessEngine

    db = Database(url, retry_for=30)
    publisher = Publisher(bootstrap, topics.TIMELINESS.name, retry_for=30)
    try:
        yield TimelinessEngine(load_settings(clock=clock, database_url=url), db,
                               wrap(publisher), lambda: {partition},
                               TimelinessMetrics(new_registry()), load_calendar(), load_law())
    finally:
        await publisher.stop()
        await db.close()
