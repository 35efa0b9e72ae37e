"""Real servers for the test session: Kafka (KRaft) and PostgreSQL, on their own ports
and folders so that tests can run while `make up` is running.  Never imitations."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from govmon.adapters.kafka_admin import ensure_topics
from govmon.localstack.kafka import free_port


def cache_dir() -> Path:
    return Path(os.environ.get("GOVMON_CACHE_DIR", Path.home() / ".cache" / "govmon"))


class KafkaUnderTest:
    """A broker owned by the test session (or an external one when
    KAFKA_BOOTSTRAP_SERVERS is set: then it is used as it is and never stopped)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        self.data_dir = root / "kafka"
        self.port = free_port()
        self.controller_port = free_port()
        self.bootstrap = self.external or f"127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.external:
            return
        from govmon.localstack import kafka

        libs = kafka.ensure_artifacts(cache_dir())
        kafka.start(self.data_dir, port=self.port, controller_port=self.controller_port,
                    libs=libs, log_file=self.root / "kafka.log", heap="768m")

    def stop(self) -> None:
        if not self.external:
            from govmon.localstack import kafka

            kafka.stop(self.data_dir)


class PostgresUnderTest:
    def __init__(self, root: Path) -> None:
        self.external = os.environ.get("DATABASE_URL")
        self.pgdata = root / "pg"
        self.url = self.external or ""

    def start(self) -> None:
        if not self.external:
            from govmon.localstack import postgres

            self.url = postgres.start(self.pgdata)

    def stop(self) -> None:
        if not self.external:
            from govmon.localstack import postgres

            postgres.stop(self.pgdata)


async def reset_kafka(bootstrap: str) -> None:
    """Delete every non-internal topic, then create ours afresh:
    each test starts from empty topics and no committed offsets."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # Deleting a topic also deletes the offsets groups committed on it, so consumer
        # groups start from the beginning of the new topics.
        names = [t for t in await admin.list_topics() if not t.startswith("__")]
        if names:
            await admin.delete_topics(names)
        for _ in range(200):  # deletion is asynchronous in the controller
            left = [t for t in await admin.list_topics() if not t.startswith("__")]
            if not left:
                break
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    await ensure_topics(bootstrap)
