"""The competence portfolio and the gap analysis (issue 13): portfolio_entry (ROME or
free-text competences with a self-rating 1-4 and a source), portfolio_realisation and its
links to the entries, gap_target (target fiches), portfolio_change (the change history),
on action_item the gap target and competence an action was added from, and on
synthesis_item the portfolio's results (assignment_id NULL, gap_target_id).

Revision ID: 22d96fff19a6
Revises: 5e8b1c4a7d20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "22d96fff19a6"
down_revision = "5e8b1c4a7d20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gap_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bilan_id", sa.Integer(), nullable=False),
        sa.Column("code_rome", sa.String(length=5), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("appellation", sa.String(length=300), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_user.id"], name=op.f("fk_gap_target_author_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["bilan_id"],
            ["bilan.id"],
            name=op.f("fk_gap_target_bilan_id_bilan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_target")),
    )
    with op.batch_alter_table("gap_target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gap_target_bilan_id"), ["bilan_id"], unique=False)

    op.create_table(
        "portfolio_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bilan_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bilan_id"],
            ["bilan.id"],
            name=op.f("fk_portfolio_change_bilan_id_bilan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_change")),
    )
    with op.batch_alter_table("portfolio_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portfolio_change_bilan_id"), ["bilan_id"], unique=False
        )

    op.create_table(
        "portfolio_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bilan_id", sa.Integer(), nullable=False),
        sa.Column("code_ogr", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('emploi', 'formation', 'benevolat', 'vie_personnelle')",
            name=op.f("ck_portfolio_entry_source"),
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 4", name=op.f("ck_portfolio_entry_rating")),
        sa.ForeignKeyConstraint(
            ["bilan_id"],
            ["bilan.id"],
            name=op.f("fk_portfolio_entry_bilan_id_bilan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_entry")),
    )
    with op.batch_alter_table("portfolio_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_entry_bilan_id"), ["bilan_id"], unique=False)

    op.create_table(
        "portfolio_realisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bilan_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bilan_id"],
            ["bilan.id"],
            name=op.f("fk_portfolio_realisation_bilan_id_bilan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_realisation")),
    )
    with op.batch_alter_table("portfolio_realisation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portfolio_realisation_bilan_id"), ["bilan_id"], unique=False
        )

    op.create_table(
        "portfolio_realisation_link",
        sa.Column("realisation_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["portfolio_entry.id"],
            name=op.f("fk_portfolio_realisation_link_entry_id_portfolio_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["realisation_id"],
            ["portfolio_realisation.id"],
            name=op.f("fk_portfolio_realisation_link_realisation_id_portfolio_realisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "realisation_id", "entry_id", name=op.f("pk_portfolio_realisation_link")
        ),
    )
    with op.batch_alter_table("portfolio_realisation_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portfolio_realisation_link_entry_id"), ["entry_id"], unique=False
        )

    with op.batch_alter_table("synthesis_item", schema=None) as batch_op:
        batch_op.alter_column("assignment_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("gap_target_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_synthesis_item_gap_target_id_gap_target"),
            "gap_target",
            ["gap_target_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gap_target_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("gap_code_ogr", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_action_item_gap_target_id_gap_target"),
            "gap_target",
            ["gap_target_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    op.execute("DELETE FROM synthesis_item WHERE assignment_id IS NULL")
    with op.batch_alter_table("synthesis_item", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_synthesis_item_gap_target_id_gap_target"), type_="foreignkey"
        )
        batch_op.drop_column("gap_target_id")
        batch_op.alter_column("assignment_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_action_item_gap_target_id_gap_target"), type_="foreignkey"
        )
        batch_op.drop_column("gap_code_ogr")
        batch_op.drop_column("gap_target_id")

    with op.batch_alter_table("portfolio_realisation_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_realisation_link_entry_id"))

    op.drop_table("portfolio_realisation_link")
    with op.batch_alter_table("portfolio_realisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_realisation_bilan_id"))

    op.drop_table("portfolio_realisation")
    with op.batch_alter_table("portfolio_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_entry_bilan_id"))

    op.drop_table("portfolio_entry")
    with op.batch_alter_table("portfolio_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_change_bilan_id"))

    op.drop_table("portfolio_change")
    with op.batch_alter_table("gap_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gap_target_bilan_id"))

    op.drop_table("gap_target")
