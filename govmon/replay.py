"""`govmon replay`: score a JSON Lines file of CloudEvents with the pure rule engine.

This module is the imperative shell around ``govmon.rules``: it reads the file, decodes
lines with the shared contract codec, folds events into a Ledger, evaluates the year
and prints the JSON that `govmon report` also prints (``render_result``).

Without ``--as-of`` the result is *final*: every event in the file is considered and
the evaluation instant is the later of 1 January of the next year and the latest event
time, so year-end rules apply and every deadline of the year has passed.  With
``--as-of`` events dated after it are ignored, as if the file were read at that time.
"""

from __future__ import annotations

import gc
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import IO

import msgspec

from govmon.contract.codec import InvalidEvent, decode_event
from govmon.rules import (
    Catalog,
    CatalogError,
    CatalogMissingError,
    Ledger,
    Rejected,
    evaluate,
    instant,
    load_calendar,
    load_catalog,
    load_law,
    render_result,
    year_start,
)
from govmon.rules.workdays import CalendarGapError

PROGRESS_MIN_BYTES = 4 * 1024 * 1024  # small files finish before a bar is worth drawing
_PROGRESS_EVERY = 16_384  # lines between progress updates (tqdm per line is costly)


def fold_file(stream: IO[bytes], ledger: Ledger, as_of: int | None,
              progress: object = None) -> list[Rejected]:
    """Decode and fold every line; bad lines are returned, never raised.

    ``progress`` is anything with ``update(bytes)`` (a tqdm bar), called every few
    thousand lines.
    """
    rejected: list[Rejected] = []
    apply = ledger.apply
    update = getattr(progress, "update", None)
    done = 0
    for number, line in enumerate(stream, 1):
        try:
            event = decode_event(line)
        except InvalidEvent as exc:
            if line.strip():  # blank lines (e.g. a trailing newline) are not events
                rejected.append(Rejected(number, exc.reason))
            continue
        if as_of is None or instant(event.time) <= as_of:
            apply(event)
        if update is not None and number % _PROGRESS_EVERY == 0:
            position = stream.tell()
            update(position - done)
            done = position
    if update is not None:
        update(stream.tell() - done)
    return rejected


def main(file: Path, year: int, as_of: datetime | None, progress: bool) -> int:
    try:
        catalog = load_catalog(year)
    except (CatalogMissingError, CatalogError) as exc:
        print(f"govmon replay: {exc}", file=sys.stderr)
        return 2
    as_of_us = instant(as_of) if as_of is not None else None
    ledger = Ledger()
    try:
        size = os.path.getsize(file)
        stream = open(file, "rb")
    except OSError as exc:
        print(f"govmon replay: cannot read {file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    bar = None
    if progress and size >= PROGRESS_MIN_BYTES:
        from tqdm import tqdm

        bar = tqdm(total=size, unit="B", unit_scale=True, file=sys.stderr, desc="replay")
    # Facts and verdicts hold no reference cycles; pausing the cyclic collector while
    # millions of small objects are allocated avoids repeated full-heap scans.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(stream, file, ledger, bar, catalog, year, as_of_us)
    finally:
        if bar is not None:
            bar.close()
        if gc_was_enabled:
            gc.enable()


def _run(stream: IO[bytes], file: Path, ledger: Ledger, bar: object, catalog: Catalog,
         year: int, as_of: int | None) -> int:
    try:
        with stream:
            rejected = fold_file(stream, ledger, as_of, bar)
    except OSError as exc:
        print(f"govmon replay: error reading {file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if bar is not None:
        bar.close()  # type: ignore[attr-defined]
    if as_of is None:
        as_of = max(year_start(year + 1), ledger.latest or 0)
    try:
        result = evaluate(ledger, {year: catalog}, load_calendar(), load_law(), year, as_of)
    except CalendarGapError as exc:
        print(f"govmon replay: {exc}", file=sys.stderr)
        return 2
    result = msgspec.structs.replace(result, rejected=tuple(rejected))
    sys.stdout.write(msgspec.json.encode(render_result(result)).decode())
    sys.stdout.write("\n")
    return 0
