"""streaming record: item facts with their due times, assessments, scores, deductions

Revision ID: 0002
Revises: 0001

Instants are bigint microseconds since the Unix epoch (the rules' own representation,
exact; `to_timestamp(x / 1e6)` shows them).  Every row is keyed by an id taken from the
events or the rules, and every write is an upsert, so applying a batch twice leaves the
same rows.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per item (case, policy, incident, task, dispute: timeliness; unit, report,
    # finding: scoring).  `facts` is the item's ItemFacts (JSON of govmon.rules.facts);
    # the rest is derived from it and kept for the due index and for people.
    op.execute("""
    CREATE TABLE item_facts (
        kind            text NOT NULL,
        item_id         text NOT NULL,
        topic           text NOT NULL,     -- source topic and partition: the due index
        partition       integer NOT NULL,  -- is rebuilt per assigned partition
        unit_id         text,
        facts           jsonb NOT NULL,
        marks           integer NOT NULL,  -- distinct events folded in
        latest_us       bigint NOT NULL,   -- latest event time seen for the item
        version         bigint NOT NULL,   -- +1 per assessment published
        assessed_us     bigint NOT NULL,   -- the clock of that assessment
        next_due_us     bigint,            -- when time alone changes the verdict or warns
        deadline_us     bigint,            -- earliest running deadline (open items)
        alerted_us      bigint NOT NULL,   -- warnings up to this instant were sent
        breached        text[] NOT NULL,   -- rules already announced as breached
        pending         boolean NOT NULL,  -- committed, publish not yet confirmed
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, item_id)
    )
    """)
    op.execute("""CREATE INDEX item_facts_due ON item_facts (topic, partition, next_due_us)
                  WHERE next_due_us IS NOT NULL OR pending""")
    op.execute("""CREATE INDEX item_facts_open ON item_facts (unit_id, deadline_us)
                  WHERE deadline_us IS NOT NULL""")
    # The services' clocks: in event-time mode the watermark, which only moves forward.
    op.execute("""
    CREATE TABLE service_clocks (
        name       text PRIMARY KEY,
        at_us      bigint NOT NULL
    )
    """)
    # The latest assessment of every item as scoring applied it (`body`: ItemAssessment).
    op.execute("""
    CREATE TABLE assessments (
        kind         text NOT NULL,
        item_id      text NOT NULL,
        unit_id      text,
        version      bigint NOT NULL,
        assessed_us  bigint NOT NULL,
        next_due_us  bigint,
        created_us   bigint,              -- unit items: registration instant
        years        integer[] NOT NULL,  -- years of its breaches and credits
        body         jsonb NOT NULL,
        PRIMARY KEY (kind, item_id)
    )
    """)
    op.execute("""CREATE INDEX assessments_scored ON assessments (unit_id)
                  WHERE cardinality(years) > 0""")
    op.execute("""
    CREATE TABLE unit_scores (
        unit_id     text NOT NULL,
        year        integer NOT NULL,
        name        text,
        category    text,
        scored_as   text NOT NULL,
        score       numeric(6, 2) NOT NULL,
        grade       text NOT NULL,
        deducted    numeric(8, 2) NOT NULL,
        final       boolean NOT NULL,     -- year-end rules applied
        as_of_us    bigint NOT NULL,
        version     bigint NOT NULL,
        digest      text NOT NULL,        -- of the score with its evidence: what changed
        pending     boolean NOT NULL,     -- change committed, publish not yet confirmed
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (unit_id, year)
    )
    """)
    op.execute("CREATE INDEX unit_scores_pending ON unit_scores (unit_id) WHERE pending")
    op.execute("CREATE INDEX unit_scores_open_years ON unit_scores (year) WHERE NOT final")
    # A unit's deductions for a year, replaced as a whole whenever its score is derived.
    op.execute("""
    CREATE TABLE deductions (
        unit_id    text NOT NULL,
        year       integer NOT NULL,
        rule       text NOT NULL,
        ref        text NOT NULL,          -- item id; '' for year-end rules
        points     numeric(8, 2) NOT NULL, -- before caps
        cap_group  text,
        at_us      bigint,
        event_ids  text[] NOT NULL,        -- the evidence
        detail     text NOT NULL,
        PRIMARY KEY (unit_id, year, rule, ref)
    )
    """)
    op.execute("""
    CREATE TABLE score_history (
        unit_id      text NOT NULL,
        year         integer NOT NULL,
        version      bigint NOT NULL,
        score        numeric(6, 2) NOT NULL,
        grade        text NOT NULL,
        deducted     numeric(8, 2) NOT NULL,
        final        boolean NOT NULL,
        as_of_us     bigint NOT NULL,
        recorded_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (unit_id, year, version)
    )
    """)


def downgrade() -> None:
    for table in ("score_history", "deductions", "unit_scores", "assessments",
                  "service_clocks", "item_facts"):
        op.execute(f"DROP TABLE {table}")
