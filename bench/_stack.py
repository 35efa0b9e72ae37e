"""A throw-away stack for benchmarks: Kafka and PostgreSQL in a scratch folder on free
ports, and the services as processes (as `govmon up` runs them)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


async def execute_sql(url: str, sql: str) -> None:
    from govmon.adapters.db import connect

    conn = await connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class Stack:
    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.bootstrap = ""
        self.server_url = ""
        self.procs: dict[str, tuple[subprocess.Popen[bytes], int]] = {}

    def start(self) -> Stack:
        from govmon.adapters.kafka_admin import ensure_topics
        from govmon.localstack import kafka, postgres

        cache = Path(os.environ.get("GOVMON_CACHE_DIR", Path.home() / ".cache" / "govmon"))
        port, controller_port = kafka.find_free_ports(2)
        kafka.start(self.scratch / "kafka", port=port, controller_port=controller_port,
                    libs=kafka.ensure_artifacts(cache), log_file=self.scratch / "kafka.log",
                    heap="768m")
        self.bootstrap = f"127.0.0.1:{port}"
        self.server_url = postgres.start(self.scratch / "pg")
        # Latency is measured to a row's commit, which PostgreSQL records only with
        # track_commit_timestamp (a restart makes it take effect).
        asyncio.run(execute_sql(self.server_url, "ALTER SYSTEM SET track_commit_timestamp = on"))
        postgres.stop(self.scratch / "pg")
        self.server_url = postgres.start(self.scratch / "pg")
        asyncio.run(ensure_topics(self.bootstrap))
        return self

    def database(self, name: str) -> str:
        """A fresh, migrated database on the server."""
        from govmon.adapters.db import fresh_database

        return fresh_database(self.server_url, name)

    def run_services(self, database_url: str, **env: str) -> None:
        self.stop_services()
        self.start_services(database_url, ("ingest", "timeliness", "scoring"), **env)

    def start_services(self, database_url: str, names: tuple[str, ...], **env: str) -> None:
        """Start ``names`` (beside any running) and wait until each is ready."""
        from govmon.localstack.kafka import free_port

        assert not set(names) & set(self.procs), "already running"
        for name in names:
            port = free_port()
            log = (self.scratch / f"{name}.log").open("ab")
            proc = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"], cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                     "DATABASE_URL": database_url, f"GOVMON_{name.upper()}_PORT": str(port),
                     "GOVMON_LOG_LEVEL": "WARNING", **env})
            self.procs[name] = (proc, port)
        for name in names:
            proc, port = self.procs[name]
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, f"{name} exited; see {self.scratch}/{name}.log"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).is_success:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"{name} not ready"
                time.sleep(0.3)

    def drained(self, within: float, poll: float = 0.5) -> float:
        """Wait until the pipeline's consumer groups have caught up, and return when
        that was first seen (``time.monotonic()``, ``wait_for_groups``); if they do not,
        say which service is where (alive or its exit code, its log's last lines)
        before failing, since the scratch folder and its logs go with the run."""
        from govmon.adapters.kafka_progress import wait_for_groups
        from govmon.contract.topics import PIPELINE

        try:
            return asyncio.run(wait_for_groups(self.bootstrap, PIPELINE, within=within,
                                               poll=poll))
        except TimeoutError:
            for name, (proc, _) in self.procs.items():
                state = "running" if proc.poll() is None else f"exited {proc.returncode}"
                lines = (self.scratch / f"{name}.log").read_text(errors="replace")
                tail = "\n    ".join(lines.splitlines()[-20:])
                print(f"--- {name}: {state}; last lines of its log:\n    {tail}",
                      file=sys.stderr)
            raise

    def stop_services(self) -> None:
        for proc, _ in self.procs.values():
            proc.terminate()
        for proc, _ in self.procs.values():
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU (user + system) used so far by each part of the stack: the services,
        the broker, and PostgreSQL with all its backends."""
        import psutil

        out: dict[str, float] = {}
        roots = {name: proc.pid for name, (proc, _) in self.procs.items()}
        for proc in psutil.process_iter(["cmdline"]):
            try:
                cmd = " ".join(proc.info["cmdline"] or [])
                times = proc.cpu_times()
            except psutil.Error:
                continue
            if proc.pid in roots.values():
                role = next(n for n, pid in roots.items() if pid == proc.pid)
            elif "kafka.Kafka" in cmd and str(self.scratch) in cmd:
                role = "kafka"
            elif cmd.startswith("postgres") or str(self.scratch / "pg") in cmd:
                role = "postgres"
            else:
                continue
            out[role] = out.get(role, 0.0) + times.user + times.system
        return out

    def stop(self) -> None:
        from govmon.localstack import kafka, postgres

        self.stop_services()
        kafka.stop(self.scratch / "kafka")
        postgres.stop(self.scratch / "pg")
