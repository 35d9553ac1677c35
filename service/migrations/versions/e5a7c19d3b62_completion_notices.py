"""Completion notices: a counsellor is told on the dashboard (and by mail if they wish)
that a questionnaire of one of their bilans was completed.

Revision ID: e5a7c19d3b62
Revises: 282b7c2bfef1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e5a7c19d3b62"
down_revision = "282b7c2bfef1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(
            sa.Column("notify_completions", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "completion_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
            name=op.f("fk_completion_notice_assignment_id_assignment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_user.id"],
            name=op.f("fk_completion_notice_staff_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completion_notice")),
        sa.UniqueConstraint(
            "assignment_id", "staff_user_id", name=op.f("uq_completion_notice_assignment_id")
        ),
    )
    op.create_index(
        op.f("ix_completion_notice_staff_user_id"),
        "completion_notice",
        ["staff_user_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_completion_notice_staff_user_id"), table_name="completion_notice")
    op.drop_table("completion_notice")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("notify_completions")
