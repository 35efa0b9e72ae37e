"""scored snapshots: `item_facts` remembers the last verdict published to scoring

Revision ID: 0006
Revises: 0005

Timeliness publishes an item's snapshot (`ItemAssessed`) only when what scoring counts
changed (unit, breaches, credits: ``govmon.handlers.timeliness.scored_digest``), so it
keeps that digest and the version it went out with, under the item's row lock.  Rows
stored before this revision had every version published (or are `pending`, which forces
a snapshot anyway): their version is the scored one, and their digest is marked unknown
('-', never a real digest), so their next judgement publishes a snapshot once.  Upgrade
with every older timeliness worker stopped (one still running would publish snapshots
without keeping their digest), and scoring before timeliness (an older scoring worker
cannot read `watermark_advanced`).  The UPDATE rewrites the table: on a large record,
apply it in a maintenance window (see 0005).

No later judgement of an unchanged item sends its snapshot again, so an item flagged
`pending` in a partition whose owner does not rebuild it must still be found: owners
look for flags every few seconds, through a partial index of the (few) flagged rows.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""ALTER TABLE item_facts
                  ADD COLUMN scored_version bigint NOT NULL DEFAULT 0,
                  ADD COLUMN scored_digest text NOT NULL DEFAULT ''""")
    op.execute("UPDATE item_facts SET scored_version = version, scored_digest = '-'")
    # Flags another worker's rebuild set, found by the partition's owner (few rows).
    op.execute("CREATE INDEX item_facts_pending ON item_facts (topic, partition) WHERE pending")


def downgrade() -> None:
    op.execute("DROP INDEX item_facts_pending")
    op.execute("""ALTER TABLE item_facts DROP COLUMN scored_version,
                  DROP COLUMN scored_digest""")
