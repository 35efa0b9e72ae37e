"""units: the registry of assessed units

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE units (
        unit_id        text PRIMARY KEY,
        name           text NOT NULL,
        category       text NOT NULL CHECK (category IN ('county', 'municipal')),
        event_source   text NOT NULL,
        event_id       text NOT NULL,
        registered_at  timestamptz NOT NULL
    )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE units")
