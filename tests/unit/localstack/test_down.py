"""`govmon down` stops both local servers even when one of them fails to stop: the
failure is reported, and the other server is not left running behind it."""

from __future__ import annotations

from pathlib import Path

import pytest

from govmon.localstack import kafka, postgres, stack
from govmon.settings import load_settings


def test_kafka_is_stopped_when_postgresql_will_not_stop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[Path] = []

    def refuse(pgdata: Path, **_: object) -> bool:
        raise RuntimeError(f"pg_ctl stop failed for {pgdata}")

    def record(data_dir: Path, **_: object) -> bool:
        stopped.append(data_dir)
        return True

    monkeypatch.setattr(postgres, "stop", refuse)
    monkeypatch.setattr(kafka, "stop", record)
    settings = load_settings(home=tmp_path, database_url=None, kafka_bootstrap_servers=None)
    (tmp_path / "stack.json").write_text("{}")
    with pytest.raises(RuntimeError, match="pg_ctl stop failed"):
        stack.down(settings)
    assert stopped == [tmp_path.resolve() / "kafka"]
    assert (tmp_path / "stack.json").exists()  # still there: `down` can be run again
