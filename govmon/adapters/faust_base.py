"""What every Faust service shares: app settings, health/readiness/metrics views, and
the worker entry point with JSON logs and a clean SIGTERM."""

from __future__ import annotations

from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from govmon.adapters.logs import logging_config
from govmon.settings import Settings


def make_app(app_id: str, settings: Settings, bootstrap: str, *, web_port: int,
             registry: CollectorRegistry, **overrides: Any) -> faust.App:
    app = faust.App(
        app_id,
        broker=[f"kafka://{server}" for server in bootstrap.split(",")],
        store="memory://",
        autodiscover=False,
        consumer_auto_offset_reset="earliest",
        # Sends are attached to the source offset and awaited before that offset is
        # committed; a failed send crashes the worker instead of committing past it.
        stream_publish_on_commit=True,
        broker_commit_interval=settings.commit_interval,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=max(settings.session_timeout / 5, 0.5),
        producer_acks=-1,
        topic_allow_declare=False,  # topics are created by `ensure_topics`, explicitly
        topic_disable_leader=True,
        web_enabled=True,
        web_bind="127.0.0.1" if settings.bind_localhost else "0.0.0.0",
        web_port=web_port,
        web_host="127.0.0.1",
        **overrides,
    )

    @app.page("/healthz")
    async def healthz(self: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return self.json({"status": "alive", "service": app_id})

    @app.page("/readyz")
    async def readyz(self: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        ready, detail = readiness(app)
        return self.json({"ready": ready, **detail}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(self: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return self.bytes(generate_latest(registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return app


def readiness(app: faust.App) -> tuple[bool, dict[str, Any]]:
    """Ready = the consumer runs, is not rebalancing and holds at least one partition."""
    try:
        assigned = app.consumer.assignment()
    except Exception:  # consumer not started yet
        return False, {"reason": "consumer not started"}
    if app.rebalancing:
        return False, {"reason": "rebalancing", "partitions": len(assigned)}
    if not assigned:
        return False, {"reason": "no partitions assigned"}
    return True, {"partitions": len(assigned)}


def run_worker(app: faust.App, service: str, settings: Settings) -> None:
    """Blocking: runs until SIGTERM/SIGINT; the worker then finishes in-flight events,
    publishes their attached sends, commits offsets and closes connections."""
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        logging_config=logging_config(service, settings.log_level),
        redirect_stdouts=False,
        override_logging=True,
    )
    worker.execute_from_commandline()
