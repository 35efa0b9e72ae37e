"""`govmon replay` and `govmon rules`, called through their main functions."""

from __future__ import annotations

import json
import os
import random
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govmon import catalog_table, replay
from tests.unit.rules.builders import raw

GOOD = [
    raw("unit.registered", "2017-01-01T00:00:00", {"unit_id": "U1", "name": "岳阳县",
                                                   "category": "county"}, id="u1"),
    raw("application.received", "2017-09-29T10:00:00",
        {"case_id": "C1", "unit_id": "U1", "kind": "disclosure"}, id="r1"),
    raw("application.replied", "2017-10-27T09:00:00", {"case_id": "C1"}, id="p1"),
    raw("policy.issued", "2017-03-01T10:00:00", {"policy_id": "P1", "unit_id": "U1"}, id="i1"),
    raw("policy.interpreted", "2017-03-02T10:00:00",
        {"policy_id": "P1", "by_principal": True}, id="i2"),
    *[raw("report.submitted", "2017-06-01T10:00:00", {"report_id": f"R{n}", "unit_id": "U1"},
          id=f"rep{n}") for n in range(10)],
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], file: Path, year: int = 2017,
         as_of: str | None = None, progress: bool = False) -> tuple[int, Any, str]:
    moment = datetime.fromisoformat(as_of) if as_of else None
    code = replay.main(file, year, moment, progress)
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


def test_replay_scores_the_year_and_lists_rejected_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.dumps(e, ensure_ascii=False) for e in GOOD]
    lines.insert(2, "{not json")
    lines.insert(4, json.dumps(raw("application.lost", "2017-03-01T10:00:00", {"x": 1})))
    lines.insert(5, "")
    bad_unit = raw("unit.registered", "2017-01-01T00:00:00", {"unit_id": "U2", "name": "x"})
    lines.append(json.dumps(bad_unit))
    code, result, err = _run(capsys, _write(tmp_path / "events.jsonl", lines))
    assert code == 0 and err == ""
    assert result["year"] == 2017
    assert result["as_of"] == "2018-01-01T00:00:00+08:00"
    assert [r["line"] for r in result["rejected"]] == [3, 5, len(lines)]
    assert "not valid JSON" in result["rejected"][0]["reason"]
    assert "gov.application.lost" in result["rejected"][1]["reason"]
    assert "category" in result["rejected"][2]["reason"]
    [unit] = result["units"]
    # Late reply (deadline 2017-10-26) 0.5 + 2 reports short x 0.5 = 1.5.
    assert [(d["rule"], d["points"], d["ref"]) for d in unit["deductions"]] == [
        ("reply_overdue", 0.5, "C1"), ("reports_shortfall", 1.0, None)]
    assert unit["deductions"][0]["event_ids"] == ["r1", "p1"]
    assert unit["deductions"][0]["at"] == "2017-10-26T23:59:59+08:00"
    assert (unit["score"], unit["grade"], unit["category"]) == (98.5, "excellent", "county")


def test_as_of_ignores_later_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path / "e.jsonl", [json.dumps(e) for e in GOOD])
    code, result, _ = _run(capsys, file, as_of="2017-10-20T00:00:00+08:00")
    assert code == 0 and result["as_of"] == "2017-10-20T00:00:00+08:00"
    [unit] = result["units"]
    assert unit["deductions"] == []  # before the deadline; year-end rules not yet
    assert [(f["kind"], f["ref"], f["deadline"]) for f in result["flags"]] == [
        ("open", "C1", "2017-10-26T23:59:59+08:00")]
    code, result, _ = _run(capsys, file, as_of="2017-10-27T08:00:00+08:00")
    assert [d["detail"] for d in result["units"][0]["deductions"]] == ["not replied"]


def test_shuffled_and_duplicated_file_prints_the_same(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.dumps(e, ensure_ascii=False) for e in GOOD]
    _, first, _ = _run(capsys, _write(tmp_path / "a.jsonl", lines))
    mixed = lines + lines[:5]
    random.Random(7).shuffle(mixed)
    _, second, _ = _run(capsys, _write(tmp_path / "b.jsonl", mixed))
    assert first == second


