"""unit revisions: a counter per unit, bumped with every change to its scored verdicts

Revision ID: 0004
Revises: 0003

Scoring workers keep units' verdicts between batches and use a kept copy only while
its revision is current (services/scoring/verdicts.py).
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE unit_revisions (
        unit_id   text PRIMARY KEY,
        revision  bigint NOT NULL
    )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE unit_revisions")
