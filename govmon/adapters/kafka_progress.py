"""How far consumer groups are behind: used by `produce --wait` and the tests."""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from govmon.contract.topics import TopicSpec

_log = logging.getLogger(__name__)


async def group_lag(bootstrap: str, group: str, specs: tuple[TopicSpec, ...]) -> int:
    """Records in ``specs`` not yet committed by ``group`` (uncommitted = all)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(s.name, p) for s in specs for p in range(s.partitions)]
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        lag = 0
        for tp in partitions:
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag += max(0, ends[tp] - done)
        return lag
    finally:
        await consumer.stop()
        await admin.close()


async def wait_for_groups(
    bootstrap: str,
    pipeline: tuple[tuple[str, tuple[TopicSpec, ...]], ...],
    *,
    within: float,
    poll: float = 0.5,
) -> dict[str, int]:
    """Wait until every group has no lag, twice in a row (a later group's input may
    still grow while an earlier one drains).  Returns the last lags seen."""
    deadline = time.monotonic() + within
    clean_rounds = 0
    lags: dict[str, int] = {}
    while time.monotonic() < deadline:
        try:
            lags = {group: await group_lag(bootstrap, group, specs)
                    for group, specs in pipeline}
        except KafkaError as exc:  # e.g. the group coordinator moving: ask again
            lags = {"(broker)": 1}
            _log.debug("lag unknown for now", extra={"error": repr(exc)})
        clean_rounds = clean_rounds + 1 if not any(lags.values()) else 0
        if clean_rounds >= 2:
            return lags
        await asyncio.sleep(poll)
    raise TimeoutError(f"consumers still behind after {within:.0f}s: {lags}")
