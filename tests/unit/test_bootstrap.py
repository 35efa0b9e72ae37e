"""The services' collector tuning: start-up objects frozen out of collections, and the
first threshold raised (GOVMON_GC_THRESHOLD)."""

from __future__ import annotations

import gc

from govmon.bootstrap import tune_collector
from govmon.settings import load_settings


def test_tune_collector_freezes_and_raises_the_threshold() -> None:
    before = gc.get_threshold()
    try:
        tune_collector(load_settings(gc_threshold=12_345).gc_threshold)
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
