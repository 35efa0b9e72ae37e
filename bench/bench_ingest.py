"""Ingest throughput on a real local broker: events/s through validation, de-duplication
and routing, next to the raw aiokafka consume rate measured in the same run (the ceiling
on this machine).  Prints figures; asserts nothing.

    .venv/bin/python bench/bench_ingest.py [--events 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from govmon.adapters.kafka_admin import ensure_topics
from govmon.adapters.kafka_progress import group_lag
from govmon.contract import topics
from govmon.localstack import kafka
from govmon.simulate import generate

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _produce(bootstrap: str, lines: list[bytes]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                                max_batch_size=256 * 1024)
    await producer.start()
    started = time.perf_counter()
    futures = [await producer.send(topics.RAW.name, line) for line in lines]
    await asyncio.gather(*futures)
    await producer.stop()
    return time.perf_counter() - started


async def _raw_consume(bootstrap: str, count: int) -> float:
    consumer = AIOKafkaConsumer(topics.RAW.name, bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", group_id="bench-raw")
    await consumer.start()
    started = time.perf_counter()
    seen = 0
    while seen < count:
        batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
        seen += sum(len(v) for v in batch.values())
    elapsed = time.perf_counter() - started
    await consumer.stop()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="govmon-bench-"))
    port, controller = _port(), _port()
    libs = kafka.ensure_artifacts(Path(os.environ.get(
        "GOVMON_CACHE_DIR", Path.home() / ".cache" / "govmon")))
    node = kafka.start(root / "kafka", port=port, controller_port=controller, libs=libs,
                       log_file=root / "kafka.log", heap="1g")
    ingest = None
    try:
        asyncio.run(ensure_topics(node.bootstrap))
        import msgspec

        encoder = msgspec.json.Encoder()
        lines = [encoder.encode(e) for e in generate(year=2017, units=400, events=args.events,
                                                     seed=1)]
        produce_s = asyncio.run(_produce(node.bootstrap, lines))
        raw_s = asyncio.run(_raw_consume(node.bootstrap, len(lines)))
        web = _port()
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": node.bootstrap,
               "GOVMON_INGEST_PORT": str(web), "GOVMON_LOG_LEVEL": "WARNING"}
        ingest = subprocess.Popen([sys.executable, "-m", "services.ingest"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:  # time from the worker being up, not from interpreter start
            try:
                httpx.get(f"http://127.0.0.1:{web}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        started = time.perf_counter()
        while asyncio.run(group_lag(node.bootstrap, "govmon-ingest", (topics.RAW,))) > 0:
            time.sleep(0.2)
        ingest_s = time.perf_counter() - started
        n = len(lines)
        print(f"events                     {n:,}")
        print(f"produce (aiokafka, acks=all) {n / produce_s:,.0f} events/s")
        print(f"raw consume (aiokafka)       {n / raw_s:,.0f} events/s   <- ceiling")
        print(f"ingest (validate+dedup+route, one worker, incl. group join) "
              f"{n / ingest_s:,.0f} events/s")
    finally:
        if ingest is not None:
            ingest.terminate()
            ingest.wait(60)
        kafka.stop(root / "kafka")


if __name__ == "__main__":
    main()
