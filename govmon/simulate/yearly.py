"""Once-a-year and few-a-year events: registration, information reports, findings.

Counts are drawn per unit up front (a few per unit), so the total is known before the
day-by-day processes are scaled to the requested size.
"""

from __future__ import annotations

import random
from typing import Any

from govmon.simulate.schedule import Schedule
from govmon.simulate.units import Unit
from govmon.simulate.workdays import office_time

# information reports a year (每年报送信息不少于12条): counties mostly 10-16, some short
COUNTY_REPORTS = tuple(range(8, 19))
COUNTY_REPORT_WEIGHTS = (3, 5, 8, 10, 14, 16, 15, 12, 10, 4, 3)
MUNICIPAL_REPORTS = (1, 2, 3, 4, 5, 6, 8)
MUNICIPAL_REPORT_WEIGHTS = (2, 4, 5, 4, 3, 2, 1)

P_FINDINGS = 0.35
# (indicator, points, note, categories it applies to) - from the 2017 rules
FINDINGS: tuple[tuple[str, float, str, tuple[str, ...]], ...] = (
    ("政府信息公开指南", 1.0, "未在政府网站公开政府信息公开指南", ("county",)),
    ("政府信息公开指南", 1.5, "未在政府网站公开本单位政府信息公开指南", ("municipal",)),
    ("政府信息公开指南", 0.5, "政府信息公开指南更新不及时", ("county", "municipal")),
    ("政府信息公开年度报告", 0.5, "年度报告公开部门不全面", ("county",)),
    ("政府信息公开年度报告", 0.5, "未在规定期限公开年度工作报告", ("municipal",)),
    ("领导机构", 1.0, "主要领导变动后未及时调整政务公开领导小组组成人员",
     ("county", "municipal")),
    ("领导机构", 2.0, "未成立政务公开政务服务领导小组", ("county",)),
    ("管理机构", 1.0, "政务公开管理机构职能未明确", ("county",)),
    ("考评督查", 1.0, "未开展政务公开专项督查", ("county", "municipal")),
    ("主动公开", 0.5, "未按时限在政府信息公开平台公开规范性文件", ("county", "municipal")),
    ("主动公开", 0.5, "财政资金信息公开不及时", ("county", "municipal")),
    ("依申请公开", 0.5, "网上申请办理指南未列明投诉电话和救济渠道", ("county", "municipal")),
    ("窗口考评", 1.0, "未通报窗口工作讲评情况", ("county", "municipal")),
    ("便民服务", 1.0, "村(社区)便民服务中心覆盖率低于90%", ("county",)),
    ("电子政务外网", 1.0, "县级电子政务外网未延伸至社区", ("county",)),
    ("政务服务事项进驻", 0.5, "办事服务事项进驻政务中心不全", ("county", "municipal")),
    ("信息报送", 0.5, "半年度工作总结报送不及时", ("county", "municipal")),
)
INSPECTION_SOURCE = "/yueyang/zwgkb/inspection"  # 市政务公开办


def registrations(s: Schedule, units: list[Unit]) -> None:
    """Every unit is registered in the first hours of 1 January (the year's roll)."""
    for unit in units:
        t = s.rng.randrange(0, 6 * 3600)
        s.push(t, "gov.unit.registered", unit.sources["oa"], unit.unit_id,
               {"unit_id": unit.unit_id, "name": unit.name, "category": unit.category})


def plan_reports(rng: random.Random, units: list[Unit]) -> list[int]:
    out = []
    for unit in units:
        if unit.category == "county":
            out.append(rng.choices(COUNTY_REPORTS, COUNTY_REPORT_WEIGHTS)[0])
        else:
            out.append(rng.choices(MUNICIPAL_REPORTS, MUNICIPAL_REPORT_WEIGHTS)[0])
    return out


def plan_findings(rng: random.Random, units: list[Unit]) -> list[int]:
    return [rng.choice((1, 1, 1, 2)) if rng.random() < P_FINDINGS else 0 for _ in units]


def reports(s: Schedule, units: list[Unit], counts: list[int], keep: float) -> None:
    rng, cal = s.rng, s.cal
    workdays = cal.workdays_in_year()
    for unit, count in zip(units, counts, strict=True):
        days = sorted(rng.sample(workdays, min(count, len(workdays))))
        for day in days:
            if keep < 1.0 and rng.random() >= keep:
                continue
            report_id = s.new_id(unit, "xx")
            s.push(office_time(rng, day), "gov.report.submitted", unit.sources["oa"], report_id,
                   {"report_id": report_id, "unit_id": unit.unit_id})


def findings(s: Schedule, units: list[Unit], counts: list[int], keep: float) -> None:
    """Findings of the half-yearly inspections (July) and the year-end one (December)."""
    rng, cal = s.rng, s.cal
    rounds = [[d for d in cal.workdays_in_year() if cal.month[d] == month] for month in (7, 12)]
    for unit, count in zip(units, counts, strict=True):
        options = [f for f in FINDINGS if unit.category in f[3]]
        for indicator, points, note, _ in rng.sample(options, count):
            if keep < 1.0 and rng.random() >= keep:
                continue
            finding_id = s.new_id(unit, "dc")
            data: dict[str, Any] = {
                "finding_id": finding_id, "unit_id": unit.unit_id, "indicator": indicator,
                "points": points, "note": f"{unit.name}：{note}"}
            s.push(office_time(rng, rng.choice(rng.choice(rounds))), "gov.inspection.finding",
                   INSPECTION_SOURCE, finding_id, data)

