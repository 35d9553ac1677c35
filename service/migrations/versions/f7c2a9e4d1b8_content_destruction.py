"""Destruction of the content of a bilan: bilan.content_destroyed_at (when it was destroyed)
and assignment.kept_seconds (the questionnaire time kept for the hours of the record once
the page timings are destroyed).

Revision ID: f7c2a9e4d1b8
Revises: a6f3c2d9e417
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f7c2a9e4d1b8"
down_revision = "a6f3c2d9e417"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "bilan", sa.Column("content_destroyed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("assignment", sa.Column("kept_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("assignment", "kept_seconds")
    op.drop_column("bilan", "content_destroyed_at")
