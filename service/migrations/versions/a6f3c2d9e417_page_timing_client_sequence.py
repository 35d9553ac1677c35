"""Idempotent page time: page_timing.client_visit and client_seq, the last page-time
increment the autosave script reported for the page (its page visit and sequence number),
so that a retried request is not counted twice. NULL on existing rows.

Revision ID: a6f3c2d9e417
Revises: f7c2a9d41e86
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a6f3c2d9e417"
down_revision = "f7c2a9d41e86"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("page_timing", sa.Column("client_visit", sa.String(length=40), nullable=True))
    op.add_column("page_timing", sa.Column("client_seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("page_timing") as batch:
        batch.drop_column("client_seq")
        batch.drop_column("client_visit")
