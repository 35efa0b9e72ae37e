"""Settings from the environment: a bad value is refused by the name of its variable,
with the value, before anything starts (no traceback from the command line)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from govmon.settings import SettingsError, load_settings, variable


@pytest.mark.parametrize(("env", "value", "says"), [
    ("GOVMON_KAFKA_PORT", "abc", "valid integer"),
    ("GOVMON_INGEST_PORT", "70000", "less than or equal to 65535"),
    ("GOVMON_WAIT_TIMEOUT", "0", "greater than 0"),
    ("GOVMON_LOG_LEVEL", "verbose", "'DEBUG', 'INFO'"),
    ("GOVMON_HOME", "", "must name a folder"),
    ("GOVMON_CLOCK", "sundial", "'wall' or 'event'"),
])
def test_a_bad_value_is_refused_by_its_variable(monkeypatch: pytest.MonkeyPatch, env: str,
                                                value: str, says: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith(f"bad setting: {env}=")
    assert says in message


def test_every_bad_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVMON_KAFKA_PORT", "x")
    monkeypatch.setenv("GOVMON_BATCH_SIZE", "many")
    with pytest.raises(SettingsError, match=r"GOVMON_KAFKA_PORT='x'.*; GOVMON_BATCH_SIZE='many'"):
        load_settings()


def test_log_level_in_any_case_and_variables_by_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVMON_LOG_LEVEL", "debug")
    assert load_settings().log_level == "DEBUG"
    assert variable("database_url") == "DATABASE_URL"
    assert variable("fetch_wait") == "GOVMON_FETCH_WAIT"


def test_the_command_line_names_the_variable_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from govmon.cli import main; main()", "status"],
        env={"PATH": "/usr/bin:/bin", "GOVMON_TICK_INTERVAL": "soon"},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("govmon: bad setting: GOVMON_TICK_INTERVAL='soon'")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
