"""`govmon up` / `produce` / `down` as a user runs them: processes, ports, no leftovers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from govmon.simulate import generate, write_jsonl
from tests.support.procs import metric_value
from tests.support.servers import cache_dir, free_port

pytestmark = pytest.mark.e2e


def _govmon(env: dict[str, str], *args: str, timeout: float = 300
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govmon.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _ours(home: Path) -> list[psutil.Process]:
    """Every process whose command line or working files point into ``home``."""
    found = []
    for proc in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            env = proc.info["environ"] or {}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if str(home) in cmd or env.get("GOVMON_HOME") == str(home):
            found.append(proc)
    return found


def test_up_produce_down_leaves_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ingest_port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    env.update({"GOVMON_HOME": str(home), "GOVMON_CACHE_DIR": str(cache_dir()),
                "GOVMON_KAFKA_PORT": str(free_port()),
                "GOVMON_KAFKA_CONTROLLER_PORT": str(free_port()),
                "GOVMON_INGEST_PORT": str(ingest_port), "GOVMON_TIMELINESS_PORT":
                str(free_port()), "GOVMON_SCORING_PORT": str(free_port()),
                "GOVMON_NOTIFIER_PORT": str(free_port()), "GOVMON_API_PORT": str(free_port())})
    try:
        started = _govmon(env, "up")
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://127.0.0.1:{ingest_port}" in started.stdout
        again = _govmon(env, "up")
        assert again.returncode == 0 and "already running" in again.stdout

        state = json.loads((home / "stack.json").read_text())
        path = tmp_path / "mixed.jsonl"
        stats = write_jsonl(generate(year=2017, units=6, events=600, seed=5), path,
                            duplicates=0.05, invalid=0.02, seed=5)
        produced = _govmon({**env, "KAFKA_BOOTSTRAP_SERVERS": state["kafka"]},
                           "produce", str(path), "--wait", "--no-progress")
        assert produced.returncode == 0, produced.stderr
        text = httpx.get(f"http://127.0.0.1:{ingest_port}/metrics", timeout=5).text
        assert metric_value(text, "govmon_ingest_routed_total") == stats.valid
        assert metric_value(text, "govmon_ingest_duplicates_total") == stats.duplicates
        assert metric_value(text, "govmon_ingest_rejected_total") == stats.invalid
        started_lines = [json.loads(line) for line in
                         (home / "logs" / "ingest.log").read_text().splitlines()
                         if '"msg": "started"' in line]
        assert [line["loop"] for line in started_lines] == ["uvloop"]  # GOVMON_EVENT_LOOP
    finally:
        stopped = _govmon(env, "down")
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped kafka" in stopped.stdout and "stopped postgresql" in stopped.stdout
    assert _ours(home) == []
    assert _govmon(env, "status").returncode == 3
