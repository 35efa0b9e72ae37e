"""A real single-node Apache Kafka broker (KRaft, combined broker + controller) without Docker.

The broker's jars are the official Apache Kafka artifacts from Maven Central, listed in
``infra/kafka/pom.xml`` and copied into a cache folder by Maven (:func:`ensure_artifacts`).
The broker runs as ``java -cp '<libs>/*' kafka.Kafka <data_dir>/server.properties``
(:func:`start`), detached in its own session so that it outlives the caller (``make up``) and
can be stopped later from another process (:func:`stop`) by its data folder alone.

Everything that belongs to one node lives in its data folder::

    <data_dir>/server.properties   written by start() on every start
    <data_dir>/cluster.id          the KRaft cluster id the storage was formatted with
    <data_dir>/logs/               log.dirs (topic partitions and the KRaft metadata log)
    <data_dir>/kafka.pid           pid of the running JVM (also its process-group id)

The same data folder survives stop()/start() (restarts in chaos tests); two nodes with their
own data folders and ports run side by side (the test session next to ``make up``).

Nothing here reads settings or touches the disk at import time.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil

__all__ = [
    "KAFKA_VERSION",
    "KafkaLocalError",
    "KafkaNode",
    "ensure_artifacts",
    "find_free_ports",
    "infra_dir",
    "running_pid",
    "start",
    "stop",
]

#: Newest Apache Kafka release on Maven Central, verified with aiokafka 0.14.0 and
#: faust-streaming 0.15.3. ensure_artifacts() passes it as -Dkafka.version, so the pom's own
#: default only matters for running mvn by hand (keep the two equal).
KAFKA_VERSION = "4.4.0"

NODE_ID = 1
_PID_FILE = "kafka.pid"
_PROPS_FILE = "server.properties"
_CLUSTER_ID_FILE = "cluster.id"
_LOG_DIRS = "logs"
_MARKER = ".complete.json"
_MAIN_CLASS = "kafka.Kafka"
_STORAGE_TOOL = "kafka.tools.StorageTool"


class KafkaLocalError(RuntimeError):
    """The local broker could not be fetched, formatted, started or stopped."""


@dataclass(frozen=True)
class KafkaNode:
    """A started broker. ``bootstrap`` is ``127.0.0.1:<port>`` (PLAINTEXT)."""

    bootstrap: str
    pid: int
    data_dir: Path
    log_file: Path


# --------------------------------------------------------------------------- artifacts


def infra_dir() -> Path:
    """``<repo>/infra/kafka`` (pom.xml and log4j2.properties), found upwards from this file."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "infra" / "kafka"
        if (candidate / "pom.xml").is_file():
            return candidate
    raise KafkaLocalError(
        f"infra/kafka/pom.xml not found above {here}; pass pom=/log4j_config= explicitly"
    )


def ensure_artifacts(
    cache_dir: Path,
    version: str = KAFKA_VERSION,
    *,
    quiet: bool = True,
    pom: Path | None = None,
) -> Path:
    """Return ``<cache_dir>/kafka-<version>/libs`` holding the broker's runtime jars.

    Idempotent: the first call runs ``mvn -f infra/kafka/pom.xml dependency:copy-dependencies
    -Dkafka.version=<version>`` into a scratch folder, moves it into place and writes a marker
    (with the pom's hash); later calls only check the marker, so a half-finished copy or a
    changed pom.xml is fetched again (unless a running broker uses the old jars: then they are
    kept, with a RuntimeWarning). Concurrent callers (``make up`` and a pytest session)
    are serialised with a file lock. Maven uses the user's normal ``~/.m2`` unless
    ``MAVEN_OPTS`` / ``~/.m2/settings.xml`` say otherwise.

    ``quiet=False`` streams Maven's output to stderr. Raises :class:`KafkaLocalError` when
    ``mvn`` or ``java`` is missing or the download fails (with the tail of Maven's output).
    """
    pom = (pom or infra_dir() / "pom.xml").resolve()
    if not pom.is_file():
        raise KafkaLocalError(f"{pom} does not exist")
    root = Path(cache_dir).expanduser().resolve() / f"kafka-{version}"
    libs = root / "libs"
    marker = root / _MARKER
    fingerprint = {
        "version": version,
        "pom_sha256": hashlib.sha256(pom.read_bytes()).hexdigest(),
    }
    if _marker_ok(marker, libs, fingerprint):
        return libs

    _java()  # fail early and clearly: the jars are useless without a JVM
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaLocalError("`mvn` (Apache Maven) is not on PATH; it fetches the Kafka jars")

    root.mkdir(parents=True, exist_ok=True)
    with _locked(root.parent / f"kafka-{version}.lock"):
        if _marker_ok(marker, libs, fingerprint):  # another process finished meanwhile
            return libs
        in_use = _libs_users(libs) if _marker_ok(marker, libs, {"version": version}) else []
        if in_use:
            # pom.xml changed, but replacing the jars under a running JVM would break its
            # class loading later on: keep them until those brokers are stopped.
            warnings.warn(
                f"{pom} changed since {libs} was fetched, but running broker(s) {in_use} use "
                "those jars; keeping them (stop the brokers to fetch again)",
                RuntimeWarning,
                stacklevel=2,
            )
            return libs
        marker.unlink(missing_ok=True)
        scratch = root / f"libs.partial-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        cmd = [
            mvn, "-B", "--no-transfer-progress", "-Dstyle.color=never", *(["-q"] if quiet else []),
            "-f", str(pom),
            "dependency:copy-dependencies",
            f"-Dkafka.version={version}",
            f"-DoutputDirectory={scratch}",
            "-DincludeScope=runtime",
        ]  # fmt: skip
        code, output = _run(cmd, echo=not quiet, cwd=pom.parent)
        if code != 0:
            shutil.rmtree(scratch, ignore_errors=True)
            raise KafkaLocalError(
                f"fetching Kafka {version} jars failed (exit {code}): {' '.join(cmd)}\n"
                + _tail_text(output, 40)
            )
        jars = sorted(p.name for p in scratch.glob("*.jar"))
        if f"kafka_2.13-{version}.jar" not in jars:
            shutil.rmtree(scratch, ignore_errors=True)
            raise KafkaLocalError(
                f"mvn succeeded but kafka_2.13-{version}.jar is not in {scratch}\n"
                + _tail_text(output, 40)
            )
        shutil.rmtree(libs, ignore_errors=True)
        scratch.rename(libs)
        _write_atomic(marker, json.dumps({**fingerprint, "jars": jars}, indent=1))
    return libs


