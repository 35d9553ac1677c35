"""The person's agreement to send the results of a bilan to one of the centre's software
(an API token with ``results:read``), one recipient at a time (issue 14; the brief's
confidentiality rule: "an explicit, per-recipient, recorded agreement").

Each decision is a new :class:`service.models.ResultsSharing` row (accepted, refused,
withdrawn), with the token's name as the person read it; the latest one per token counts
(:func:`service.access.latest_sharing`). Who may decide is :mod:`service.access`'s; the
route checks it before calling :func:`decide`. No HTTP here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import access
from service.models import ApiToken, Beneficiary, Bilan, ResultsSharing

#: The person's choice on the page -> the decision recorded.
CHOICES = {"accept": "accepted", "refuse": "refused", "withdraw": "withdrawn"}


class SharingRefused(ValueError):
    """A decision that cannot be recorded (French message for the page)."""


@dataclass(frozen=True)
class Recipient:
    """A software of the centre that asks for the results, and the decision in force."""

    token: ApiToken
    latest: ResultsSharing | None

    @property
    def agreed(self) -> bool:
        return self.latest is not None and self.latest.accepted


def _decisions(session: Session, bilan: Bilan) -> list[ResultsSharing]:
    return list(session.scalars(select(ResultsSharing).where(ResultsSharing.bilan_id == bilan.id)))


def recipients(session: Session, bilan: Bilan, now: dt.datetime) -> list[Recipient]:
    """The centre's tokens that may receive the bilan's results (usable, ``results:read``:
    :func:`service.access.results_recipient`), by name, each with its decision in force."""
    tokens = session.scalars(
        select(ApiToken)
        .where(ApiToken.centre_id == bilan.centre_id)
        .order_by(ApiToken.name, ApiToken.id)
    )
    decisions = _decisions(session, bilan)
    return [
        Recipient(t, access.latest_sharing(decisions, bilan.id, t.id))
        for t in tokens
        if access.results_recipient(t, bilan, now)
    ]


def decide(
    session: Session,
    bilan: Bilan,
    beneficiary: Beneficiary,
    *,
    token_id: int,
    choice: str,
    now: dt.datetime,
) -> tuple[ResultsSharing, bool]:
    """Record the person's ``choice`` ("accept", "refuse", "withdraw") for one token; the
    caller has checked :func:`service.access.can_decide_results_sharing` and commits.

    The token must be one the person is asked about (:func:`recipients`); an agreement is
    withdrawn only when one is in force; a choice that changes nothing records nothing
    (the decision in force is returned, with False: nothing new). Raises :class:`SharingRefused`."""
    decision = CHOICES.get(choice)
    if decision is None:
        raise SharingRefused(_("Choisissez d’accepter, de refuser ou de retirer votre accord."))
    token = session.get(ApiToken, token_id)
    if token is None or not access.results_recipient(token, bilan, now):
        raise SharingRefused(
            _("Ce logiciel ne demande plus vos résultats : la page a été mise à jour.")
        )
    latest = access.latest_sharing(_decisions(session, bilan), bilan.id, token.id)
    agreed = latest is not None and latest.accepted
    if decision == "withdrawn" and not agreed:
        raise SharingRefused(_("Vous n’avez pas donné votre accord à ce logiciel."))
    if decision == "refused" and agreed:
        decision = "withdrawn"  # refusing what was agreed is withdrawing it
    if latest is not None and (
        decision == latest.decision or (decision == "refused" and not agreed)
    ):
        return latest, False
    row = ResultsSharing(
        bilan_id=bilan.id,
        beneficiary_id=beneficiary.id,
        api_token_id=token.id,
        recipient_name=token.name,
        decision=decision,
        decided_at=now,
    )
    session.add(row)
    session.flush()
    return row, True
