"""What `govmon up/down/status` trust: a pid file only when the process it names is
that service's supervisor (a stale one may name a reused pid), and `down` stops this
home's servers whatever the environment says."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from govmon.localstack import kafka, postgres, stack
from govmon.localstack.kafka import find_free_ports
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


def test_up_refuses_a_port_another_program_holds_before_starting_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        (free,) = find_free_ports(1)
        # Kafka and PostgreSQL "external": were the check late, `up` would reach them.
        settings = load_settings(home=tmp_path, scoring_port=taken, ingest_port=free,
                                 timeliness_port=free,
                                 kafka_bootstrap_servers="127.0.0.1:1", database_url="x")
        assert stack.up(settings) == 1
    told = capsys.readouterr().err
    assert f"scoring's port 127.0.0.1:{taken} is in use" in told and "GOVMON_SCORING_PORT" in told
    assert f"timeliness and ingest are both given port {free}" in told
    assert not (tmp_path / "run").exists() and not (tmp_path / "stack.json").exists()


def test_up_without_stack_json_does_not_start_a_second_set(
        tmp_path: Path, look_alike: subprocess.Popen[bytes],
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "ingest.pid").write_text(str(look_alike.pid))
    settings = load_settings(home=tmp_path, kafka_bootstrap_servers="127.0.0.1:1",
                             database_url="x")
    assert stack.up(settings) == 1
    assert "ingest from an earlier `up` still run" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["ingest.pid"]


def test_clean_says_what_it_could_not_wipe(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(postgres, "stop", lambda folder, **_: False)
    monkeypatch.setattr(kafka, "stop", lambda folder, **_: False)
    (tmp_path / "pg").mkdir()
    (tmp_path / "kafka" / "logs").mkdir(parents=True)

    def refuse(path: str, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(stack.shutil, "rmtree", refuse)
    assert stack.clean(load_settings(home=tmp_path)) == 1
    out = capsys.readouterr()
    assert "wiped" not in out.out
    assert f"could not wipe {tmp_path.resolve() / 'kafka'}: Permission denied" in out.err
