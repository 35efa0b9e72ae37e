"""The pure domain core: assessment rules -> deadlines, breaches, deductions, scores.

No I/O (only the explicit ``load_*`` functions read this package's own data files),
no clock (every function takes ``as_of``), no Kafka/DB/HTTP.  Instants are ``int``
microseconds since the Unix epoch (``instant(datetime)`` converts, ``rfc3339(int)``
prints +08:00); days and years are Shanghai days and years (see ``instants``).

Data (reviewed files in ``govmon/rules/data``, choices documented in their comments):
    catalog_YYYY.toml        points, caps, grades per year and unit category
    law.toml                 effective-dated time limits + the counting conventions
    calendar_overrides.toml  holiday schedules chinesecalendar does not know yet

Loading - call once at start-up; errors name the file and the field::

    load_catalog(year: int, folder: Traversable | Path | None = None) -> Catalog
        # CatalogMissingError (names year + folder) / CatalogError
    available_years(folder=None) -> list[int]
    load_law(path: Path | None = None) -> Law   # path: a test law chosen by settings
    load_calendar(override_text: str | None = None, override_file=...) -> WorkCalendar
        # WorkCalendar.add_working_days / count_working_days raise CalendarGapError
        # (names the year and the override file) for years nobody covers
    coverage_warning(calendar, today: date) -> str | None   # from 1 Dec: next year?

Folding events into facts - idempotent per CloudEvents source+id, order-insensitive::

    ledger = Ledger(items: Iterable[ItemFacts] = ())   # e.g. restored from storage
    ledger.apply(event: GovEvent) -> ItemKey | None    # changed item; None = redelivery
    event_mark(event, shared: dict) -> (kind, item id, Mark)  # apply = event_mark + fold
    event_record(event, shared) -> (kind, item id, fields)  # Mark(*fields): for buckets
    ledger.fold(kind, item_id, mark) -> ItemKey | None  # e.g. marks routed to buckets
    ledger.fold_all(records: Iterable[(kind, item id, Mark)])  # the same, for a batch
    ledger.get(key) -> ItemFacts | None;  ledger.put(facts);  iter(ledger);  ledger.latest
    item_key(event) -> ItemKey                          # which item, without folding
    to_builtins(facts) -> dict;  from_builtins(obj) -> ItemFacts   # JSON-able, for a json column
    facts_to_json(facts) -> bytes;  facts_from_json(bytes | str) -> ItemFacts  # the same, faster

``ItemKey`` is ``(kind, id)``, kind one of case, dispute, policy, incident, task,
report, finding, unit.  The timeliness service, partitioned by item (case / policy /
incident / task id - the family topics' partition key), holds a Ledger of its items;
the scoring service, partitioned by unit, holds unit, report and finding items.

Item level - category-independent (timeliness service)::

    assess_item(facts, calendar, law, as_of: int) -> ItemAssessment
        .breaches  Breach(rule, ref, unit_id, at, year, event_ids, deadline, points, detail)
        .clocks    Clock(rule, ref, unit_id, opened, deadline | None, ...) still running
        .credits   Credit(kind, unit_id, year, ref, event_id): reports and principal
                   interpretations, counted by the year-end rules
        .notes     Note(kind, ...): orphan / conflict / ignored_after_breach / calendar_gap
        .next_due  next instant the verdict can change by time alone (for a due heap)
    alerts(facts, calendar, law, as_of, policy: AlertPolicy | None = None) -> list[Alert]
    clock_alerts(clock, calendar, policy) -> list[Alert]
        # AlertPolicy(working_days_before=(1,), fractions=(0.75,))

Unit level - scoring service::

    score_unit(unit: UnitInfo, breaches: Iterable[Breach], credits: Iterable[Credit],
               catalog: Catalog, year: int, as_of: int) -> UnitScore
        # UnitInfo(unit_id, category | None, name); points by category, caps,
        # year-end rules once as_of >= year_start(year + 1), score and grade

Whole year (replay) and the one output format shared by replay and report::

    evaluate(items: Iterable[ItemFacts], catalogs: Mapping[int, Catalog], calendar, law,
             year: int, as_of: int) -> YearResult     # items: a Ledger, or several
        # = summarize(assess_all(items, calendar, law, as_of), catalog, year, as_of)
    assess_all(items, calendar, law, as_of) -> Iterator[Assessed]
    summarize(assessed: Iterable[Assessed], catalog, year, as_of) -> YearResult
        # Assessed = (ItemAssessment, registration instant of a unit item | None):
        # `govmon report` feeds it assessments stored by the services
    render_result(result: YearResult) -> dict   # sorts; RFC 3339 +08:00 times
    render_chunks(result) -> Iterator[bytes]    # its JSON, byte for byte, in pieces

A breach belongs to the Shanghai year of its deadline (of its event for disputes and
findings).  All result types are msgspec Structs: ``msgspec.json.encode`` and
``msgspec.json.decode(..., type=...)`` carry them between services and storage.
"""

from govmon.rules.alerts import alerts, clock_alerts
from govmon.rules.assess import assess_item
from govmon.rules.catalog import (
    Catalog,
    CatalogError,
    CatalogMissingError,
    available_years,
    load_catalog,
)
from govmon.rules.evaluate import (
    Assessed,
    Flag,
    Rejected,
    YearResult,
    assess_all,
    evaluate,
    summarize,
)
from govmon.rules.facts import (
    ItemFacts,
    ItemKey,
    Mark,
    facts_from_json,
    facts_to_json,
    from_builtins,
    to_builtins,
)
from govmon.rules.instants import day_of, instant, rfc3339, to_datetime, year_of, year_start
from govmon.rules.law import Law, load_law
from govmon.rules.ledger import Ledger, event_mark, event_record, item_key
from govmon.rules.render import render_chunks, render_result
from govmon.rules.scoring import Deduction, UnitInfo, UnitScore, registered_for, score_unit
from govmon.rules.verdicts import (
    Alert,
    AlertPolicy,
    Breach,
    Clock,
    Credit,
    ItemAssessment,
    Note,
    Registration,
)
from govmon.rules.workdays import CalendarGapError, WorkCalendar, coverage_warning, load_calendar

__all__ = [
    "Alert",
    "AlertPolicy",
    "Assessed",
    "Breach",
    "CalendarGapError",
    "Catalog",
    "CatalogError",
    "CatalogMissingError",
    "Clock",
    "Credit",
    "Deduction",
    "Flag",
    "ItemAssessment",
    "ItemFacts",
    "ItemKey",
    "Law",
    "Ledger",
    "Mark",
    "Note",
    "Registration",
    "Rejected",
    "UnitInfo",
    "UnitScore",
    "WorkCalendar",
    "YearResult",
    "alerts",
    "assess_all",
    "assess_item",
    "available_years",
    "clock_alerts",
    "coverage_warning",
    "day_of",
    "evaluate",
    "event_mark",
    "event_record",
    "facts_from_json",
    "facts_to_json",
    "from_builtins",
    "instant",
    "item_key",
    "load_calendar",
    "load_catalog",
    "load_law",
    "registered_for",
    "render_chunks",
    "render_result",
    "rfc3339",
    "score_unit",
    "summarize",
    "to_builtins",
    "to_datetime",
    "year_of",
    "year_start",
]
