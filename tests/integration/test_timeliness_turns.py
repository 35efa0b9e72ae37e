"""Two timeliness batches in flight on a real PostgreSQL and broker: only the last batch
started announces the watermark, and a batch whose turn comes after a failed one fails
too instead of publishing (``TimelinessEngine._turn``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord

from govmon.contract.codec import encode_event
from govmon.contract.events import GovEvent
from tests.support.timeliness import Publish, timeliness_engine
from tests.unit.rules.builders import at, received

TOPIC = "gov.applications.v1"


def _records(*events: GovEvent) -> list[ConsumerRecord[bytes, bytes]]:
    return [ConsumerRecord(TOPIC, 0, offset, 0, 0, None, encode_event(event), None, 0, 0, ())
            for offset, event in enumerate(events)]


async def _two_batches(url: str, bootstrap: str, wrap: Callable[[Publish], Publish],
                       first: list[ConsumerRecord[bytes, bytes]],
                       second: list[ConsumerRecord[bytes, bytes]]
                       ) -> tuple[list[BaseException | None], list[dict[str, Any]]]:
    """Run ``first`` and ``second`` as batches in flight (the second starts while the
    first is in its transaction); their outcomes and what reached the topic."""
    from govmon.contract import topics
    from tests.support.kafka_io import read_all

    async with timeliness_engine(url, bootstrap, "event", (TOPIC, 0), wrap) as engine:
        await engine.tick()  # heaps built from an empty record
        one = asyncio.ensure_future(engine.handle_batch(first))
        await asyncio.sleep(0)  # it has taken its turn and is waiting for the database
        two = asyncio.ensure_future(engine.handle_batch(second))
        done = await asyncio.wait_for(asyncio.gather(one, two, return_exceptions=True), 60)
        records = await read_all(bootstrap, topics.TIMELINESS)
    return ([d if isinstance(d, BaseException) else None for d in done],
            [r.json() for r in records])


def test_only_the_last_batch_started_announces_the_watermark(database_url: str,
                                                             clean_kafka: str) -> None:
    outcomes, published = asyncio.run(_two_batches(
        database_url, clean_kafka, lambda publish: publish,
        _records(received("C-A", "2017-03-01T10:00:00")),
        # three months later: C-A's 15 working days are over
        _records(received("C-B", "2017-06-01T10:00:00"))))
    assert outcomes == [None, None]
    watermarks = [m["at"] for m in published if m["type"].endswith("watermark_advanced")]
    # the first batch's clock is behind the second's: it must not be announced (the
    # second may have judged a breach due by it that is not published yet)
    assert watermarks == [at("2017-06-01T10:00:00")]
    breached = [m["item_id"] for m in published if m["type"].endswith("deadline_breached")]
    assert breached == ["C-A"]


def test_a_batch_after_a_failed_one_fails_without_publishing(database_url: str,
                                                            clean_kafka: str) -> None:
    def failing_first(publish: Publish) -> Publish:
        calls = 0

        async def wrapped(records: list[tuple[bytes, bytes]]) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:  # the first batch's publish: the broker refused it
                raise ConnectionError("broker refused the send")
            await publish(records)
        return wrapped

    outcomes, published = asyncio.run(_two_batches(
        database_url, clean_kafka, failing_first,
        # the first batch has a breach to publish: C-old's deadline is past at its clock
        _records(received("C-old", "2017-01-03T10:00:00"),
                 received("C-A", "2017-03-01T10:00:00")),
        _records(received("C-B", "2017-06-01T10:00:00"), received("C-A", "2017-03-01T10:00:00"))))
    assert isinstance(outcomes[0], ConnectionError)
    assert isinstance(outcomes[1], RuntimeError), outcomes[1]
    with pytest.raises(RuntimeError, match="an earlier batch failed"):
        raise outcomes[1]
    # the process ends here (``batches.finish``): nothing of the second batch went out
    # ahead of the first's, and no watermark passed what the first did not publish
    assert published == []


async def _breach_after_a_cut_publish(url: str, bootstrap: str) -> list[dict[str, Any]]:
    """A batch judges a breach, commits, and its publish fails (the process would end
    here); a restarted engine rebuilds its due index from the record."""
    from govmon.contract import topics
    from tests.support.kafka_io import read_all

    def refusing(publish: Publish) -> Publish:
        async def wrapped(records: list[tuple[bytes, bytes]]) -> None:
            raise ConnectionError("broker refused the send")
        return wrapped

    batch = _records(received("C-old", "2017-01-03T10:00:00"),
                     received("C-A", "2017-03-01T10:00:00"))
    async with timeliness_engine(url, bootstrap, "event", (TOPIC, 0), refusing) as engine:
        await engine.tick()  # heaps built from an empty record
        with pytest.raises(ConnectionError):
            await engine.handle_batch(batch)
    async with timeliness_engine(url, bootstrap, "event", (TOPIC, 0)) as restarted:
        await restarted.tick()  # rebuild: the outbox entry flags the batch's items
        records = await read_all(bootstrap, topics.TIMELINESS)
    return [r.json() for r in records]


def test_a_breach_whose_publish_was_cut_is_published_after_a_restart(
        database_url: str, clean_kafka: str) -> None:
    published = asyncio.run(_breach_after_a_cut_publish(database_url, clean_kafka))
    breached = [(m["item_id"], m["rule"]) for m in published
                if m["type"].endswith("deadline_breached")]
    assert breached == [("C-old", "reply_overdue")]
    snapshots = {m["item_id"] for m in published if m["type"].endswith("item_assessed")}
    assert "C-old" in snapshots
