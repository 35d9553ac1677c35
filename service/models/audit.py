"""The audit log: who viewed or exported what, when (no content)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Integer,
    String,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.dates import utcnow
from service.db import Base
from service.models.types import UTCDateTime


class AuditEvent(Base):
    """A view or export of results (professional secrecy: every access is traceable).

    Administrative record: kept apart from the content of the bilan, and holds no result.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(40))  # "staff:3", "beneficiary:7"
    action: Mapped[str] = mapped_column(String(40))  # e.g. "view_profile", "export_csv"
    bilan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assignment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry through the ORM."""


def _refuse(_mapper: object, _connection: object, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(
        f"audit entry {target.id} cannot be changed or deleted: the audit log is append-only"
    )


# The log is appended to and never changed: a change or a deletion through the ORM fails.
event.listen(AuditEvent, "before_update", _refuse)
event.listen(AuditEvent, "before_delete", _refuse)
