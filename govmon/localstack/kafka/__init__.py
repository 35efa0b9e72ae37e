"""A real single-node Apache Kafka broker (KRaft, combined broker + controller) without Docker.

The broker's jars are the official Apache Kafka artifacts from Maven Central, listed in
``infra/kafka/pom.xml`` and copied into a cache folder by Maven (:func:`ensure_artifacts`).
The broker runs as ``java -cp '<libs>/*' kafka.Kafka <data_dir>/server.properties``
(:func:`start`), detached in its own session so that it outlives the caller (``make up``) and
can be stopped later from another process (:func:`stop`) by its data folder alone.

Everything that belongs to one node lives in its data folder::

    <data_dir>/server.properties   written by start() on every start
    <data_dir>/cluster.id          the KRaft cluster id the storage was formatted with
    <data_dir>/logs/               log.dirs (topic partitions and the KRaft metadata log)
    <data_dir>/kafka.pid           pid of the running JVM (also its process-group id)

The same data folder survives stop()/start() (restarts in chaos tests); two nodes with their
own data folders and ports run side by side (the test session next to ``make up``).

Nothing here reads settings or touches the disk at import time.
"""

from govmon.localstack.kafka._common import KAFKA_VERSION, KafkaLocalError, KafkaNode
from govmon.localstack.kafka.artifacts import ensure_artifacts, infra_dir
from govmon.localstack.kafka.broker import start
from govmon.localstack.kafka.process import (
    find_free_ports,
    free_port,
    port_is_free,
    running_pid,
    stop,
)

__all__ = [
    "KAFKA_VERSION",
    "KafkaLocalError",
    "KafkaNode",
    "ensure_artifacts",
    "find_free_ports",
    "free_port",
    "infra_dir",
    "port_is_free",
    "running_pid",
    "start",
    "stop",
]
