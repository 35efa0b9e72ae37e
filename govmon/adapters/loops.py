"""The event loop a process runs on (``GOVMON_EVENT_LOOP``).  A module of its own so
that `govmon produce` can use it without loading the services' web stack."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T], kind: Literal["uvloop", "asyncio"]) -> T:
    """Run ``main`` to the end on a new event loop of ``kind`` (``GOVMON_EVENT_LOOP``).

    uvloop (libuv; by asyncpg's authors, who built asyncpg for it) is the default:
    the services spend much of their time in the loop itself (callbacks, socket reads
    and writes for the broker and the database).  Measured on the 2-core machine, it
    took a median of ~4 us off the pipeline's ~100-135 us of CPU per event (11 pairs
    of runs on one stack, in both orders), which is within that host's noise: two
    identical variants differed by 5-27 us in 5 pairs (docs/performance.md).
    ``asyncio`` keeps Python's own loop, the same code otherwise.
    """
    if kind == "uvloop":
        import uvloop  # imported here: nothing loads it unless it runs the loop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(main)
    return asyncio.run(main)
