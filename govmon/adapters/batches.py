"""The services' failure policy around a unit of work (a batch, a timer tick).

* a stop (cancellation) waits for the work in hand to finish: what it committed is
  then true;
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
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

EXIT_FAILED = 70  # EX_SOFTWARE


def die(log: logging.Logger, message: str, error: BaseException | None = None,
        **extra: Any) -> NoReturn:
    """Log ``error`` (default: the exception being handled) and end the process."""
    log.critical(message, exc_info=error if error is not None else True, extra=extra)
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
            cancelled = True  # stopping: let the work in hand finish first
        except Exception:
            die(log, f"{what} failed; exiting without committing")
    if task.cancelled() or task.exception() is not None:
        die(log, f"{what} failed; exiting without committing")
    if cancelled:
        raise asyncio.CancelledError


async def every(interval: float, tick: Callable[[], Awaitable[None]],
                log: logging.Logger, what: str) -> None:
    """A timer: ``tick`` every ``interval`` seconds, under the same policy."""
    while True:
        await asyncio.sleep(interval)
        await finish(tick(), log, what)
