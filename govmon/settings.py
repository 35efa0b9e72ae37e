"""One typed settings object per process, read once at start-up (never at import).

Every variable is documented in the README's configuration table; keep them in sync.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVMON_", extra="ignore", frozen=True)

    # External servers: when set, nothing is started locally.
    kafka_bootstrap_servers: str | None = Field(
        default=None, validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")

    home: Path = Path("var")  # local data, logs and pid files of `make up`
    # Kafka jars, shared across clones of the project
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "govmon")
    kafka_port: int = Field(default=19092, ge=1, le=65535)
    kafka_controller_port: int = Field(default=19093, ge=1, le=65535)
    kafka_heap: str = "768m"

    # wall: deadlines fire on the wall clock; event: the clock follows the events' times
    # (a watermark), so a past year pushed through Kafka is judged as it was live.
    clock: Literal["wall", "event"] = "wall"
    law_file: Path | None = None  # a test law (e.g. windows in seconds); default: packaged
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    max_event_bytes: int = Field(default=64 * 1024, ge=1024)  # a CloudEvent needs some
    dedup_capacity: int = 500_000  # ids remembered per ingest worker (bounded memory)
    # A worker that died (SIGKILL, lost machine) keeps its partitions until the group
    # coordinator misses its heartbeats this long; its restarted self waits as long.
    session_timeout: float = 15.0
    bind_localhost: bool = True  # HTTP endpoints on 127.0.0.1; false in containers
    wait_timeout: float = Field(default=600, gt=0)  # `produce --wait` gives up after it
    # A batch is what the consumer has fetched, up to this many records: one database
    # transaction and one offset commit each.  Under load batches grow (throughput);
    # when idle each record goes at once (latency).
    # 50,000: a batch spans fewer days of a denser or longer stream, and an item whose
    # events fall into two batches is judged and written twice; with batches of 20,000
    # a year of 300,000 events over 300 units cost timeliness ~20 % more per event
    # than with 50,000, which hold ~120 MB more at their peak (docs/performance.md,
    # twelfth to fourteenth sessions).
    batch_size: int = 50_000  # timeliness, scoring
    # Batches timeliness works on at once: the next one is folded while the one before
    # waits for PostgreSQL and the broker (adapters.consumer; 1: one after the other).
    timeliness_in_flight: int = Field(default=2, ge=1, le=4)
    ingest_batch_size: int = 5000
    batch_within: float = 0.1  # seconds a fetch waits when nothing is there
    fetch_min_bytes: int = 32 * 1024  # a fetch returns once this much is there ...
    fetch_wait: float = 0.1  # ... or after this many seconds
    # Scoring's fetches wait for more: it rescores every unit-year a batch touches from
    # all of the unit's verdicts, so a small batch costs nearly what a large one does.
    # Under load a fetch then takes what timeliness published over ``fetch_wait``.
    scoring_fetch_min_bytes: int = Field(default=4 * 1024 * 1024, ge=1)
    # Consumers merge their partitions in the order the records were produced
    # (adapters.merge), waiting at most ``order_hold`` seconds for a partition that is
    # behind; false: each fetched buffer as it comes (aiokafka's order).
    ordered: bool = True
    order_hold: float = Field(default=2.0, ge=0)
    tick_interval: float = 0.5  # seconds between due-index checks (live deadlines)
    fire_batch: int = 1000  # due items re-assessed per database transaction
    db_retry: float = 300  # seconds to retry an unreachable database (or broker) before crashing
    # Python's cyclic collector in the services: allocations between young collections
    # (Python's default: 700), above a batch's working set.  See host.tune_collector.
    gc_threshold: int = Field(default=1_000_000, ge=1)  # 0 would switch collection off
    # The asyncio event loop of the services and `govmon produce`: uvloop (libuv, by
    # asyncpg's authors) or Python's own.  See adapters.loops.run_loop.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"

    ingest_port: int = Field(default=8101, ge=1, le=65535)
    timeliness_port: int = Field(default=8102, ge=1, le=65535)
    scoring_port: int = Field(default=8103, ge=1, le=65535)
    notifier_port: int = Field(default=8104, ge=1, le=65535)
    api_port: int = Field(default=8000, ge=1, le=65535)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("home", mode="before")
    @classmethod
    def _not_blank(cls, value: object) -> object:
        # An empty GOVMON_HOME would be the current folder: `clean` would wipe ./kafka.
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a folder, not be empty")
        return value


class SettingsError(ValueError):
    """Settings that cannot be used, each named by its environment variable."""


def variable(field: str) -> str:
    """The environment variable a field is read from."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else f"GOVMON_{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Read the environment now; ``overrides`` win (used by tests and the CLI).  Raises
    :class:`SettingsError` naming each bad variable and its value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            name = field if field.isupper() else variable(field)
            problems.append(f"{name}={error.get('input')!r}: {error['msg']}")
        raise SettingsError("bad setting: " + "; ".join(problems)) from None
