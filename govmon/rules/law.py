"""Effective-dated time limits (``data/law.toml``): what deadline an item gets.

Kept apart from the yearly catalogs because a deadline depends on when the item
started, never on the unit's category or on the assessment year.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Generic, TypeVar

import msgspec
from msgspec import Meta, Struct

from govmon.rules.instants import day_from_date

LAW_FILE = "govmon/rules/data/law.toml"
_Days = Annotated[int, Meta(ge=1, le=366)]
_Hours = Annotated[int, Meta(ge=1, le=24 * 366)]
_Seconds = Annotated[int, Meta(ge=1, le=86_400)]


class _Entry(Struct, frozen=True, forbid_unknown_fields=True):
    effective_from: date
    basis: Annotated[str, Meta(min_length=1)]


class WorkingDayLimit(_Entry, frozen=True):
    working_days: _Days


class OpinionWindows(_Entry, frozen=True):
    levels: list[str]
    authoritative_info_hours: _Hours
    press_conference_hours: _Hours
    # Test laws only (never in law.toml): windows of a few seconds, so a live deadline
    # can be exercised end to end without waiting hours.  When set they replace the hours.
    authoritative_info_seconds: _Seconds | None = None
    press_conference_seconds: _Seconds | None = None


class _LawFile(Struct, frozen=True, forbid_unknown_fields=True):
    disclosure_reply: Annotated[list[WorkingDayLimit], Meta(min_length=1)]
    policy_interpretation: Annotated[list[WorkingDayLimit], Meta(min_length=1)]
    opinion_response: Annotated[list[OpinionWindows], Meta(min_length=1)]


E = TypeVar("E", bound=_Entry)


class _Timeline(Generic[E]):
    """Entries sorted by effective day; ``at(day)`` picks the one in force."""

    def __init__(self, entries: list[E]) -> None:
        self._entries = sorted(entries, key=lambda e: e.effective_from)
        self._days = [day_from_date(e.effective_from) for e in self._entries]

    def at(self, day: int) -> E:
        # Before the first entry the first one applies (documented in law.toml).
        return self._entries[max(bisect_right(self._days, day) - 1, 0)]


class Law:
    """The time limits in force on any day."""

    def __init__(self, parsed: _LawFile, filename: str = LAW_FILE) -> None:
        self.filename = filename
        self.disclosure_reply = _Timeline(parsed.disclosure_reply)
        self.policy_interpretation = _Timeline(parsed.policy_interpretation)
        self.opinion_response = _Timeline(parsed.opinion_response)
        # Memos by start day (hot in replay; bounded by the days in use).
        self._reply_days: dict[int, int] = {}
        self._interpretation_days: dict[int, int] = {}

    def reply_days(self, day: int) -> int:
        days = self._reply_days.get(day)
        if days is None:
            days = self._reply_days[day] = self.disclosure_reply.at(day).working_days
        return days

    def interpretation_days(self, day: int) -> int:
        days = self._interpretation_days.get(day)
        if days is None:
            days = self.policy_interpretation.at(day).working_days
            self._interpretation_days[day] = days
        return days

    def opinion_windows(self, day: int) -> OpinionWindows:
        return self.opinion_response.at(day)


def parse_law(text: str, filename: str = LAW_FILE) -> Law:
    try:
        raw = tomllib.loads(text)
        return Law(msgspec.convert(raw, _LawFile), filename)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{filename}: not valid TOML: {exc}") from None
    except msgspec.ValidationError as exc:
        raise ValueError(f"{filename}: {exc}") from None


def load_law(path: Path | None = None) -> Law:
    """Read the packaged law file, or ``path`` (a test law chosen by settings).
    Explicit: never at import time."""
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{path}: cannot read the law file: {exc.strerror or exc}") from None
        return parse_law(text, str(path))
    text = (resources.files("govmon.rules") / "data" / "law.toml").read_text(encoding="utf-8")
    return parse_law(text)
