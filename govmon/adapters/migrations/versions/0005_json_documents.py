"""json documents: `item_facts.facts` and `assessments.body` as json, not jsonb

Revision ID: 0005
Revises: 0004

Only the services read these documents, whole, and decode them themselves (msgspec);
nothing queries inside them.  jsonb made PostgreSQL parse every document into its
binary form on each write and print it back to text on each read: ~6 us per row each
way, a fifth of PostgreSQL's CPU in the pipeline benchmark.  json stores the text as
given (still checked to be JSON) and still answers `->` / `->>` for a person's query.
Rewrites both tables under an exclusive lock: on a large record, stop the services and
run it in a maintenance window (workers still running re-prepare their statements and
carry on).  The downgrade back to jsonb fails on a document jsonb refuses (an escaped NUL
character) and keeps only the last of duplicate keys; the services write neither.
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
