"""Batches of Faust events whose offsets are committed only after they were applied.

Faust's ``take_events`` acks a batch when the agent body returns *or is left by an
exception or a cancellation* (its ``finally``), and an acked offset gets committed.
That would lose the batch on a database error or a stop half-way through.  So:

* a stop (cancellation) waits for the batch in hand to finish: the acks are then true;
* a failure (database away longer than ``db_retry``, Kafka refusing a send, a bug) ends
  the process at once with ``os._exit``: nothing more is committed, and the supervisor
  (`govmon up`, Kubernetes) starts it again, which re-reads from the last commit.
  Everything downstream is idempotent, so re-reading is safe.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn, cast

import faust

EXIT_FAILED = 70  # EX_SOFTWARE


def die(log: logging.Logger, message: str, **extra: Any) -> NoReturn:
    log.critical(message, exc_info=True, extra=extra)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    os._exit(EXIT_FAILED)


async def finish(work: Awaitable[None], log: logging.Logger, what: str) -> None:
    """Run ``work`` to its end even if this task is cancelled meanwhile (the
    cancellation is re-raised afterwards); die if it fails."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while True:
        try:
            await asyncio.shield(task)
            break
        except asyncio.CancelledError:
            if task.done() and not task.cancelled():
                break
            cancelled = True  # stopping: let the batch in hand finish first
        except Exception:
            die(log, f"{what} failed; exiting without committing")
    if task.cancelled() or task.exception() is not None:
        die(log, f"{what} failed; exiting without committing")
    if cancelled:
        raise asyncio.CancelledError


async def run_batches(stream: faust.StreamT,
                      handle: Callable[[Sequence[faust.EventT]], Awaitable[None]], *,
                      size: int, within: float, log: logging.Logger) -> None:
    # `take_events` is on faust.Stream, not on the StreamT protocol.
    async for events in cast(faust.Stream, stream).take_events(size, within):
        await finish(handle(events), log, "batch")


async def guarded_tick(tick: Callable[[], Awaitable[None]], log: logging.Logger) -> None:
    """A timer body: same failure policy as batches."""
    await finish(tick(), log, "timer")