def test_unknown_year_exits_2_with_a_clear_message(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result, err = _run(capsys, _write(tmp_path / "e.jsonl", []), year=2031)
    assert code == 2 and result is None
    assert "2031" in err and "catalog_2031.toml" in err


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result, err = _run(capsys, tmp_path / "missing.jsonl")
    assert code == 2 and result is None and "missing.jsonl" in err
    code, result, err = _run(capsys, tmp_path)  # a directory
    assert code == 2 and result is None


def test_empty_file_gives_an_empty_year(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = _run(capsys, _write(tmp_path / "e.jsonl", []))
    assert code == 0
    assert result == {"year": 2017, "as_of": "2018-01-01T00:00:00+08:00",
                      "catalog": "govmon/rules/data/catalog_2017.toml", "units": [],
                      "flags": [], "rejected": []}


def test_progress_bar_goes_to_stderr_for_large_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "PROGRESS_MIN_BYTES", 0)
    code, result, err = _run(capsys, _write(tmp_path / "e.jsonl", [json.dumps(GOOD[0])]),
                             progress=True)
    assert code == 0 and "replay" in err and result["units"]


def test_rules_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert catalog_table.main(2017) == 0
    out = capsys.readouterr().out
    for text in ("reply_overdue", "依申请公开", "政策解读", "舆情回应", "数据共享", "信息报送",
                 "county 县市区", "reports", "as recorded", "cap group"):
        assert text in out
    row = next(line for line in out.splitlines() if line.startswith("reply_overdue"))
    assert "0.5" in row and "reply_overdue" in row.split("0.5")[1]


def test_rules_unknown_year(capsys: pytest.CaptureFixture[str]) -> None:
    assert catalog_table.main(2031) == 2
    assert "2031" in capsys.readouterr().err


def test_the_law_file_of_the_settings_is_the_one_replay_applies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As the services and `govmon report` do (GOVMON_LAW_FILE): with windows of seconds,
    an incident answered within the hour is late; with the packaged law it is not."""
    from govmon.cli import app
    from tests.support.laws import seconds_law

    lines = [json.dumps(raw(kind, time, data)) for kind, time, data in [
        ("unit.registered", "2017-01-01T00:00:00",
         {"unit_id": "U1", "name": "A", "category": "county"}),
        ("opinion.detected", "2017-05-02T10:00:00",
         {"incident_id": "O1", "unit_id": "U1", "level": "major"}),
        ("opinion.responded", "2017-05-02T11:00:00",
         {"incident_id": "O1", "action": "authoritative_info"}),
        ("opinion.responded", "2017-05-02T12:00:00",
         {"incident_id": "O1", "action": "press_conference"})]]
    path = _write(tmp_path / "o.jsonl", lines)
    law = tmp_path / "law.toml"
    law.write_text(seconds_law(info_seconds=4, press_seconds=8), encoding="utf-8")

    def rules(**env: str) -> list[str]:
        result = CliRunner().invoke(app, ["replay", str(path), "--year", "2017",
                                          "--no-progress"], env=env)
        assert result.exit_code == 0, result.output
        [unit] = json.loads(result.stdout)["units"]
        return sorted(d["rule"] for d in unit["deductions"] if d["rule"].startswith("opinion"))

    assert rules() == []
    assert rules(GOVMON_LAW_FILE=str(law)) == ["opinion_info_late", "opinion_press_late"]
    broken = CliRunner().invoke(app, ["replay", str(path), "--year", "2017"],
                                env={"GOVMON_LAW_FILE": str(tmp_path / "none.toml")})
    assert broken.exit_code == 2 and "none.toml: cannot read the law file" in broken.output


def test_an_as_of_the_rules_cannot_place_is_refused_by_name(tmp_path: Path) -> None:
    from govmon.cli import app

    path = _write(tmp_path / "e.jsonl", [])
    result = CliRunner().invoke(app, ["replay", str(path), "--year", "2017",
                                      "--as-of", "0001-01-01T00:00:00+09:00"])
    assert result.exit_code == 2
    assert "--as-of 0001-01-01T00:00:00+09:00 is a datetime outside" in result.output


def test_as_of_fraction_digits_round_as_an_events_time_does(tmp_path: Path) -> None:
    """An event at 10:00:00.9999996 is at 10:00:01 (rounded, as msgspec decodes it);
    an --as-of written the same way is the same instant, so the event counts."""
    from govmon.cli import app

    late = raw("application.replied", "2017-10-27T10:00:00.9999996", {"case_id": "C1"})
    path = _write(tmp_path / "e.jsonl", [json.dumps(e) for e in [*GOOD[:2], late]])

    def replied(as_of: str) -> list[str]:
        result = CliRunner().invoke(app, ["replay", str(path), "--year", "2017",
                                          "--as-of", as_of])
        assert result.exit_code == 0, result.output
        return [d["detail"] for d in json.loads(result.stdout)["units"][0]["deductions"]]

    assert replied("2017-10-27T10:00:00.9999996+08:00") == replied("2017-10-27T10:00:01+08:00")
    assert replied("2017-10-27T10:00:00.9999996+08:00") != replied("2017-10-27T10:00:00+08:00")
    odd = CliRunner().invoke(app, ["replay", str(path), "--year", "2017",
                                   "--as-of", "20171027T100000.1234567+0800"],
                             env={"COLUMNS": "200"})  # the message on one line
    assert odd.exit_code == 2 and "more than 6 fraction digits" in odd.output
    far = CliRunner().invoke(app, ["replay", str(path), "--year", "2017", "--as-of",
                                   "9999-12-31T23:59:59.9999999+00:00"], env={"COLUMNS": "200"})
    assert far.exit_code == 2 and "is a datetime outside" in far.output  # not the digits


def test_replay_reads_a_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`govmon replay <(zcat year.jsonl.gz)`: a pipe cannot seek back after the check
    for a byte-order mark."""
    lines = [json.dumps(e, ensure_ascii=False) for e in GOOD]
    expected = _run(capsys, _write(tmp_path / "plain.jsonl", lines))
    for bom in (b"", b"\xef\xbb\xbf"):
        fifo = tmp_path / f"pipe{len(bom)}"
        os.mkfifo(fifo)
        writer = threading.Thread(target=lambda f=fifo, b=bom: f.write_bytes(
            b + "".join(line + "\n" for line in lines).encode()), daemon=True)
        writer.start()
        try:
            assert _run(capsys, fifo) == expected
        finally:
            writer.join(30)
