"""Service processes under test: started as `python -m services.<name>`, exactly as
`govmon up` and Kubernetes start them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
PORT_SETTING = {"ingest": "GOVMON_INGEST_PORT", "timeliness": "GOVMON_TIMELINESS_PORT",
                "scoring": "GOVMON_SCORING_PORT", "notifier": "GOVMON_NOTIFIER_PORT",
                "api": "GOVMON_API_PORT"}


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.port = free_port()
        self.env = {**os.environ, **env, PORT_SETTING[name]: str(self.port),
                    "PYTHONUNBUFFERED": "1"}
        self.log_path = logs / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", f"services.{self.name}"],
                                     cwd=ROOT, env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 90) -> ServiceProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n"
                                     f"{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self._answered_by_us()
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{self.name} not ready in {timeout}s:\n{self.log_tail()}")

    def _answered_by_us(self) -> ServiceProcess:
        """This service, not another one that holds its port, answered the probe."""
        who = httpx.get(f"{self.url}/healthz", timeout=5).json().get("service")
        assert who == f"govmon-{self.name}", (
            f"{self.name}: port {self.port} is answered by {who}:\n{self.log_tail()}")
        return self

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text

    def terminate(self, timeout: float = 60) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.terminate(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def metric_value(text: str, name: str, **labels: str) -> float:
    """Sum of a Prometheus sample family matching ``labels`` (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total
