"""The bilan, its consent decisions and its questionnaires (assignments)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.crypto import EncryptedText
from service.dates import utcnow
from service.db import Base
from service.i18n import N_
from service.models.states import AssignmentStatus, BilanStatus, QuestionnaireState
from service.models.types import UTCDateTime, status_type

if TYPE_CHECKING:
    from service.models.api import ResultsSharing
    from service.models.people import Beneficiary, StaffUser


bilan_counsellor = Table(
    "bilan_counsellor",
    Base.metadata,
    Column("bilan_id", ForeignKey("bilan.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_user_id", ForeignKey("staff_user.id"), primary_key=True),
)


#: The title of a new bilan, stored in French, shown translated (``builtin_text``).
DEFAULT_BILAN_TITLE = N_("Bilan de compétences")


class Bilan(Base):
    __tablename__ = "bilan"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"))
    title: Mapped[str] = mapped_column(String(200), default=DEFAULT_BILAN_TITLE)
    status: Mapped[BilanStatus] = mapped_column(
        status_type(BilanStatus, "status"), default=BilanStatus.PRELIMINAIRE
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_interview_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The counsellor's closing comment in the restitution report (shown to the beneficiary).
    report_comment: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    #: When the restitution report was released to the beneficiary (None: not yet).
    report_released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # --- the record (administrative: kept apart from the content, see module docstring) ---
    funding: Mapped[str | None] = mapped_column(String(100), nullable=True)  # e.g. "CPF"
    commanditaire: Mapped[str | None] = mapped_column(String(200), nullable=True)
    convention_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    convention_signatories: Mapped[str | None] = mapped_column(Text, nullable=True)
    convention_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    planned_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Follow-up interview and questionnaires: 6 months after the end by default.
    followup_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # --- content of the bilan (destroyed at the end unless kept for the follow-up) ---
    #: Personalised objectives written in the preliminary phase.
    objectives: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    #: When the content above and in the content tables was destroyed (``boussole purge``,
    #: or the person's own erasure); None: not yet. Administrative: kept.
    content_destroyed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    beneficiary: Mapped[Beneficiary] = relationship()
    counsellors: Mapped[list[StaffUser]] = relationship(secondary=bilan_counsellor)
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="bilan", order_by="Assignment.id"
    )
    #: Every consent decision of the bilan, oldest first (the latest one counts).
    consents: Mapped[list[Consent]] = relationship(
        order_by="(Consent.recorded_at, Consent.id)", viewonly=True
    )
    #: Every decision about sending its results to an API token, oldest first
    #: (:func:`service.access.latest_sharing` picks the one in force per token).
    results_sharings: Mapped[list[ResultsSharing]] = relationship(
        order_by="(ResultsSharing.decided_at, ResultsSharing.id)", viewonly=True
    )

    @property
    def is_running(self) -> bool:
        """In one of the three legal phases (not ended, not in follow-up, not closed)."""
        return BilanStatus(self.status).is_running

    @property
    def is_closed(self) -> bool:
        return self.status == BilanStatus.CLOS

    @property
    def status_label(self) -> str:
        return BilanStatus(self.status).label


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
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: With ``keep_for_followup``: the months after the end the person agreed to keep the
    #: content (3, 6 or 12; None on decisions recorded before the choice existed: 12).
    keep_months: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Assignment(QuestionnaireState, Base):
    """A questionnaire assigned within a bilan (one instrument version, one language)."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(100))
    instrument_version: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="fr")
    show_results_now: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[AssignmentStatus] = mapped_column(
        status_type(AssignmentStatus, "status"), default=AssignmentStatus.NOT_STARTED
    )
    current_page: Mapped[int] = mapped_column(Integer, default=0)
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The counsellor's comment on this questionnaire in the restitution report.
    report_comment: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)

    #: Seconds measured on its pages, kept when the page timings (content) are destroyed:
    #: the hours of the record and the attestation still count them. None: not destroyed.
    kept_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)

    #: Why it was assigned: None (by the counsellor), "end" (satisfaction at the end of the
    #: bilan) or "followup" (questionnaires of the 6-month follow-up), assigned automatically.
    purpose: Mapped[str | None] = mapped_column(String(20), nullable=True)

    bilan: Mapped[Bilan] = relationship(back_populates="assignments")

    @property
    def status_label(self) -> str:
        return AssignmentStatus(self.status).label
