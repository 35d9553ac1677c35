"""Staff tokens: single-use links to set the first password of an invited staff member or
to reset a forgotten one.

Revision ID: b3d81f6a2c47
Revises: 9c2e5b7d1f30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b3d81f6a2c47"
down_revision = "9c2e5b7d1f30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_user.id"],
            name=op.f("fk_staff_token_staff_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_token_token_hash")),
    )
    op.create_index(
        op.f("ix_staff_token_staff_user_id"), "staff_token", ["staff_user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_token_staff_user_id"), table_name="staff_token")
    op.drop_table("staff_token")
