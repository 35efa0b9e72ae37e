"""`make demo`: bring the stack up, feed it a simulated year of a city's units, and say
what to look at.

The simulated year is 2017 (the year of the seed rules), pushed through the pipeline
in event-time mode so a whole year plays out in a minute or two.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

import httpx

from govmon.settings import Settings, SettingsError, load_settings


def _metric_sums(url: str, names: tuple[str, ...]) -> dict[str, float]:
    """Sum of each named sample family (all label sets) from a service's /metrics."""
    sums = dict.fromkeys(names, 0.0)
    try:
        text = httpx.get(f"{url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return sums
    for line in text.splitlines():
        name = line.split("{")[0].split(" ")[0]
        if name in sums:
            sums[name] += float(line.rsplit(" ", 1)[1])
    return sums


def _govmon_json(env: dict[str, str], *args: str) -> dict[str, Any] | str:
    """Run a `govmon` subcommand; its JSON on success, its error text otherwise."""
    result = subprocess.run([sys.executable, "-m", "govmon.cli", *args],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, **env})
    if result.returncode != 0:
        return result.stderr.strip() or f"exit {result.returncode}"
    return json.loads(result.stdout)


def _print_scores(doc: dict[str, Any], year: int, source: str) -> None:
    """The year's scores as a reviewer reads them: weakest units first."""
    print(f"\nscores {year} ({source}):")
    print(f"  {'unit':<16} {'category':<10} {'score':>6}  grade      "
          "largest deductions (before caps)")
    for unit in sorted(doc["units"], key=lambda u: (u["score"], u["unit_id"])):
        totals: dict[str, float] = {}
        for d in unit["deductions"]:
            totals[d["rule"]] = totals.get(d["rule"], 0) + d["points"]
        top = ", ".join(f"{rule} {pts:g}" for rule, pts in
                        sorted(totals.items(), key=lambda kv: -kv[1])[:3])
        print(f"  {unit['unit_id']:<16} {unit['category'] or '?':<10} {unit['score']:>6.2f}"
              f"  {unit['grade']:<10} {top}")


async def _history(database_url: str, unit_id: str, year: int) -> list[tuple[int, float]]:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT as_of_us, score FROM score_history WHERE unit_id = $1 AND year = $2 "
            "ORDER BY version", unit_id, year)
    finally:
        await conn.close()
    return [(int(r["as_of_us"]), float(r["score"])) for r in rows]


def _print_moves(database_url: str, unit_id: str, year: int) -> None:
    """How one unit's score moved through the year, as the scoring service published it."""
    from govmon.rules import rfc3339

    moves = asyncio.run(_history(database_url, unit_id, year))
    if not moves:
        return
    steps, last = [], None
    for at, score in moves:
        if score != last:
            steps.append(f"{rfc3339(at)[:10]} {score:g}")
            last = score
    shown = steps if len(steps) <= 8 else [*steps[:4], "...", *steps[-3:]]
    print(f"\n  how {unit_id}'s score moved ({len(moves)} published changes): "
          + " -> ".join(shown))


def _without(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


def run(settings: Settings, *, year: int = 2017, units: int = 24, events: int = 20_000) -> int:
    from govmon.localstack.stack import up
    from govmon.produce import produce_file
    from govmon.simulate import generate, write_jsonl

    demo_dir = settings.home.resolve() / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    path = demo_dir / f"events-{year}.jsonl"
    print(f"simulating {year} for {units} units (~{events} events, 2% re-sent, "
          f"0.5% malformed) -> {path}")
    stats = write_jsonl(generate(year=year, units=units, events=events, seed=year), path,
                        duplicates=0.02, invalid=0.005, seed=year)
    print(f"  {stats}")
    # A demo starts from nothing, so the report is about this file alone.
    from govmon.localstack.stack import clean

    clean(settings)
    if up(settings) != 0:
        return 1
    from govmon.localstack.stack import read_state

    state = read_state(settings)
    env_settings = load_settings(kafka_bootstrap_servers=state["kafka"],
                                 database_url=state["database"], clock=settings.clock)
    code = produce_file(env_settings, path, topic="gov.events.raw", wait=True, progress=True)
    if code not in (0, 1):
        return code
    env = {"KAFKA_BOOTSTRAP_SERVERS": state["kafka"], "DATABASE_URL": state["database"]}
    report = _govmon_json(env, "report", "--year", str(year))
    replay = _govmon_json(env, "replay", str(path), "--year", str(year), "--no-progress")
    if isinstance(report, str):
        print(f"(govmon report failed: {report})")
        return 1
    _print_scores(report, year, "govmon report: from PostgreSQL, kept by the streaming "
                  "services")
    weakest = min(report["units"], key=lambda u: (u["score"], u["unit_id"]))
    _print_moves(state["database"], weakest["unit_id"], year)
    if isinstance(replay, dict):
        same = _without(report, "rejected") == _without(replay, "rejected")
        print(f"\n  the pipeline's report {'equals' if same else 'DIFFERS FROM'} "
              f"`govmon replay` of the same file (the pure engine)")
    services = state["services"]
    ingest = services["ingest"]["url"]
    counts = _metric_sums(ingest, ("govmon_ingest_received_total",
                                   "govmon_ingest_routed_total",
                                   "govmon_ingest_duplicates_total",
                                   "govmon_ingest_rejected_total"))
    print("\ningest: {:,.0f} received, {:,.0f} routed, {:,.0f} duplicates dropped, "
          "{:,.0f} dead-lettered with their reasons".format(*counts.values()))
    urls = "\n".join(f"  {name:<12} {info['url']}/metrics  {info['url']}/readyz"
                     for name, info in services.items())
    print(f"""
what to open (per-type and per-reason counts are in each /metrics):
{urls}
  logs         {settings.home.resolve() / 'logs'}/
  dead letters the topic gov.events.dlq (reason in the govmon.dlq.reason header)
  the scores   DATABASE_URL='{state["database"]}' .venv/bin/govmon report --year {year}
  the events   .venv/bin/govmon replay {path} --year {year}
  stop         make down      (data kept; `make clean` wipes it)
""")
    return 0


def main() -> None:
    try:
        settings = load_settings(clock="event")
    except SettingsError as exc:
        sys.exit(f"govmon demo: {exc}")
    sys.exit(run(settings))


if __name__ == "__main__":
    main()
