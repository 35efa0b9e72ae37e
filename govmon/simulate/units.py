"""The assessed units: Yueyang's counties/districts, then municipal departments.

Each unit gets a behaviour profile drawn from the seed, so that the year has a spread
of good and sloppy performers (a reviewer expects some units to lose points).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

COUNTIES = (
    "岳阳楼区", "云溪区", "君山区", "岳阳县", "华容县", "湘阴县", "平江县", "汨罗市",
    "临湘市", "岳阳经济技术开发区", "城陵矶新港区", "南湖新区", "屈原管理区",
)
# (name, relative volume of disclosure applications)
DEPARTMENTS = (
    ("市发展和改革委员会", 1.2), ("市教育局", 1.0), ("市公安局", 2.5), ("市民政局", 1.0),
    ("市财政局", 1.0), ("市人力资源和社会保障局", 1.6), ("市自然资源和规划局", 2.8),
    ("市生态环境局", 1.3), ("市住房和城乡建设局", 2.2), ("市交通运输局", 1.1),
    ("市卫生健康委员会", 0.9), ("市市场监督管理局", 1.4), ("市农业农村局", 0.8),
    ("市水利局", 0.6), ("市商务局", 0.5), ("市文化旅游广电局", 0.5), ("市应急管理局", 0.7),
    ("市司法局", 0.6), ("市审计局", 0.4), ("市统计局", 0.3), ("市林业局", 0.4),
    ("市城市管理局", 1.3), ("市医疗保障局", 0.8), ("市科学技术局", 0.3),
)
COUNTY_VOLUME = (1.6, 0.7, 0.7, 1.3, 1.2, 1.2, 1.4, 1.0, 0.9, 0.8, 0.4, 0.6, 0.4)

# data-sharing datasets a unit may be asked to deliver (政务资源共享数据库)
DATASETS_COMMON = ("权力清单", "责任清单", "政务服务事项目录", "行政许可结果", "行政处罚结果",
                   "财政预决算", "人员招录信息")
DATASETS = {
    "市公安局": ("人口基础信息", "户籍变动信息", "居民身份证信息", "机动车登记信息"),
    "市市场监督管理局": ("法人基础信息", "企业登记信息", "企业信用信息", "食品生产许可"),
    "市自然资源和规划局": ("不动产登记信息", "土地利用规划", "空间地理信息"),
    "市人力资源和社会保障局": ("社会保险参保信息", "就业登记信息", "职业资格证书"),
    "市民政局": ("社会组织登记信息", "婚姻登记信息", "社会救助对象"),
    "市住房和城乡建设局": ("建筑企业资质", "商品房预售许可", "保障性住房信息"),
    "市卫生健康委员会": ("医疗机构执业许可", "出生医学证明"),
    "市教育局": ("学校基础信息", "教师资格证书"),
    "市生态环境局": ("排污许可信息", "环境质量监测"),
}
DATASETS_COUNTY = ("乡镇概况", "惠农补贴发放", "扶贫对象信息", "土地征收信息", "社会救助对象",
                   "宅基地审核", "便民服务事项")


@dataclass(slots=True)
class Unit:
    index: int
    unit_id: str
    name: str
    category: str  # "county" | "municipal"
    volume: float  # relative activity
    sloppiness: float  # multiplies lateness and misses; ~1 on average
    principal_rate: float  # share of policy interpretations by the principal
    datasets: tuple[str, ...]
    sources: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)  # per kind of id
    principal_from: int = 0  # day of year from which the principal interprets one policy
    had_principal: bool = False
    p_never: float = 0.0  # application never replied (set by the scenarios)
    p_late: float = 0.0  # application replied late


def _names(count: int) -> list[tuple[str, str, str, float, tuple[str, ...]]]:
    """(unit_id, name, category, base volume, datasets) of the first ``count`` units."""
    out: list[tuple[str, str, str, float, tuple[str, ...]]] = []
    for i, name in enumerate(COUNTIES[:count], start=1):
        out.append((f"yy-county-{i:02d}", name, "county", COUNTY_VOLUME[i - 1],
                    DATASETS_COUNTY))
    for i, (name, volume) in enumerate(DEPARTMENTS[: max(count - len(out), 0)], start=1):
        out.append((f"yy-dept-{i:02d}", name, "municipal", volume,
                    DATASETS.get(name, ()) + DATASETS_COMMON))
    county_no, dept_no = len(COUNTIES), len(DEPARTMENTS)
    while len(out) < count:  # province-sized runs: alternate generated names
        if (len(out) - len(COUNTIES) - len(DEPARTMENTS)) % 2 == 0:
            county_no += 1
            out.append((f"yy-county-{county_no:02d}", f"县区-{county_no:03d}", "county", 1.0,
                        DATASETS_COUNTY))
        else:
            dept_no += 1
            out.append((f"yy-dept-{dept_no:02d}", f"市直部门-{dept_no:03d}", "municipal", 0.9,
                        DATASETS_COMMON))
    return out


SYSTEMS = ("oa", "ysq", "yuqing", "datashare")  # office automation, 依申请, 舆情, 数据共享


def build_units(count: int, rng: random.Random) -> list[Unit]:
    if count < 1:
        raise ValueError("at least one unit is needed")
    units: list[Unit] = []
    for index, (unit_id, name, category, volume, datasets) in enumerate(_names(count)):
        units.append(Unit(
            index=index, unit_id=unit_id, name=name, category=category,
            volume=volume * rng.uniform(0.8, 1.25),
            sloppiness=rng.lognormvariate(0.0, 0.6),
            principal_rate=rng.uniform(0.03, 0.12), datasets=datasets,
            principal_from=rng.randrange(40, 300),
            sources={system: f"/yueyang/{unit_id}/{system}" for system in SYSTEMS},
        ))
    # sloppiness averages 1 over the activity, so the city-wide shares hold for few units
    mean = sum(u.sloppiness * u.volume for u in units) / sum(u.volume for u in units)
    for unit in units:
        unit.sloppiness = min(max(unit.sloppiness / mean, 0.2), 4.0)
    # a unit or two whose principal never interprets a policy all year
    for index in rng.sample(range(count), k=min(count, max(1, count // 16))):
        units[index].principal_rate = 0.0
        units[index].principal_from = 10_000
    return units
