"""The person's requests for erasure (GDPR art. 17), answered by the centre's admin.

The person asks from their space (an optional message; one pending request at a time).
The admin of the person's centre sees the pending requests and the legal deadline, one
month after the request (GDPR art. 12.3: :data:`ANSWER_MONTHS`), and answers: carry it out
(the content of the bilan is destroyed by ``lifecycle.service.destroy_content`` in the
same transaction as the answer, the actor the admin) or refuse it with a written
reason (a legal obligation, for instance). The request row is an administrative proof:
kept after the destruction, the person's message cleared once carried out. Every step is
written to the audit log, without content. The person reads the answer in their space and
is told by mail that there is one (:func:`mail_answer`, after the commit; no content).

Functions take the session and plain values and never commit: the caller does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.dates import add_months, paris_date
from service.features.lifecycle import service as lifecycle
from service.mail import links, messages
from service.models import AuditEvent, Bilan, ErasureRequest, ErasureStatus, StaffUser

#: The time the centre has to answer (GDPR art. 12.3: one month from the request).
ANSWER_MONTHS = 1
#: Limits of the typed texts (characters).
MESSAGE_MAX = 2_000
REASON_MAX = 2_000

#: Audit-log actions (no content: who, which bilan, when).
ASKED = "erasure_request"
CARRIED_OUT = "erasure_carried_out"
REFUSED = "erasure_refused"


class RequestError(ValueError):
    """A request or an answer that cannot be made; the message says why (French first)."""

    status = 422


class AlreadyPending(RequestError):
    status = 409


def deadline(request: ErasureRequest) -> dt.date:
    """The last day to answer: one month after the (Paris) day of the request."""
    return add_months(paris_date(request.requested_at), ANSWER_MONTHS)


def pending_of(session: Session, beneficiary_id: int) -> ErasureRequest | None:
    return session.scalar(
        select(ErasureRequest).where(
            ErasureRequest.beneficiary_id == beneficiary_id,
            ErasureRequest.status == ErasureStatus.PENDING,
        )
    )


def requests_of(session: Session, beneficiary_id: int) -> list[ErasureRequest]:
    """The person's requests, newest first."""
    return list(
        session.scalars(
            select(ErasureRequest)
            .where(ErasureRequest.beneficiary_id == beneficiary_id)
            .order_by(ErasureRequest.requested_at.desc(), ErasureRequest.id.desc())
        )
    )


def _clean(text: str | None, limit: int, what: str) -> str | None:
    cleaned = (text or "").strip()
    if len(cleaned) > limit:
        raise RequestError(
            _("%(what)s dépasse %(max)s caractères.", what=what, max=f"{limit:,}".replace(",", " "))
        )
    return cleaned or None


def ask(session: Session, bilan: Bilan, *, message: str | None, now: dt.datetime) -> ErasureRequest:
    """Record the person's request for the erasure of ``bilan``'s content."""
    if pending_of(session, bilan.beneficiary_id) is not None:
        raise AlreadyPending(
            _("Vous avez déjà une demande d’effacement en attente : le centre va y répondre.")
        )
    request = ErasureRequest(
        bilan_id=bilan.id,
        beneficiary_id=bilan.beneficiary_id,
        centre_id=bilan.centre_id,
        status=ErasureStatus.PENDING,
        requested_at=now,
        message=_clean(message, MESSAGE_MAX, _("Le message")),
    )
    session.add(request)
    session.add(
        AuditEvent(
            actor=f"beneficiary:{bilan.beneficiary_id}", action=ASKED, bilan_id=bilan.id, at=now
        )
    )
    session.flush()
    return request


def for_centre(session: Session, centre_id: int) -> list[ErasureRequest]:
    """The centre's requests: pending first (oldest first: the nearest deadline), then
    the answered ones (newest answer first)."""
    rows = list(
        session.scalars(select(ErasureRequest).where(ErasureRequest.centre_id == centre_id))
    )
    pending = sorted((r for r in rows if r.is_pending), key=lambda r: (r.requested_at, r.id))
    done = sorted(
        (r for r in rows if not r.is_pending),
        key=lambda r: (r.answered_at or r.requested_at, r.id),
        reverse=True,
    )
    return pending + done


def pending_count(session: Session, centre_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ErasureRequest)
            .where(
                ErasureRequest.centre_id == centre_id,
                ErasureRequest.status == ErasureStatus.PENDING,
            )
        )
        or 0
    )


def _answer(
    session: Session,
    request: ErasureRequest,
    admin: StaffUser,
    status: ErasureStatus,
    now: dt.datetime,
) -> None:
    if not request.is_pending:
        raise RequestError(_("Cette demande a déjà reçu une réponse."))
    request.status = status
    request.answered_at = now
    request.answered_by = admin.id
    action = CARRIED_OUT if status == ErasureStatus.DONE else REFUSED
    session.add(AuditEvent(actor=admin.get_id(), action=action, bilan_id=request.bilan_id, at=now))


def carry_out(
    session: Session, request: ErasureRequest, admin: StaffUser, *, now: dt.datetime
) -> lifecycle.Destruction:
    """Destroy the content of the request's bilan and record the answer (one transaction:
    the caller commits both or neither)."""
    _answer(session, request, admin, ErasureStatus.DONE, now)
    request.message = None
    bilan = request.bilan
    done = lifecycle.destroy_content(
        session, bilan, now=now, reason="erasure", actor=admin.get_id()
    )
    if bilan.content_destroyed_at is None:  # nothing was left: the erasure is still done
        bilan.content_destroyed_at = now
    session.flush()
    return done


def refuse(
    session: Session,
    request: ErasureRequest,
    admin: StaffUser,
    *,
    reason: str | None,
    now: dt.datetime,
) -> None:
    """Refuse the request, with the written reason the person will read."""
    cleaned = _clean(reason, REASON_MAX, _("Le motif"))
    if cleaned is None:
        raise RequestError(_("Écrivez le motif du refus : la personne le lira."))
    _answer(session, request, admin, ErasureStatus.REFUSED, now)
    request.refusal_reason = cleaned
    session.flush()


@dataclass(frozen=True)
class AdminRow:
    """One request as the admin's list shows it (no content of the bilan)."""

    request: ErasureRequest
    name: str
    deadline: dt.date
    overdue: bool


def admin_rows(session: Session, centre_id: int, today: dt.date) -> list[AdminRow]:
    return [
        AdminRow(
            request=r,
            name=r.beneficiary.display_name,
            deadline=deadline(r),
            overdue=r.is_pending and deadline(r) < today,
        )
        for r in for_centre(session, centre_id)
    ]


def mail_answer(request: ErasureRequest) -> bool:
    """Tell the person that their request was answered (after the commit): the link to
    their space, never the answer's content. False when there is no address or it failed."""
    person = request.beneficiary
    if not person.email:
        return False
    lang = person.language or "fr"

    def build() -> Any:
        return messages.erasure_answered(
            lang=lang, name=person.first_name, link=links.public_url("beneficiary.erasure_requests")
        )

    return messages.deliver(str(person.email), build, what="erasure answer")
