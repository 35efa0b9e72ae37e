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
cannot read `watermark_advanced`).  The UPDATE rewrites the table: on a large record, apply it
in a maintenance window (see 0005).
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


def downgrade() -> None:
    op.execute("""ALTER TABLE item_facts DROP COLUMN scored_version,
                  DROP COLUMN scored_digest""")
