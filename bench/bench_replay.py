"""Replay benchmark: a simulated province-sized year through `govmon replay`.

    .venv/bin/python bench/bench_replay.py [--events 1000000] [--units 2000]
                                            [--year 2017] [--seed 2017] [--keep FILE]

Generates the year with ``govmon.simulate.generate`` into a JSON Lines file (not
timed), then replays it in a fresh child process - so the peak memory figure
(``ru_maxrss``) is the replay's alone - once end to end through ``govmon.replay.main``
(output to /dev/null) and once phase by phase.  Prints figures; never asserts timings
(machines differ; a loaded CI box would make a threshold flaky).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))


def generate_file(path: Path, year: int, units: int, events: int, seed: int) -> int:
    import msgspec

    from govmon.simulate import generate

    encode = msgspec.json.Encoder().encode
    count = 0
    with path.open("wb") as out:
        for item in generate(year=year, units=units, events=events, seed=seed):
            out.write(encode(item))
            out.write(b"\n")
            count += 1
    return count


def _child_end_to_end(file: Path, year: int) -> dict[str, Any]:
    from govmon import replay

    started, cpu = time.perf_counter(), time.process_time()
    saved = sys.stdout
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sys.stdout = sink
        try:
            code = replay.main(file, year, None, progress=False)
        finally:
            sys.stdout = saved
    return {"code": code, "wall": time.perf_counter() - started,
            "cpu": time.process_time() - cpu}


def _child_phases(file: Path, year: int) -> dict[str, Any]:
    import gc

    import msgspec

    from govmon.replay import fold_file
    from govmon.rules import (
        Ledger,
        evaluate,
        load_calendar,
        load_catalog,
        load_law,
        render_result,
        year_start,
    )

    catalog, calendar, law = load_catalog(year), load_calendar(), load_law()
    gc.disable()  # as replay.main does
    ledger = Ledger()
    marks: dict[str, float] = {}
    started = time.process_time()
    with file.open("rb") as stream:
        rejected = fold_file(stream, ledger, None)
    marks["decode+fold"] = time.process_time() - started
    as_of = max(year_start(year + 1), ledger.latest or 0)
    started = time.process_time()
    result = evaluate(ledger, {year: catalog}, calendar, law, year, as_of)
    marks["evaluate"] = time.process_time() - started
    started = time.process_time()
    output = msgspec.json.encode(render_result(result))
    marks["render+encode"] = time.process_time() - started
    return {"phases": marks, "items": len(ledger), "rejected": len(rejected),
            "units": len(result.units), "flags": len(result.flags), "output_bytes": len(output)}


def _calibrate() -> float:
    """CPU seconds of a fixed pure-Python loop: compares this machine with others."""
    started = time.process_time()
    for _ in range(10_000_000):
        pass
    return time.process_time() - started


def _child(mode: str, file: Path, year: int) -> None:
    figures = _child_end_to_end(file, year) if mode == "end-to-end" else _child_phases(file, year)
    figures["calibration"] = _calibrate()
    figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def _spawn(mode: str, file: Path, year: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(file), str(year)],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=2000, help="province-sized by default")
    parser.add_argument("--year", type=int, default=2017)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--keep", type=Path, help="write the events here and keep them")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, file, year = args.child
        _child(mode, Path(file), int(year))
        return 0

    with tempfile.TemporaryDirectory(prefix="govmon-bench-") as scratch:
        file = args.keep or Path(scratch) / "events.jsonl"
        started = time.perf_counter()
        count = generate_file(file, args.year, args.units, args.events, args.seed)
        generated = time.perf_counter() - started
        size_mb = file.stat().st_size / 1e6
        print(f"generated {count:,} events for {args.units:,} units, {args.year} "
              f"({size_mb:,.0f} MB) in {generated:.1f} s")
        whole = _spawn("end-to-end", file, args.year)
        if whole["code"] != 0:
            print(f"replay failed with exit code {whole['code']}", file=sys.stderr)
            return 1
        print(f"replay end to end: {whole['wall']:.2f} s wall, {whole['cpu']:.2f} s CPU -> "
              f"{count / whole['wall']:,.0f} events/s wall, {count / whole['cpu']:,.0f} "
              f"events/s CPU; peak memory (max RSS) {whole['max_rss_mb']:,.0f} MB")
        parts = _spawn("phases", file, args.year)
        print("phases (CPU s): " + ", ".join(
            f"{name} {secs:.2f} ({count / secs:,.0f} ev/s)" for name, secs in
            parts["phases"].items()))
        print(f"  {parts['items']:,} items, {parts['units']:,} units, {parts['flags']:,} "
              f"flags, {parts['rejected']} rejected, output {parts['output_bytes'] / 1e6:.1f} "
              f"MB; peak memory {parts['max_rss_mb']:,.0f} MB")
        print(f"machine: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
              f"a 10^7-iteration empty Python loop took {parts['calibration']:.2f} s CPU "
              f"(compare this figure across machines before comparing events/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
