"""The centre's own norms: norm tables built from its completed questionnaires, and which
norms each instrument uses for new scores.

A :class:`LocalNorm` holds aggregates only (n, mean, SD, percentiles and the frequency
distribution of each scale's score): it is not the content of a bilan and is kept when
the answers it was built from are destroyed, so that every score it produced can be
re-computed. It is never deleted; a centre goes back to the shipped norms by choosing
them again.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.dates import utcnow
from service.db import Base
from service.models.types import UTCDateTime

if TYPE_CHECKING:
    from service.models.people import Centre, StaffUser


class LocalNorm(Base):
    """One version of a centre's local norms for one instrument version.

    ``norm_version`` is what every :class:`~service.models.answers.ScoreRecord` produced
    with it records (``local:<id>:<date>:<n>``); ``table`` is the whole norm table
    (format ``boussole-norms/1``, the shipped files' format) with its provenance.
    """

    __tablename__ = "local_norm"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(100))
    instrument_version: Mapped[str] = mapped_column(String(20))
    norm_version: Mapped[str] = mapped_column(String(60), unique=True)
    built_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The admin who built it from the admin page; None from the command line.
    built_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), nullable=True
    )
    n: Mapped[int] = mapped_column(Integer)
    min_n: Mapped[int] = mapped_column(Integer)
    table: Mapped[dict[str, Any]] = mapped_column(JSON)

    centre: Mapped[Centre] = relationship()
    built_by: Mapped[StaffUser | None] = relationship()


class NormChoice(Base):
    """The norms a centre uses for one instrument's new scores: a local version, or the
    shipped norms (``local_norm_id`` None; no row means the same)."""

    __tablename__ = "norm_choice"
    __table_args__ = (UniqueConstraint("centre_id", "instrument_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    instrument_id: Mapped[str] = mapped_column(String(100))
    local_norm_id: Mapped[int | None] = mapped_column(ForeignKey("local_norm.id"), nullable=True)
    chosen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    chosen_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), nullable=True
    )

    local_norm: Mapped[LocalNorm | None] = relationship()
