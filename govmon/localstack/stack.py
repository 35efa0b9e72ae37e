"""`govmon up / down / status / clean`: the local stack without Docker.

Layout under ``GOVMON_HOME`` (default ``./var``): ``kafka/`` and ``pg/`` data,
``logs/<name>.log``, ``run/<name>.pid`` and ``stack.json`` (where things listen).
External servers named by ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` are used as
they are and never started here; `down` stops only servers running on this home's data
folders.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Literal

import httpx

from govmon.settings import Settings, variable

# Started in this order, stopped in reverse.  (name, settings attribute of its port)
SERVICES: tuple[tuple[str, str], ...] = (
    ("ingest", "ingest_port"),
    ("timeliness", "timeliness_port"),
    ("scoring", "scoring_port"),
)


def _paths(settings: Settings) -> dict[str, Path]:
    home = settings.home.resolve()
    return {"home": home, "kafka": home / "kafka", "pg": home / "pg", "logs": home / "logs",
            "run": home / "run", "state": home / "stack.json"}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is not running.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _is_supervisor(pid: int, name: str) -> bool:
    """Whether ``pid`` is the supervisor of service ``name``: after a reboot or a
    SIGKILL a stale pid file may name a reused pid, an unrelated process that `down`
    must not kill and `up` must not take for the service.  (Without /proc, trusted.)"""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return False
    return b"govmon.localstack.supervise" in argv and name.encode() in argv


def _read_pid(path: Path) -> int | None:
    """The live supervisor named by ``run/<name>.pid``, if it is one."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) and _is_supervisor(pid, path.stem) else None


