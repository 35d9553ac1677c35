"""The audit log: every view or export of results is written here (professional secrecy).

One row per event: who (the principal's id), what, when, and which bilan or questionnaire;
never the content.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.access import Principal
from service.dates import utcnow
from service.models import ApiToken, AuditEvent


def audit(
    session: Session,
    principal: Principal | ApiToken,
    action: str,
    *,
    bilan_id: int | None = None,
    assignment_id: int | None = None,
) -> None:
    """Record a view or an export of results (who, what, when); the caller commits."""
    session.add(
        AuditEvent(
            actor=principal.get_id(),
            action=action,
            bilan_id=bilan_id,
            assignment_id=assignment_id,
            at=utcnow(),
        )
    )
