"""unit registrations: a unit's verdict keeps its registration history

Revision ID: 0007
Revises: 0006

A unit is now scored for a year with the registration in force at that year's end
(``govmon.rules.scoring.registered_for``), read from the history its verdict carries.
A verdict stored before this revision has none: its latest registration counted for
every year.  Such units are made due now, so the scoring worker judges them again at
its next tick (a new version, with the history, and the unit's scored years rescored),
and their stored verdicts are made valid at no instant (``next_due_us = assessed_us``),
so `govmon report` judges them from their facts meanwhile.  Only unit rows are touched.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_LEGACY = "a.kind = 'unit' AND (a.body::jsonb -> 'registrations') IS NULL"


def upgrade() -> None:
    op.execute(f"""UPDATE item_facts f SET next_due_us = 0 FROM assessments a
                   WHERE f.kind = 'unit' AND a.item_id = f.item_id AND {_LEGACY}""")
    op.execute(f"""UPDATE assessments a SET next_due_us = a.assessed_us
                   WHERE {_LEGACY}""")


def downgrade() -> None:
    """Nothing to undo: a unit judged again is judged as its older worker would have,
    with an extra field it ignores."""
