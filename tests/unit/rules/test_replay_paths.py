"""`govmon replay` partitioned by item on disk gives what one in-memory Ledger gives.

Large files take the two-pass path (``govmon.replay`` docstring); these tests force it
on small files with tiny buckets and batches, so items straddle many frames, and compare
it with the in-memory path on the same, shuffled and redelivered files.
"""

from __future__ import annotations

import io
import json
import random
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govmon import replay
from govmon.contract.codec import encode_event
from govmon.contract.events import GovEvent
from govmon.simulate import generate
from govmon.simulate.writer import write_jsonl
from tests.unit.rules.test_properties import scenarios
from tests.unit.rules.test_replay import GOOD


def _replay(file: Path, partitioned: bool, as_of: str | None = None,
            native: bool = True, max_bytes: int = 64 * 1024) -> dict[str, Any]:
    """``native``: pass 1 through the compiled router (partitioned path only)."""
    saved = (replay.PARTITION_MIN_BYTES, replay.BUCKET_BYTES, replay.BUFFERED_MARKS,
             replay.NATIVE)
    replay.NATIVE = native
    if partitioned:  # ~7 buckets whatever the file size; a write every 3 marks
        replay.PARTITION_MIN_BYTES = 0
        replay.BUCKET_BYTES = max(file.stat().st_size // 7, 1)
        replay.BUFFERED_MARKS = 21
    else:
        replay.PARTITION_MIN_BYTES = 1 << 62
    try:
        moment = datetime.fromisoformat(as_of) if as_of else None
        out = tempfile.TemporaryFile("w+")
        saved_out, sys.stdout = sys.stdout, out
        try:
            assert replay.main(file, 2017, moment, progress=False, max_bytes=max_bytes) == 0
        finally:
            sys.stdout = saved_out
        out.seek(0)
        result: dict[str, Any] = json.loads(out.read())
        return result
    finally:
        (replay.PARTITION_MIN_BYTES, replay.BUCKET_BYTES, replay.BUFFERED_MARKS,
         replay.NATIVE) = saved


@pytest.fixture(scope="module")
def year_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("year")
    events = list(generate(year=2017, units=6, events=4000, seed=11))
    ordered, shuffled = folder / "ordered.jsonl", folder / "shuffled.jsonl"
    write_jsonl(events, ordered, duplicates=0.05, invalid=0.01, seed=3)
    write_jsonl(events, shuffled, duplicates=0.05, invalid=0.01, shuffle=True, seed=4)
    return ordered, shuffled


@pytest.mark.parametrize("as_of", [None, "2017-07-01T12:00:00+08:00"])
def test_both_paths_print_the_same_for_a_generated_year(
        year_files: tuple[Path, Path], as_of: str | None) -> None:
    ordered, shuffled = year_files
    expected = _replay(ordered, partitioned=False, as_of=as_of)
    assert expected["units"] and expected["flags"] and expected["rejected"]
    assert _replay(ordered, partitioned=True, as_of=as_of) == expected
    assert _replay(ordered, partitioned=True, as_of=as_of, native=False) == expected
    # Another order (and other bad lines, so other line numbers): the same year.
    for partitioned, native in ((False, False), (True, False), (True, True)):
        other = _replay(shuffled, partitioned=partitioned, as_of=as_of, native=native)
        assert other["rejected"] and other["rejected"] != expected["rejected"]
        assert {**other, "rejected": []} == {**expected, "rejected": []}


def test_rejected_lines_keep_file_order_on_the_partitioned_path(tmp_path: Path) -> None:
    good = json.dumps(GOOD[0])
    file = tmp_path / "e.jsonl"
    file.write_text("\n".join(["{bad", good, "", "[1]", good, "{"]) + "\n", encoding="utf-8")
    result = _replay(file, partitioned=True)
    assert [r["line"] for r in result["rejected"]] == [1, 4, 6]
    assert result == _replay(file, partitioned=False)
    assert result == _replay(file, partitioned=True, native=False)


def test_a_leading_byte_order_mark_is_skipped_on_every_path(tmp_path: Path) -> None:
    """A file saved by a Windows editor starts with a UTF-8 BOM: line 1 is an event,
    not a malformed line.  A BOM anywhere else is no JSON, and is refused."""
    good = [json.dumps(event) for event in GOOD]
    plain, marked = tmp_path / "plain.jsonl", tmp_path / "bom.jsonl"
    plain.write_text("\n".join(good) + "\n", encoding="utf-8")
    marked.write_text("\ufeff" + "\n".join([*good, "\ufeff" + good[0]]) + "\n",
                      encoding="utf-8")
    expected = _replay(plain, partitioned=False)
    assert expected["units"]
    for partitioned, native in ((False, False), (True, False), (True, True)):
        result = _replay(marked, partitioned=partitioned, native=native)
        assert [r["line"] for r in result["rejected"]] == [len(good) + 1]
        assert {**result, "rejected": []} == expected


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios(), st.randoms(use_true_random=False),
       st.sampled_from([None, "2017-10-10T12:00:00+08:00"]), st.booleans())
