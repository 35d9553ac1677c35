"""Database models (SQLAlchemy 2, typed). Raw answers are stored untouched.

Administrative records (centre, accounts, bilans, invitations, consents) are kept apart
from the content of the bilan (answers, timings, scores), so that content can be
destroyed at the end of the bilan without losing audit evidence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Centre(Base):
    __tablename__ = "centre"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffUser(UserMixin, Base):
    """A counsellor (conseiller) or a centre admin; logs in with email and password."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # "counsellor" | "admin"
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    centre: Mapped[Centre] = relationship()

    kind = "staff"

    def get_id(self) -> str:
        return f"staff:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.active


bilan_counsellor = Table(
    "bilan_counsellor",
    Base.metadata,
    Column("bilan_id", ForeignKey("bilan.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_user_id", ForeignKey("staff_user.id"), primary_key=True),
)


class Beneficiary(UserMixin, Base):
    """The person doing the bilan; enters through an invitation link."""

    __tablename__ = "beneficiary"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    bilans: Mapped[list[Bilan]] = relationship(back_populates="beneficiary")

    kind = "beneficiary"

    def get_id(self) -> str:
        return f"beneficiary:{self.id}"

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Bilan(Base):
    __tablename__ = "bilan"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"))
    title: Mapped[str] = mapped_column(String(200), default="Bilan de compétences")
    status: Mapped[str] = mapped_column(String(20), default="preliminaire")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_interview_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    #: The counsellor's closing comment in the restitution report (shown to the beneficiary).
    report_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: When the restitution report was released to the beneficiary (None: not yet).
    report_released_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # --- the record (administrative: kept apart from the content, see module docstring) ---
    funding: Mapped[str | None] = mapped_column(String(100), nullable=True)  # e.g. "CPF"
    commanditaire: Mapped[str | None] = mapped_column(String(200), nullable=True)
    convention_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    convention_signatories: Mapped[str | None] = mapped_column(Text, nullable=True)
    convention_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    planned_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: Follow-up interview and questionnaires: 6 months after the end by default.
    followup_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # --- content of the bilan (destroyed at the end unless kept for the follow-up) ---
    #: Personalised objectives written in the preliminary phase.
    objectives: Mapped[str | None] = mapped_column(Text, nullable=True)

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="bilans")
    counsellors: Mapped[list[StaffUser]] = relationship(secondary=bilan_counsellor)
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="bilan", order_by="Assignment.id"
    )


class Invitation(Base):
    """A single-use, expiring link. Only the SHA-256 of the token is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    beneficiary: Mapped[Beneficiary] = relationship()


class Consent(Base):
    """A recorded consent decision with the version of the text shown."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed: every autosave reads the latest decision for its bilan.
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"))
    text_version: Mapped[str] = mapped_column(String(40))
    accepted: Mapped[bool] = mapped_column(Boolean)
    keep_for_followup: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Assignment(Base):
    """A questionnaire assigned within a bilan (one instrument version, one language)."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(100))
    instrument_version: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="fr")
    show_results_now: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    current_page: Mapped[int] = mapped_column(Integer, default=0)
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reopened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The counsellor's comment on this questionnaire in the restitution report.
    report_comment: Mapped[str | None] = mapped_column(Text, nullable=True)

    #: Why it was assigned: None (by the counsellor), "end" (satisfaction at the end of the
    #: bilan) or "followup" (questionnaires of the 6-month follow-up), assigned automatically.
    purpose: Mapped[str | None] = mapped_column(String(20), nullable=True)

    bilan: Mapped[Bilan] = relationship(back_populates="assignments")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan"
    )


class Answer(Base):
    """One raw answer (JSON value as given), unique per assignment and item."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("assignment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    answered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="answers")


class PageTiming(Base):
    """Seconds spent on a page of a questionnaire (accumulated across visits)."""

    __tablename__ = "page_timing"
    __table_args__ = (UniqueConstraint("assignment_id", "page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class ScoreRecord(Base):
    """Scores of a completed assignment with the versions that produced them."""

    __tablename__ = "score_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), unique=True
    )
    instrument_key: Mapped[str] = mapped_column(String(120))
    norm_version: Mapped[str | None] = mapped_column(String(60), nullable=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


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
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[StaffUser] = relationship()


class AuditEvent(Base):
    """A view or export of results (professional secrecy: every access is traceable).

    Administrative record: kept apart from the content of the bilan, and holds no result.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(40))  # "staff:3", "beneficiary:7"
    action: Mapped[str] = mapped_column(String(40))  # e.g. "view_profile", "export_csv"
    bilan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assignment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


# --- the bilan record: steps, hours, interviews, personal work --------------------------


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
    objectives: Mapped[str | None] = mapped_column(Text, nullable=True)
    interview_hours: Mapped[float] = mapped_column(Float, default=0.0)
    personal_hours: Mapped[float] = mapped_column(Float, default=0.0)
    instruments: Mapped[str] = mapped_column(String(500), default="")
    #: Proposed interview date and time (about every 15 days from the start), adjustable.
    planned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Interview(Base):
    """An interview held (administrative proof of attendance: date, duration, mode)."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("bilan_step.id", ondelete="SET NULL"), nullable=True
    )
    held_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20))  # presentiel | distanciel | hybride
    topic: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- synthesis document and action plan ---------------------------------------------------


class SynthesisVersion(Base):
    """A version of the document de synthèse (three legal sections). Versions are kept
    until the beneficiary approves one; the approved version is locked."""

    __tablename__ = "synthesis_version"
    __table_args__ = (UniqueConstraint("bilan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    circumstances: Mapped[str] = mapped_column(Text, default="")
    competences: Mapped[str] = mapped_column(Text, default="")
    project: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Sent to the beneficiary for reading (None: still a draft only counsellors see).
    shared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    observations: Mapped[str | None] = mapped_column(Text, nullable=True)  # the beneficiary's
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SynthesisItem(Base):
    """A questionnaire result proposed for the synthesis ("export to synthesis"); it enters
    the document only once the beneficiary approves it."""

    __tablename__ = "synthesis_item"
    __table_args__ = (UniqueConstraint("bilan_id", "assignment_id", "element"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    #: "summary", "scales" or "chart:<key>" (e.g. "chart:riasec_hexagon").
    element: Mapped[str] = mapped_column(String(60))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decision: Mapped[str] = mapped_column(String(20), default="pending")  # approved | refused
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ActionItem(Base):
    """An action of the action plan (owner: the beneficiary by default)."""

    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100), default="bénéficiaire")
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(
        String(20), default="a_faire"
    )  # en_cours | fait | abandonne
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
