"""The bilan record: steps and hours of the plan, interviews, personal work, and the
counsellor's private notes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.crypto import EncryptedText
from service.dates import utcnow
from service.db import Base
from service.models.types import UTCDateTime

if TYPE_CHECKING:
    from service.models.people import StaffUser


class CounsellorNote(Base):
    """A counsellor's private note on a bilan or on one of its questionnaires.

    Seen only by the counsellors of that bilan (never by the beneficiary, an admin or
    another counsellor): see :func:`service.access.can_read_notes`.
    """

    __tablename__ = "counsellor_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), nullable=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[StaffUser] = relationship()


class CentreStep(Base):
    """A step of the centre's default bilan template (the seed's table by default)."""

    __tablename__ = "centre_step"
    __table_args__ = (UniqueConstraint("centre_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(
        String(20)
    )  # preliminaire | investigation | conclusions | suivi
    name: Mapped[str] = mapped_column(String(200))
    objectives: Mapped[str | None] = mapped_column(Text, nullable=True)
    interview_hours: Mapped[float] = mapped_column(Float, default=0.0)
    personal_hours: Mapped[float] = mapped_column(Float, default=0.0)
    #: Instrument ids linked to the step, comma-separated (e.g. the questionnaires of
    #: "Capital personnel").
    instruments: Mapped[str] = mapped_column(String(500), default="")


class BilanStep(Base):
    """A step of one bilan's plan (copied from the centre's template, then editable)."""

    __tablename__ = "bilan_step"
    __table_args__ = (UniqueConstraint("bilan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    objectives: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    interview_hours: Mapped[float] = mapped_column(Float, default=0.0)
    personal_hours: Mapped[float] = mapped_column(Float, default=0.0)
    instruments: Mapped[str] = mapped_column(String(500), default="")
    #: Proposed interview date and time (about every 15 days from the start), adjustable.
    planned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Interview(Base):
    """An interview held (administrative proof of attendance: date, duration, mode)."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("bilan_step.id", ondelete="SET NULL"), nullable=True
    )
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20))  # presentiel | distanciel | hybride
    topic: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PersonalWork(Base):
    """Personal work logged (tests, research, field enquiries); questionnaire time is
    counted from the page timings, not logged here."""

    __tablename__ = "personal_work"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("bilan_step.id", ondelete="SET NULL"), nullable=True
    )
    done_on: Mapped[dt.date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))  # recherches | enquete | redaction | autre
    description: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
