"""`govmon rules --year Y`: the rule catalog of a year as a readable table."""

from __future__ import annotations

import sys
import unicodedata

from govmon.rules.catalog import (
    AS_RECORDED,
    CATEGORIES,
    ITEM_RULES,
    YEAR_END_RULES,
    Catalog,
    CatalogError,
    CatalogMissingError,
    load_catalog,
)

_HEADERS = ("rule", "indicator", "category", "points", "cap group", "cap", "basis")
_BASIS_WIDTH = 48  # keeps a row on one line of a wide terminal; the file has the rest


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _points(value: float | str) -> str:
    if value == AS_RECORDED:
        return "as recorded"
    return f"{float(value):g}"


def rows(catalog: Catalog) -> list[tuple[str, ...]]:
    order = {rule: index for index, rule in enumerate(ITEM_RULES + YEAR_END_RULES)}
    result: list[tuple[str, ...]] = []
    for category in CATEGORIES:
        spec = catalog.categories[category]  # type: ignore[index]
        for rule_id in sorted(spec.rules, key=lambda r: order.get(r, len(order))):
            rule = spec.rules[rule_id]
            points = _points(rule.points)
            if rule.quota is not None:
                points += f" × (each short of {rule.quota})"
            if rule.min_count is not None:
                points += f" (if fewer than {rule.min_count})"
            cap = spec.caps.get(rule.cap_group) if rule.cap_group else None
            result.append((rule_id, rule.indicator, f"{category} {spec.name}", points,
                           rule.cap_group or "-", f"{cap:g}" if cap is not None else "none",
                           _clip(rule.basis, _BASIS_WIDTH)))
    return result


def render_table(catalog: Catalog) -> str:
    body = rows(catalog)
    widths = [max(_width(row[i]) for row in [_HEADERS, *body]) for i in range(len(_HEADERS))]
    lines = [
        f"{catalog.title}",
        f"source: {catalog.source}",
        f"file: {catalog.file}  official: {'yes' if catalog.official else 'NO (carried forward)'}",
        f"grades: excellent >= {catalog.grades.excellent:g}, good >= {catalog.grades.good:g}, "
        f"pass >= {catalog.grades.pass_:g}, else fail; "
        f"unregistered units scored as {catalog.unregistered_category}",
        "",
        "  ".join(_pad(h, w) for h, w in zip(_HEADERS, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in body]
    return "\n".join(lines) + "\n"


def main(year: int) -> int:
    try:
        catalog = load_catalog(year)
    except (CatalogMissingError, CatalogError) as exc:
        print(f"govmon rules: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render_table(catalog))
    return 0
