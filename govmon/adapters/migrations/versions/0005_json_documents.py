"""json documents: `item_facts.facts` and `assessments.body` as json, not jsonb

Revision ID: 0005
Revises: 0004

Only the services read these documents, whole, and decode them themselves (msgspec);
nothing queries inside them.  jsonb made PostgreSQL parse every document into its
binary form on each write and print it back to text on each read: ~6 us per row each
way, a fifth of PostgreSQL's CPU in the pipeline benchmark.  json stores the text as
given (still checked to be JSON) and still answers `->` / `->>` for a person's query.
Rewrites both tables under an exclusive lock, which holds up every service's
transactions until it is done: on a large record, stop the services and apply it in a
maintenance window (any service applies pending migrations when it starts).  A worker
left running through it prepares its statements again and carries on.  The downgrade
back to jsonb fails if a stored document holds an escaped NUL character (an event's text
may carry one) and keeps only the last of duplicate keys (the services write none).
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE item_facts ALTER COLUMN facts TYPE json USING facts::json")
    op.execute("ALTER TABLE assessments ALTER COLUMN body TYPE json USING body::json")


def downgrade() -> None:
    op.execute("ALTER TABLE item_facts ALTER COLUMN facts TYPE jsonb USING facts::jsonb")
    op.execute("ALTER TABLE assessments ALTER COLUMN body TYPE jsonb USING body::jsonb")
