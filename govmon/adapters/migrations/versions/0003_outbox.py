"""timeliness outbox: verdicts committed but not yet confirmed published, one row per
batch instead of a `pending` flag flipped on every item row

Revision ID: 0003
Revises: 0002

Flipping `item_facts.pending` back after each publish rewrote every row a second time
(~11 µs per item, measured).  A batch now inserts one row listing its items, and the
confirmed publish deletes it (in the worker's next transaction).  Rows still marked
`pending` by an older worker keep working: the flag is still honoured on rebuild.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE unpublished_verdicts (
        id          bigserial PRIMARY KEY,
        topics      text[] NOT NULL,     -- parallel arrays: the items of one batch and
        partitions  integer[] NOT NULL,  -- the source partition whose due index fires
        kinds       text[] NOT NULL,     -- them again after a crash
        item_ids    text[] NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
    )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE unpublished_verdicts")
