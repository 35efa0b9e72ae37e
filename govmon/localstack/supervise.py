"""`python -m govmon.localstack.supervise NAME`: keep one service process running.

A crashed worker (say, its producer gave up while the broker was away) is restarted
with back-off, as Kubernetes would; SIGTERM is passed on and waited for, so `govmon
down` still gets a clean stop with offsets committed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType


def supervise(name: str) -> int:
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def on_term(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    backoff = 1.0
    while not stopping:
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", f"services.{name}"])
        code = child.wait()
        if stopping:
            return code
        if time.monotonic() - started > 60:
            backoff = 1.0  # it ran for a while: a fresh failure, not a crash loop
        print(f'{{"service": "supervisor", "msg": "{name} exited with {code}, restarting '
              f'in {backoff:.0f}s"}}', flush=True)
        time.sleep(backoff)
        backoff = min(backoff * 2, 30.0)
    return 0


if __name__ == "__main__":
    sys.exit(supervise(sys.argv[1]))
