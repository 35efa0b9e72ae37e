"""Scoring: each unit's score per year, derived from every stored item verdict, kept
in PostgreSQL (scores, deductions with their evidence, history) and published to
`gov.scores.v1` on every change.

Thin adapter: wiring only; the work is in ``engine`` and ``govmon.handlers``.
"""

from __future__ import annotations

from govmon.adapters.consumer import consumer_for
from govmon.adapters.db import Database
from govmon.adapters.host import Service
from govmon.adapters.metrics import ScoringMetrics, new_registry
from govmon.adapters.publisher import Publisher
from govmon.bootstrap import require_database
from govmon.contract import topics
from govmon.rules import load_calendar, load_law
from govmon.settings import Settings
from services.scoring.engine import ScoringEngine

NEEDS_DATABASE = True


async def build_service(settings: Settings, bootstrap: str) -> Service:
    registry = new_registry()
    metrics = ScoringMetrics(registry)
    consumer = consumer_for(settings, bootstrap, "scoring",
                            [spec.name for spec in topics.SCORING_INPUTS], settings.batch_size,
                            metrics.lag, fetch_min_bytes=settings.scoring_fetch_min_bytes)
    publisher = Publisher(bootstrap, topics.SCORES.name, retry_for=settings.db_retry)
    db = Database(require_database(settings), retry_for=settings.db_retry)
    engine = ScoringEngine(settings, db, publisher, metrics, load_calendar(),
                           load_law(settings.law_file))
    return Service("scoring", consumer, engine.handle_batch, registry, settings.scoring_port,
                   timers=[(max(settings.tick_interval, 1.0), engine.tick)],
                   closers=[publisher.stop, db.close])
