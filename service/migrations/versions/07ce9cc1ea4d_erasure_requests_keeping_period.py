"""The person's erasure requests answered by the centre's admin (erasure_request: who
asked, for which bilan, when, the answer, who gave it, when, the reason of a refusal) and
the keeping period agreed with the written agreement (consent.keep_months: 3, 6 or 12
months after the end; NULL on earlier decisions, which count as 12).

Revision ID: 07ce9cc1ea4d
Revises: 2eba2160348b
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "07ce9cc1ea4d"
down_revision = "2eba2160348b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasure_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bilan_id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "done",
                "refused",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["staff_user.id"],
            name=op.f("fk_erasure_request_answered_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_erasure_request_beneficiary_id_beneficiary"),
        ),
        sa.ForeignKeyConstraint(
            ["bilan_id"], ["bilan.id"], name=op.f("fk_erasure_request_bilan_id_bilan")
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_erasure_request_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_request")),
    )
    with op.batch_alter_table("erasure_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erasure_request_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_erasure_request_bilan_id"), ["bilan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_erasure_request_centre_id"), ["centre_id"], unique=False
        )

    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keep_months", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_column("keep_months")

    with op.batch_alter_table("erasure_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_request_centre_id"))
        batch_op.drop_index(batch_op.f("ix_erasure_request_bilan_id"))
        batch_op.drop_index(batch_op.f("ix_erasure_request_beneficiary_id"))

    op.drop_table("erasure_request")
