"""``govmon simulate``: write a simulated year to a file or stdout."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from govmon.simulate.generator import generate
from govmon.simulate.writer import write_jsonl


def main(out: Path, *, year: int, units: int, events: int | None, seed: int,
         duplicates: float, invalid: float, shuffle: bool) -> int:
    """Generate and write; a one-line summary goes to stderr.  Returns the exit code."""
    started = time.perf_counter()
    to_stdout = str(out) == "-"
    try:
        stream = generate(year=year, units=units, events=events, seed=seed)
        stats = write_jsonl(stream, sys.stdout if to_stdout else out, duplicates=duplicates,
                            invalid=invalid, shuffle=shuffle, seed=seed)
    except ValueError as exc:
        print(f"govmon simulate: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `govmon simulate - | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"govmon simulate: cannot write {out}: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    extras = []
    if stats.duplicates:
        extras.append(f"{stats.duplicates:,} duplicates")
    if stats.invalid:
        extras.append(f"{stats.invalid:,} invalid")
    extra = f" (+ {', '.join(extras)})" if extras else ""
    print(f"simulated {year}: {units} units, {stats.valid:,} events{extra}"
          f"{', shuffled' if shuffle else ''} -> {'stdout' if to_stdout else out}, "
          f"{stats.bytes / 1e6:.1f} MB in {elapsed:.1f} s "
          f"({stats.lines / max(elapsed, 1e-9):,.0f} lines/s)", file=sys.stderr)
    return 0
