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
    async with _Probe(bootstrap) as probe:
        return await probe.lag(group, specs)


class _Probe:
    """An admin client and a group-less consumer, kept open across polls (connecting
    anew every half second cost the broker more than the answer)."""

    def __init__(self, bootstrap: str) -> None:
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)

    async def start(self) -> _Probe:
        await self.admin.start()
        try:
            await self.consumer.start()
        except BaseException:
            await self.admin.close()
            raise
        return self

    async def close(self) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def __aenter__(self) -> _Probe:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def lag(self, group: str, specs: tuple[TopicSpec, ...]) -> int:
        partitions = [TopicPartition(s.name, p) for s in specs for p in range(s.partitions)]
        ends = await self.consumer.end_offsets(partitions)
        committed = await self.admin.list_consumer_group_offsets(group, partitions=partitions)
        lag = 0
        for tp in partitions:
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag += max(0, ends[tp] - done)
        return lag


async def wait_for_groups(
    bootstrap: str,
    pipeline: tuple[tuple[str, tuple[TopicSpec, ...]], ...],
    *,
    within: float,
    poll: float = 0.5,
) -> float:
    """Wait until every group has no lag, twice in a row (a later group's input may
    still grow while an earlier one drains).  Returns when the first of those two
    rounds had read every lag (``time.monotonic()``): the pipeline was drained by then,
    which a benchmark times (the second round only confirms it)."""
    deadline = time.monotonic() + within
    clean_rounds = 0
    clean_since = 0.0
    lags: dict[str, int] = {}
    probe: _Probe | None = None
    try:
        while time.monotonic() < deadline:
            try:
                if probe is None:
                    probe = await _Probe(bootstrap).start()
                lags = {group: await probe.lag(group, specs) for group, specs in pipeline}
            # e.g. the coordinator moving, a broker restart (an admin request that times
            # out raises the built-in TimeoutError, a refused connection an OSError)
            except (KafkaError, TimeoutError, OSError) as exc:
                lags = {"(broker)": 1}
                _log.debug("lag unknown for now", extra={"error": repr(exc)})
                if probe is not None:  # reconnect from scratch next round
                    await _close_quietly(probe)
                    probe = None
            clean_rounds = clean_rounds + 1 if not any(lags.values()) else 0
            if clean_rounds == 1:
                clean_since = time.monotonic()
            if clean_rounds >= 2:
                return clean_since
            await asyncio.sleep(poll)
    finally:
        if probe is not None:
            await _close_quietly(probe)
    raise TimeoutError(f"consumers still behind after {within:.0f}s: {lags}")


async def _close_quietly(probe: _Probe) -> None:
    try:
        await probe.close()
    except KafkaError:
        pass
