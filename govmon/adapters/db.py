"""PostgreSQL access: migrations on start, and a resilient asyncpg pool."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from govmon.adapters.logs import log_retry

MIGRATIONS = Path(__file__).with_name("migrations")
_log = logging.getLogger(__name__)
T = TypeVar("T")

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
# A transaction cut by one of these (the connection lost mid-way; InternalClientError:
# asyncpg resetting a connection the server dropped mid-query) may have committed
# without our knowing: ``Database.interrupted`` counts them.
CUT = (*TRANSIENT, asyncpg.PostgresConnectionError, asyncpg.InternalClientError)


class WriteConflict(Exception):
    """A row this transaction read as absent (so could not lock) was written by another
    transaction before this one wrote it: run this one again, which reads it."""


# Refused by the server, so certainly not committed: a deadlock or serialization
# failure, or a migration (e.g. by a newer worker starting) that changed a table under
# a prepared statement - asyncpg drops its statement cache and prepares it again; or
# refused by us before the commit (WriteConflict).
REFUSED = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError,
           asyncpg.InvalidCachedStatementError, asyncpg.OutdatedSchemaCacheError,
           WriteConflict)
# A transaction that failed for one of these is simply run again from the start.
RETRYABLE = (*REFUSED, *CUT)


def sqlalchemy_url(database_url: str) -> str:
    """libpq URI -> SQLAlchemy asyncpg URL (alembic needs the dialect prefix)."""
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql+asyncpg", *parts[1:]))


def alembic_config(database_url: str) -> Any:
    """The migrations' alembic ``Config`` for a database (also for tests that step
    through revisions)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def migrate(database_url: str) -> None:
    """Apply every pending migration (idempotent).  Blocking: call before the loop runs,
    or in a thread."""
    from alembic import command

    command.upgrade(alembic_config(database_url), "head")


def migrate_when_up(database_url: str, *, wait: float) -> None:
    """``migrate``, waiting up to ``wait`` seconds for the server (a worker restarted
    while the database restarts should not crash-loop)."""
    from sqlalchemy.exc import DBAPIError

    give_up = time.monotonic() + wait
    delay = 0.5
    while True:
        try:
            migrate(database_url)
            return
        except (OSError, DBAPIError, *TRANSIENT) as exc:
            if time.monotonic() > give_up or (isinstance(exc, DBAPIError)
                                              and not exc.connection_invalidated
                                              and not _is_connection_error(exc)):
                raise
            _log.warning("database unavailable for migrations, retrying",
                         extra={"error": repr(exc)})
            time.sleep(delay)
            delay = min(delay * 2, 3.0)


def _is_connection_error(exc: BaseException) -> bool:
    cause = getattr(exc, "orig", None)
    while cause is not None:
        if isinstance(cause, (OSError, *RETRYABLE)):
            return True
        cause = getattr(cause, "__cause__", None)
    return False


async def create_pool(database_url: str, *, wait: float = 60, **kwargs: object) -> asyncpg.Pool:
    """A pool, waiting up to ``wait`` seconds for the server (it may be restarting)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(TRANSIENT),
        stop=stop_after_delay(wait),
        wait=wait_exponential(multiplier=0.2, max=3),
        before_sleep=log_retry(_log, "database"),
        reraise=True,
    ):
        with attempt:
            pool = await asyncpg.create_pool(database_url, **kwargs)
    assert pool is not None
    return pool


async def migrate_async(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _init_connection(conn: asyncpg.Connection) -> None:
    # JSON as text both ways: the services encode and decode with msgspec themselves.
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=_text, decoder=lambda value: value,
                                  schema="pg_catalog", format="text")


class Database:
    """A lazily created pool and :meth:`transact`, which re-runs a transaction while the
    server is away (restarting) for up to ``retry_for`` seconds, then gives up."""

    def __init__(self, url: str, *, retry_for: float, max_size: int = 4) -> None:
        self.url = url
        self.retry_for = retry_for
        self.max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()
        # Transactions cut by an outage and run again: the first run's COMMIT may have
        # gone through unseen (see TimelinessEngine._sync_partitions).
        self.interrupted = 0

    async def pool(self) -> asyncpg.Pool:
        async with self._lock:
            if self._pool is None:
                self._pool = await create_pool(self.url, wait=self.retry_for, min_size=1,
                                               max_size=self.max_size, init=_init_connection)
            return self._pool

    async def transact(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        give_up = time.monotonic() + self.retry_for
        delay = 0.2
        while True:
            try:
                pool = await self.pool()
                async with pool.acquire() as conn, conn.transaction():
                    return await work(conn)
            except RETRYABLE as exc:
                refused = isinstance(exc, REFUSED)  # checked first: a subclass of a CUT one
                if not refused:
                    self.interrupted += 1
                if time.monotonic() > give_up:
                    raise
                _log.warning("transaction refused, running it again" if refused
                             else "database unavailable, retrying",
                             extra={"error": repr(exc), "retry_in": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 3.0)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()


C = TypeVar("C")


class Confirmations(Generic[C]):
    """What a publish confirmed after a transaction (timeliness' outbox entries,
    scoring's pending scores), recorded by ``record`` at the start of the next
    transaction - in one of its own only when a worker has no other (``flush``).  Until
    then a crash leaves the work listed as unpublished, which is safe: it is published
    again."""

    def __init__(self, db: Database,
                 record: Callable[[asyncpg.Connection, list[C]], Awaitable[None]]) -> None:
        self.db = db
        self.record = record
        self._confirmed: list[C] = []

    def add(self, *items: C) -> None:
        self._confirmed.extend(items)

    async def flush(self) -> None:
        """Record what waits, in a transaction of its own if need be: for an idle
        worker, whose next transaction may be far off."""
        if self._confirmed:
            await self.transact(_nothing)

    async def transact(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """``db.transact(work)``, first recording what has been confirmed so far.  Taken
        off the list for this transaction, so that one running beside it does not record
        them as well; put back if it fails."""
        done, self._confirmed = self._confirmed, []

        async def run(conn: asyncpg.Connection) -> T:
            if done:
                await self.record(conn, done)
            return await work(conn)

        try:
            return await self.db.transact(run)
        except BaseException:
            self._confirmed[:0] = done
            raise


async def _nothing(conn: asyncpg.Connection) -> None:
    """The work of a transaction that only records confirmations."""


async def connect(url: str, **kwargs: Any) -> asyncpg.Connection:
    """One connection with the same JSON handling as the services' pools."""
    conn = await asyncpg.connect(url, **kwargs)
    await _init_connection(conn)
    return conn


async def _recreate_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()


def fresh_database(server_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``server_url``, migrate it,
    and return its URL (tests and benchmarks: one clean record per run).  Blocking."""
    asyncio.run(_recreate_database(server_url, name))
    base, _, query = server_url.partition("?")
    url = f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    migrate(url)
    return url
