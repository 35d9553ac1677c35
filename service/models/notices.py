"""What a counsellor has not seen yet: a questionnaire of one of their bilans completed
since they last looked (one row per counsellor and questionnaire; the row is deleted
when they open the profile or dismiss the notice). Never made for an anonymous
questionnaire (satisfaction, follow-up)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.dates import utcnow
from service.db import Base
from service.models.bilan import Assignment
from service.models.types import UTCDateTime


class CompletionNotice(Base):
    __tablename__ = "completion_notice"
    __table_args__ = (UniqueConstraint("assignment_id", "staff_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assignment: Mapped[Assignment] = relationship()
