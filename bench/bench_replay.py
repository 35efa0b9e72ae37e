"""Replay benchmark: a simulated province-sized year through `govmon replay`.

    .venv/bin/python bench/bench_replay.py [--events 1000000] [--units 2000]
                                            [--year 2017] [--seed 2017] [--keep FILE]
                                            [--reuse] [--smaller 250000]

Generates the year with ``govmon.simulate.generate`` into a JSON Lines file (not
timed; ``--keep FILE --reuse`` replays FILE again if it exists), then replays it in a
fresh child process - so the peak memory figure (``ru_maxrss``) is the replay's alone -
once end to end through ``govmon.replay.main`` (output to /dev/null), once more without
the compiled pass 1 (``govmon.replay_scan``: the Python path, as where it is not built)
and once phase by phase.  A smaller year (``--smaller`` events, same units) is replayed
end to end too: the two peak memory figures show what memory grows with (see
``govmon.replay``).
Prints figures; never asserts timings (machines differ; a loaded CI box would make a
threshold flaky).
"""

from __future__ import annotations

import argparse
import importlib.util
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


def _child_end_to_end(file: Path, year: int, native: bool) -> dict[str, Any]:
    from govmon import replay

    replay.NATIVE = native
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
    from itertools import chain

    import msgspec

    from govmon import replay
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
    marks: dict[str, float] = {}
    size = file.stat().st_size
    with tempfile.TemporaryDirectory(prefix="govmon-bench-") as scratch:
        ledger = Ledger()
        buckets = None  # the same choice as replay.main
        if size >= replay.PARTITION_MIN_BYTES:
            buckets = replay.buckets_for(Path(scratch), size)
        started = time.process_time()
        with file.open("rb") as stream:
            sink = replay.ledger_sink(ledger) if buckets is None else buckets.adder()
            scan = replay.first_pass(stream, sink, None, None, buckets)
        marks["decode+route" if buckets else "decode+fold"] = time.process_time() - started
        as_of = max(year_start(year + 1), scan.latest or 0)
        items: Any = ledger
        counted: list[int] = []
        if buckets is not None:
            def counting(ledgers: Any) -> Any:
                for each in ledgers:
                    counted.append(len(each))
                    yield each
            items = chain.from_iterable(counting(buckets.ledgers()))
        started = time.process_time()
        result = evaluate(items, {year: catalog}, calendar, law, year, as_of)
        marks["fold buckets+evaluate" if buckets else "evaluate"] = (
            time.process_time() - started)
    started = time.process_time()
    output = msgspec.json.encode(render_result(result))
    marks["render+encode"] = time.process_time() - started
    return {"phases": marks, "items": sum(counted) if buckets else len(ledger),
            "buckets": len(counted), "largest_bucket": max(counted, default=0),
            "compiled": bool(buckets and buckets.routed),
            "rejected": len(scan.rejected), "units": len(result.units),
            "flags": len(result.flags), "output_bytes": len(output)}


def _calibrate() -> float:
    """CPU seconds of a fixed pure-Python loop: compares this machine with others."""
    started = time.process_time()
    for _ in range(10_000_000):
        pass
    return time.process_time() - started


def _child(mode: str, file: Path, year: int) -> None:
    if mode == "phases":
        figures = _child_phases(file, year)
    else:
        figures = _child_end_to_end(file, year, native=mode == "end-to-end")
    figures["calibration"] = _calibrate()
    figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def _spawn(mode: str, file: Path, year: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(file), str(year)],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _year_file(path: Path, args: argparse.Namespace, events: int) -> int:
    """Generate the events into ``path`` (or count the lines of a kept one)."""
    if args.reuse and path.exists():
        with path.open("rb") as lines:
            count = sum(1 for _ in lines)
        print(f"reusing {path}: {count:,} lines")
        return count
    started = time.perf_counter()
    count = generate_file(path, args.year, args.units, events, args.seed)
    print(f"generated {count:,} events for {args.units:,} units, {args.year} "
          f"({path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - started:.1f} s")
    return count


def _end_to_end(file: Path, year: int, count: int, label: str,
                mode: str = "end-to-end") -> dict[str, Any] | None:
    whole = _spawn(mode, file, year)
    if whole["code"] != 0:
        print(f"replay failed with exit code {whole['code']}", file=sys.stderr)
        return None
    print(f"{label}: {count:,} events, {whole['wall']:.2f} s wall, {whole['cpu']:.2f} s CPU "
          f"-> {count / whole['wall']:,.0f} events/s wall, {count / whole['cpu']:,.0f} "
          f"events/s CPU; peak memory (max RSS) {whole['max_rss_mb']:,.0f} MB")
    return whole


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=2000, help="province-sized by default")
    parser.add_argument("--year", type=int, default=2017)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--keep", type=Path, help="write the events here and keep them")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: replay the kept file(s) again if they exist")
    parser.add_argument("--smaller", type=int, default=None,
                        help="events of the second, smaller year (default: a quarter)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, file, year = args.child
        _child(mode, Path(file), int(year))
        return 0
    smaller = args.smaller if args.smaller is not None else args.events // 4

    with tempfile.TemporaryDirectory(prefix="govmon-bench-") as scratch:
        file = args.keep or Path(scratch) / "events.jsonl"
        count = _year_file(file, args, args.events)
        built = importlib.util.find_spec("govmon_scan") is not None
        label = "replay end to end" + ("" if built else " (govmon_scan not installed: Python)")
        if _end_to_end(file, args.year, count, label) is None:
            return 1
        _end_to_end(file, args.year, count, "  without the compiled pass 1 (Python only)",
                    "python-only")
        parts = _spawn("phases", file, args.year)
        pass1 = "compiled" if parts["compiled"] else "Python (govmon_scan not installed)"
        print(f"phases (CPU s; pass 1 {pass1}): " + ", ".join(
            f"{name} {secs:.2f} ({count / secs:,.0f} ev/s)" for name, secs in
            parts["phases"].items()))
        print(f"  {parts['items']:,} items ({parts['buckets']} buckets, the largest "
              f"{parts['largest_bucket']:,} items), {parts['units']:,} units, "
              f"{parts['flags']:,} flags, {parts['rejected']} rejected, output "
              f"{parts['output_bytes'] / 1e6:.1f} MB; peak memory {parts['max_rss_mb']:,.0f} MB")
        if smaller:
            small = (file.with_name(f"{file.stem}.{smaller}{file.suffix}") if args.keep
                     else Path(scratch) / "smaller.jsonl")
            small_count = _year_file(small, args, smaller)
            if _end_to_end(small, args.year, small_count, "smaller year") is None:
                return 1
        print(f"machine: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
              f"a 10^7-iteration empty Python loop took {parts['calibration']:.2f} s CPU "
              f"(compare this figure across machines before comparing events/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
