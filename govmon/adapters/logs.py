"""Structured logs: one JSON object per line, with the service and, where known, the
event id, so that an operator can follow one event through every service with grep."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tenacity import RetryCallState

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "govmon") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def logging_config(service: str, level: str) -> dict[str, Any]:
    """A dictConfig for a service process (also handed to Faust/mode's worker)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter, "service": service}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json",
                       "stream": "ext://sys.stdout"}
        },
        "root": {"level": level.upper(), "handlers": ["stdout"]},
        # aiokafka is chatty at INFO about every rebalance step, uvicorn about start-up.
        "loggers": {"aiokafka": {"level": "WARNING"}, "uvicorn": {"level": "WARNING"}},
    }


def log_retry(log: logging.Logger, what: str) -> Callable[[RetryCallState], None]:
    """A tenacity ``before_sleep``: one warning per retry, so that an operator sees a
    service waiting for a server instead of a silent start-up."""

    def warn(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(f"{what} unavailable, retrying",
                    extra={"error": repr(error), "attempt": state.attempt_number,
                           "retry_in": round(delay, 2)})

    return warn
