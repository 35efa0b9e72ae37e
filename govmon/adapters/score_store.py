"""`assessments`, `units`, `unit_scores`, `deductions`, `score_history`: the SQL only
(decisions are in ``govmon.handlers.scoring``).  Every function runs inside the
caller's transaction.

Lists of keys are joined as ``unnest($1)``, never ``= ANY($1)``: a prepared statement's
generic plan, made while a table was small, kept scanning it whole with ANY (a
seq scan comparing every row to every key: 260 ms per batch at 30,000 units).  Where
the key is not unique (a unit's rows), the lookup is a ``LATERAL`` subquery fenced with
``OFFSET 0``, so it stays one index probe per key: as a plain join, without statistics
yet (a new database) the planner guessed ~180 rows per unit and hashed every scored
assessment instead (20 ms per batch at 36,000 units, growing with the table)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import asyncpg
import msgspec

from govmon.adapters.staging import Staging
from govmon.contract.derived import ItemAssessed, ScoreChanged
from govmon.handlers.scoring import deduction_changes, deduction_key, years_of
from govmon.rules import Deduction, ItemAssessment, ItemKey, Mark, UnitScore, to_datetime

_ASSESSMENT = msgspec.json.Decoder(ItemAssessment)
UnitYear = tuple[str, int]
_ENCODE = msgspec.json.Encoder().encode
# `store_assessments`' rows (``staging``): `y` the years comma-joined, `b` the body
_STAGED_ASSESSMENTS = Staging("staged_assessments", """
    k text, i text, u text, v bigint, a bigint, n bigint, c bigint, y text, b text""")


def decode_assessment(body: str | bytes) -> ItemAssessment:
    return _ASSESSMENT.decode(body)


@dataclass(frozen=True, slots=True)
class Replaced:
    """An assessment that replaced an older one: what the old one counted for."""

    new: ItemAssessed
    old_unit: str | None
    old_years: list[int]


async def store_assessments(conn: asyncpg.Connection, incoming: Iterable[ItemAssessed]
                            ) -> list[Replaced]:
    """Keep, per item, the assessment with the highest version; return those that
    replaced a stored one (or were the first) - only what this statement wrote.  Equal
    or older versions change nothing."""
    best: dict[ItemKey, ItemAssessed] = {}
    for item in incoming:
        key = (item.kind, item.item_id)
        if key not in best or best[key].version < item.version:
            best[key] = item
    if not best:
        return []
    records = await conn.fetch(
        """SELECT kind, item_id, unit_id, years, version FROM assessments
           WHERE (kind, item_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
           ORDER BY kind, item_id FOR UPDATE""",
        [k for k, _ in best], [i for _, i in best])
    old = {(r["kind"], r["item_id"]): r for r in records}
    replaced = [Replaced(item, old[key]["unit_id"] if key in old else None,
                         list(old[key]["years"]) if key in old else [])
                for key, item in best.items()
                if key not in old or old[key]["version"] < item.version]
    if not replaced:
        return []
    # One statement for all, its rows by COPY (see item_store.save_items); `years` as
    # "2017,2018".  RETURNING names the rows it wrote: a new item another transaction
    # stored meanwhile with a version as high (a stalled worker racing a partition's new
    # owner; FOR UPDATE cannot lock a row that did not exist) is skipped, not replaced.
    await _STAGED_ASSESSMENTS.fill(conn, [
        (r.new.kind, r.new.item_id, r.new.assessment.unit_id, r.new.version, r.new.assessed_at,
         r.new.assessment.next_due, r.new.created_at,
         ",".join(map(str, years_of(r.new.assessment))), _ENCODE(r.new.assessment).decode())
        for r in replaced])
    written = await conn.fetch(
        f"""INSERT INTO assessments (kind, item_id, unit_id, version, assessed_us, next_due_us,
                                    created_us, years, body)
           SELECT k, i, u, v, a, n, c, string_to_array(y, ',')::integer[], b::json
           FROM {_STAGED_ASSESSMENTS.name}
           ON CONFLICT (kind, item_id) DO UPDATE SET
             unit_id = EXCLUDED.unit_id, version = EXCLUDED.version,
             assessed_us = EXCLUDED.assessed_us, next_due_us = EXCLUDED.next_due_us,
             created_us = EXCLUDED.created_us, years = EXCLUDED.years, body = EXCLUDED.body
           WHERE assessments.version < EXCLUDED.version
           RETURNING kind, item_id""")
    if len(written) == len(replaced):
        return replaced
    kept = {(r["kind"], r["item_id"]) for r in written}
    return [r for r in replaced if (r.new.kind, r.new.item_id) in kept]


async def register_unit(conn: asyncpg.Connection, unit_id: str, mark: Mark) -> None:
    """The `units` registry row, from the unit's latest registration."""
    await conn.execute(
        """INSERT INTO units (unit_id, name, category, event_source, event_id, registered_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (unit_id) DO UPDATE SET
             name = EXCLUDED.name, category = EXCLUDED.category,
             event_source = EXCLUDED.event_source, event_id = EXCLUDED.event_id,
             registered_at = EXCLUDED.registered_at""",
        unit_id, mark.names[0] if mark.names else unit_id, mark.text, mark.source,
        mark.event_id, to_datetime(mark.at))


async def lock_units(conn: asyncpg.Connection, units: list[str]) -> None:
    """Serialise scoring per unit across workers (a transaction-scoped advisory lock,
    taken in sorted order)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('govmon.scoring:' || u)) "
        "FROM unnest($1::text[]) AS u", sorted(units))  # unnest keeps the array order


async def registrations(conn: asyncpg.Connection, units: list[str]
                        ) -> dict[str, ItemAssessment]:
    records = await conn.fetch(
        """SELECT a.item_id, a.body FROM unnest($1::text[]) AS u(item_id)
           JOIN assessments a ON a.kind = 'unit' AND a.item_id = u.item_id""",
        units)
    return {r["item_id"]: decode_assessment(r["body"]) for r in records}


async def bump_revisions(conn: asyncpg.Connection, units: Iterable[str]) -> None:
    """The units' scored verdicts changed in this transaction."""
    listed = sorted(set(units))
    if listed:
        await conn.execute(
            """INSERT INTO unit_revisions (unit_id, revision)
               SELECT u, 1 FROM unnest($1::text[]) AS u
               ON CONFLICT (unit_id) DO UPDATE
                 SET revision = unit_revisions.revision + 1""", listed)


async def revisions(conn: asyncpg.Connection, units: list[str]) -> dict[str, int]:
    records = await conn.fetch(
        """SELECT r.unit_id, r.revision FROM unnest($1::text[]) AS u(unit_id)
           JOIN unit_revisions r USING (unit_id)""", units)
    return {r["unit_id"]: r["revision"] for r in records}


async def scored_assessments(conn: asyncpg.Connection, units: list[str]
                             ) -> dict[str, dict[ItemKey, ItemAssessment]]:
    """Every stored assessment of the units that counts in some year."""
    records = await conn.fetch(
        """SELECT a.unit_id, a.kind, a.item_id, a.body FROM unnest($1::text[]) AS u(unit_id)
           CROSS JOIN LATERAL (SELECT * FROM assessments s WHERE s.unit_id = u.unit_id
                               AND cardinality(s.years) > 0 OFFSET 0) AS a""",
        units)
    out: dict[str, dict[ItemKey, ItemAssessment]] = defaultdict(dict)
    for r in records:
        out[r["unit_id"]][(r["kind"], r["item_id"])] = decode_assessment(r["body"])
    return out


async def stored_digests(conn: asyncpg.Connection, pairs: Iterable[tuple[str, int]]
                         ) -> dict[tuple[str, int], tuple[int, str]]:
    listed = sorted(pairs)
    records = await conn.fetch(
        """SELECT unit_id, year, version, digest FROM unit_scores
           WHERE (unit_id, year) IN (SELECT * FROM unnest($1::text[], $2::integer[]))""",
        [u for u, _ in listed], [y for _, y in listed])
    return {(r["unit_id"], r["year"]): (r["version"], r["digest"]) for r in records}


async def unit_years(conn: asyncpg.Connection, units: list[str]) -> list[tuple[str, int]]:
    records = await conn.fetch(
        """SELECT s.unit_id, s.year FROM unnest($1::text[]) AS u(unit_id)
           CROSS JOIN LATERAL (SELECT unit_id, year FROM unit_scores s
                               WHERE s.unit_id = u.unit_id OFFSET 0) AS s""", units)
    return [(r["unit_id"], r["year"]) for r in records]


async def open_years(conn: asyncpg.Connection, before: int) -> list[tuple[str, int]]:
    """Unit-years before ``before`` still without their year-end rules."""
    records = await conn.fetch(
        "SELECT unit_id, year FROM unit_scores WHERE NOT final AND year < $1", before)
    return [(r["unit_id"], r["year"]) for r in records]


@dataclass(frozen=True, slots=True)
class NewScore:
    score: UnitScore
    year: int
    final: bool
    as_of: int
    version: int
    digest: str


async def save_scores(conn: asyncpg.Connection, scores: list[NewScore],
                      stored: Mapping[UnitYear, Sequence[Deduction]] | None = None) -> None:
    """Replace the unit-years' scores and deductions; append to their history.  At most
    five statements for the whole batch, over arrays (see item_store.save_items).

    ``stored``: the deduction rows some unit-years are known to have (the caller's
    record of what it wrote, vouched for by the stored digest): only their differences
    are written.  The others are replaced as a whole."""
    if not scores:
        return
    stored = stored or {}
    units = [s.score.unit_id for s in scores]
    years = [s.year for s in scores]
    await conn.execute(
        """INSERT INTO unit_scores (unit_id, year, name, category, scored_as, score, grade,
                                    deducted, final, as_of_us, version, digest, pending)
           SELECT *, true FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[],
                                      $5::text[], $6::numeric[], $7::text[], $8::numeric[],
                                      $9::boolean[], $10::bigint[], $11::bigint[],
                                      $12::text[])
           ON CONFLICT (unit_id, year) DO UPDATE SET
             name = EXCLUDED.name, category = EXCLUDED.category,
             scored_as = EXCLUDED.scored_as, score = EXCLUDED.score, grade = EXCLUDED.grade,
             deducted = EXCLUDED.deducted, final = EXCLUDED.final,
             as_of_us = EXCLUDED.as_of_us, version = EXCLUDED.version,
             digest = EXCLUDED.digest, pending = true, updated_at = now()""",
        units, years, [s.score.name for s in scores], [s.score.category for s in scores],
        [s.score.scored_as for s in scores], [s.score.score for s in scores],
        [s.score.grade for s in scores], [s.score.deducted for s in scores],
        [s.final for s in scores], [s.as_of for s in scores], [s.version for s in scores],
        [s.digest for s in scores])
    whole: list[UnitYear] = []
    gone: list[tuple[str, int, str, str]] = []
    rows: list[tuple[str, int, Deduction]] = []
    for s in scores:
        unit, year = s.score.unit_id, s.year
        if len({deduction_key(d) for d in s.score.deductions}) != len(s.score.deductions):
            # A bug in the rules: the table holds one row per (rule, ref).
            raise ValueError(f"{unit} {year}: two deductions for one (rule, ref)")
        known = stored.get((unit, year))
        if known is None:
            whole.append((unit, year))
            rows += [(unit, year, d) for d in s.score.deductions]
        else:
            removed, added = deduction_changes(known, s.score.deductions)
            gone += [(unit, year, rule, ref) for rule, ref in removed]
            rows += [(unit, year, d) for d in added]
    if whole:
        await conn.execute(
            """DELETE FROM deductions d USING unnest($1::text[], $2::integer[]) AS x(u, y)
               WHERE d.unit_id = x.u AND d.year = x.y""",
            [u for u, _ in whole], [y for _, y in whole])
    if gone:
        await conn.execute(
            """DELETE FROM deductions d
               USING unnest($1::text[], $2::integer[], $3::text[], $4::text[]) AS x(u, y, r, f)
               WHERE d.unit_id = x.u AND d.year = x.y AND d.rule = x.r AND d.ref = x.f""",
            [g[0] for g in gone], [g[1] for g in gone], [g[2] for g in gone],
            [g[3] for g in gone])
    if rows:
        # event_ids travel as JSON arrays: unnest flattens arrays of arrays.
        await conn.execute(
            """INSERT INTO deductions (unit_id, year, rule, ref, points, cap_group, at_us,
                                       event_ids, detail)
               SELECT u, y, r, f, p, g, a,
                      ARRAY(SELECT json_array_elements_text(e::json)), t
               FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[],
                           $5::numeric[], $6::text[], $7::bigint[], $8::text[], $9::text[])
                 AS x(u, y, r, f, p, g, a, e, t)""",
            [u for u, _, _ in rows], [y for _, y, _ in rows], [d.rule for _, _, d in rows],
            [d.ref or "" for _, _, d in rows], [d.points for _, _, d in rows],
            [d.cap_group for _, _, d in rows], [d.at for _, _, d in rows],
            [_ENCODE(list(d.event_ids)).decode() for _, _, d in rows],
            [d.detail for _, _, d in rows])
    await conn.execute(
        """INSERT INTO score_history (unit_id, year, version, score, grade, deducted, final,
                                      as_of_us)
           SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::numeric[],
                                $5::text[], $6::numeric[], $7::boolean[], $8::bigint[])
           ON CONFLICT DO NOTHING""",
        units, years, [s.version for s in scores], [s.score.score for s in scores],
        [s.score.grade for s in scores], [s.score.deducted for s in scores],
        [s.final for s in scores], [s.as_of for s in scores])


async def pending_scores(conn: asyncpg.Connection) -> list[ScoreChanged]:
    records = await conn.fetch(
        """SELECT s.unit_id, s.year, s.version, s.score, s.grade, s.deducted, s.final,
                  s.as_of_us, (SELECT count(*) FROM deductions d
                               WHERE d.unit_id = s.unit_id AND d.year = s.year) AS n
           FROM unit_scores s WHERE s.pending ORDER BY s.unit_id, s.year""")
    return [ScoreChanged(unit_id=r["unit_id"], year=r["year"], version=r["version"],
                         score=float(r["score"]), grade=r["grade"],
                         deducted=float(r["deducted"]), deductions=r["n"], final=r["final"],
                         as_of=r["as_of_us"]) for r in records]


async def scores_published(conn: asyncpg.Connection, sent: list[ScoreChanged]) -> None:
    await conn.execute(
        """UPDATE unit_scores SET pending = false
           FROM unnest($1::text[], $2::integer[], $3::bigint[]) AS done(unit_id, year, version)
           WHERE unit_scores.unit_id = done.unit_id AND unit_scores.year = done.year
             AND unit_scores.version = done.version""",
        [s.unit_id for s in sent], [s.year for s in sent], [s.version for s in sent])
