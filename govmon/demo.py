"""`make demo`: bring the stack up, feed it a simulated year of a city's units, and say
what to look at.

The simulated year is 2017 (the year of the seed rules), pushed through the pipeline
in event-time mode so a whole year plays out in a minute or two.
"""

from __future__ import annotations

import sys

import httpx

from govmon.settings import Settings, load_settings


def _metric_lines(url: str, prefix: str) -> list[str]:
    try:
        text = httpx.get(f"{url}/metrics", timeout=5).text
    except httpx.HTTPError as exc:
        return [f"(metrics unavailable: {exc})"]
    return [line for line in text.splitlines() if line.startswith(prefix)]


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
    if up(settings) != 0:
        return 1
    from govmon.localstack.stack import read_state

    state = read_state(settings)
    env_settings = load_settings(kafka_bootstrap_servers=state["kafka"],
                                 database_url=state["database"], clock=settings.clock)
    code = produce_file(env_settings, path, topic="gov.events.raw", wait=True, progress=True)
    if code not in (0, 1):
        return code
    ingest = state["services"]["ingest"]["url"]
    urls = {name: info["url"] for name, info in state["services"].items()}
    print("\ningest counters:")
    for line in _metric_lines(ingest, "govmon_ingest_"):
        if "_created" not in line:
            print(f"  {line}")
    print(f"""
what to open:
  metrics      {ingest}/metrics
  health       {ingest}/healthz  {ingest}/readyz
  logs         {settings.home.resolve() / 'logs'}/
  dead letters the topic gov.events.dlq (reason in the govmon.dlq.reason header)
  the scores   .venv/bin/govmon report --year {year}   (from PostgreSQL; equals
               .venv/bin/govmon replay {path} --year {year})
  timeliness   {urls['timeliness']}/metrics
  scoring      {urls['scoring']}/metrics
  stop         make down      (data kept; `make clean` wipes it)
""")
    return 0


def main() -> None:
    sys.exit(run(load_settings(clock="event")))


if __name__ == "__main__":
    main()
