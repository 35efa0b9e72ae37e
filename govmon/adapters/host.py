"""What every streaming service shares: one consumer loop, timers, the health,
readiness and metrics endpoints (FastAPI on uvicorn), and a clean SIGTERM.

A service is described by a :class:`Service` (built by ``services/<name>/app.py``) and
run by :func:`serve`.  On SIGTERM or SIGINT the consumer loop finishes and commits the
batch in hand, each timer finishes its tick, then publishers and pools are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from govmon.adapters.batches import die, every
from govmon.adapters.consumer import BatchConsumer, Handle
from govmon.settings import Settings

Tick = Callable[[], Awaitable[None]]
Close = Callable[[], Awaitable[Any]]


@dataclass
class Service:
    name: str  # "ingest": its logger is govmon.<name>, its consumer group govmon-<name>
    consumer: BatchConsumer
    handle: Handle
    registry: CollectorRegistry
    port: int
    timers: Sequence[tuple[float, Tick]] = ()
    closers: Sequence[Close] = field(default_factory=list)


def web_app(service: Service) -> FastAPI:
    app = FastAPI(title=f"govmon-{service.name}", openapi_url=None, docs_url=None,
                  redoc_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive", "service": f"govmon-{service.name}"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        ready, detail = readiness(service.consumer)
        return JSONResponse({"ready": ready, **detail}, status_code=200 if ready else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(service.registry),
                        media_type=CONTENT_TYPE_LATEST.split(";")[0])

    return app


def readiness(consumer: BatchConsumer) -> tuple[bool, dict[str, Any]]:
    """Ready = the consumer runs and is not rebalancing.  A member the group assigned no
    partition (more replicas than partitions) is ready as a standby: it is healthy and
    takes partitions over when another member leaves.  Were it not ready, a Deployment
    scaled past the partition count would never finish a rollout."""
    if not consumer.started:
        return False, {"reason": "consumer not started"}
    assigned = consumer.assignment()
    if consumer.rebalancing:
        return False, {"reason": "rebalancing", "partitions": len(assigned)}
    if not assigned:
        return True, {"partitions": 0, "standby": True}
    return True, {"partitions": len(assigned)}


class _WebServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals belong to `serve`, which stops the consumer before the web


async def serve(build: Callable[[], Awaitable[Service]], settings: Settings) -> None:
    """Run a service until SIGTERM/SIGINT.  ``build`` runs inside the event loop
    (aiokafka and asyncpg objects must be created there)."""
    service = await build()
    tune_collector(settings.gc_threshold)
    log = logging.getLogger(f"govmon.{service.name}")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    web = _WebServer(uvicorn.Config(
        web_app(service), host="127.0.0.1" if settings.bind_localhost else "0.0.0.0",
        port=service.port, log_config=None, access_log=False, lifespan="off"))
    web_task = asyncio.create_task(web.serve(), name="web")
    await service.consumer.start()
    log.info("started", extra={"topics": service.consumer.topics, "port": service.port,
                               "loop": type(loop).__module__})
    consume = asyncio.create_task(service.consumer.run(service.handle, stopping, log),
                                  name="consume")
    timers = [asyncio.create_task(every(interval, tick, log, "timer"), name="timer")
              for interval, tick in service.timers]
    stop_wait = asyncio.create_task(stopping.wait())
    done, _ = await asyncio.wait({consume, stop_wait, web_task, *timers},
                                 return_when=asyncio.FIRST_COMPLETED)
    if stop_wait not in done:  # a loop ended on its own: only an error does that
        for task in done:
            error = task.exception()
            if error is not None:
                die(log, f"{task.get_name()} failed", error)
    stopping.set()
    log.info("stopping")
    for task in timers:
        task.cancel()
    await asyncio.gather(consume, *timers, return_exceptions=True)
    await service.consumer.stop()
    for close in service.closers:
        await close()
    web.should_exit = True
    await web_task
    log.info("stopped")


def tune_collector(threshold: int) -> None:
    """Fewer, not longer, pauses of the cyclic garbage collector in a worker.

    A full collection walks every tracked object: a scoring worker's ~150k took ~100 ms
    on the 2-core machine, and with Python's default thresholds one came every few
    seconds at 2,000 events/s (measured with ``gc.callbacks``) - each a 100 ms stall
    of that stage.  What start-up built (modules, the calendar, the law, the service's
    clients) lives as long as the process: called once the service is built,
    ``gc.freeze`` takes it out of every collection.

    A young collection walks every young object still alive, and a batch keeps hundreds
    of thousands alive (its records, marks, rows and verdicts; two batches in flight and
    the fetcher's buffer in timeliness), so a first threshold below that working set
    set one off at nearly every batch: at 50,000, 14 per 100,000 events in timeliness,
    ~40 ms each, finding no garbage - 5 us of its CPU per event.  The default
    (``GOVMON_GC_THRESHOLD``, 1,000,000) lies above it: a batch's objects are freed by
    their reference counts before a collection comes.  The workers make few reference
    cycles, so garbage waits longer but does not pile up.
    """
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(threshold, second, third)
