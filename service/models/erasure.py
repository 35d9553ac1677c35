"""A person's request for the erasure of the content of a bilan (GDPR art. 17), answered
by the centre's admin (``features/lifecycle/requests.py``).

Administrative proof, kept when the content is destroyed: who asked, for which bilan,
when, who answered, when, how, and the written reason of a refusal. The person's optional
message is cleared when the erasure is carried out (it may hold content of the bilan).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.crypto import EncryptedText
from service.dates import utcnow
from service.db import Base
from service.models.bilan import Bilan
from service.models.people import Beneficiary
from service.models.states import ErasureStatus
from service.models.types import UTCDateTime, status_type


class ErasureRequest(Base):
    __tablename__ = "erasure_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id"), index=True)
    # Indexed: "one pending request at a time" is looked up per person.
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    status: Mapped[ErasureStatus] = mapped_column(
        status_type(ErasureStatus, "status"), default=ErasureStatus.PENDING
    )
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: What the person wrote with the request (optional); cleared once carried out.
    message: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The admin who answered ("staff:<id>" in the audit log; the id here).
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    #: Why it was refused (the person reads it in their space).
    refusal_reason: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)

    bilan: Mapped[Bilan] = relationship()
    beneficiary: Mapped[Beneficiary] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.status == ErasureStatus.PENDING