def _start_service(name: str, env: dict[str, str], paths: dict[str, Path]) -> int:
    log = (paths["logs"] / f"{name}.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "govmon.localstack.supervise", name],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    (paths["run"] / f"{name}.pid").write_text(str(proc.pid))
    return proc.pid


def _wait_healthy(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def _port_problems(settings: Settings) -> list[str]:
    """Why a service could not listen, checked before anything starts: a supervisor
    whose service cannot bind would restart it for ever."""
    from govmon.localstack.kafka import port_is_free

    host = "127.0.0.1" if settings.bind_localhost else "0.0.0.0"
    problems: list[str] = []
    seen: dict[int, str] = {}
    for name, attr in SERVICES:
        port = getattr(settings, attr)
        if port in seen:
            problems.append(f"{name} and {seen[port]} are both given port {port} "
                            f"({variable(attr)})")
        elif not port_is_free(port, host):
            problems.append(f"{name}'s port {host}:{port} is in use (by another program, "
                            f"or a service left by an earlier `up`): free it, or choose "
                            f"another with {variable(attr)}")
        seen[port] = name
    return problems


def up(settings: Settings) -> int:
    paths = _paths(settings)
    running = [name for name, _ in SERVICES if _read_pid(paths["run"] / f"{name}.pid")]
    if running and paths["state"].exists():
        print("govmon is already running (`govmon down` stops it):")
        status(settings)
        return 0
    if running:  # starting again would leave these without a pid file, running for ever
        print(f"govmon: {', '.join(running)} from an earlier `up` still run but "
              f"{paths['state']} is gone; `govmon down` stops them", file=sys.stderr)
        return 1
    problems = _port_problems(settings)
    if problems:
        for problem in problems:
            print(f"govmon up: {problem}", file=sys.stderr)
        return 1
    for key in ("kafka", "logs", "run"):
        paths[key].mkdir(parents=True, exist_ok=True)

    bootstrap = settings.kafka_bootstrap_servers
    if not bootstrap:
        from govmon.localstack import kafka

        print("kafka: fetching artifacts (first run only) ...", flush=True)
        libs = kafka.ensure_artifacts(settings.cache_dir)
        node = kafka.start(paths["kafka"], port=settings.kafka_port,
                           controller_port=settings.kafka_controller_port, libs=libs,
                           log_file=paths["logs"] / "kafka.log", heap=settings.kafka_heap)
        bootstrap = node.bootstrap
    database_url = settings.database_url
    if not database_url:
        from govmon.localstack import postgres

        database_url = postgres.start(paths["pg"])

    from govmon.adapters.db import migrate
    from govmon.adapters.kafka_admin import ensure_topics

    asyncio.run(ensure_topics(bootstrap))
    migrate(database_url)

    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DATABASE_URL": database_url,
           "GOVMON_CLOCK": settings.clock, "PYTHONUNBUFFERED": "1"}
    state = {"kafka": bootstrap, "database": database_url, "clock": settings.clock,
             "services": {}}
    for name, port_attr in SERVICES:
        port = getattr(settings, port_attr)
        pid = _start_service(name, env, paths)
        state["services"][name] = {"pid": pid, "url": f"http://127.0.0.1:{port}"}  # type: ignore[index]
    paths["state"].write_text(json.dumps(state, indent=2))
    failed = [name for name, info in state["services"].items()  # type: ignore[attr-defined]
              if not _wait_healthy(f"{info['url']}/healthz", 120)]
    status(settings)
    if failed:
        print(f"not healthy after 120 s: {', '.join(failed)}; see {paths['logs']}",
              file=sys.stderr)
        return 1
    return 0


def read_state(settings: Settings) -> dict[str, Any]:
    """Where the running stack listens (written by `up`)."""
    return json.loads(_paths(settings)["state"].read_text())


def server_address(settings: Settings, server: Literal["kafka", "database"]) -> str | None:
    """Where the commands find ``server``: KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL, else
    the address of the stack `up` started, else None."""
    configured = settings.kafka_bootstrap_servers if server == "kafka" else settings.database_url
    if configured:
        return configured
    try:
        return str(read_state(settings)[server])
    except (OSError, KeyError, ValueError):
        return None


def status(settings: Settings) -> int:
    paths = _paths(settings)
    if not paths["state"].exists():
        print("govmon is not running")
        return 3
    state = json.loads(paths["state"].read_text())
    print(f"  kafka       {state['kafka']}")
    print(f"  postgresql  {state['database']}")
    print(f"  clock       {state['clock']}")
    missing = []
    for name, info in state["services"].items():
        pid = _read_pid(paths["run"] / f"{name}.pid")
        if not pid:
            missing.append(name)
        mark = "up  " if pid else "DOWN"
        print(f"  {name:<11} {mark} {info['url']}  (metrics {info['url']}/metrics)")
    print(f"  logs        {paths['logs']}/")
    return 1 if missing else 0


def _stop_group(pid: int, timeout: float) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    except PermissionError:  # another user's: reported, the servers are still stopped
        print(f"cannot stop process group {pid}: not ours", file=sys.stderr)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def down(settings: Settings) -> int:
    paths = _paths(settings)
    for name, _ in reversed(SERVICES):
        pid_file = paths["run"] / f"{name}.pid"
        pid = _read_pid(pid_file)
        if pid:
            _stop_group(pid, 45)
            print(f"stopped {name}")
        pid_file.unlink(missing_ok=True)
    # The servers of this GOVMON_HOME, whatever the environment says now: a shell that
    # exported KAFKA_BOOTSTRAP_SERVERS or DATABASE_URL (even pointing at this stack)
    # must not leave them running, nor let `clean` wipe a live broker's data.  Each
    # stop finds its server by the data folder and does nothing when none runs there.
    from govmon.localstack import kafka, postgres

    try:
        if postgres.stop(paths["pg"]):
            print("stopped postgresql")
    finally:
        # A server that would not stop is reported (the error goes up), but it must
        # not leave the other one running behind it.
        if kafka.stop(paths["kafka"]):
            print("stopped kafka")
    paths["state"].unlink(missing_ok=True)
    return 0


def clean(settings: Settings) -> int:
    down(settings)
    paths = _paths(settings)
    failed: list[str] = []
    for key in ("kafka", "pg"):
        if not paths[key].exists():
            continue
        try:
            shutil.rmtree(paths[key])
        except OSError as exc:  # e.g. files of another user: say so, never "wiped"
            failed.append(f"{exc.filename or paths[key]}: {exc.strerror or exc}")
    if failed:
        print(f"govmon clean: could not wipe {'; '.join(failed)}", file=sys.stderr)
        return 1
    print(f"wiped {paths['kafka']} and {paths['pg']}")
    return 0
