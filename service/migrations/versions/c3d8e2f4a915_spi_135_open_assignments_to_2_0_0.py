"""SPI-135 2.0.0 leaves out 8 items that reveal religious or political opinions or a
health condition (GDPR art. 9; docs/translation-spi.md). Questionnaires of version 1.0.0
that are not completed yet move to 2.0.0, and their answers to those 8 items are deleted:
the item ids of the other items did not change, so their answers are kept. Completed
questionnaires keep version 1.0.0, their answers and their stored scores, which are read
with the archived definition (instruments/builtin/archive/spi-135-1.0.0/).

Revision ID: c3d8e2f4a915
Revises: b3d81f6a2c47
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c3d8e2f4a915"
down_revision = "b3d81f6a2c47"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the values of its own time.
INSTRUMENT = "spi-135"
OLD, NEW = "1.0.0", "2.0.0"
REMOVED = ("q_345", "q_660", "q_1824", "q_1825", "q_1328", "q_369", "q_398", "q_811")

_assignment = sa.table(
    "assignment",
    sa.column("id", sa.Integer),
    sa.column("instrument_id", sa.String),
    sa.column("instrument_version", sa.String),
    sa.column("status", sa.String),
)
_answer = sa.table(
    "answer", sa.column("assignment_id", sa.Integer), sa.column("item_id", sa.String)
)


def upgrade() -> None:
    open_old = sa.select(_assignment.c.id).where(
        _assignment.c.instrument_id == INSTRUMENT,
        _assignment.c.instrument_version == OLD,
        _assignment.c.status != "completed",
    )
    op.execute(
        _answer.delete().where(
            _answer.c.assignment_id.in_(open_old), _answer.c.item_id.in_(REMOVED)
        )
    )
    op.execute(
        _assignment.update()
        .where(
            _assignment.c.instrument_id == INSTRUMENT,
            _assignment.c.instrument_version == OLD,
            _assignment.c.status != "completed",
        )
        .values(instrument_version=NEW)
    )


def downgrade() -> None:
    # Nothing to undo safely: the deleted answers are gone, and moving the questionnaires
    # back to 1.0.0 would ask the removed items again.
    pass
