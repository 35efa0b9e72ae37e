"""Instants and Shanghai days as plain integers.

Every rule is judged in Asia/Shanghai.  China has used a fixed +08:00 offset with no
daylight saving since 1991, and the working-day calendar refuses anything before 2004,
so a fixed offset is exact here and far cheaper than a zoneinfo lookup per event.

Representation (chosen for speed and exact comparisons, no float rounding):
- an *instant* is an ``int`` of microseconds since the Unix epoch;
- a *day* is an ``int`` count of Shanghai calendar days since 1970-01-01.

A day-based deadline is the last microsecond of its day (23:59:59.999999, shown as
23:59:59+08:00); everywhere "late" means ``at > deadline``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 86_400 * US_PER_SECOND
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
_OFFSET_US = 8 * US_PER_HOUR
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Offsets by id() of the tzinfo object: msgspec reuses one tzinfo object per distinct
# offset, and hashing a timezone (it hashes a timedelta) or calling utcoffset() costs
# more than the rest of the conversion.  Each entry keeps its tzinfo alive, so an id is
# never reused by another object while cached.
_offset_cache: dict[int, tuple[tzinfo, int]] = {}


def _offset_us(moment: datetime) -> int:
    delta = moment.utcoffset()
    if delta is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no UTC offset")
    offset = (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds
    zone = moment.tzinfo
    if zone is not None and len(_offset_cache) < 256 and isinstance(zone, timezone):
        _offset_cache[id(zone)] = (zone, offset)  # fixed offsets only (never DST zones)
    return offset


# Local midnights by zone and date: {id(tzinfo): {date ordinal: instant}}, fixed-offset
# zones of `_offset_cache` only (which keeps them alive).  Events of a day share one
# midnight, so `at = midnight + time of day` skips most of `instant`'s big-int arithmetic
# on the replay hot path (`marks.event_record`).
midnights: dict[int, dict[int, int]] = {}


def remember_midnight(moment: datetime) -> int:
    """``instant(moment)``, noting its local midnight in ``midnights`` when cacheable."""
    at = instant(moment)
    zone = id(moment.tzinfo)
    if zone in _offset_cache:
        days = midnights.setdefault(zone, {})
        if len(days) < 100_000:
            days[moment.toordinal()] = at - ((moment.hour * 3600 + moment.minute * 60
                                              + moment.second) * US_PER_SECOND
                                             + moment.microsecond)
    return at


def instant(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (exact, no float).

    ``Ledger.apply`` inlines this body for speed; a test keeps the two equal.
    """
    cached = _offset_cache.get(id(moment.tzinfo))
    offset = cached[1] if cached is not None else _offset_us(moment)
    return (
        ((moment.toordinal() - _EPOCH_ORDINAL) * 86_400
         + moment.hour * 3600 + moment.minute * 60 + moment.second) * US_PER_SECOND
        + moment.microsecond - offset
    )


def day_of(at: int) -> int:
    """The Shanghai calendar day an instant falls on."""
    return (at + _OFFSET_US) // US_PER_DAY


def day_start(day: int) -> int:
    """First instant (00:00:00 Shanghai) of a day."""
    return day * US_PER_DAY - _OFFSET_US


def day_end(day: int) -> int:
    """Last instant (23:59:59.999999 Shanghai) of a day: a day-based deadline."""
    return day_start(day + 1) - 1


def day_from_date(value: date) -> int:
    return value.toordinal() - _EPOCH_ORDINAL


def date_of_day(day: int) -> date:
    return date.fromordinal(day + _EPOCH_ORDINAL)


_year_by_day: dict[int, int] = {}  # memo: a deterministic function, bounded by days used


def year_of(at: int) -> int:
    """The Shanghai calendar year of an instant (which assessment year it belongs to)."""
    day = (at + _OFFSET_US) // US_PER_DAY
    year = _year_by_day.get(day)
    if year is None:
        year = date_of_day(day).year
        if len(_year_by_day) < 200_000:
            _year_by_day[day] = year
    return year


def year_start(year: int) -> int:
    """First instant of 1 January of ``year`` in Shanghai."""
    return day_start(day_from_date(date(year, 1, 1)))


def to_datetime(at: int) -> datetime:
    return (_EPOCH + timedelta(microseconds=at)).astimezone(SHANGHAI)


_date_text: dict[int, str] = {}  # memo of "YYYY-MM-DD" by day
_rfc3339_memo: dict[int, str] = {}  # deadlines repeat (one per day and limit): memo them


def rfc3339(at: int) -> str:
    """RFC 3339 in +08:00; whole seconds unless the instant has a fraction.

    Day deadlines (...23:59:59.999999) print as 23:59:59 because that is how the rules
    phrase them; the microsecond is dropped only for that one instant of each day (an
    event at 10:00:00.999999 keeps its fraction: printed as 10:00:00 it read almost a
    second early).  Formatted by hand (not datetime.isoformat) because a year's report
    prints ~10^5 of them.
    """
    text = _rfc3339_memo.get(at)
    if text is not None:
        return text
    day, rest = divmod(at + _OFFSET_US, US_PER_DAY)
    date_text = _date_text.get(day)
    if date_text is None:
        date_text = date_of_day(day).isoformat()
        if len(_date_text) < 200_000:
            _date_text[day] = date_text
    seconds, micro = divmod(rest, US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    end_of_day = rest == US_PER_DAY - 1
    fraction = "" if micro == 0 or end_of_day else f".{micro:06d}"
    text = f"{date_text}T{hour:02d}:{minute:02d}:{second:02d}{fraction}+08:00"
    if end_of_day and len(_rfc3339_memo) < 100_000:
        _rfc3339_memo[at] = text
    return text
