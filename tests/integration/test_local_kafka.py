"""govmon.localstack.kafka against a real broker: start on free ports in a tmp folder, topics,
produce / consume with a consumer group, restart on the same data folder (committed offsets
and messages survive), a second broker beside the first, and stop leaving no JVM behind.

Jars come from GOVMON_CACHE_DIR (default ~/.cache/govmon), fetched by Maven on first use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

from govmon.localstack import kafka

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

TOPIC = "it.local-kafka"
GROUP = "it-local-kafka"
PARTITIONS = 3


@pytest.fixture(scope="module")
def libs() -> Path:
    cache = Path(os.environ.get("GOVMON_CACHE_DIR", Path.home() / ".cache" / "govmon"))
    return kafka.ensure_artifacts(cache)


@pytest.fixture
def node_dir(tmp_path: Path) -> Iterator[Path]:
    data_dir = tmp_path / "kafka"
    yield data_dir
    kafka.stop(data_dir)  # whatever the test did, leave no broker behind


def _brokers_of(data_dir: Path) -> list[int]:
    """JVMs whose command line is `kafka.Kafka <data_dir>/server.properties`."""
    props = str(data_dir.resolve() / "server.properties")
    pids = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if "kafka.Kafka" in cmdline and props in cmdline:
            if proc.info["status"] != psutil.STATUS_ZOMBIE:
                pids.append(proc.pid)
    return pids


async def _admin(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    return admin


async def _produce(bootstrap: str, values: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(TOPIC, value.encode(), key=value.encode())
    finally:
        await producer.stop()


async def _consume_group(bootstrap: str, expected: int) -> tuple[list[str], dict[int, int]]:
    """Read `expected` messages as GROUP, commit, return (values, committed offsets)."""
    consumer = AIOKafkaConsumer(
        TOPIC, bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    try:
        values: list[str] = []
        for _ in range(60):
            batches = await consumer.getmany(timeout_ms=1000)
            for messages in batches.values():
                values += [m.value.decode() for m in messages if m.value is not None]
            if len(values) >= expected:
                break
        await consumer.commit()
        committed = {}
        for partition in range(PARTITIONS):
            offset = await consumer.committed(TopicPartition(TOPIC, partition))
            committed[partition] = offset or 0
        return values, committed
    finally:
        await consumer.stop()


async def _read_all(bootstrap: str, expected: int) -> list[str]:
    """Every message of TOPIC from the beginning, without a group."""
    consumer = AIOKafkaConsumer(
        TOPIC, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        values: list[str] = []
        for _ in range(30):
            batches = await consumer.getmany(timeout_ms=1000)
            for messages in batches.values():
                values += [m.value.decode() for m in messages if m.value is not None]
            if len(values) >= expected:
                # one more short poll: more than expected would be a bug too
                for messages in (await consumer.getmany(timeout_ms=300)).values():
                    values += [m.value.decode() for m in messages if m.value is not None]
                break
        return values
    finally:
        await consumer.stop()


async def test_broker_lifecycle_restart_keeps_data(libs: Path, node_dir: Path, tmp_path: Path):
    port, controller_port = kafka.find_free_ports(2)
    log_file = tmp_path / "kafka.log"

    node = kafka.start(node_dir, port=port, controller_port=controller_port, libs=libs,
                       log_file=log_file)  # fmt: skip
    assert node.bootstrap == f"127.0.0.1:{port}"
    assert kafka.running_pid(node_dir) == node.pid
    assert _brokers_of(node_dir) == [node.pid]
    cluster_id = (node_dir / "cluster.id").read_text().strip()

    admin = await _admin(node.bootstrap)
    try:
        await admin.create_topics([NewTopic(TOPIC, num_partitions=PARTITIONS,
                                            replication_factor=1)])  # fmt: skip
        [described] = await admin.describe_topics([TOPIC])
        assert len(described["partitions"]) == PARTITIONS
    finally:
        await admin.close()

    first = [f"a-{i}" for i in range(30)]
    await _produce(node.bootstrap, first)
    values, committed = await _consume_group(node.bootstrap, len(first))
    assert sorted(values) == sorted(first)
    assert sum(committed.values()) == len(first)
    # Produced after the commit: the group must get exactly these after the restart.
    second = [f"b-{i}" for i in range(10)]
    await _produce(node.bootstrap, second)

    assert kafka.stop(node_dir) is True
    assert kafka.running_pid(node_dir) is None
    assert not psutil.pid_exists(node.pid)
    assert _brokers_of(node_dir) == []
    assert not (node_dir / "kafka.pid").exists()
    assert kafka.stop(node_dir) is False  # nothing left to stop

    restarted = kafka.start(node_dir, port=port, controller_port=controller_port, libs=libs,
                            log_file=log_file)  # fmt: skip
    assert restarted.pid != node.pid
    assert (node_dir / "cluster.id").read_text().strip() == cluster_id  # not re-formatted

    admin = await _admin(restarted.bootstrap)
    try:
        offsets = await admin.list_consumer_group_offsets(GROUP)
        assert {tp.partition: meta.offset for tp, meta in offsets.items()} == committed
        [described] = await admin.describe_topics([TOPIC])
        assert len(described["partitions"]) == PARTITIONS
    finally:
        await admin.close()

    values, _ = await _consume_group(restarted.bootstrap, len(second))
    assert sorted(values) == sorted(second)  # resumed from the committed offsets
    assert sorted(await _read_all(restarted.bootstrap, 40)) == sorted(first + second)

    assert kafka.stop(node_dir) is True
    assert not psutil.pid_exists(restarted.pid)
    assert _brokers_of(node_dir) == []
    assert kafka.running_pid(node_dir) is None


async def test_two_brokers_side_by_side(libs: Path, tmp_path: Path):
    one, two = tmp_path / "one", tmp_path / "two"
    ports = kafka.find_free_ports(4)
    try:
        a = kafka.start(one, port=ports[0], controller_port=ports[1], libs=libs,
                        log_file=tmp_path / "one.log")  # fmt: skip
        b = kafka.start(two, port=ports[2], controller_port=ports[3], libs=libs,
                        log_file=tmp_path / "two.log")  # fmt: skip
        # start() again on a running node with the same port only waits for it
        assert kafka.start(one, port=ports[0], controller_port=ports[1], libs=libs,
                           log_file=tmp_path / "one.log").pid == a.pid  # fmt: skip
        with pytest.raises(kafka.KafkaLocalError, match="already runs"):
            kafka.start(one, port=ports[2], controller_port=ports[3], libs=libs,
                        log_file=tmp_path / "one.log")  # fmt: skip

        admin = await _admin(a.bootstrap)
        try:
            await admin.create_topics([NewTopic("only-on-one", 1, 1)])
        finally:
            await admin.close()
        admin = await _admin(b.bootstrap)
        try:
            assert "only-on-one" not in await admin.list_topics()
        finally:
            await admin.close()
    finally:
        stopped = [kafka.stop(one), kafka.stop(two)]
    assert stopped == [True, True]
    assert _brokers_of(one) == [] and _brokers_of(two) == []
