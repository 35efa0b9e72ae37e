"""The event loop a process runs on (adapters.loops.run_loop, GOVMON_EVENT_LOOP)."""

from __future__ import annotations

import asyncio

import pytest

from govmon.adapters.loops import run_loop
from govmon.settings import SettingsError, load_settings


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_by_default_and_pythons_own_on_request(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    monkeypatch.delenv("GOVMON_EVENT_LOOP", raising=False)
    assert run_loop(_loop_module(), load_settings().event_loop).startswith("uvloop")
    monkeypatch.setenv("GOVMON_EVENT_LOOP", "asyncio")
    assert run_loop(_loop_module(), load_settings().event_loop).startswith("asyncio")


def test_an_unknown_loop_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVMON_EVENT_LOOP", "trio")
    with pytest.raises(SettingsError, match="GOVMON_EVENT_LOOP"):
        load_settings()


def test_the_result_and_errors_of_the_coroutine_come_back() -> None:
    async def fails() -> None:
        raise LookupError("from inside")

    with pytest.raises(LookupError, match="from inside"):
        run_loop(fails(), "uvloop")
