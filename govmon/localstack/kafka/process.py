"""Finding and stopping a broker by its data folder; small process and file helpers."""


from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import time
from pathlib import Path

import psutil

from govmon.localstack.kafka._common import _MAIN_CLASS, _PID_FILE, _PROPS_FILE, KafkaLocalError

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


# Ports this process has handed out: the kernel may give a port just closed to the next
# bind(0) again, and two services given that port one after the other collide (the
# second cannot listen; a readiness probe of it reaches the first).
_handed_out: set[int] = set()


def find_free_ports(count: int = 2) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that are free right now and that this
    process has not handed out before (for tests and benchmarks)."""
    found: list[int] = []
    while len(found) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            found.append(port)
    return found


def free_port() -> int:
    """One port, as ``find_free_ports``."""
    return find_free_ports(1)[0]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    # SO_REUSEADDR as the JVM's server sockets use it: a TIME_WAIT left by the previous
    # broker on the same port (a restart) does not count as "in use".
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
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
