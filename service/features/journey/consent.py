"""Consent decisions: the text version shown, the latest decision of each bilan, and
recording a new one (nothing is administered before an acceptance)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from service.dates import utcnow
from service.models import (
    Beneficiary,
    Bilan,
    Consent,
)

log = logging.getLogger(__name__)


#: Version of the consent text shown on the consent page
#: (features/journey/templates/journey/consent.html).
#: Change it whenever the text changes: every decision records the version it answered.
CONSENT_VERSION = "2026-12-v1"  # 2026-11-v1 did not mention the centre's local norms


def consents_of(session: Session, beneficiary_id: int) -> list[Consent]:
    """Every consent decision of a person (``access.has_consented`` picks the latest)."""
    return list(
        session.scalars(select(Consent).where(Consent.beneficiary_id == beneficiary_id)).all()
    )


def latest_consent(consents: Sequence[Consent], bilan_id: int) -> Consent | None:
    return max(
        (c for c in consents if c.bilan_id == bilan_id),
        key=lambda c: (c.recorded_at, c.id),
        default=None,
    )


def record_consent(
    session: Session,
    bilan: Bilan,
    beneficiary: Beneficiary,
    *,
    accepted: bool,
    keep_for_followup: bool,
    text_version: str = CONSENT_VERSION,
) -> Consent:
    """Record a decision (a new row each time: the history is kept as evidence)."""
    consent = Consent(
        bilan_id=bilan.id,
        beneficiary_id=beneficiary.id,
        text_version=text_version,
        accepted=accepted,
        keep_for_followup=bool(accepted and keep_for_followup),
        recorded_at=utcnow(),
    )
    session.add(consent)
    session.flush()
    return consent
