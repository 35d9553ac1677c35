"""Consent decisions: the text version shown, the latest decision of each bilan, and
recording a new one (nothing is administered before an acceptance)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from blinker import Namespace
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
CONSENT_VERSION = "2026-12-v2"  # v1: "un an au plus", no period to choose;
# 2026-11-v1 did not mention the centre's local norms

#: The longest agreed keeping: one year after the end of the bilan (R6313-7, consent text).
KEEP_MONTHS = 12
#: The keeping periods the person chooses from (months after the end), the longest last.
KEEP_CHOICES = (3, 6, 12)

#: Sent after a decision is recorded (sender: the bilan; ``session``, ``actor``): the
#: lifecycle destroys at once what the decision makes due (``features/lifecycle``).
decision_recorded = Namespace().signal("consent-decision-recorded")


def agreed_months(consent: Consent | None) -> int:
    """The months after the end a decision keeps the content: 0 without the agreement;
    the period chosen (:data:`KEEP_MONTHS` on decisions recorded before the choice), never
    more than :data:`KEEP_MONTHS`."""
    if consent is None or not (consent.accepted and consent.keep_for_followup):
        return 0
    months = consent.keep_months if consent.keep_months is not None else KEEP_MONTHS
    return max(0, min(int(months), KEEP_MONTHS))


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
    keep_months: int = KEEP_MONTHS,
    text_version: str = CONSENT_VERSION,
) -> Consent:
    """Record a decision (a new row each time: the history is kept as evidence).

    The agreement to keep keeps ``keep_months`` months after the end (at most
    :data:`KEEP_MONTHS`). After the end of the bilan, a decision may shorten the keeping
    in force, never lengthen it: what is not kept any more is due for destruction (or
    already gone). Then :data:`decision_recorded` is sent."""
    months = max(0, min(int(keep_months), KEEP_MONTHS)) if accepted and keep_for_followup else 0
    if bilan.ended_at is not None:
        previous = latest_consent(consents_for_bilan(session, bilan.id), bilan.id)
        months = min(months, agreed_months(previous))
    consent = Consent(
        bilan_id=bilan.id,
        beneficiary_id=beneficiary.id,
        text_version=text_version,
        accepted=accepted,
        keep_for_followup=months > 0,
        keep_months=months or None,
        recorded_at=utcnow(),
    )
    session.add(consent)
    session.flush()
    decision_recorded.send(bilan, session=session, actor=beneficiary.get_id())
    return consent


def consents_for_bilan(session: Session, bilan_id: int) -> list[Consent]:
    return list(session.scalars(select(Consent).where(Consent.bilan_id == bilan_id)).all())
