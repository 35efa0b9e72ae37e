"""`govmon simulate` and the live feed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from govmon.cli import app
from govmon.simulate import live
from govmon.simulate.cli import main

CST = timezone(timedelta(hours=8))


def test_main_writes_a_file_and_a_one_line_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "year.jsonl"
    code = main(out, year=2017, units=5, events=1_000, seed=4, duplicates=0.01, invalid=0.01,
                shuffle=False)
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out == ""
    summary = captured.err.strip()
    assert "\n" not in summary and "simulated 2017: 5 units" in summary and "invalid" in summary
    assert len(out.read_bytes().splitlines()) > 900


def test_main_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(Path("-"), year=2017, units=3, events=300, seed=4, duplicates=0.0,
                invalid=0.0, shuffle=True)
    captured = capsys.readouterr()
    assert code == 0
    lines = captured.out.splitlines()
    assert 250 < len(lines) < 350
    assert all(orjson.loads(line)["specversion"] == "1.0" for line in lines)
    assert "stdout" in captured.err


def test_main_refuses_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(tmp_path / "x.jsonl", year=2017, units=0, events=None, seed=1,
                duplicates=0.0, invalid=0.0, shuffle=False)
    assert code == 2
    assert "units" in capsys.readouterr().err


def test_the_govmon_command(tmp_path: Path) -> None:
    out = tmp_path / "cli.jsonl"
    result = CliRunner().invoke(app, ["simulate", str(out), "--units", "4", "--events", "500"])
    assert result.exit_code == 0, result.output
    assert 400 < len(out.read_bytes().splitlines()) < 600


def test_live_compresses_the_year() -> None:
    start = datetime(2017, 1, 1, tzinfo=CST)
    speed = 365 * 86400 / 300  # a year in five minutes
    feed = list(live(units=3, seed=1, speed=speed, start=start))
    offsets = [offset for offset, _ in feed]
    assert offsets == sorted(offsets) and offsets[0] >= 0
    assert 250 < offsets[-1] < 340
    assert feed[0][1]["type"] == "gov.unit.registered"


def test_live_from_mid_year_catches_up_at_once() -> None:
    start = datetime(2017, 7, 1, tzinfo=CST)
    head = list(islice(live(units=3, seed=1, speed=1000.0, start=start), 50))
    assert head[0][0] == 0.0 and head[0][1]["type"] == "gov.unit.registered"
    with pytest.raises(ValueError):
        live(units=3, seed=1, speed=1.0, start=datetime(2017, 7, 1))