def _marker_ok(marker: Path, libs: Path, fingerprint: Mapping[str, str]) -> bool:
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    if any(data.get(k) != v for k, v in fingerprint.items()):
        return False
    jars = data.get("jars") or []
    return bool(jars) and all((libs / name).is_file() for name in jars)


def _libs_users(libs: Path) -> list[int]:
    """Pids of running JVMs whose class path is ``<libs>/*``."""
    classpath = f"{libs}/*"
    users = []
    for proc in psutil.process_iter(["cmdline"]):
        if classpath in (proc.info.get("cmdline") or []):
            users.append(proc.pid)
    return users


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run(cmd: list[str], *, echo: bool, cwd: Path | None = None) -> tuple[int, str]:
    """Run ``cmd`` to completion; return (exit code, combined output). ``echo`` tees to stderr."""
    lines: list[str] = []
    with subprocess.Popen(
        cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, errors="replace",
    ) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if echo:
                sys.stderr.write(line)
                sys.stderr.flush()
        code = proc.wait()
    return code, "".join(lines)


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
        if not _port_free(p):
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
        # Topics are created explicitly (govmon.adapters.kafka_admin, faust's internal topics).
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


# --------------------------------------------------------------------------- stop / status


def running_pid(data_dir: Path) -> int | None:
    """Pid of this data folder's running broker, or None.

    The pid file is trusted only if that process is alive (not a zombie) and its command
    line is ``kafka.Kafka <data_dir>/server.properties`` (guards against pid reuse).
    """
    data_dir = Path(data_dir).resolve()
    pid = _read_pid(data_dir)
    if pid is not None and _is_broker_of(pid, data_dir):
        return pid
    return None


def stop(data_dir: Path, *, timeout: float = 30) -> bool:
    """Stop this data folder's broker; return whether one was running.

    SIGTERM to its process group (Kafka shuts down cleanly: flushes logs, writes the clean
    shutdown marker), SIGKILL after ``timeout`` seconds, then wait until the JVM is gone
    and reaped. Besides the pid file, any ``kafka.Kafka <data_dir>/server.properties``
    process is found by its command line, so a lost pid file leaves no JVM behind.
    Removes the pid file. Raises :class:`KafkaLocalError` if the JVM survives SIGKILL.
    """
    data_dir = Path(data_dir).resolve()
    pids = set(_broker_processes(data_dir))
    pid = _read_pid(data_dir)
    if pid is not None and _is_broker_of(pid, data_dir):
        pids.add(pid)
    if pids:
        _terminate(sorted(pids), timeout=timeout)
    (data_dir / _PID_FILE).unlink(missing_ok=True)
    return bool(pids)


def _terminate(pids: list[int], *, timeout: float) -> None:
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 15.0)):
        for pid in pids:
            _signal(pid, sig)
        deadline = time.monotonic() + wait
        while any(_alive(pid) for pid in pids):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        else:
            return
    left = [pid for pid in pids if _alive(pid)]
    if left:
        raise KafkaLocalError(f"Kafka broker process(es) {left} survived SIGKILL")


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:  # started by start(): its own process group
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs. Reaps it when it is our exited child.

    For our own child (start() in this process) waitpid() is the only reliable answer: while
    the JVM exits, its main thread already shows as a zombie but other threads still run
    and the process cannot be reaped yet. For anyone else's (e.g. started by `make up`),
    a zombie whose threads are all gone has exited; its parent or init reaps it.
    """
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done != pid
    except ChildProcessError:
        pass  # not our child
    try:
        proc = psutil.Process(pid)
        if proc.status() != psutil.STATUS_ZOMBIE:
            return True
        return proc.num_threads() > 1
    except psutil.Error:
        return False


def _is_broker_of(pid: int, data_dir: Path) -> bool:
    if not _alive(pid):
        return False
    try:
        cmdline = psutil.Process(pid).cmdline()
    except psutil.Error:
        return False
    return _matches(cmdline, data_dir)


def _matches(cmdline: list[str], data_dir: Path) -> bool:
    return _MAIN_CLASS in cmdline and str(data_dir / _PROPS_FILE) in cmdline


def _broker_processes(data_dir: Path) -> list[int]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if _matches(cmdline, data_dir) and _alive(proc.pid):
            found.append(proc.pid)
    return found


def _read_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / _PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- helpers


def find_free_ports(count: int = 2) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that are free right now (for tests)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


def _port_free(port: int) -> bool:
    # SO_REUSEADDR as the JVM's server sockets use it: a TIME_WAIT left by the previous
    # broker on the same port (a restart) does not count as "in use".
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise KafkaLocalError("`java` (17 or newer) is not on PATH and JAVA_HOME is not set")
    return java


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _tail_text(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _tail_file(path: Path, offset: int = 0, lines: int = 60) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(offset, size - 64 * 1024))
            data = fh.read().decode(errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return _tail_text(data, lines) or "(empty)"
