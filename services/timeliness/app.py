"""Timeliness: every open item's clock, kept in PostgreSQL; deadlines and warnings fired
from a due index; verdicts, breaches and warnings published to `gov.timeliness.v1`.

Thin adapter: wiring only; the work is in ``engine`` and ``govmon.handlers``.
"""

from __future__ import annotations

from govmon.adapters.consumer import consumer_for
from govmon.adapters.db import Database
from govmon.adapters.host import Service
from govmon.adapters.metrics import TimelinessMetrics, new_registry
from govmon.adapters.publisher import Publisher
from govmon.bootstrap import require_database
from govmon.contract import topics
from govmon.rules import load_calendar, load_law
from govmon.settings import Settings
from services.timeliness.engine import TimelinessEngine

NEEDS_DATABASE = True


async def build_service(settings: Settings, bootstrap: str) -> Service:
    registry = new_registry()
    metrics = TimelinessMetrics(registry)
    consumer = consumer_for(settings, bootstrap, "timeliness",
                            [spec.name for spec in topics.TIMELINESS_INPUTS], settings.batch_size,
                            metrics.lag, in_flight=settings.timeliness_in_flight)
    publisher = Publisher(bootstrap, topics.TIMELINESS.name, retry_for=settings.db_retry)
    db = Database(require_database(settings), retry_for=settings.db_retry)
    engine = TimelinessEngine(settings, db, publisher, consumer.assignment, metrics,
                              load_calendar(), load_law(settings.law_file))
    return Service("timeliness", consumer, engine.handle_batch, registry,
                   settings.timeliness_port, timers=[(settings.tick_interval, engine.tick)],
                   closers=[publisher.stop, db.close])
