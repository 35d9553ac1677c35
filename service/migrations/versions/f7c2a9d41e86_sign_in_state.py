"""Sessions that end and sign-in back-off: on staff_user and beneficiary,
session_generation (copied into the session at sign-in, raised to end every session),
failed_sign_ins and sign_in_locked_until (the per-account back-off after wrong passwords).

Revision ID: f7c2a9d41e86
Revises: d5e1a7c3b9f2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f7c2a9d41e86"
down_revision = "d5e1a7c3b9f2"
branch_labels = None
depends_on = None

TABLES = ("staff_user", "beneficiary")


def upgrade() -> None:
    for table in TABLES:
        # Plain ADD COLUMN (no batch copy: other tables reference these rows).
        op.add_column(
            table,
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"),
        )
        op.add_column(
            table, sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0")
        )
        op.add_column(
            table, sa.Column("sign_in_locked_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("sign_in_locked_until")
            batch.drop_column("failed_sign_ins")
            batch.drop_column("session_generation")
