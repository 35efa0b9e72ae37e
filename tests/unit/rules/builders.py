"""Small builders for rule tests: events from plain values, a year evaluated to JSON.

Events go through the real contract codec (`decode_event`), so tests exercise exactly
what replay sees.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from govmon.contract.codec import decode_event
from govmon.contract.events import GovEvent
from govmon.rules import (
    Catalog,
    Law,
    Ledger,
    WorkCalendar,
    evaluate,
    instant,
    load_calendar,
    load_catalog,
    load_law,
    render_result,
    year_start,
)

_ids = itertools.count(1)


@cache
def calendar() -> WorkCalendar:
    return load_calendar()


@cache
def law() -> Law:
    return load_law()


@cache
def catalog(year: int = 2017) -> Catalog:
    return load_catalog(year)


def _zoned(text: str) -> str:
    """A bare date-time means Shanghai (+08:00)."""
    return text if re.search(r"(Z|[+-]\d\d:\d\d)$", text) else text + "+08:00"


def at(text: str) -> int:
    """Instant of an RFC 3339 time (bare: Shanghai)."""
    return instant(datetime.fromisoformat(_zoned(text)))


def raw(kind: str, time: str, data: dict[str, Any], *, id: str | None = None,
        source: str = "/test/unit") -> dict[str, Any]:
    """A CloudEvent dict of type ``gov.<kind>``; time defaults to +08:00."""
    return {"specversion": "1.0", "id": id or f"ev-{next(_ids)}", "source": source,
            "type": f"gov.{kind}", "time": _zoned(time), "data": data}


def event(kind: str, time: str, data: dict[str, Any], **kw: Any) -> GovEvent:
    return decode_event(json.dumps(raw(kind, time, data, **kw)))


# --- domain shorthands -------------------------------------------------------------

def unit(unit_id: str, category: str = "municipal", time: str = "2017-01-01T00:00:00",
         **kw: Any) -> GovEvent:
    return event("unit.registered", time, {"unit_id": unit_id, "name": f"单位{unit_id}",
                                           "category": category}, **kw)


def received(case: str, time: str, unit_id: str = "U1", kind: str = "disclosure",
             limit_days: int | None = None, **kw: Any) -> GovEvent:
    data: dict[str, Any] = {"case_id": case, "unit_id": unit_id, "kind": kind}
    if limit_days is not None:
        data["limit_days"] = limit_days
    return event("application.received", time, data, **kw)


def step(what: str, case: str, time: str, **kw: Any) -> GovEvent:
    """replied / withdrawn / corrected (case only)."""
    return event(f"application.{what}", time, {"case_id": case}, **kw)


def extended(case: str, time: str, days: int, **kw: Any) -> GovEvent:
    return event("application.extended", time, {"case_id": case, "extra_days": days}, **kw)


def suspended(case: str, time: str, **kw: Any) -> GovEvent:
    return event("application.suspended", time, {"case_id": case, "reason": "征求第三方意见"},
                 **kw)


def resumed(case: str, time: str, **kw: Any) -> GovEvent:
    return event("application.resumed", time, {"case_id": case, "reason": "意见已收到"}, **kw)


def disputed(dispute: str, case: str, time: str, liable: bool, unit_id: str = "U1",
             **kw: Any) -> GovEvent:
    return event("application.disputed", time, {"dispute_id": dispute, "case_id": case,
                                                "unit_id": unit_id, "kind": "litigation",
                                                "liable": liable}, **kw)


def issued(policy: str, time: str, unit_id: str = "U1", **kw: Any) -> GovEvent:
    return event("policy.issued", time, {"policy_id": policy, "unit_id": unit_id}, **kw)


def interpreted(policy: str, time: str, by_principal: bool = False, **kw: Any) -> GovEvent:
    return event("policy.interpreted", time, {"policy_id": policy,
                                              "by_principal": by_principal}, **kw)


def detected(incident: str, time: str, level: str = "major", unit_id: str = "U1",
             **kw: Any) -> GovEvent:
    return event("opinion.detected", time, {"incident_id": incident, "unit_id": unit_id,
                                            "level": level}, **kw)


def responded(incident: str, time: str, action: str, **kw: Any) -> GovEvent:
    return event("opinion.responded", time, {"incident_id": incident, "action": action}, **kw)


def assigned(task: str, time: str, due: str, datasets: list[str], unit_id: str = "U1",
             **kw: Any) -> GovEvent:
    return event("datashare.assigned", time, {"task_id": task, "unit_id": unit_id,
                                              "due": _zoned(due), "datasets": datasets}, **kw)


def delivered(task: str, time: str, datasets: list[str], **kw: Any) -> GovEvent:
    return event("datashare.delivered", time, {"task_id": task, "datasets": datasets}, **kw)


def report(report_id: str, time: str, unit_id: str = "U1", **kw: Any) -> GovEvent:
    return event("report.submitted", time, {"report_id": report_id, "unit_id": unit_id}, **kw)


def finding(finding_id: str, time: str, points: float, unit_id: str = "U1",
            **kw: Any) -> GovEvent:
    return event("inspection.finding", time, {"finding_id": finding_id, "unit_id": unit_id,
                                              "indicator": "主动公开", "points": points,
                                              "note": "抽查发现"}, **kw)


# --- running -----------------------------------------------------------------------

def ledger_of(events: Iterable[GovEvent]) -> Ledger:
    ledger = Ledger()
    for item in events:
        ledger.apply(item)
    return ledger


def year_json(events: Iterable[GovEvent], year: int = 2017,
              as_of: str | None = None) -> dict[str, Any]:
    """Evaluate ``year`` (final: as of 1 January of the next year unless given)."""
    ledger = ledger_of(events)
    moment = at(as_of) if as_of is not None else max(year_start(year + 1), ledger.latest or 0)
    result = evaluate(ledger, {year: catalog(year)}, calendar(), law(), year, moment)
    return render_result(result)


def unit_json(result: dict[str, Any], unit_id: str = "U1") -> dict[str, Any]:
    return next(u for u in result["units"] if u["unit_id"] == unit_id)


def rules_of(result: dict[str, Any], unit_id: str = "U1") -> list[tuple[str, float, Any]]:
    """(rule, points, ref) of a unit's deductions."""
    return [(d["rule"], d["points"], d["ref"]) for d in unit_json(result, unit_id)["deductions"]]


def breach_flags(result: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(f["rule"], f["ref"], f["deadline"]) for f in result["flags"]
            if f["kind"] == "breach"]
