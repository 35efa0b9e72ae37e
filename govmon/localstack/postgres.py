"""A real local PostgreSQL through `pgserver` (PostgreSQL binaries installed by pip).

The server listens on a Unix socket only (no TCP port to collide with), keeps its data
under a folder the project owns, and outlives the process that started it until
`stop` is called: `govmon up` starts it, `govmon down` stops it.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

DATABASE = "govmon"
_log = logging.getLogger(__name__)


def _pgserver() -> Any:
    # Imported lazily: pgserver takes an inter-process lock and probes the runtime dir
    # when first used; that must not happen when merely importing govmon.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    return pgserver


def start(pgdata: Path) -> str:
    """Start (or find running) the server in ``pgdata``; return a libpq URI to ``govmon``.

    Idempotent: a running server on the same folder is reused.
    """
    pgdata = pgdata.resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = _pgserver().get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir
    existing = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
    if "(0 rows)" in existing:
        server.psql(f"CREATE DATABASE {DATABASE};")
    return f"postgresql://postgres@/{DATABASE}?host={quote(str(socket_dir), safe='/')}"


def running_pid(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (ValueError, IndexError, OSError):
        return None
    import psutil

    # A stale pid file (reboot, SIGKILL) may name a pid reused by another program.
    try:
        return pid if psutil.Process(pid).name() == "postgres" else None
    except psutil.Error:  # gone, or not ours to look at
        return None


def stop(pgdata: Path, *, timeout: float = 30) -> bool:
    """Stop the server (fast shutdown: open transactions roll back, data is safe)."""
    pgdata = pgdata.resolve()
    if running_pid(pgdata) is None:
        return False
    _pgserver()  # silence its import-time warning
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    # pg_ctl runs as the data folder's owner (pgserver creates a `pgserver` user when
    # started as root, because PostgreSQL refuses to run as root).
    user = "pgserver" if _is_root() else None
    if user is not None:
        # pgserver opened the folder's parents to that user when it started the server,
        # but something may have closed one since (pytest resets its basetemp's parent
        # to 0700 whenever another session starts): open them again, as start does.
        from pgserver.utils import ensure_prefix_permissions

        ensure_prefix_permissions(pgdata)
    try:
        pg_ctl(["-m", "fast", "-w", "-t", str(int(timeout)), "stop"], pgdata=pgdata, user=user)
    except subprocess.CalledProcessError as exc:
        if running_pid(pgdata) is not None:
            raise RuntimeError(f"pg_ctl stop failed for {pgdata}: {exc}") from exc
    # pgserver's own bookkeeping of handles is stale once we stopped the server by hand.
    _pgserver().postgres_server.PostgresServer._instances.pop(pgdata, None)
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
    return True


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0
