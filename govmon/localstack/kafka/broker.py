"""Starting a broker: server.properties, KRaft storage format, detached JVM, readiness."""


from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from govmon.localstack.kafka._common import (
    _CLUSTER_ID_FILE,
    _LOG_DIRS,
    _MAIN_CLASS,
    _PID_FILE,
    _PROPS_FILE,
    _STORAGE_TOOL,
    NODE_ID,
    KafkaLocalError,
    KafkaNode,
)
from govmon.localstack.kafka.artifacts import _run, infra_dir
from govmon.localstack.kafka.process import (
    _alive,
    _java,
    _tail_file,
    _tail_text,
    _terminate,
    _write_atomic,
    port_is_free,
    running_pid,
)

# --------------------------------------------------------------------------- start


def start(
    data_dir: Path,
    *,
    port: int,
    controller_port: int,
    libs: Path,
    log_file: Path,
    heap: str = "512m",
    timeout: float = 90,
    log4j_config: Path | None = None,
    extra_properties: Mapping[str, str] | None = None,
) -> KafkaNode:
    """Start (formatting first if needed) the broker of ``data_dir`` and wait until it answers.

    - Writes ``<data_dir>/server.properties``: KRaft combined broker+controller, node.id=1,
      a static one-voter quorum, listeners on 127.0.0.1 only (``port`` PLAINTEXT for clients,
      ``controller_port`` for the controller), ``log.dirs=<data_dir>/logs``, no topic
      auto-creation, replication factor / min ISR 1 everywhere, no initial rebalance delay,
      64 MiB segments and small thread pools / log-cleaner buffer.
      ``extra_properties`` are appended last (they win).
    - Formats the storage with Kafka's own ``kafka.tools.StorageTool format`` once (when
      ``logs/meta.properties`` is missing), with a cluster id kept in ``<data_dir>/cluster.id``.
    - Starts ``java -Xmx<heap> -Xms<heap> -cp '<libs>/*' kafka.Kafka server.properties`` in its
      own session (pid == process-group id), stdout/stderr appended to ``log_file``, and writes
      ``<data_dir>/kafka.pid``.
    - Waits (``timeout`` seconds) until an aiokafka admin client sees node 1 in the cluster
      metadata (registered and unfenced) and its group coordinator has loaded the committed
      offsets (see _probe).
      On failure the JVM is killed and :class:`KafkaLocalError` carries the tail of
      ``log_file``.

    If this data folder's broker is already running on ``port``, it is only waited for and
    returned (so a repeated ``make up`` is harmless); running on other ports is an error.
    Blocking; safe to call from inside a running event loop (the probe runs in a thread).
    """
    data_dir = Path(data_dir).resolve()
    libs = Path(libs).resolve()
    log_file = Path(log_file).resolve()
    log4j_config = (log4j_config or infra_dir() / "log4j2.properties").resolve()
    bootstrap = f"127.0.0.1:{port}"

    existing = running_pid(data_dir)
    if existing is not None:
        running_port = _configured_port(data_dir)
        if running_port != port:
            raise KafkaLocalError(
                f"a broker (pid {existing}) already runs on {data_dir} with port "
                f"{running_port}, not {port}; stop it first"
            )
        _wait_ready(bootstrap, existing, log_file, log_offset=0, timeout=timeout)
        return KafkaNode(bootstrap, existing, data_dir, log_file)

    if not any(libs.glob("kafka_2.13-*.jar")):
        raise KafkaLocalError(f"{libs} holds no kafka_2.13 jar; call ensure_artifacts() first")
    if not log4j_config.is_file():
        raise KafkaLocalError(f"log4j2 configuration {log4j_config} does not exist")
    if port == controller_port:
        raise KafkaLocalError("port and controller_port must differ")
    for p in (port, controller_port):
        if not port_is_free(p):
            raise KafkaLocalError(f"127.0.0.1:{p} is already in use")

    java = _java()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_dirs = data_dir / _LOG_DIRS
    props = data_dir / _PROPS_FILE
    _write_atomic(
        props,
        _server_properties(
            port=port, controller_port=controller_port, log_dirs=log_dirs,
            extra=extra_properties or {},
        ),
    )  # fmt: skip
    classpath = f"{libs}/*"
    log_opts = [f"-Dlog4j2.configurationFile={log4j_config}", f"-Dkafka.logs.dir={data_dir}"]

    if not (log_dirs / "meta.properties").is_file():
        cluster_id = _cluster_id(data_dir)
        cmd = [
            java, "-Xmx256m", *log_opts, "-cp", classpath, _STORAGE_TOOL,
            "format", "--ignore-formatted", "--cluster-id", cluster_id, "--config", str(props),
        ]  # fmt: skip
        code, output = _run(cmd, echo=False, cwd=data_dir)
        if code != 0:
            raise KafkaLocalError(
                f"formatting {log_dirs} failed (exit {code}): {' '.join(cmd)}\n"
                + _tail_text(output, 40)
            )

    cmd = [
        java,
        f"-Xmx{heap}", f"-Xms{heap}",
        # kafka-run-class.sh's defaults, plus: die on OOM instead of limping on.
        "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
        "-XX:+ExplicitGCInvokesConcurrent", "-XX:+ExitOnOutOfMemoryError",
        f"-XX:ErrorFile={data_dir}/hs_err_pid%p.log",
        # The local broker shares 2 cores with the services and PostgreSQL: C2 JIT
        # compilation took 2/3 of its CPU for the first minutes of a run (measured with
        # jstack), more than serving requests.  C1-compiled code is slower at peak but
        # the broker is a small share of the pipeline's work.
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        *log_opts,
        "-cp", classpath,
        _MAIN_CLASS, str(props),
    ]  # fmt: skip
    with open(log_file, "ab") as log_fh:
        log_offset = log_fh.tell()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log_fh.write(f"\n===== [{stamp}] govmon: starting Kafka on {bootstrap} =====\n".encode())
        log_fh.flush()
        # posix_spawn rather than subprocess.Popen: the broker is meant to outlive this
        # process, and a Popen object would be garbage-collected (ResourceWarning) while the
        # child still runs. setsid=True: its own session and process group (pgid == pid).
        pid = os.posix_spawn(
            java,
            cmd,
            dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fh.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, log_fh.fileno(), 2),
            ],
            setsid=True,
        )
    _write_atomic(data_dir / _PID_FILE, f"{pid}\n")
    try:
        _wait_ready(bootstrap, pid, log_file, log_offset=log_offset, timeout=timeout)
    except BaseException:
        _terminate([pid], timeout=10)
        (data_dir / _PID_FILE).unlink(missing_ok=True)
        raise
    return KafkaNode(bootstrap, pid, data_dir, log_file)


