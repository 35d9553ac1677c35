"""Status columns refuse unknown values: CHECK constraints on bilan.status and
assignment.status (the values of service.models.states).

Revision ID: 9c2e5b7d1f30
Revises: 7a4b04da3a83
"""

from __future__ import annotations

from alembic import op

revision = "9c2e5b7d1f30"
down_revision = "7a4b04da3a83"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the values of its own time.
BILAN = ("preliminaire", "investigation", "conclusions", "termine", "suivi", "clos")
ASSIGNMENT = ("not_started", "in_progress", "completed")


def _among(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("bilan") as batch:
        batch.create_check_constraint("status", _among(BILAN))
    with op.batch_alter_table("assignment") as batch:
        batch.create_check_constraint("status", _among(ASSIGNMENT))


def downgrade() -> None:
    with op.batch_alter_table("assignment") as batch:
        batch.drop_constraint("ck_assignment_status", type_="check")
    with op.batch_alter_table("bilan") as batch:
        batch.drop_constraint("ck_bilan_status", type_="check")
