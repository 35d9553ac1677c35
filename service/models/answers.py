"""Content of a questionnaire: raw answers stored untouched, page timings, scores
(destroyed with the content of the bilan)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from service.crypto import EncryptedJSON, EncryptedText
from service.dates import utcnow
from service.db import Base
from service.models.types import UTCDateTime

if TYPE_CHECKING:
    from service.models.bilan import Assignment


class Answer(Base):
    """One raw answer (JSON value as given), unique per assignment and item."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("assignment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(EncryptedJSON)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # The one-way link keeps models.answers -> models.bilan acyclic; the backref gives the
    # assignment its answers (deleted with it) without bilan.py importing this module.
    assignment: Mapped[Assignment] = relationship(
        backref=backref("answers", cascade="all, delete-orphan")
    )


class PageTiming(Base):
    """Seconds spent on a page of a questionnaire (accumulated across visits)."""

    __tablename__ = "page_timing"
    __table_args__ = (UniqueConstraint("assignment_id", "page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # The last increment the autosave script reported (its page visit and sequence number):
    # a retried request with the same ones is not counted twice.
    client_visit: Mapped[str | None] = mapped_column(String(40), nullable=True)
    client_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ScoreRecord(Base):
    """Scores of a completed assignment with the versions that produced them."""

    __tablename__ = "score_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), unique=True
    )
    instrument_key: Mapped[str] = mapped_column(String(120))
    norm_version: Mapped[str | None] = mapped_column(String(60), nullable=True)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
