"""The competence portfolio of a bilan and its gap analysis (issue 13).

Bilan content, destroyed at the end of the bilan like the rest (``features/lifecycle``):

- :class:`PortfolioEntry`: a competence the person holds, either a ROME competence
  (``code_ogr``, its label copied when picked) or a free text, with a self-rating on the
  4-level scale of ``docs/metiers.md`` and a source (a job, a training, volunteering,
  personal life);
- :class:`Realisation`: a short structured account (context, action, result, optional
  period) linked to the competences it shows (:class:`RealisationLink`);
- :class:`GapTarget`: a fiche métier chosen with the counsellor as a target of the gap
  analysis (its code and the label it had when chosen, so that a renamed or removed fiche
  still says what it was);
- :class:`PortfolioChange`: the change history (who, when, what, and the entry as it was
  after the change: the versions of the portfolio).

ROME codes are not foreign keys: the ROME rows are reference data updated in place by a
newer release; a code that the release no longer has is still shown with what changed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.crypto import EncryptedText
from service.dates import utcnow
from service.db import Base
from service.models.types import UTCDateTime


class PortfolioEntry(Base):
    __tablename__ = "portfolio_entry"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 4", name="rating"),
        CheckConstraint(
            "source IN ('emploi', 'formation', 'benevolat', 'vie_personnelle')", name="source"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"), index=True)
    #: The ROME competence (None: a competence written in free text).
    code_ogr: Mapped[int | None] = mapped_column(Integer, nullable=True)
    label: Mapped[str] = mapped_column(EncryptedText)
    rating: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Realisation(Base):
    __tablename__ = "portfolio_realisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(EncryptedText)
    context: Mapped[str] = mapped_column(EncryptedText, default="")
    action: Mapped[str] = mapped_column(EncryptedText, default="")
    result: Mapped[str] = mapped_column(EncryptedText, default="")
    period: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RealisationLink(Base):
    """A réalisation shows a competence of the portfolio."""

    __tablename__ = "portfolio_realisation_link"

    realisation_id: Mapped[int] = mapped_column(
        ForeignKey("portfolio_realisation.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("portfolio_entry.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class GapTarget(Base):
    __tablename__ = "gap_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"), index=True)
    code_rome: Mapped[str] = mapped_column(String(5))
    #: The fiche's label when it was chosen (a newer release may rename or remove it).
    label: Mapped[str] = mapped_column(String(300))
    #: The job title it was chosen by (an appellation of the fiche), if any.
    appellation: Mapped[str | None] = mapped_column(String(300), nullable=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PortfolioChange(Base):
    """One change of the portfolio: who (``actor``: "beneficiary" or "staff", with the
    id), when, what (``action``: add_entry, edit_entry, delete_entry, add_realisation,
    delete_realisation, add_target, delete_target), and the object as it was after the
    change (JSON; before, for a deletion)."""

    __tablename__ = "portfolio_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    snapshot: Mapped[str] = mapped_column(EncryptedText, default="{}")
