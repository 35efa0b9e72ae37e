"""Timeliness: every open item's clock, kept in PostgreSQL; deadlines and warnings fired
from a due index; verdicts, breaches and warnings published to `gov.timeliness.v1`.

Thin adapter: Faust wiring only; the work is in ``engine`` and ``govmon.handlers``.
"""

from __future__ import annotations

import logging

import faust

from govmon.adapters.batches import guarded_tick, run_batches
from govmon.adapters.db import Database
from govmon.adapters.faust_base import make_app
from govmon.adapters.metrics import TimelinessMetrics, new_registry
from govmon.adapters.publisher import Publisher
from govmon.bootstrap import require_database
from govmon.contract import topics
from govmon.rules import load_calendar, load_law
from govmon.settings import Settings
from services.timeliness.engine import TimelinessEngine

NEEDS_DATABASE = True
_log = logging.getLogger("govmon.timeliness")


def build_app(settings: Settings, bootstrap: str) -> faust.App:
    registry = new_registry()
    app = make_app("govmon-timeliness", settings, bootstrap,
                   web_port=settings.timeliness_port, registry=registry)
    names = {spec.name for spec in topics.TIMELINESS_INPUTS}
    source = app.topic(*sorted(names), key_serializer="raw", value_serializer="raw",
                       internal=False)
    publish = Publisher(bootstrap, topics.TIMELINESS.name, retry_for=settings.db_retry)

    def assignment() -> set[tuple[str, int]]:
        try:
            assigned = app.consumer.assignment()
        except Exception:  # consumer not started yet
            return set()
        return {(tp.topic, tp.partition) for tp in assigned if tp.topic in names}

    metrics = TimelinessMetrics(registry)
    engine = TimelinessEngine(
        settings, Database(require_database(settings), retry_for=settings.db_retry), publish,
        assignment, metrics, load_calendar(), load_law(settings.law_file),
        lambda topic, partition, offset: metrics.lag.observe(app, topic, partition, offset))

    @app.agent(source, name="timeliness")
    async def timeliness(stream: faust.StreamT) -> None:
        await run_batches(stream, engine.handle_batch, size=settings.batch_size,
                          within=settings.batch_within, log=_log)

    @app.timer(settings.tick_interval, name="timeliness-due")
    async def due() -> None:
        await guarded_tick(engine.tick, _log)

    return app
