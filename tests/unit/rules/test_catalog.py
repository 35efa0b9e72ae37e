"""Catalog and law files: every year loads; broken files name the file and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from govmon.rules import CatalogError, CatalogMissingError, available_years, load_catalog
from govmon.rules.catalog import ITEM_RULES
from govmon.rules.law import parse_law

DATA = Path(__file__).parents[3] / "govmon" / "rules" / "data"


def test_2017_catalog_from_the_seed() -> None:
    catalog = load_catalog(2017)
    assert catalog.official
    county, municipal = catalog.categories["county"], catalog.categories["municipal"]
    assert county.rules["reply_overdue"].indicator == "依申请公开"
    assert county.rules["interpretation_missing"].indicator == "政策解读"
    assert county.rules["reports_shortfall"].indicator == "信息报送"
    assert county.rules["reports_shortfall"].quota == 12
    assert "reports_shortfall" not in municipal.rules  # 市直 section has no quota
    assert county.caps == {"reply_overdue": 5, "dispute_liable": 3, "interpretation": 4,
                           "opinion": 4, "datashare": 4, "reports": 6}
    assert (catalog.grades.excellent, catalog.grades.good, catalog.grades.pass_) == (90, 80, 60)


def test_later_years_carry_2017_forward_and_say_so() -> None:
    assert available_years() == list(range(2017, 2027))
    base = load_catalog(2017)
    for year in range(2018, 2027):
        catalog = load_catalog(year)
        assert not catalog.official
        assert catalog.categories == base.categories
        text = (DATA / f"catalog_{year}.toml").read_text(encoding="utf-8")
        assert "NOT FROM AN OFFICIAL DOCUMENT" in text and "extends = 2017" in text


def test_a_year_without_catalog_is_a_clear_error() -> None:
    with pytest.raises(CatalogMissingError, match=r"2031.*catalog_2031\.toml.*govmon/rules/data"):
        load_catalog(2031)


def _raises(text: str) -> pytest.RaisesExc[CatalogError]:
    return pytest.raises(CatalogError, match=re.escape(text))


def _write(folder: Path, year: int, text: str) -> None:
    (folder / f"catalog_{year}.toml").write_text(text, encoding="utf-8")


def _broken(tmp_path: Path, old: str, new: str) -> str:
    text = (DATA / "catalog_2017.toml").read_text(encoding="utf-8")
    assert old in text
    _write(tmp_path, 2017, text.replace(old, new, 1))
    with pytest.raises(CatalogError) as info:
        load_catalog(2017, tmp_path)
    return str(info.value)


def test_wrong_type_names_file_and_field(tmp_path: Path) -> None:
    message = _broken(tmp_path, "points = 0.5", 'points = "half"')
    assert "catalog_2017.toml" in message
    assert "$.categories.county.rules.reply_overdue.points" in message


def test_negative_points_name_the_field(tmp_path: Path) -> None:
    message = _broken(tmp_path, "points = 0.5", "points = -1")
    assert "categories.county.rules.reply_overdue.points" in message


def test_unknown_rule_names_the_field(tmp_path: Path) -> None:
    text = (DATA / "catalog_2017.toml").read_text(encoding="utf-8")
    _write(tmp_path, 2017, text + "\n[categories.county.rules.typo]\nindicator = 'x'\n"
                                  "basis = 'y'\npoints = 1\n")
    with _raises("catalog_2017.toml: categories.county.rules.typo: unknown rule id"):
        load_catalog(2017, tmp_path)


def test_missing_item_rule_names_the_field(tmp_path: Path) -> None:
    message = _broken(tmp_path, "[categories.municipal.rules.dispute_liable]",
                      "[categories.municipal.rules.dispute_liable_x]")
    assert "categories.municipal.rules.dispute_liable: missing" in message


def test_undefined_cap_group_names_the_field(tmp_path: Path) -> None:
    message = _broken(tmp_path, 'cap_group = "opinion"', 'cap_group = "opinions"')
    assert "catalog_2017.toml: categories.county.rules.opinion_info_late.cap_group" in message


def test_unknown_field_names_it(tmp_path: Path) -> None:
    message = _broken(tmp_path, "points = 0.5", "points = 0.5\npoint = 1")
    assert "unknown field `point`" in message
    assert "$.categories.county.rules.reply_overdue" in message


def test_quota_is_required_for_reports(tmp_path: Path) -> None:
    message = _broken(tmp_path, "quota = 12\n", "")
    assert "categories.county.rules.reports_shortfall.quota" in message


def test_every_item_rule_must_be_priced(tmp_path: Path) -> None:
    text = (DATA / "catalog_2017.toml").read_text(encoding="utf-8")
    start = text.index("[categories.municipal.rules.datashare_late]")
    end = text.index("[categories.municipal.rules.datashare_incomplete]")
    _write(tmp_path, 2017, text[:start] + text[end:])
    with _raises("categories.municipal.rules.datashare_late: missing"):
        load_catalog(2017, tmp_path)
    assert "datashare_late" in ITEM_RULES


def test_not_toml_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, 2017, "year = ")
    with _raises("catalog_2017.toml: not valid TOML"):
        load_catalog(2017, tmp_path)


def test_extends_and_overrides(tmp_path: Path) -> None:
    _write(tmp_path, 2017, (DATA / "catalog_2017.toml").read_text(encoding="utf-8"))
    _write(tmp_path, 2030, 'year = 2030\nextends = 2017\nofficial = false\ntitle = "t"\n'
                           'source = "s"\n[categories.county.rules.reply_overdue]\npoints = 1\n')
    catalog = load_catalog(2030, tmp_path)
    assert catalog.categories["county"].rules["reply_overdue"].points == 1.0
    assert catalog.categories["county"].rules["reply_overdue"].indicator == "依申请公开"
    assert catalog.categories["municipal"].rules["reply_overdue"].points == 0.5


def test_extends_a_missing_year_blames_the_extending_file(tmp_path: Path) -> None:
    _write(tmp_path, 2030, 'year = 2030\nextends = 2029\n')
    with _raises("catalog_2030.toml: extends: no catalog for 2029"):
        load_catalog(2030, tmp_path)


def test_year_must_match_the_file_name(tmp_path: Path) -> None:
    _write(tmp_path, 2030, 'year = 2031\nextends = 2017\n')
    with _raises("catalog_2030.toml: year: must be 2030"):
        load_catalog(2030, tmp_path)


def test_law_file_errors_name_file_and_field() -> None:
    text = (DATA / "law.toml").read_text(encoding="utf-8").replace(
        "working_days = 20", "working_days = 0", 1)
    with pytest.raises(ValueError, match=r"law.toml: .*\$\.disclosure_reply\[1\]\.working_days"):
        parse_law(text, "law.toml")
