"""Scoring: each unit's score per year, derived from every stored item verdict, kept
in PostgreSQL (scores, deductions with their evidence, history) and published to
`gov.scores.v1` on every change.

Thin adapter: Faust wiring only; the work is in ``engine`` and ``govmon.handlers``.
"""

from __future__ import annotations

import logging

import faust

from govmon.adapters.batches import guarded_tick, run_batches
from govmon.adapters.db import Database
from govmon.adapters.faust_base import make_app
from govmon.adapters.metrics import ScoringMetrics, new_registry
from govmon.adapters.publisher import Publisher
from govmon.bootstrap import require_database
from govmon.contract import topics
from govmon.rules import load_calendar, load_law
from govmon.settings import Settings
from services.scoring.engine import ScoringEngine

NEEDS_DATABASE = True
_log = logging.getLogger("govmon.scoring")


def build_app(settings: Settings, bootstrap: str) -> faust.App:
    registry = new_registry()
    app = make_app("govmon-scoring", settings, bootstrap, web_port=settings.scoring_port,
                   registry=registry)
    source = app.topic(*sorted(spec.name for spec in topics.SCORING_INPUTS),
                       key_serializer="raw", value_serializer="raw", internal=False)
    publish = Publisher(bootstrap, topics.SCORES.name, retry_for=settings.db_retry)

    metrics = ScoringMetrics(registry)
    engine = ScoringEngine(
        settings, Database(require_database(settings), retry_for=settings.db_retry), publish,
        metrics, load_calendar(), load_law(settings.law_file),
        lambda topic, partition, offset: metrics.lag.observe(app, topic, partition, offset))

    @app.agent(source, name="scoring")
    async def scoring(stream: faust.StreamT) -> None:
        await run_batches(stream, engine.handle_batch, size=settings.batch_size,
                          within=settings.batch_within, log=_log)

    @app.timer(max(settings.tick_interval, 1.0), name="scoring-tick")
    async def tick() -> None:
        await guarded_tick(engine.tick, _log)

    return app
