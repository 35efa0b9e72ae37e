"""JSON Lines output with duplicates, malformed lines and shuffling."""

from __future__ import annotations

import io
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import pytest

from govmon.contract.codec import InvalidEvent, decode_event
from govmon.simulate import Stats, generate, write_jsonl
from govmon.simulate.writer import DUPLICATE_GAP


@lru_cache(maxsize=1)
def events() -> tuple[dict[str, Any], ...]:
    return tuple(generate(year=2017, units=24, events=6_000, seed=3))


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def split(lines: list[bytes]) -> tuple[list[bytes], list[tuple[bytes, str]]]:
    valid, invalid = [], []
    for line in lines:
        try:
            decode_event(line)
        except InvalidEvent as exc:
            invalid.append((line, exc.code))
        else:
            valid.append(line)
    return valid, invalid


def test_plain_output_is_one_valid_event_per_line(tmp_path: Path) -> None:
    out = tmp_path / "year.jsonl"
    stats = write_jsonl(events(), out)
    lines = lines_of(out)
    assert stats == Stats(valid=len(events()), bytes=out.stat().st_size)
    assert stats.lines == len(lines)
    assert [orjson.loads(line) for line in lines] == list(events())


def test_duplicates_are_identical_lines_a_little_later(tmp_path: Path) -> None:
    out = tmp_path / "dup.jsonl"
    stats = write_jsonl(events(), out, duplicates=0.05, seed=1)
    lines = lines_of(out)
    assert stats.lines == len(lines) and stats.invalid == 0
    assert stats.valid == len(events())
    assert abs(stats.duplicates - 0.05 * stats.valid) < 0.015 * stats.valid
    first_at: dict[bytes, int] = {}
    repeats = 0
    for n, line in enumerate(lines):
        if line in first_at:
            repeats += 1
            assert 0 < n - first_at[line] <= 2 * DUPLICATE_GAP
        else:
            first_at[line] = n
    assert repeats == stats.duplicates
    keys = Counter((e["source"], e["id"]) for e in map(orjson.loads, lines))
    assert max(keys.values()) == 2 and len(keys) == stats.valid


def test_invalid_lines_are_refused_with_a_mix_of_reasons(tmp_path: Path) -> None:
    out = tmp_path / "bad.jsonl"
    stats = write_jsonl(events(), out, invalid=0.05, seed=2)
    valid, invalid = split(lines_of(out))
    assert len(valid) == stats.valid == len(events())
    assert len(invalid) == stats.invalid
    assert abs(stats.invalid - 0.05 * stats.valid) < 0.015 * stats.valid
    codes = Counter(code for _, code in invalid)
    assert set(codes) == {"missing_field", "bad_time", "unknown_type", "wrong_type",
                          "bad_json", "too_large", "unknown_field", "invalid_value"}, codes
    assert sum(stats.invalid_kinds.values()) == stats.invalid
    assert all(len(line) > 64 * 1024 for line, code in invalid if code == "too_large")
    valid_keys = {(e["source"], e["id"]) for e in events()}
    for line, code in invalid:
        if code != "bad_json":
            bad = orjson.loads(line)
            assert (bad.get("source"), bad.get("id")) not in valid_keys


def test_shuffle_keeps_every_line_and_is_deterministic(tmp_path: Path) -> None:
    kwargs: dict[str, Any] = {"duplicates": 0.02, "invalid": 0.02, "seed": 9}
    write_jsonl(events(), tmp_path / "a.jsonl", **kwargs)
    stats = write_jsonl(events(), tmp_path / "b.jsonl", shuffle=True, **kwargs)
    again = write_jsonl(events(), tmp_path / "c.jsonl", shuffle=True, **kwargs)
    ordered, shuffled = lines_of(tmp_path / "a.jsonl"), lines_of(tmp_path / "b.jsonl")
    assert stats == again
    assert shuffled == lines_of(tmp_path / "c.jsonl")
    assert sorted(shuffled) == sorted(ordered) and shuffled != ordered
    assert stats.lines == len(shuffled)


def test_text_and_binary_streams_get_the_same_bytes(tmp_path: Path) -> None:
    write_jsonl(events(), tmp_path / "file.jsonl", duplicates=0.01, invalid=0.01)
    text = io.StringIO()
    write_jsonl(events(), text, duplicates=0.01, invalid=0.01)
    binary = io.BytesIO()
    write_jsonl(events(), binary, duplicates=0.01, invalid=0.01)
    expected = (tmp_path / "file.jsonl").read_bytes()
    assert text.getvalue().encode() == expected == binary.getvalue()


def test_shares_must_be_between_zero_and_one() -> None:
    with pytest.raises(ValueError):
        write_jsonl(events(), io.StringIO(), duplicates=1.5)
    with pytest.raises(ValueError):
        write_jsonl(events(), io.StringIO(), invalid=-0.1)
