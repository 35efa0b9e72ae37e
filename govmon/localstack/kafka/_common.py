"""Constants and types shared by the local-broker modules."""


from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Newest Apache Kafka release on Maven Central, verified with aiokafka 0.14.0.
#: ensure_artifacts() passes it as -Dkafka.version, so the pom's own
#: default only matters for running mvn by hand (keep the two equal).
KAFKA_VERSION = "4.4.0"

NODE_ID = 1
_PID_FILE = "kafka.pid"
_PROPS_FILE = "server.properties"
_CLUSTER_ID_FILE = "cluster.id"
_LOG_DIRS = "logs"
_MARKER = ".complete.json"
_MAIN_CLASS = "kafka.Kafka"
_STORAGE_TOOL = "kafka.tools.StorageTool"


class KafkaLocalError(RuntimeError):
    """The local broker could not be fetched, formatted, started or stopped."""


@dataclass(frozen=True)
class KafkaNode:
    """A started broker. ``bootstrap`` is ``127.0.0.1:<port>`` (PLAINTEXT)."""

    bootstrap: str
    pid: int
    data_dir: Path
    log_file: Path


