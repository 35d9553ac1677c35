"""The ROME 4.0 job database: releases, domains, fiches, appellations, competences and
the fiche links (reference data, shared by every centre).

Revision ID: 2eba2160348b
Revises: f7c2a9e4d1b8
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2eba2160348b"
down_revision = "f7c2a9e4d1b8"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "rome_competence",
        sa.Column("code_ogr", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("is_macro", sa.Boolean(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("search_key", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("subcategory", sa.String(length=120), nullable=False),
        sa.Column("macro_code_ogr", sa.Integer(), nullable=True),
        sa.Column("macro_code", sa.String(length=20), nullable=True),
        sa.Column("riasec_majeur", sa.String(length=1), nullable=True),
        sa.Column("riasec_mineur", sa.String(length=1), nullable=True),
        sa.Column("transition_eco", sa.Boolean(), nullable=False),
        sa.Column("transition_num", sa.Boolean(), nullable=False),
        sa.Column("removed_in", sa.Integer(), nullable=True),
        sa.Column("previous_label", sa.Text(), nullable=True),
        sa.Column("changed_in", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("code_ogr", name=op.f("pk_rome_competence")),
    )
    with op.batch_alter_table("rome_competence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rome_competence_macro_code_ogr"), ["macro_code_ogr"], unique=False
        )

    op.create_table(
        "rome_grand_domaine",
        sa.Column("code", sa.String(length=1), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_rome_grand_domaine")),
    )
    op.create_table(
        "rome_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("fiches", sa.Integer(), nullable=False),
        sa.Column("appellations", sa.Integer(), nullable=False),
        sa.Column("competences", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rome_release")),
        sa.UniqueConstraint("version", name=op.f("uq_rome_release_version")),
    )
    op.create_table(
        "rome_domaine",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("grand_domaine_code", sa.String(length=1), nullable=False),
        sa.ForeignKeyConstraint(
            ["grand_domaine_code"],
            ["rome_grand_domaine.code"],
            name=op.f("fk_rome_domaine_grand_domaine_code_rome_grand_domaine"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_rome_domaine")),
    )
    with op.batch_alter_table("rome_domaine", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rome_domaine_grand_domaine_code"), ["grand_domaine_code"], unique=False
        )

    op.create_table(
        "rome_fiche",
        sa.Column("code_rome", sa.String(length=5), nullable=False),
        sa.Column("code_ogr", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("search_key", sa.String(length=300), nullable=False),
        sa.Column("domaine_code", sa.String(length=3), nullable=False),
        sa.Column("riasec_majeur", sa.String(length=1), nullable=True),
        sa.Column("riasec_mineur", sa.String(length=1), nullable=True),
        sa.Column("emploi_cadre", sa.Boolean(), nullable=False),
        sa.Column("emploi_reglemente", sa.Boolean(), nullable=False),
        sa.Column("transition_eco", sa.String(length=120), nullable=True),
        sa.Column("transition_num", sa.String(length=120), nullable=True),
        sa.Column("transition_demo", sa.String(length=120), nullable=True),
        sa.Column("removed_in", sa.Integer(), nullable=True),
        sa.Column("previous_label", sa.String(length=300), nullable=True),
        sa.Column("changed_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["domaine_code"],
            ["rome_domaine.code"],
            name=op.f("fk_rome_fiche_domaine_code_rome_domaine"),
        ),
        sa.PrimaryKeyConstraint("code_rome", name=op.f("pk_rome_fiche")),
    )
    with op.batch_alter_table("rome_fiche", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rome_fiche_domaine_code"), ["domaine_code"], unique=False
        )

    op.create_table(
        "rome_appellation",
        sa.Column("code_ogr", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code_rome", sa.String(length=5), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("label_short", sa.String(length=300), nullable=False),
        sa.Column("search_key", sa.String(length=300), nullable=False),
        sa.Column("emploi_cadre", sa.Boolean(), nullable=False),
        sa.Column("emploi_reglemente", sa.Boolean(), nullable=False),
        sa.Column("removed_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["code_rome"],
            ["rome_fiche.code_rome"],
            name=op.f("fk_rome_appellation_code_rome_rome_fiche"),
        ),
        sa.PrimaryKeyConstraint("code_ogr", name=op.f("pk_rome_appellation")),
    )
    with op.batch_alter_table("rome_appellation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rome_appellation_code_rome"), ["code_rome"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rome_appellation_search_key"), ["search_key"], unique=False
        )

    op.create_table(
        "rome_fiche_link",
        sa.Column("code_rome", sa.String(length=5), nullable=False),
        sa.Column("code_ogr", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bloc", sa.Integer(), nullable=False),
        sa.Column("rubrique", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_rome"],
            ["rome_fiche.code_rome"],
            name=op.f("fk_rome_fiche_link_code_rome_rome_fiche"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_rome", "code_ogr", name=op.f("pk_rome_fiche_link")),
    )
    with op.batch_alter_table("rome_fiche_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rome_fiche_link_code_ogr"), ["code_ogr"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("rome_fiche_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rome_fiche_link_code_ogr"))

    op.drop_table("rome_fiche_link")
    with op.batch_alter_table("rome_appellation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rome_appellation_search_key"))
        batch_op.drop_index(batch_op.f("ix_rome_appellation_code_rome"))

    op.drop_table("rome_appellation")
    with op.batch_alter_table("rome_fiche", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rome_fiche_domaine_code"))

    op.drop_table("rome_fiche")
    with op.batch_alter_table("rome_domaine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rome_domaine_grand_domaine_code"))

    op.drop_table("rome_domaine")
    op.drop_table("rome_release")
    op.drop_table("rome_grand_domaine")
    with op.batch_alter_table("rome_competence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rome_competence_macro_code_ogr"))

    op.drop_table("rome_competence")
