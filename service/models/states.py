"""The statuses of bilans and questionnaires, and their allowed transitions, written once.

Routes, services and templates ask these (``bilan.is_running``, ``assignment.is_completed``,
``BilanStatus.TERMINE``) instead of comparing strings. The database refuses any other value
(a CHECK constraint on each column).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import gettext as _


class BilanStatus(StrEnum):
    """Where a bilan stands: the three legal phases, then ended, follow-up, closed."""

    PRELIMINAIRE = "preliminaire"
    INVESTIGATION = "investigation"
    CONCLUSIONS = "conclusions"
    TERMINE = "termine"
    SUIVI = "suivi"
    CLOS = "clos"

    @property
    def is_running(self) -> bool:
        """One of the three legal phases (the bilan has not ended)."""
        return self in RUNNING

    @property
    def label(self) -> str:
        labels = {
            BilanStatus.PRELIMINAIRE: _("Phase préliminaire"),
            BilanStatus.INVESTIGATION: _("Phase d’investigation"),
            BilanStatus.CONCLUSIONS: _("Phase de conclusions"),
            BilanStatus.TERMINE: _("Terminé"),
            BilanStatus.SUIVI: _("Suivi"),
            BilanStatus.CLOS: _("Clos"),
        }
        return str(labels[self])

    def next_on_record(self) -> tuple[BilanStatus, ...]:
        """The statuses the record page may move to from this one (see :data:`TRANSITIONS`)."""
        return TRANSITIONS[self]


#: The three legal phases: the bilan is running.
RUNNING = frozenset({BilanStatus.PRELIMINAIRE, BilanStatus.INVESTIGATION, BilanStatus.CONCLUSIONS})

#: Status changes made on the record page (from -> to): forward or back one phase among the
#: three legal phases; closing after the end. "terminé" comes only from "Terminer le bilan"
#: and "suivi" only from the follow-up job; nothing goes back from "terminé", nothing
#: leaves "clos".
TRANSITIONS: dict[BilanStatus, tuple[BilanStatus, ...]] = {
    BilanStatus.PRELIMINAIRE: (BilanStatus.INVESTIGATION,),
    BilanStatus.INVESTIGATION: (BilanStatus.PRELIMINAIRE, BilanStatus.CONCLUSIONS),
    BilanStatus.CONCLUSIONS: (BilanStatus.INVESTIGATION,),
    BilanStatus.TERMINE: (BilanStatus.CLOS,),
    BilanStatus.SUIVI: (BilanStatus.CLOS,),
    BilanStatus.CLOS: (),
}


class AssignmentStatus(StrEnum):
    """Where a questionnaire stands."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        labels = {
            AssignmentStatus.NOT_STARTED: _("Non commencé"),
            AssignmentStatus.IN_PROGRESS: _("En cours"),
            AssignmentStatus.COMPLETED: _("Terminé"),
        }
        return str(labels[self])


class QuestionnaireState:
    """``is_completed`` and ``is_in_progress`` for anything that carries a questionnaire's
    ``status`` (the model, and the rows the pages are given)."""

    if TYPE_CHECKING:
        status: str

    @property
    def is_completed(self) -> bool:
        return self.status == AssignmentStatus.COMPLETED

    @property
    def is_in_progress(self) -> bool:
        return self.status == AssignmentStatus.IN_PROGRESS


def phase_label(code: str) -> str:
    """The label of a bilan status or plan phase given as text (unknown codes as they are)."""
    try:
        return BilanStatus(code).label
    except ValueError:
        return code


def status_label(code: str) -> str:
    """The label of a questionnaire status given as text (unknown codes as they are)."""
    try:
        return AssignmentStatus(code).label
    except ValueError:
        return code


class ErasureStatus(StrEnum):
    """Where a person's request for erasure (GDPR art. 17) stands."""

    PENDING = "pending"  # asked, not answered yet
    DONE = "done"  # carried out: the content of the bilan destroyed
    REFUSED = "refused"  # refused, with a written reason

    @property
    def label(self) -> str:
        labels = {
            ErasureStatus.PENDING: _("En attente de réponse"),
            ErasureStatus.DONE: _("Effacement réalisé"),
            ErasureStatus.REFUSED: _("Refusée"),
        }
        return str(labels[self])


class DeliveryStatus(StrEnum):
    """Where one webhook delivery stands (:mod:`service.features.webhooks`)."""

    PENDING = "pending"  # to send (again) at ``next_attempt_at``
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # given up: a 4xx other than 429, a redirect, or retries exhausted

    @property
    def label(self) -> str:
        labels = {
            DeliveryStatus.PENDING: _("En attente"),
            DeliveryStatus.DELIVERED: _("Livré"),
            DeliveryStatus.FAILED: _("Échec"),
        }
        return str(labels[self])
