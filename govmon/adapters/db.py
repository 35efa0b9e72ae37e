"""PostgreSQL access: migrations on start, and a resilient asyncpg pool."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

MIGRATIONS = Path(__file__).with_name("migrations")

# Errors that mean "the server is away" rather than "the query is wrong": retry those.
TRANSIENT = (
    OSError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def sqlalchemy_url(database_url: str) -> str:
    """libpq URI -> SQLAlchemy asyncpg URL (alembic needs the dialect prefix)."""
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql+asyncpg", *parts[1:]))


def migrate(database_url: str) -> None:
    """Apply every pending migration (idempotent).  Blocking: call before the loop runs,
    or in a thread."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    command.upgrade(config, "head")


async def create_pool(database_url: str, *, wait: float = 60, **kwargs: object) -> asyncpg.Pool:
    """A pool, waiting up to ``wait`` seconds for the server (it may be restarting)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(TRANSIENT),
        stop=stop_after_delay(wait),
        wait=wait_exponential(multiplier=0.2, max=3),
        reraise=True,
    ):
        with attempt:
            pool = await asyncpg.create_pool(database_url, **kwargs)
    assert pool is not None
    return pool


async def migrate_async(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)