def _server_properties(
    *, port: int, controller_port: int, log_dirs: Path, extra: Mapping[str, str]
) -> str:
    props: dict[str, str] = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        # Static quorum: the controller's address is configuration, not state in the
        # metadata log, so a restart may even use another controller_port.
        "controller.quorum.voters": f"{NODE_ID}@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(log_dirs),
        # Topics are created explicitly (govmon.adapters.kafka_admin), never by a typo.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "10",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # After a crash (SIGKILL) the restarted node cannot register until the controller
        # expires the old incarnation's session (DUPLICATE_BROKER_REGISTRATION): the default
        # 9 s session made a crash-restart take ~18 s. Heartbeats stay on loopback.
        "broker.heartbeat.interval.ms": "1000",
        "broker.session.timeout.ms": "4000",
        # Small machine (2 cores): fewer threads, smaller segments and cleaner buffer
        # (the default 128 MiB dedupe buffer would take a quarter of a 512 MiB heap).
        "num.network.threads": "2",
        "num.io.threads": "4",
        "background.threads": "4",
        "num.recovery.threads.per.data.dir": "1",
        "log.cleaner.threads": "1",
        "log.cleaner.dedupe.buffer.size": str(32 * 1024 * 1024),
        "log.segment.bytes": str(64 * 1024 * 1024),
        "log.retention.hours": "168",
    }
    props.update(extra)
    lines = ["# Written by govmon.localstack.kafka.start(); rewritten on every start."]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def _cluster_id(data_dir: Path) -> str:
    path = data_dir / _CLUSTER_ID_FILE
    with contextlib.suppress(OSError):
        existing = path.read_text().strip()
        if existing:
            return existing
    # Like org.apache.kafka.common.Uuid.randomUuid(): 16 random bytes, URL-safe base64
    # without padding, never starting with '-' (that would look like a CLI flag).
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not value.startswith("-"):
            break
    _write_atomic(path, value + "\n")
    return value