def test_partitioned_replay_is_order_insensitive(events: list[GovEvent], rng: random.Random,
                                                 as_of: str | None, native: bool) -> None:
    lines = [encode_event(e).decode() for e in events]
    redelivered = lines + lines[: len(lines) // 2]
    rng.shuffle(redelivered)
    with tempfile.TemporaryDirectory() as folder:
        plain, mixed = Path(folder) / "plain.jsonl", Path(folder) / "mixed.jsonl"
        plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
        mixed.write_text("\n".join(redelivered) + "\n", encoding="utf-8")
        expected = _replay(plain, partitioned=False, as_of=as_of)
        assert _replay(mixed, partitioned=True, as_of=as_of, native=native) == expected


def test_partitioned_progress_has_a_second_bar_and_text_stdout_works(
        year_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    ordered, _ = year_files
    expected = _replay(ordered, partitioned=False)
    monkeypatch.setattr(replay, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(replay, "PARTITION_MIN_BYTES", 0)
    monkeypatch.setattr(replay, "BUCKET_BYTES", ordered.stat().st_size // 3)
    text = io.StringIO()  # no binary buffer under it: the output is written as text
    monkeypatch.setattr(sys, "stdout", text)
    assert replay.main(ordered, 2017, None, progress=True) == 0
    assert json.loads(text.getvalue()) == expected
    err = capsys.readouterr().err
    assert "replay" in err and "assess" in err and "bucket" in err


def test_no_room_for_buckets_exits_2(year_files: tuple[Path, Path], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    ordered, _ = year_files
    monkeypatch.setattr(replay, "PARTITION_MIN_BYTES", 0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    assert replay.main(ordered, 2017, None, progress=False) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "temporary" in captured.err and "missing" in captured.err


def test_render_chunks_are_the_encoded_result_byte_for_byte() -> None:
    import msgspec

    from govmon.contract.codec import decode_event
    from govmon.rules import (
        Ledger,
        Rejected,
        evaluate,
        load_calendar,
        load_catalog,
        load_law,
        render_chunks,
        render_result,
    )

    ledger = Ledger()
    for doc in generate(year=2017, units=4, events=1500, seed=5):
        ledger.apply(decode_event(json.dumps(doc, ensure_ascii=False)))
    result = evaluate(ledger, {2017: load_catalog(2017)}, load_calendar(), load_law(), 2017,
                      ledger.latest or 0)
    result = msgspec.structs.replace(result, rejected=(Rejected(3, "bad \"x\" 岳"),))
    assert result.units and result.flags
    assert b"".join(render_chunks(result)) == msgspec.json.encode(render_result(result))
    empty = msgspec.structs.replace(result, units=(), flags=(), rejected=())
    assert b"".join(render_chunks(empty)) == msgspec.json.encode(render_result(empty))


@pytest.mark.parametrize(("partitioned", "native"), [(False, False), (True, False),
                                                     (True, True)])
def test_every_path_refuses_nul_text_and_lines_over_the_limit_alike(
        tmp_path: Path, partitioned: bool, native: bool) -> None:
    nul = json.loads(json.dumps(GOOD[2]))
    nul["data"]["case_id"] = "C\u0000"
    inside = "{" + " " * 1500 + json.dumps(GOOD[3])[1:]  # 1.5 KB of spaces within the JSON
    # Around the JSON they do not count: `govmon produce` strips them before sending.
    around = " " * 1500 + json.dumps(GOOD[4]) + " " * 1500
    lines = [json.dumps(e, ensure_ascii=False) for e in GOOD[:2]]
    lines += [json.dumps(nul), inside, around, *map(json.dumps, GOOD[5:])]
    file = tmp_path / "odd.jsonl"
    file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    small = _replay(file, partitioned, native=native, max_bytes=1000)
    assert [(r["line"], r["reason"].split(" - ")[-1]) for r in small["rejected"]] == [
        (3, "at `$.data.case_id`"), (4, f"message is {len(inside)} bytes, over the "
                                        f"1000-byte limit")]
    large = _replay(file, partitioned, native=native, max_bytes=2000)
    assert [r["line"] for r in large["rejected"]] == [3]
    assert large["units"] == _replay(file, partitioned, native=native)["units"]


def test_a_byte_order_mark_split_across_a_pipes_first_writes_is_skipped() -> None:
    """A pipe hands out what its writer wrote so far: the mark's bytes may come one by
    one.  Lines without a mark come through whole, however they were cut."""
    import os
    import threading
    import time

    from govmon.jsonlines import open_lines

    line = json.dumps(GOOD[0]).encode() + b"\n"
    for pieces in ([b"\xef", b"\xbb", b"\xbf" + line], [b"\xef\xbb", b"\xbf" + line],
                   [line[:1], line[1:2], line[2:]], [b"\xef", b"\xbb"]):
        read, write = os.pipe()

        def writer(fd: int = write, parts: list[bytes] = pieces) -> None:
            for part in parts:
                os.write(fd, part)
                time.sleep(0.2)  # each its own read on the other end
            os.close(fd)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            with open_lines(Path(f"/dev/fd/{read}")) as stream:
                got = stream.read()
        finally:
            thread.join()
            os.close(read)
        expected = b"".join(pieces)
        assert got == (expected[3:] if expected.startswith(b"\xef\xbb\xbf") else expected)
