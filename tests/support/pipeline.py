"""The whole pipeline under test: ingest -> timeliness -> scoring as processes against
the real broker and database, `govmon produce` / `report` / `replay` as the user runs
them, and the checks that the record in PostgreSQL is complete and consistent."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg

from govmon.adapters.kafka_progress import wait_for_groups
from govmon.contract.topics import PIPELINE
from tests.support.procs import ROOT, ServiceProcess

STAGES = ("ingest", "timeliness", "scoring")


class Pipeline:
    def __init__(self, bootstrap: str, database_url: str, logs: Path,
                 started: list[ServiceProcess], **env: str) -> None:
        self.bootstrap = bootstrap
        self.database_url = database_url
        self.env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DATABASE_URL": database_url,
                    "GOVMON_CLOCK": "event", **env}
        self.logs = logs
        self.started = started
        self.procs: dict[str, ServiceProcess] = {}
        self._watch: threading.Thread | None = None
        self._watching = False
        self.restarts: dict[str, int] = {}

    def start(self, *names: str, **env: str) -> Pipeline:
        for name in names or STAGES:
            proc = ServiceProcess(name, {**self.env, **env}, self.logs).start()
            self.procs[name] = proc
            self.started.append(proc)
        for name in names or STAGES:
            self.procs[name].wait_ready()
        return self

    def kill(self, name: str) -> None:
        self.procs[name].kill()

    def restart(self, name: str, *, ready: bool = True) -> None:
        """Start a stopped or crashed service again, on the same port and log."""
        proc = self.procs[name]
        proc.start()
        self.restarts[name] = self.restarts.get(name, 0) + 1
        if ready:
            proc.wait_ready(120)

    def supervise(self) -> None:
        """Restart any service that exits, as `govmon up`'s supervisor does (at once
        here: the supervisor's back-off would only slow the test down)."""
        self._watching = True

        def loop() -> None:
            while self._watching:
                for name, proc in self.procs.items():
                    if proc.proc is not None and proc.proc.poll() is not None:
                        self.restart(name, ready=False)
                time.sleep(0.5)

        self._watch = threading.Thread(target=loop, daemon=True)
        self._watch.start()

    def unsupervise(self) -> None:
        self._watching = False
        if self._watch is not None:
            self._watch.join()

    def produce(self, path: Path, *, wait: bool = True, timeout: float = 600
                ) -> subprocess.CompletedProcess[str]:
        args = ["produce", str(path), "--no-progress", *(["--wait"] if wait else [])]
        return run_cli(args, {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                              "GOVMON_WAIT_TIMEOUT": str(timeout)}, timeout + 60)

    def wait(self, within: float = 300) -> None:
        asyncio.run(wait_for_groups(self.bootstrap, PIPELINE, within=within))

    def report(self, year: int = 2017, *extra: str, **env: str) -> dict[str, Any]:
        return json.loads(self.report_text(year, *extra, **env))  # type: ignore[no-any-return]

    def report_text(self, year: int = 2017, *extra: str, **env: str) -> str:
        result = run_cli(["report", "--year", str(year), *extra],
                         {"DATABASE_URL": self.database_url, **env}, 300)
        assert result.returncode == 0, result.stderr
        assert "catching up" not in result.stderr, result.stderr
        return result.stdout

    def tails(self) -> str:
        return "\n".join(f"--- {name}\n{proc.log_tail(25)}" for name, proc in self.procs.items())


def run_cli(args: list[str], env: dict[str, str], timeout: float
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govmon.cli", *args], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), **env},
                          capture_output=True, text=True, timeout=timeout, check=False)


def replay(path: Path, year: int = 2017, *extra: str) -> dict[str, Any]:
    return json.loads(replay_text(path, year, *extra))  # type: ignore[no-any-return]


def replay_text(path: Path, year: int = 2017, *extra: str) -> str:
    result = run_cli(["replay", str(path), "--year", str(year), "--no-progress", *extra], {},
                     300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def without_rejected(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result.items() if key != "rejected"}


def equals_replay(pipeline: Pipeline, path: Path, *extra: str
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """`govmon report` against `govmon replay` of ``path`` (2017, ``extra`` options to
    both): equal values (a readable diff on failure), then the same bytes; both parsed."""
    report_out, replay_out = pipeline.report_text(2017, *extra), replay_text(path, 2017, *extra)
    report, expected = json.loads(report_out), json.loads(replay_out)
    assert without_rejected(report) == without_rejected(expected), pipeline.tails()
    assert text_without_rejected(report_out) == text_without_rejected(replay_out)
    return report, expected


def text_without_rejected(text: str) -> str:
    """The output up to its last member, `rejected` (both commands write it last): the
    rest is compared as the bytes printed, field order and number formats included."""
    cut = text.rfind(',"rejected":[')
    assert cut > 0 and text.rstrip().endswith("]}"), text[-200:]
    return text[:cut]


async def record_problems(database_url: str, report: dict[str, Any]) -> list[str]:
    """What is wrong with the record once the pipeline has drained: items whose latest
    verdict never reached scoring, publishes left pending, and stored scores or
    deductions that differ from the report (also catches duplicated deductions)."""
    conn = await asyncpg.connect(database_url)
    try:
        problems: list[str] = []
        behind = await conn.fetch(
            """SELECT f.kind, f.item_id, f.scored_version, a.version AS scored
               FROM item_facts f LEFT JOIN assessments a USING (kind, item_id)
               WHERE f.scored_version > 0 AND a.version IS DISTINCT FROM f.scored_version
               LIMIT 5""")
        problems += [f"verdict not scored: {dict(r)}" for r in behind]
        for table in ("item_facts", "unit_scores"):
            pending = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE pending")
            if pending:
                problems.append(f"{pending} rows of {table} still pending")
        year = report["year"]
        final = await conn.fetchval("SELECT min(at_us) FROM service_clocks")
        scores = {r["unit_id"]: r for r in await conn.fetch(
            "SELECT * FROM unit_scores WHERE year = $1", year)}
        reported = {u["unit_id"]: u for u in report["units"]}
        for unit_id, unit in reported.items():
            row = scores.get(unit_id)
            if row is None:
                problems.append(f"{unit_id}: no stored score")
                continue
            if (float(row["score"]), row["grade"]) != (unit["score"], unit["grade"]):
                problems.append(f"{unit_id}: stored {row['score']} {row['grade']}, "
                                f"report {unit['score']} {unit['grade']} (clock {final})")
            stored = sorted((d["rule"], d["ref"], float(d["points"]), list(d["event_ids"]))
                            for d in await conn.fetch(
                                "SELECT * FROM deductions WHERE unit_id = $1 AND year = $2",
                                unit_id, year))
            expected = sorted((d["rule"], d["ref"] or "", d["points"], d["event_ids"])
                              for d in unit["deductions"])
            if stored != expected:
                problems.append(f"{unit_id}: deductions {stored} != report {expected}")
        for unit_id in set(scores) - set(reported):  # a verdict that came and went
            if float(scores[unit_id]["score"]) != 100.0:
                problems.append(f"{unit_id}: stored score but not in the report")
        return problems
    finally:
        await conn.close()
