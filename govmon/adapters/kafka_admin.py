"""Topic creation: explicit partitions and retention, never broker auto-creation."""

from __future__ import annotations

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from tenacity import AsyncRetrying, stop_after_delay, wait_exponential

from govmon.adapters.logs import log_retry
from govmon.contract.topics import ALL_TOPICS, TopicSpec

_log = logging.getLogger(__name__)


def _new_topic(spec: TopicSpec) -> NewTopic:
    configs = {"retention.ms": str(spec.retention_ms)}
    if spec.compacted:
        configs["cleanup.policy"] = "compact"
    return NewTopic(spec.name, spec.partitions, 1, topic_configs=configs)


async def ensure_topics(
    bootstrap: str, specs: tuple[TopicSpec, ...] = ALL_TOPICS, *, wait: float = 60
) -> list[str]:
    """Create the missing topics; return the names created.  Idempotent."""
    async for attempt in AsyncRetrying(stop=stop_after_delay(wait),
                                       wait=wait_exponential(multiplier=0.2, max=3),
                                       before_sleep=log_retry(_log, "kafka (topics)"),
                                       reraise=True):
        with attempt:
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
            await admin.start()
            try:
                existing = set(await admin.list_topics())
                missing = [s for s in specs if s.name not in existing]
                for spec in missing:
                    try:
                        await admin.create_topics([_new_topic(spec)])
                    except TopicAlreadyExistsError:
                        pass  # another process won the race; same spec
                if missing:
                    _log.info("topics created", extra={"topics": [s.name for s in missing]})
                return [s.name for s in missing]
            finally:
                await admin.close()
    raise AssertionError("unreachable")
