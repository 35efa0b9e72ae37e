"""`govmon replay`: score a JSON Lines file of CloudEvents with the pure rule engine.

This module is the imperative shell around ``govmon.rules``: it reads the file, decodes
lines with the shared contract codec, folds events into item facts, evaluates the year
and prints the JSON that `govmon report` also prints (``render_result``).

Without ``--as-of`` the result is *final*: every event in the file is considered and
the evaluation instant is the later of 1 January of the next year and the latest event
time, so year-end rules apply and every deadline of the year has passed.  With
``--as-of`` events dated after it are ignored, as if the file were read at that time.

Memory.  A year's result needs every item's facts at once only if they are all folded
into one Ledger, and a file may come in any order (a reply before its case, shuffled,
redelivered), so no item can be called finished while reading.  Instead, like a grace
hash join, a file of at least ``PARTITION_MIN_BYTES`` is read in two passes:

1. decode and validate each line (rejected lines are collected here, in file order, and
   ``--as-of`` filters here), turn the event into its item's mark (as a tuple, see
   ``event_record``) and append it to one of K buckets chosen by a hash of the item id
   (MessagePack, spilled to one temporary file, ``replay_partition``),
   K = file size / ``BUCKET_BYTES``; when the compiled scanner is installed, it does
   this pass for blocks of lines and leaves the lines it is unsure of to the Python
   path (``replay_scan``);
2. fold one bucket into a Ledger, assess its items, keep only what the result needs
   (the year's breaches, open clocks, notes and credits, and the units), drop the bucket.

Every mark of an item is in the same bucket, and items are judged independently, so the
result is the one a single Ledger gives, for any file order.  Peak memory is then the
largest bucket (about ``BUCKET_BYTES`` of input, ~1k items, whatever the file size and
order), pass 1's buffers (``BUFFERED_MARKS`` encoded records in all) and what the result
itself must list (the year's breaches and flags, a few hundred bytes each; the JSON is
written in pieces, ``render_chunks``) - instead of ~1 KB for every item of the year.
What remains grows with breaches, not with items (figures: ``bench/bench_replay.py``).
Buckets are that small for speed, not memory: a bucket's facts stay in the CPU caches
while they are folded and assessed.  The price of the two passes is one MessagePack
encode and decode per event (~1 us).  Smaller files skip the disk and fold into one
Ledger directly; both paths share the decode and the records
(``test_replay_paths`` compares them on shuffled, redelivered files).
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import IO, Any

import msgspec

from govmon.contract import codec
from govmon.contract.codec import InvalidEvent, try_decode
from govmon.contract.events import GovEvent
from govmon.jsonlines import open_lines
from govmon.replay_partition import ItemBuckets
from govmon.replay_scan import router_class, scan_blocks
from govmon.rules import (
    Catalog,
    CatalogError,
    CatalogMissingError,
    ItemFacts,
    Law,
    Ledger,
    Mark,
    Rejected,
    evaluate,
    instant,
    instants,
    load_calendar,
    load_catalog,
    load_law,
    marks,
    render_chunks,
    year_start,
)
from govmon.rules.marks import Record
from govmon.rules.workdays import CalendarGapError

PROGRESS_MIN_BYTES = 4 * 1024 * 1024  # small files finish before a bar is worth drawing
PARTITION_MIN_BYTES = 48 * 1024 * 1024  # ~150k events: below, one Ledger is small enough
# Input per bucket: ~850 items (~1 MB of facts), small enough to stay in the CPU caches
# while pass 2 folds and assesses them (see replay_partition).
BUCKET_BYTES = 512 * 1024
BUFFERED_MARKS = 32_768  # pass 1 holds at most this many marks (~5 MB encoded), whatever K
_READ_BUFFER = 1 << 20  # iterating lines costs half as much as with the default 8 KiB
_PROGRESS_EVERY = 16_384  # lines between progress updates (tqdm per line is costly)
# Pass 1 with the compiled scanner when it is installed (``replay_scan``); the tests
# switch it off to run the Python path too.
NATIVE = True

# Takes a batch of (item kind, item id, mark fields) records, not one record per call:
# a call per event costs more than the routing itself.
Sink = Callable[[list[Record]], object]
_SINK_BATCH = 4096


class Scan(msgspec.Struct):
    """What pass 1 learns besides the marks: refused lines and the latest instant."""

    rejected: list[Rejected]
    latest: int | None


def scan_file(stream: IO[bytes], sink: Sink, as_of: int | None,
              progress: object = None, max_bytes: int = codec.DEFAULT_MAX_BYTES) -> Scan:
    """Decode every line and hand each event's record (``event_record``) to ``sink``,
    in batches, in file order; bad lines are returned, never raised.  Events after
    ``as_of`` (when given) are skipped.

    ``progress`` is anything with ``update(bytes)`` (a tqdm bar), called every few
    thousand lines.
    """
    rejected: list[Rejected] = []
    update = getattr(progress, "update", None)
    shared: dict[str, str] = {}  # interned sources and unit ids, see event_record
    latest = -1
    done = 0
    number = 0
    # The hot loop: try_decode's fast path unrolled (see codec), names bound locally.
    decode, errors, checked = codec.decode_unchecked, codec.DECODE_ERRORS, codec.CROSS_CHECKED
    handlers, nul = marks.HANDLERS, codec.NUL_ESCAPE
    midnights, remember_midnight = instants.midnights, instants.remember_midnight
    batch: list[Record] = []
    keep = batch.append
    event: Any  # a GovEvent once past the refusal test below (None: refused)
    for line in stream:
        number += 1
        try:
            event = decode(line) if len(line) <= max_bytes and nul not in line else None
        except errors:
            event = None
        if event is None or type(event) in checked:
            event, refused = _slow_path(line, event, max_bytes)
            if refused is not None:
                # blank lines (e.g. a trailing newline) are not events
                if line.strip(codec.JSON_SPACE):
                    rejected.append(Rejected(number, refused))
                continue
        # `event_record(event, shared)`, inlined (two calls per event saved); sources
        # are not interned here: records are encoded or folded right away.
        moment = event.time
        days = midnights.get(id(moment.tzinfo))
        midnight = days.get(moment.toordinal()) if days is not None else None
        if midnight is None:
            at = remember_midnight(moment)
        else:
            at = midnight + ((moment.hour * 3600 + moment.minute * 60 + moment.second)
                             * 1_000_000 + moment.microsecond)
        routed = handlers[type(event)](event, at, event.source, shared)
        if as_of is None or at <= as_of:
            if at > latest:
                latest = at
            keep(routed)
            if len(batch) >= _SINK_BATCH:
                sink(batch)
                batch.clear()
        if update is not None and number % _PROGRESS_EVERY == 0:
            position = stream.tell()
            update(position - done)
            done = position
    sink(batch)
    if update is not None:
        update(stream.tell() - done)
    return Scan(rejected, latest if latest >= 0 else None)


def _slow_path(line: bytes, event: GovEvent | None, max_bytes: int
               ) -> tuple[GovEvent, None] | tuple[None, str]:
    """The loop's slow path: the event, checked, or why the line is refused.  ``event``
    is the fast decode's, or None if it said no or did not try (a long line: the limit
    is on the line without its surrounding whitespace, see ``decode_event``)."""
    if event is not None:
        try:
            codec.cross_check(event)
        except InvalidEvent as exc:
            return None, exc.reason
        return event, None
    decoded = try_decode(line, max_bytes)
    if isinstance(decoded, InvalidEvent):
        return None, decoded.reason
    return decoded, None


def fold_file(stream: IO[bytes], ledger: Ledger, as_of: int | None,
              progress: object = None) -> list[Rejected]:
    """The one-pass, in-memory replay: every line folded into ``ledger``."""
    return scan_file(stream, ledger_sink(ledger), as_of, progress).rejected


def first_pass(stream: IO[bytes], sink: Sink, as_of: int | None, progress: object,
               buckets: ItemBuckets | None, max_bytes: int = codec.DEFAULT_MAX_BYTES) -> Scan:
    """Pass 1 as replay takes it: through the compiled router when the buckets have one
    (``replay_scan``), else a line at a time (``scan_file``)."""
    if buckets is None or not buckets.routed:
        return scan_file(stream, sink, as_of, progress, max_bytes)
    return Scan(*scan_blocks(stream, sink, as_of, progress, buckets.scan_block, max_bytes))


def ledger_sink(ledger: Ledger) -> Sink:
    def sink(records: list[Record]) -> None:
        ledger.fold_all([(kind, item_id, Mark(*fields)) for kind, item_id, fields in records])

    return sink


def main(file: Path, year: int, as_of: datetime | None, progress: bool,
         max_bytes: int = codec.DEFAULT_MAX_BYTES, law_file: Path | None = None) -> int:
    """``max_bytes``: the largest event accepted (``GOVMON_MAX_EVENT_BYTES``, as ingest);
    ``law_file``: the law in force (``GOVMON_LAW_FILE``, as the services and report)."""
    try:
        catalog = load_catalog(year)
        law = load_law(law_file)
    except (CatalogMissingError, CatalogError, ValueError) as exc:  # ValueError: the law's
        print(f"govmon replay: {exc}", file=sys.stderr)
        return 2
    as_of_us = instant(as_of) if as_of is not None else None
    try:
        size = os.path.getsize(file)
        stream = open_lines(file, buffering=_READ_BUFFER)
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
        with ExitStack() as cleanup:
            cleanup.enter_context(stream)
            buckets = None
            if size >= PARTITION_MIN_BYTES:  # removed with its files, whatever happens
                scratch = cleanup.enter_context(
                    tempfile.TemporaryDirectory(prefix="govmon-replay-"))
                buckets = cleanup.enter_context(buckets_for(Path(scratch), size))
            return _run(stream, file, buckets, bar, catalog, law, year, as_of_us,
                        max_bytes)
    except OSError as exc:  # e.g. no temporary directory to write buckets in
        print(f"govmon replay: cannot write temporary files in {exc.filename or '?'}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
        if gc_was_enabled:
            gc.enable()


def buckets_for(folder: Path, size: int) -> ItemBuckets:
    count = -(-size // BUCKET_BYTES)
    batch = max(1, BUFFERED_MARKS // count)
    router = router_class() if NATIVE else None
    return ItemBuckets(folder, count, batch, router(count, batch) if router else None)


def _run(stream: IO[bytes], file: Path, buckets: ItemBuckets | None, bar: object,
         catalog: Catalog, law: Law, year: int, as_of: int | None, max_bytes: int) -> int:
    ledger = Ledger()
    try:
        sink = ledger_sink(ledger) if buckets is None else buckets.adder()
        scan = first_pass(stream, sink, as_of, bar, buckets, max_bytes)
    except OSError as exc:  # reading the file, or writing a bucket (disk full)
        where = exc.filename or file
        what = "error reading" if str(where) == str(file) else "cannot write temporary file"
        print(f"govmon replay: {what} {where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if bar is not None:
        bar.close()  # type: ignore[attr-defined]
    items: Iterable[ItemFacts] = ledger
    second = None
    if buckets is not None:
        if bar is not None:  # pass 2 takes a while too: a bar of buckets
            from tqdm import tqdm

            second = tqdm(total=buckets.count, unit="bucket", file=sys.stderr, desc="assess")
        items = chain.from_iterable(buckets.ledgers(second))
    if as_of is None:
        as_of = max(year_start(year + 1), scan.latest or 0)
    try:
        result = evaluate(items, {year: catalog}, load_calendar(), law, year, as_of)
    except CalendarGapError as exc:
        print(f"govmon replay: {exc}", file=sys.stderr)
        return 2
    finally:
        if second is not None:
            second.close()
    result = msgspec.structs.replace(result, rejected=tuple(scan.rejected))
    out = getattr(sys.stdout, "buffer", None)
    if out is None:  # a text-only stream (e.g. a test's StringIO)
        sys.stdout.write(b"".join(render_chunks(result)).decode())
        sys.stdout.write("\n")
        return 0
    sys.stdout.flush()  # bytes go under the text layer: keep them in order
    for chunk in render_chunks(result):
        out.write(chunk)
    out.write(b"\n")
    out.flush()
    return 0
