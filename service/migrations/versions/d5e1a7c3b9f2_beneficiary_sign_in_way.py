"""How a beneficiary comes back: beneficiary.sign_in_way ("password" or "mail"; NULL until
the first visit asks). A password set earlier counts as that choice (Beneficiary.way_back),
so nothing is filled in here.

Revision ID: d5e1a7c3b9f2
Revises: e5a7c19d3b62
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d5e1a7c3b9f2"
down_revision = "e5a7c19d3b62"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the values of its own time.
WAYS = ("password", "mail")


CHECK = "sign_in_way IN (" + ", ".join(f"'{w}'" for w in WAYS) + ")"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A column with its own CHECK: no copy of the table, whose rows other tables
        # reference (a batch copy would drop it under foreign-key enforcement).
        op.execute(
            "ALTER TABLE beneficiary ADD COLUMN sign_in_way VARCHAR(20)"
            f" CONSTRAINT ck_beneficiary_sign_in_way CHECK ({CHECK})"
        )
        return
    op.add_column("beneficiary", sa.Column("sign_in_way", sa.String(length=20), nullable=True))
    op.create_check_constraint(op.f("ck_beneficiary_sign_in_way"), "beneficiary", CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_beneficiary_sign_in_way", "beneficiary", type_="check")
    op.drop_column("beneficiary", "sign_in_way")
