"""Composition root: the one place where settings become servers, pools and apps.

Every process entry point calls one function here; nothing is wired at import time.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging.config
import sys

from govmon.adapters.logs import logging_config
from govmon.settings import Settings, load_settings


def require_bootstrap(settings: Settings) -> str:
    if not settings.kafka_bootstrap_servers:
        sys.exit("KAFKA_BOOTSTRAP_SERVERS is not set: start the stack with `govmon up` "
                 "(it sets it for the services) or point it at a Kafka cluster")
    return settings.kafka_bootstrap_servers


def require_database(settings: Settings) -> str:
    if not settings.database_url:
        sys.exit("DATABASE_URL is not set: start the stack with `govmon up` "
                 "(it sets it for the services) or point it at a PostgreSQL database")
    return settings.database_url


def run_service(name: str, settings: Settings | None = None) -> None:
    """Start one service process: topics (and migrations) first, then its worker, until
    SIGTERM/SIGINT."""
    from govmon.adapters.host import serve
    from govmon.adapters.kafka_admin import ensure_topics

    settings = settings or load_settings()
    logging.config.dictConfig(logging_config(name, settings.log_level))
    bootstrap = require_bootstrap(settings)
    asyncio.run(ensure_topics(bootstrap))
    module = importlib.import_module(f"services.{name}.app")
    if getattr(module, "NEEDS_DATABASE", False):
        from govmon.adapters.db import migrate_when_up

        migrate_when_up(require_database(settings), wait=settings.db_retry)
    tune_collector(settings.gc_threshold)
    asyncio.run(serve(lambda: module.build_service(settings, bootstrap), settings))


def tune_collector(threshold: int) -> None:
    """Fewer, not longer, pauses of the cyclic garbage collector in a worker.

    A full collection walks every tracked object: a scoring worker's ~150k took ~100 ms
    on the 2-core machine, and with Python's default thresholds one came every few
    seconds at 2,000 events/s (measured with ``gc.callbacks``) - each a 100 ms stall
    of that stage, straight into the latency tail.  Start-up objects (modules, the
    catalog, the calendar) live as long as the process: ``gc.freeze`` takes them out of
    every collection.  A higher first threshold (``GOVMON_GC_THRESHOLD``) makes every
    generation's collections that many times rarer; the workers make few reference
    cycles, so garbage waits a little longer but does not pile up.
    """
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(threshold, second, third)
