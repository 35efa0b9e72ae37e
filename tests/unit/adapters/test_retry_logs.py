"""A service waiting for its database or broker at start-up says so, once per retry,
with the error: an operator must not see a silent process for a minute."""

from __future__ import annotations

import asyncio
import logging

import pytest

from govmon.adapters.db import create_pool
from govmon.adapters.kafka_admin import ensure_topics
from govmon.localstack.kafka import find_free_ports


def test_create_pool_logs_each_retry(caplog: pytest.LogCaptureFixture) -> None:
    (closed,) = find_free_ports(1)  # nothing listens there
    caplog.set_level(logging.WARNING, "govmon.adapters.db")
    with pytest.raises(OSError):
        asyncio.run(create_pool(f"postgresql://u@127.0.0.1:{closed}/d", wait=1.5))
    retries = [r for r in caplog.records if r.getMessage() == "database unavailable, retrying"]
    assert len(retries) >= 2
    assert "Connect" in retries[0].error and retries[0].attempt == 1  # type: ignore[attr-defined]


def test_ensure_topics_logs_each_retry(caplog: pytest.LogCaptureFixture) -> None:
    (closed,) = find_free_ports(1)
    caplog.set_level(logging.WARNING, "govmon.adapters.kafka_admin")
    with pytest.raises(Exception):  # noqa: B017 - aiokafka's own error for no broker
        asyncio.run(ensure_topics(f"127.0.0.1:{closed}", wait=1.5))
    retries = [r for r in caplog.records
               if r.getMessage() == "kafka (topics) unavailable, retrying"]
    assert len(retries) >= 2 and retries[1].attempt == 2  # type: ignore[attr-defined]
