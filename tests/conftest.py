"""Session-wide real servers, started lazily: unit tests never pay for them."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from govmon.adapters.db import fresh_database
from tests.support.procs import ServiceProcess
from tests.support.servers import KafkaUnderTest, PostgresUnderTest, reset_kafka


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test's layer is its folder: a file that forgets its marker is still selected
    by `make integration` / `make e2e` (two files once were not)."""
    for item in items:
        for layer in ("integration", "e2e"):
            if layer in item.path.parts:
                item.add_marker(layer)


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaUnderTest]:
    node = KafkaUnderTest(tmp_path_factory.mktemp("kafka-session"))
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresUnderTest]:
    # Not under pytest's basetemp: as root, PostgreSQL runs as the `pgserver` user, and
    # pytest resets /tmp/pytest-of-root to mode 0700 whenever another session starts.
    folder = Path(tempfile.mkdtemp(prefix="govmon-test-pg-"))
    folder.chmod(0o755)
    server = PostgresUnderTest(folder)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


_db_numbers = itertools.count(1)


@pytest.fixture
def database_url(postgres: PostgresUnderTest) -> str:
    """A fresh, migrated database per test (cheap in PostgreSQL)."""
    return fresh_database(postgres.url, f"govmon_t{next(_db_numbers)}")


@pytest.fixture
def clean_kafka(kafka: KafkaUnderTest) -> str:
    """Empty topics and no consumer groups: each pipeline test starts from nothing."""
    asyncio.run(reset_kafka(kafka.bootstrap))
    return kafka.bootstrap


@pytest.fixture
def services(tmp_path: Path) -> Iterator[list[ServiceProcess]]:
    """Service processes a test started; all stopped afterwards, whatever happened."""
    started: list[ServiceProcess] = []
    yield started
    for proc in started:
        proc.stop()
