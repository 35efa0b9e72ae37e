"""What `govmon up/down/status` trust: a pid file only when the process it names is
that service's supervisor (a stale one may name a reused pid), and `down` stops this
home's servers whatever the environment says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from govmon.localstack import kafka, postgres, stack
from govmon.produce import stack_bootstrap
from govmon.settings import load_settings


@pytest.fixture
def look_alike() -> Iterator[subprocess.Popen[bytes]]:
    """A process whose command line is that of the ingest service's supervisor."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                             "govmon.localstack.supervise", "ingest"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_pid_file_counts_only_for_its_supervisor(
        tmp_path: Path, look_alike: subprocess.Popen[bytes]) -> None:
    pid_file = tmp_path / "ingest.pid"
    pid_file.write_text(str(look_alike.pid))
    assert stack._read_pid(pid_file) == look_alike.pid
    other = tmp_path / "scoring.pid"  # the same process is not scoring's supervisor
    other.write_text(str(look_alike.pid))
    assert stack._read_pid(other) is None
    pid_file.write_text(str(os.getpid()))  # a reused pid: alive, but not a supervisor
    assert stack._read_pid(pid_file) is None


def test_postgres_pid_file_naming_another_program_is_stale(tmp_path: Path) -> None:
    (tmp_path / "postmaster.pid").write_text(f"{os.getpid()}\n{tmp_path}\n")
    assert postgres.running_pid(tmp_path) is None
    assert postgres.stop(tmp_path) is False  # nothing of ours to stop, no pg_ctl error


def test_down_stops_this_homes_servers_whatever_the_environment_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[Path] = []

    def record(folder: Path, **_: object) -> bool:
        stopped.append(folder)
        return True

    monkeypatch.setattr(postgres, "stop", record)
    monkeypatch.setattr(kafka, "stop", record)
    # a shell that exported the stack's own addresses (e.g. for `govmon produce`)
    settings = load_settings(home=tmp_path, kafka_bootstrap_servers="127.0.0.1:19092",
                             database_url="postgresql://postgres@/govmon")
    assert stack.down(settings) == 0
    assert stopped == [tmp_path.resolve() / "pg", tmp_path.resolve() / "kafka"]


def test_status_fails_when_a_service_is_down(
        tmp_path: Path, look_alike: subprocess.Popen[bytes],
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(home=tmp_path)
    services = {name: {"pid": 0, "url": f"http://127.0.0.1:{port}"}
                for name, port in (("ingest", 1), ("timeliness", 2), ("scoring", 3))}
    (tmp_path / "stack.json").write_text(json.dumps(
        {"kafka": "k:1", "database": "d", "clock": "wall", "services": services}))
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "ingest.pid").write_text(str(look_alike.pid))
    assert stack.status(settings) == 1
    shown = capsys.readouterr().out
    assert "ingest      up" in shown and "scoring     DOWN" in shown


def test_produce_finds_the_running_stacks_broker(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, kafka_bootstrap_servers=None)
    with pytest.raises(SystemExit, match="KAFKA_BOOTSTRAP_SERVERS is not set and no stack"):
        stack_bootstrap(settings)
    (tmp_path / "stack.json").write_text(json.dumps({"kafka": "127.0.0.1:19092"}))
    assert stack_bootstrap(settings) == "127.0.0.1:19092"
    assert stack_bootstrap(load_settings(home=tmp_path, kafka_bootstrap_servers="b:9")) == "b:9"
