"""The person's per-recipient agreement to send their results to an API token
(results_sharing: bilan, person, token, the token's name as shown, the decision, when).

Revision ID: 6b1d9e4f2a73
Revises: 32a18b174903
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "6b1d9e4f2a73"
down_revision = "32a18b174903"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "results_sharing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bilan_id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("api_token_id", sa.Integer(), nullable=False),
        sa.Column("recipient_name", sa.String(length=80), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bilan_id"],
            ["bilan.id"],
            name=op.f("fk_results_sharing_bilan_id_bilan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_results_sharing_beneficiary_id_beneficiary"),
        ),
        sa.ForeignKeyConstraint(
            ["api_token_id"],
            ["api_token.id"],
            name=op.f("fk_results_sharing_api_token_id_api_token"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results_sharing")),
    )
    with op.batch_alter_table("results_sharing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_results_sharing_bilan_id"), ["bilan_id"])
        batch_op.create_index(batch_op.f("ix_results_sharing_api_token_id"), ["api_token_id"])


def downgrade() -> None:
    with op.batch_alter_table("results_sharing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_results_sharing_api_token_id"))
        batch_op.drop_index(batch_op.f("ix_results_sharing_bilan_id"))
    op.drop_table("results_sharing")
