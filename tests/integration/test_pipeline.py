"""Pipeline equals replay: a simulated year pushed through ingest -> timeliness ->
scoring in event-time mode; once every consumer group has drained, `govmon report`
prints what `govmon replay` prints for the same file.

`rejected` is left out of the comparison on purpose: it lists the file's refused lines
by line number, which only replay can know (the pipeline sees records, not lines; a
refused record is on the dead-letter topic with its reason instead), so the report
always prints `rejected: []`.  Everything else must be equal.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import asyncpg
import pytest

from govmon.contract import topics
from govmon.contract.derived import ScoreChanged, decode_score
from govmon.simulate import generate, write_jsonl
from tests.support.kafka_io import read_all
from tests.support.pipeline import Pipeline, equals_replay, record_problems
from tests.support.procs import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

YEAR_ARGS = {"year": 2017, "units": 30, "events": 5000, "seed": 4242}


def year_file(path: Path, *, shuffle: bool = False, invalid: float = 0.0,
              every_tenth_twice: bool = False) -> Path:
    write_jsonl(generate(**YEAR_ARGS), path, shuffle=shuffle, invalid=invalid, seed=7)
    if every_tenth_twice:
        lines = path.read_bytes().splitlines(keepends=True)
        out: list[bytes] = []
        for number, line in enumerate(lines):
            out.append(line)
            if number % 10 == 9:
                # A copy a few lines before the original: the two arrive apart and out
                # of order, as a re-sent event may.
                out.insert(max(0, len(out) - random.Random(number).randrange(1, 20)), line)
        path.write_bytes(b"".join(out))
    return path


def assert_pipeline_equals_replay(pipeline: Pipeline, path: Path) -> dict[str, object]:
    report, expected = equals_replay(pipeline, path)
    assert report["rejected"] == []
    problems = asyncio.run(record_problems(pipeline.database_url, report))
    assert problems == [], problems
    return expected


@pytest.mark.parametrize("variant", ["in_order", "shuffled_with_bad_lines", "every_tenth_twice"])
def test_pipeline_equals_replay(variant: str, clean_kafka: str, database_url: str,
                                tmp_path: Path, services: list[ServiceProcess]) -> None:
    path = year_file(tmp_path / "year.jsonl", shuffle=variant.startswith("shuffled"),
                     invalid=0.01 if variant.startswith("shuffled") else 0.0,
                     every_tenth_twice=variant == "every_tenth_twice")
    # With every tenth event twice, ingest's de-duplication window is shrunk to one
    # event so that the copies really reach timeliness and scoring.
    extra = {"GOVMON_DEDUP_CAPACITY": "1"} if variant == "every_tenth_twice" else {}
    pipeline = Pipeline(clean_kafka, database_url, tmp_path, services).start(**extra)
    result = pipeline.produce(path)
    assert result.returncode == 0, result.stderr + pipeline.tails()
    expected = assert_pipeline_equals_replay(pipeline, path)
    assert len(expected["units"]) == YEAR_ARGS["units"]  # type: ignore[arg-type]
    if variant.startswith("shuffled"):
        dead = asyncio.run(read_all(clean_kafka, topics.DLQ))
        assert len(dead) == len(expected["rejected"]) > 0  # type: ignore[arg-type]
    if variant == "every_tenth_twice":
        routed = asyncio.run(read_all(clean_kafka, *topics.FAMILY_TOPICS))
        ids = [record.json()["id"] for record in routed]
        lines = path.read_bytes().splitlines()
        sent_twice = len(lines) - len(set(lines))
        # Most copies went downstream: ingest (remembering one event) drops only those
        # that follow their original directly within a partition.
        assert len(ids) - len(set(ids)) >= sent_twice // 3 > 0
    # The scores feed: the latest message of each unit-year is its stored score (scoring
    # builds the messages from what it wrote instead of reading them back).
    latest: dict[tuple[str, int], ScoreChanged] = {}
    for record in asyncio.run(read_all(clean_kafka, topics.SCORES)):
        change = decode_score(record.value or b"")
        seen = latest.get((change.unit_id, change.year))
        if seen is None or change.version > seen.version:
            latest[(change.unit_id, change.year)] = change
    assert latest == asyncio.run(stored_scores(database_url))
    # A stop (SIGTERM) lets each service finish what it holds and exit cleanly.
    for name in ("timeliness", "scoring", "ingest"):
        assert pipeline.procs[name].terminate(60) == 0, pipeline.procs[name].log_tail()


async def stored_scores(url: str) -> dict[tuple[str, int], ScoreChanged]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """SELECT s.*, (SELECT count(*) FROM deductions d
                           WHERE d.unit_id = s.unit_id AND d.year = s.year) AS n
               FROM unit_scores s""")
    finally:
        await conn.close()
    return {(r["unit_id"], r["year"]): ScoreChanged(
        unit_id=r["unit_id"], year=r["year"], version=r["version"], score=float(r["score"]),
        grade=r["grade"], deducted=float(r["deducted"]), deductions=r["n"], final=r["final"],
        as_of=r["as_of_us"]) for r in rows}


def test_report_as_of_equals_replay_as_of(clean_kafka: str, database_url: str,
                                          tmp_path: Path,
                                          services: list[ServiceProcess]) -> None:
    """An --as-of before the services' clock: the year as known from the record,
    judged at that instant - what replay --as-of prints."""
    path = year_file(tmp_path / "year.jsonl")
    pipeline = Pipeline(clean_kafka, database_url, tmp_path, services).start()
    assert pipeline.produce(path).returncode == 0
    for moment in ("2017-03-31T12:00:00+08:00", "2017-12-31T23:59:59+08:00"):
        equals_replay(pipeline, path, "--as-of", moment)


def test_the_turn_of_the_year_reaches_scoring_without_a_snapshot(
        clean_kafka: str, database_url: str, tmp_path: Path,
        services: list[ServiceProcess]) -> None:
    """Scoring's clock follows timeliness' watermark, not only the verdicts: here the
    events after New Year change no verdict (a reply in time), so no snapshot goes
    out, yet 2017's year-end rules (a county's report shortfall...) must be applied."""
    from tests.unit.rules.builders import raw

    lines = [raw("unit.registered", "2017-01-02T09:00:00",
                 {"unit_id": "U-W", "name": "W county", "category": "county"}),
             raw("application.received", "2017-12-20T10:00:00",
                 {"case_id": "C-W", "unit_id": "U-W", "kind": "disclosure"}),
             raw("application.replied", "2018-01-03T10:00:00", {"case_id": "C-W"})]
    path = tmp_path / "turn.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    pipeline = Pipeline(clean_kafka, database_url, tmp_path, services).start()
    assert pipeline.produce(path).returncode == 0
    expected = assert_pipeline_equals_replay(pipeline, path)
    [unit] = expected["units"]  # type: ignore[attr-defined]
    assert sorted(d["rule"] for d in unit["deductions"]) == [
        "principal_interpretation_missing", "reports_shortfall"]  # year-end rules
