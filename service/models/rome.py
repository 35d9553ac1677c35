"""The ROME 4.0 job database (France Travail open data, Licence Ouverte / Etalab 2.0).

Reference data, not personal data: it is shared by every centre, imported by
``boussole metiers import`` (or loaded from the snapshot shipped in the package), and
never destroyed with a bilan. Rows are keyed by the official codes (``code_rome``,
``code_ogr``), which are stable across releases, so that what points at them (a
portfolio's competences, a gap analysis's target fiches) keeps working after a newer
release is imported: a fiche or competence that a newer release no longer has is kept
with ``removed_in`` set to that release's version, and a renamed one keeps its previous
label in ``previous_label`` with ``changed_in``.

``search_key`` columns hold the label folded for search (lower case, no accents, no
punctuation), so that search ignores accents and case on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.dates import utcnow
from service.db import Base
from service.models.types import UTCDateTime


class RomeRelease(Base):
    """One imported ROME release: its version number and publication date (from the
    release's ``version.txt``), when it was imported and from what."""

    __tablename__ = "rome_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    published_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: "snapshot" (shipped in the package) or the file name it was imported from.
    source: Mapped[str] = mapped_column(String(300), default="")
    fiches: Mapped[int] = mapped_column(Integer, default=0)
    appellations: Mapped[int] = mapped_column(Integer, default=0)
    competences: Mapped[int] = mapped_column(Integer, default=0)


class RomeGrandDomaine(Base):
    __tablename__ = "rome_grand_domaine"

    code: Mapped[str] = mapped_column(String(1), primary_key=True)
    label: Mapped[str] = mapped_column(String(300))


class RomeDomaine(Base):
    __tablename__ = "rome_domaine"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    label: Mapped[str] = mapped_column(String(300))
    grand_domaine_code: Mapped[str] = mapped_column(
        ForeignKey("rome_grand_domaine.code"), index=True
    )

    grand_domaine: Mapped[RomeGrandDomaine] = relationship()


class RomeFiche(Base):
    """A fiche métier: its code (``A1101``), label, RIASEC code and tags."""

    __tablename__ = "rome_fiche"

    code_rome: Mapped[str] = mapped_column(String(5), primary_key=True)
    code_ogr: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    search_key: Mapped[str] = mapped_column(String(300), default="")
    domaine_code: Mapped[str] = mapped_column(ForeignKey("rome_domaine.code"), index=True)
    #: One RIASEC letter each; the minor is often absent.
    riasec_majeur: Mapped[str | None] = mapped_column(String(1), nullable=True)
    riasec_mineur: Mapped[str | None] = mapped_column(String(1), nullable=True)
    emploi_cadre: Mapped[bool] = mapped_column(Boolean, default=False)
    emploi_reglemente: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The release's wording ("Emploi Blanc", "Emploi stratégique pour la Transition
    #: écologique"...), or None.
    transition_eco: Mapped[str | None] = mapped_column(String(120), nullable=True)
    transition_num: Mapped[str | None] = mapped_column(String(120), nullable=True)
    transition_demo: Mapped[str | None] = mapped_column(String(120), nullable=True)
    removed_in: Mapped[int | None] = mapped_column(Integer, nullable=True)
    previous_label: Mapped[str | None] = mapped_column(String(300), nullable=True)
    changed_in: Mapped[int | None] = mapped_column(Integer, nullable=True)

    domaine: Mapped[RomeDomaine] = relationship()


class RomeAppellation(Base):
    """A job title (about 13,000) and the fiche it belongs to."""

    __tablename__ = "rome_appellation"

    code_ogr: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code_rome: Mapped[str] = mapped_column(ForeignKey("rome_fiche.code_rome"), index=True)
    label: Mapped[str] = mapped_column(String(300))
    label_short: Mapped[str] = mapped_column(String(300), default="")
    search_key: Mapped[str] = mapped_column(String(300), default="", index=True)
    emploi_cadre: Mapped[bool] = mapped_column(Boolean, default=False)
    emploi_reglemente: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_in: Mapped[int | None] = mapped_column(Integer, nullable=True)

    fiche: Mapped[RomeFiche] = relationship()


class RomeCompetence(Base):
    """A competence (savoir-faire or savoir-être professionnel), a macro-competence
    (``is_macro``: the group the competences belong to, with a RIASEC code), or a savoir
    (``category`` "Savoir") when the release has the savoirs file."""

    __tablename__ = "rome_competence"

    code_ogr: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    is_macro: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str] = mapped_column(Text)
    search_key: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    #: "Savoir-faire", "Savoir-être professionnel" or "Savoir".
    category: Mapped[str] = mapped_column(String(60), default="")
    subcategory: Mapped[str] = mapped_column(String(120), default="")
    #: The macro-competence this competence belongs to (None for a macro or a savoir).
    macro_code_ogr: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    #: The macro-competence's own code ("4A101"), for macros only.
    macro_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    riasec_majeur: Mapped[str | None] = mapped_column(String(1), nullable=True)
    riasec_mineur: Mapped[str | None] = mapped_column(String(1), nullable=True)
    transition_eco: Mapped[bool] = mapped_column(Boolean, default=False)
    transition_num: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_in: Mapped[int | None] = mapped_column(Integer, nullable=True)
    previous_label: Mapped[str | None] = mapped_column(Text, nullable=True)
    changed_in: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RomeFicheLink(Base):
    """A fiche's link to a competence, savoir or work context (``code_ogr``), in one of
    the fiche's blocks (``bloc``: the release's ``code_compo_bloc``) and rubric.

    ``code_ogr`` is not a foreign key: the links file also points at savoirs and work
    contexts that a release may not ship as separate files.
    """

    __tablename__ = "rome_fiche_link"

    code_rome: Mapped[str] = mapped_column(
        ForeignKey("rome_fiche.code_rome", ondelete="CASCADE"), primary_key=True
    )
    code_ogr: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, index=True
    )
    bloc: Mapped[int] = mapped_column(Integer)
    rubrique: Mapped[str] = mapped_column(String(20), default="")
