"""Composition root: the one place where settings become servers, pools and apps.

Every process entry point calls one function here; nothing is wired at import time.
"""

from __future__ import annotations

import importlib
import logging.config
import sys

from govmon.adapters.logs import logging_config
from govmon.settings import Settings, SettingsError, load_settings


def require_bootstrap(settings: Settings) -> str:
    if not settings.kafka_bootstrap_servers:
        sys.exit("KAFKA_BOOTSTRAP_SERVERS is not set and no stack is running: start one "
                 "with `govmon up` or point it at a Kafka cluster")
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
    from govmon.adapters.loops import run_loop

    try:
        settings = settings or load_settings()
    except SettingsError as exc:
        sys.exit(f"govmon-{name}: {exc}")
    logging.config.dictConfig(logging_config(name, settings.log_level))
    bootstrap = require_bootstrap(settings)
    run_loop(ensure_topics(bootstrap), settings.event_loop)
    module = importlib.import_module(f"services.{name}.app")
    if getattr(module, "NEEDS_DATABASE", False):
        from govmon.adapters.db import migrate_when_up

        migrate_when_up(require_database(settings), wait=settings.db_retry)
    run_loop(serve(lambda: module.build_service(settings, bootstrap), settings),
             settings.event_loop)
