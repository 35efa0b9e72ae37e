"""Yearly rule catalogs (``data/catalog_YYYY.toml``): points, caps and grades as data.

The engine knows rule *ids* (what it can detect); the catalog says what each is worth
for each unit category in each year.  Loading validates everything up front and names
the file and the field of the first problem, so a bad edit fails at start-up and not
in the middle of a year's scoring.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct, field

DATA_FOLDER = "govmon/rules/data"
CATEGORIES = ("county", "municipal")

# Rules detected on single items (cases, policies, ...): every category must price them.
ITEM_RULES = (
    "reply_overdue", "service_overdue", "dispute_liable",
    "interpretation_late", "interpretation_missing",
    "opinion_info_late", "opinion_press_late",
    "datashare_missing", "datashare_late", "datashare_incomplete",
    "inspection_finding",
)
# Rules judged on a unit's whole year once it is over: optional per category.
YEAR_END_RULES = ("principal_interpretation_missing", "reports_shortfall")
AS_RECORDED = "as_recorded"  # the finding's own points, as the assessor recorded them

_Text = Annotated[str, Meta(min_length=1)]
_Points = Annotated[float, Meta(ge=0, le=100)]


class RuleSpec(Struct, frozen=True, forbid_unknown_fields=True):
    indicator: _Text  # the Chinese indicator name from the notice
    basis: _Text  # the sentence of the notice the rule rests on
    points: _Points | Literal["as_recorded"]
    cap_group: str | None = None  # None: uncapped
    quota: Annotated[int, Meta(ge=1)] | None = None  # reports_shortfall
    min_count: Annotated[int, Meta(ge=1)] | None = None  # principal_interpretation_missing


class CategorySpec(Struct, frozen=True, forbid_unknown_fields=True):
    name: _Text
    caps: dict[str, _Points]
    rules: dict[str, RuleSpec]


class Grades(Struct, frozen=True, forbid_unknown_fields=True):
    excellent: _Points
    good: _Points
    pass_: _Points = field(name="pass")


class Catalog(Struct, frozen=True, forbid_unknown_fields=True):
    year: Annotated[int, Meta(ge=2000, le=2100)]
    official: bool
    title: _Text
    source: _Text
    unregistered_category: Literal["county", "municipal"]
    grades: Grades
    categories: dict[Literal["county", "municipal"], CategorySpec]
    file: str = ""  # where it came from (filled in by the loader, for messages)

    def rule(self, category: str, rule_id: str) -> RuleSpec | None:
        return self.categories[category].rules.get(rule_id)  # type: ignore[index]

    def grade(self, score: float) -> str:
        if score >= self.grades.excellent:
            return "excellent"
        if score >= self.grades.good:
            return "good"
        if score >= self.grades.pass_:
            return "pass"
        return "fail"


class CatalogError(ValueError):
    """A catalog file that cannot be used; the message names the file and the field."""


class CatalogMissingError(LookupError):
    def __init__(self, year: int, folder: str, available: list[int]) -> None:
        self.year = year
        have = f"{available[0]}-{available[-1]}" if available else "none"
        super().__init__(f"no rule catalog for {year}: expected catalog_{year}.toml in "
                         f"{folder} (available years: {have})")


def _folder(folder: Traversable | Path | None) -> tuple[Traversable | Path, str]:
    if folder is None:
        return resources.files("govmon.rules") / "data", DATA_FOLDER
    return folder, str(folder)


def available_years(folder: Traversable | Path | None = None) -> list[int]:
    where, _ = _folder(folder)
    years = []
    for entry in where.iterdir():
        stem = entry.name.removesuffix(".toml")
        if entry.name.endswith(".toml") and stem.startswith("catalog_") and stem[8:].isdigit():
            years.append(int(stem[8:]))
    return sorted(years)


def load_catalog(year: int, folder: Traversable | Path | None = None) -> Catalog:
    """Read, merge (``extends``) and validate the catalog of ``year``."""
    where, label = _folder(folder)
    raw = _read_merged(year, where, label, seen=())
    name = f"{label}/catalog_{year}.toml"
    raw.pop("extends", None)
    _check_nested(raw, name)
    catalog = _convert(raw, Catalog, name, "")
    _check(catalog, name, year)
    return msgspec.structs.replace(catalog, file=name)


def _read_merged(year: int, where: Traversable | Path, label: str,
                 seen: tuple[int, ...]) -> dict[str, Any]:
    name = f"{label}/catalog_{year}.toml"
    entry = where / f"catalog_{year}.toml"
    if not entry.is_file():
        if seen:  # reached through `extends`: the extending file is the broken one
            raise CatalogError(f"{label}/catalog_{seen[-1]}.toml: extends: no catalog "
                               f"for {year} in {label}")
        raise CatalogMissingError(year, label, available_years(where))
    try:
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{name}: not valid TOML: {exc}") from None
    if data.get("year") != year:
        raise CatalogError(f"{name}: year: must be {year} (the year in the file name), "
                           f"got {data.get('year')!r}")
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, int) or parent in seen or parent == year:
        raise CatalogError(f"{name}: extends: must name another year, without cycles, "
                           f"got {parent!r}")
    base = _read_merged(parent, where, label, (*seen, year))
    return _merge(base, data)


T = TypeVar("T")


def _convert(value: Any, kind: type[T], name: str, path: str) -> T:
    """msgspec validation with the full field path in the message (msgspec itself
    prints dict keys as ``[...]``, which does not tell a reviewer which rule it is)."""
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        message = (message.replace("`$", f"`${path}") if " - at `$" in message
                   else f"{message} - at `${path}`")
        raise CatalogError(f"{name}: {message}") from None


def _check_nested(raw: Mapping[str, Any], name: str) -> None:
    """Validate the per-category tables one by one so errors can name them."""
    categories = raw.get("categories")
    if not isinstance(categories, Mapping):
        raise CatalogError(f"{name}: categories: expected [categories.<name>] tables")
    for category, spec in categories.items():
        base = f".categories.{category}"
        if not isinstance(spec, Mapping):
            raise CatalogError(f"{name}: {base[1:]}: expected a table")
        _convert(spec.get("caps", {}), dict[str, _Points], name, f"{base}.caps")
        rules = spec.get("rules", {})
        if not isinstance(rules, Mapping):
            raise CatalogError(f"{name}: {base[1:]}.rules: expected [...rules.<id>] tables")
        for rule_id, rule in rules.items():
            _convert(rule, RuleSpec, name, f"{base}.rules.{rule_id}")


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check(catalog: Catalog, name: str, year: int) -> None:
    """Cross-field rules a schema cannot express."""
    def fail(where: str, message: str) -> None:
        raise CatalogError(f"{name}: {where}: {message}")

    grades = catalog.grades
    if not grades.excellent > grades.good > grades.pass_:
        fail("grades", "need excellent > good > pass")
    for category in CATEGORIES:
        spec = catalog.categories.get(category)  # type: ignore[call-overload]
        if spec is None:
            fail(f"categories.{category}", "missing (every unit category needs a catalog)")
            return
        base = f"categories.{category}"
        for rule_id in ITEM_RULES:
            if rule_id not in spec.rules:
                fail(f"{base}.rules.{rule_id}", "missing (every category must price every "
                     "item rule; use points = 0 to only flag it)")
        for rule_id, rule in spec.rules.items():
            where = f"{base}.rules.{rule_id}"
            if rule_id not in ITEM_RULES and rule_id not in YEAR_END_RULES:
                fail(where, f"unknown rule id (known: {', '.join(ITEM_RULES + YEAR_END_RULES)})")
            if (rule.points == AS_RECORDED) != (rule_id == "inspection_finding"):
                fail(f"{where}.points", "must be a number (only inspection_finding takes "
                     "'as_recorded')")
            if rule.cap_group is not None and rule.cap_group not in spec.caps:
                fail(f"{where}.cap_group", f"{rule.cap_group!r} is not in {base}.caps")
            if rule_id == "reports_shortfall" and rule.quota is None:
                fail(f"{where}.quota", "required for reports_shortfall")
            if rule_id == "principal_interpretation_missing" and rule.min_count is None:
                fail(f"{where}.min_count", "required for principal_interpretation_missing")
    if catalog.unregistered_category not in catalog.categories:
        fail("unregistered_category", "must name a category of this catalog")
    if catalog.year != year:
        fail("year", f"must be {year}")
