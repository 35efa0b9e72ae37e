"""The services' collector tuning (adapters.host.tune_collector): start-up objects frozen
out of collections, and the first threshold raised (GOVMON_GC_THRESHOLD)."""

from __future__ import annotations

import gc

import pytest

from govmon.adapters.host import tune_collector
from govmon.settings import SettingsError, load_settings


def test_threshold_from_the_environment_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVMON_GC_THRESHOLD", "7000")
    assert load_settings().gc_threshold == 7000
    monkeypatch.setenv("GOVMON_GC_THRESHOLD", "0")
    with pytest.raises(SettingsError, match="GOVMON_GC_THRESHOLD"):
        load_settings()


def test_tune_collector_freezes_and_raises_the_threshold() -> None:
    before = gc.get_threshold()
    try:
        tune_collector(load_settings(gc_threshold=12_345).gc_threshold)
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
