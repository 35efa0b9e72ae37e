"""Scoring's fetches wait for more than the other services' (settings.scoring_fetch_min_bytes):
the services as built, nothing started (no broker or database is contacted)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from govmon.adapters.host import Service
from govmon.settings import Settings, load_settings
from services.scoring.app import build_service as build_scoring
from services.timeliness.app import build_service as build_timeliness


def _min_bytes(build: Callable[[Settings, str], Awaitable[Service]]) -> int:
    settings = load_settings(database_url="postgresql://nobody@127.0.0.1:1/none",
                             fetch_min_bytes=1234, scoring_fetch_min_bytes=56789)

    async def built() -> int:
        service = await build(settings, "127.0.0.1:1")
        return service.consumer.fetch_min_bytes

    return asyncio.run(built())


def test_scoring_fetches_wait_for_its_own_minimum() -> None:
    assert _min_bytes(build_scoring) == 56789


def test_the_other_services_keep_the_shared_minimum() -> None:
    assert _min_bytes(build_timeliness) == 1234
