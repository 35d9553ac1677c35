"""Local norms: norm tables a centre builds from its own completed questionnaires, and the
norms each instrument uses for the centre's new scores.

Revision ID: 282b7c2bfef1
Revises: c3d8e2f4a915
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "282b7c2bfef1"
down_revision = "c3d8e2f4a915"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "local_norm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=100), nullable=False),
        sa.Column("instrument_version", sa.String(length=20), nullable=False),
        sa.Column("norm_version", sa.String(length=60), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by_id", sa.Integer(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("min_n", sa.Integer(), nullable=False),
        sa.Column("table", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["built_by_id"],
            ["staff_user.id"],
            name=op.f("fk_local_norm_built_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_local_norm_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_norm")),
        sa.UniqueConstraint("norm_version", name=op.f("uq_local_norm_norm_version")),
    )
    op.create_index(op.f("ix_local_norm_centre_id"), "local_norm", ["centre_id"], unique=False)
    op.create_table(
        "norm_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=100), nullable=False),
        sa.Column("local_norm_id", sa.Integer(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_norm_choice_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["chosen_by_id"],
            ["staff_user.id"],
            name=op.f("fk_norm_choice_chosen_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["local_norm_id"],
            ["local_norm.id"],
            name=op.f("fk_norm_choice_local_norm_id_local_norm"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_norm_choice")),
        sa.UniqueConstraint("centre_id", "instrument_id", name=op.f("uq_norm_choice_centre_id")),
    )


def downgrade() -> None:
    op.drop_table("norm_choice")
    op.drop_index(op.f("ix_local_norm_centre_id"), table_name="local_norm")
    op.drop_table("local_norm")
