"""The embedded PostgreSQL (`govmon up` / `down`): stopping works even after the data
folder's parents were closed to the server's user while it ran."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from govmon.localstack import postgres

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="uses the embedded server")
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root runs PostgreSQL as another user (pgserver)")
def test_stop_after_a_parent_folder_was_closed() -> None:
    outer = Path(tempfile.mkdtemp(prefix="govmon-test-pgstop-"))
    pgdata = outer / "home" / "pg"
    try:
        postgres.start(pgdata)
        assert postgres.running_pid(pgdata) is not None
        # What pytest does to /tmp/pytest-of-root when another session starts.
        outer.chmod(0o700)
        assert postgres.stop(pgdata) is True
        assert postgres.running_pid(pgdata) is None
    finally:
        outer.chmod(0o755)
        if postgres.running_pid(pgdata) is not None:
            postgres.stop(pgdata)
        shutil.rmtree(outer, ignore_errors=True)
