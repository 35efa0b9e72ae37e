"""The replay hot path's shortcuts agree with the plain definitions they replace.

``event_record`` (and its copy inlined in ``replay.scan_file``) reads event times from a
memo of each day's midnight; ``Ledger.fold_all`` inlines ``Ledger.fold``.
"""

from __future__ import annotations

import io
import json
import random

from govmon import replay
from govmon.contract.codec import decode_event
from govmon.rules import Ledger, Mark, event_mark, event_record, instant
from govmon.simulate import generate


def _events(count: int, seed: int) -> list[bytes]:
    return [json.dumps(doc, ensure_ascii=False).encode()
            for doc in generate(year=2017, units=3, events=count, seed=seed)]


def test_records_are_marks_and_times_are_instants_in_any_zone() -> None:
    shared: dict[str, str] = {}
    for text in ("2017-03-01T00:00:00+08:00", "2017-03-01T23:59:59.999999+08:00",
                 "2017-03-01T10:00:00.5-05:30", "2017-12-31T16:00:00Z", "2017-03-01T10:00:00Z",
                 "2016-12-31T23:59:59+14:00"):
        line = json.dumps({"specversion": "1.0", "id": text, "source": "/s",
                           "type": "gov.application.replied", "time": text,
                           "data": {"case_id": "C1"}})
        event = decode_event(line)
        for _ in range(2):  # the second reads the memo the first filled
            kind, item_id, fields = event_record(event, shared)
            assert fields[0] == instant(event.time)
            assert (kind, item_id, Mark(*fields)) == event_mark(event, shared)


def test_the_scan_loop_gives_event_records() -> None:
    lines = _events(600, seed=8)
    seen: list[tuple[str, str, tuple[object, ...]]] = []
    replay.scan_file(io.BytesIO(b"\n".join(lines) + b"\n"), seen.extend, None)
    assert seen == [event_record(decode_event(line), {}) for line in lines]


def test_fold_all_is_fold_for_any_order_and_redeliveries() -> None:
    marks = [event_mark(decode_event(line), {}) for line in _events(800, seed=9)]
    mixed = marks + marks[::3]
    random.Random(2).shuffle(mixed)
    one, batch = Ledger(), Ledger()
    for kind, item_id, mark in mixed:
        one.fold(kind, item_id, mark)
    batch.fold_all(mixed)
    assert batch.items == one.items and batch.latest == one.latest


def test_the_bucket_decoder_knows_every_item_kind() -> None:
    # The pass-2 decoder types item kinds as a Literal; a kind missing there would make
    # every record of that kind undecodable.
    from typing import get_args

    from govmon import replay_partition
    from govmon.rules.facts import ITEM_KINDS

    assert set(get_args(replay_partition._Kind)) == set(ITEM_KINDS)