def _configured_port(data_dir: Path) -> int | None:
    try:
        text = (data_dir / _PROPS_FILE).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("advertised.listeners="):
            with contextlib.suppress(ValueError):
                return int(line.rsplit(":", 1)[1])
    return None


def _wait_ready(
    bootstrap: str, pid: int, log_file: Path, *, log_offset: int, timeout: float
) -> None:
    host, port_text = bootstrap.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kafka-probe") as pool:
        while True:
            if not _alive(pid):
                raise KafkaLocalError(
                    f"Kafka broker (pid {pid}) exited during start-up; {log_file}:\n"
                    + _tail_file(log_file, log_offset)
                )
            if time.monotonic() > deadline:
                raise KafkaLocalError(
                    f"Kafka broker (pid {pid}) did not answer on {bootstrap} within "
                    f"{timeout:.0f} s ({last_error}); {log_file}:\n"
                    + _tail_file(log_file, log_offset)
                )
            # Only bring in aiokafka once the port accepts connections, so it does not log
            # "connection refused" errors for every attempt.
            try:
                socket.create_connection((host, int(port_text)), timeout=1).close()
            except OSError as exc:
                last_error = f"connect: {exc}"
                time.sleep(0.2)
                continue
            try:
                future = pool.submit(asyncio.run, _probe(bootstrap))
                if future.result(timeout=30):
                    return
                last_error = f"node {NODE_ID} not yet in the cluster metadata"
            except Exception as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.3)


async def _probe(bootstrap: str) -> bool:
    """True when a real Kafka client sees this node registered and unfenced, and the group
    coordinator has loaded every ``__consumer_offsets`` partition.

    The second part matters after a restart: for a moment the broker answers metadata but
    its group coordinator is still loading (or not yet elected for) the offsets partitions.
    Consumers retry through that, but admin calls do not: aiokafka's
    list_consumer_group_offsets() then returns {} and list_consumer_groups() raises.
    """
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="govmon-localstack-probe", request_timeout_ms=5000
    )
    try:
        await asyncio.wait_for(admin.start(), 10)
        cluster = await asyncio.wait_for(admin.describe_cluster(), 10)
        if not any(b.get("node_id") == NODE_ID for b in cluster.get("brokers", [])):
            return False
        topics = await asyncio.wait_for(admin.describe_topics(), 10)  # all; creates nothing
        offsets = [t for t in topics if t.get("topic") == "__consumer_offsets"]
        if not offsets:
            return True  # fresh cluster: created (and loaded) on first use
        partitions = offsets[0].get("partitions") or []
        if offsets[0].get("error_code") or not partitions:
            return False
        if any(p.get("leader") != NODE_ID for p in partitions):
            return False
        # One DescribeGroups per offsets partition, each for a group id that hashes to it:
        # 0 (or GROUP_ID_NOT_FOUND) once loaded; COORDINATOR_LOAD_IN_PROGRESS /
        # NOT_COORDINATOR before. One group per request: aiokafka 0.14.0 mis-decodes
        # DescribeGroups v3 responses holding more than one group.
        for group in _groups_per_partition(len(partitions)):
            [response] = await asyncio.wait_for(
                admin.describe_consumer_groups([group], group_coordinator_id=NODE_ID), 10
            )
            [described] = response.to_object()["groups"]
            if described["error_code"] not in (0, 69):
                return False
        return True
    finally:
        await admin.close()


def _groups_per_partition(count: int) -> list[str]:
    """Group ids g[p] with Kafka's partitionFor(g[p]) == p for p in range(count):
    Utils.abs(groupId.hashCode()) % count, with Java's String.hashCode."""
    found: dict[int, str] = {}
    i = 0
    while len(found) < count:
        group = f"govmon-localstack-probe-{i}"
        h = 0
        for ch in group:  # ASCII, so UTF-16 code units == code points
            h = (31 * h + ord(ch)) & 0xFFFFFFFF
        if h >= 1 << 31:
            h -= 1 << 32
        partition = (0 if h == -(1 << 31) else abs(h)) % count
        found.setdefault(partition, group)
        i += 1
    return [found[p] for p in range(count)]


