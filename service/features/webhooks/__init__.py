"""Webhooks (issue 14): a centre's endpoints, the events, the outbox and its delivery.

The domain calls :func:`emit` where it does the thing (completion, release, approval, end,
destruction): it adds the delivery rows in the same transaction, and the job runner
(:mod:`service.jobs`) sends them once committed (:mod:`.delivery`).
"""

from service.features.webhooks import delivery as delivery
from service.features.webhooks.service import (
    bilan_ended,
    data_destroyed,
    emit,
    questionnaire_completed,
    report_released,
    synthesis_approved,
)

__all__ = [
    "bilan_ended",
    "data_destroyed",
    "emit",
    "questionnaire_completed",
    "report_released",
    "synthesis_approved",
]
