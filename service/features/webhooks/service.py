"""Webhook endpoints and the outbox of events (no HTTP here: :mod:`.delivery` sends).

:func:`emit` is what the domain calls, in the transaction of the change it reports: one
:class:`WebhookDelivery` per active endpoint of the centre subscribed to the event, all
with the same event id. Nothing is sent before the commit (the runner is woken after it);
a rolled-back change leaves no row, so it is never reported.

The payloads carry ids and statuses only (:func:`_check_data` refuses anything else): never
a result, a name, an e-mail or a free text.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session, object_session

from instruments.model import Instrument
from service import jobs
from service.dates import utcnow
from service.models import Assignment, Bilan, DeliveryStatus, WebhookDelivery, WebhookEndpoint

#: The job name of the deliveries in :mod:`service.jobs`.
JOB = "webhooks"

#: The events a centre may subscribe to, in the order of the admin page.
EVENTS: dict[str, Any] = {
    "questionnaire.completed": _l("Questionnaire terminé"),
    "report.released": _l("Résultats communiqués à la personne"),
    "synthesis.approved": _l("Document de synthèse approuvé"),
    "bilan.ended": _l("Bilan terminé"),
    "bilan.data_destroyed": _l("Contenu du bilan détruit"),
}
#: Sent by the admin page's "send a test event", to one endpoint, subscribed or not.
PING = "webhook.ping"

URL_MAX = 2000
SECRET_PREFIX = "whsec_"
#: Delivered rows are removed this long after delivery, failed ones after FAILED_KEEP_DAYS
#: (``boussole purge``).
DELIVERED_KEEP_DAYS = 30
FAILED_KEEP_DAYS = 90

_WAKE = "boussole.webhooks_wake"


class WebhookRefused(ValueError):
    """An endpoint that cannot be saved; ``field`` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


# --- the outbox ---------------------------------------------------------------------------


def _check_data(data: dict[str, Any]) -> dict[str, Any]:
    """Ids and statuses only: ints, booleans, None and short codes (no spaces)."""
    for key, value in data.items():
        ok = value is None or isinstance(value, bool | int)
        if isinstance(value, str):
            ok = len(value) <= 40 and not any(c.isspace() for c in value)
        if not ok:
            raise ValueError(f"webhook data {key!r}: only ids and status codes may be sent")
    return dict(data)


def emit(
    session: Session,
    centre_id: int,
    event_type: str,
    data: dict[str, Any],
    *,
    endpoints: Sequence[WebhookEndpoint] | None = None,
    now: dt.datetime | None = None,
) -> str | None:
    """Queue ``event_type`` for the centre's active endpoints subscribed to it, in the
    caller's transaction; returns the event id (None when no endpoint wants it)."""
    payload = _check_data(data)
    if endpoints is None:
        endpoints = [
            e
            for e in session.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.centre_id == centre_id, WebhookEndpoint.active.is_(True)
                )
            )
            if event_type in e.event_set
        ]
    if not endpoints:
        return None
    event_id = str(uuid.uuid4())
    now = now or utcnow()
    for endpoint in endpoints:
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    session.info[_WAKE] = True
    return event_id


# --- the events, as the domain emits them (one line at each call site) ---------------------


def questionnaire_completed(
    session: Session, assignment: Assignment, instrument: Instrument
) -> None:
    """A questionnaire completed and scored (``journey.completion.complete``)."""
    bilan = session.get(Bilan, assignment.bilan_id)
    assert bilan is not None
    data = {
        "assignment_id": assignment.id,
        "bilan_id": bilan.id,
        "instrument_id": instrument.id,
        "instrument_version": instrument.version,
        "status": "completed",
    }
    emit(session, bilan.centre_id, "questionnaire.completed", data)


def report_released(bilan: Bilan, assignment_id: int | None = None) -> None:
    """Results shown to the person: one questionnaire's (``assignment_id``) or the whole
    restitution report (None)."""
    session = object_session(bilan)
    assert session is not None
    data = {"bilan_id": bilan.id, "assignment_id": assignment_id, "status": "released"}
    emit(session, bilan.centre_id, "report.released", data)


def synthesis_approved(session: Session, bilan: Bilan, version: int) -> None:
    data = {"bilan_id": bilan.id, "version": version, "status": "approved"}
    emit(session, bilan.centre_id, "synthesis.approved", data)


def bilan_ended(session: Session, bilan: Bilan) -> None:
    emit(
        session, bilan.centre_id, "bilan.ended", {"bilan_id": bilan.id, "status": str(bilan.status)}
    )


def data_destroyed(session: Session, bilan: Bilan, reason: str) -> None:
    """The content of the bilan destroyed: ``reason`` is end, agreed_period, withdrawn or
    erasure (``lifecycle.destroy_content``)."""
    data = {"bilan_id": bilan.id, "reason": reason, "status": "destroyed"}
    emit(session, bilan.centre_id, "bilan.data_destroyed", data)


@event.listens_for(Session, "after_commit")
def _wake_runner(session: Session) -> None:
    if session.info.pop(_WAKE, False):
        jobs.wake(JOB)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_WAKE, None)


# --- URLs ---------------------------------------------------------------------------------

Resolver = Callable[[str], Iterable[str]]


def resolve(host: str) -> list[str]:
    """The addresses ``host`` resolves to (empty when it does not)."""
    try:
        return [str(info[4][0]) for info in socket.getaddrinfo(host, None)]
    except (OSError, UnicodeError):
        return []


def _private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(
    url: str, *, production: bool, allow_private: bool, resolver: Resolver = resolve
) -> str:
    """The URL, stripped, if an endpoint may use it; raises :class:`WebhookRefused`.

    https only in production (http also elsewhere), no credentials, at most
    :data:`URL_MAX` characters; in production, a host resolving to a loopback, private,
    link-local or reserved address is refused unless ``allow_private`` (SSRF).
    """
    url = (url or "").strip()
    if not url:
        raise WebhookRefused(_("Indiquez l’adresse (URL) qui recevra les événements."), "url")
    if len(url) > URL_MAX:
        raise WebhookRefused(
            _("L’adresse ne doit pas dépasser %(n)s caractères.", n=URL_MAX), "url"
        )
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise WebhookRefused(
            _("L’adresse ne doit contenir ni espace ni caractère de contrôle."), "url"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookRefused(_("Cette adresse n’est pas une URL valide."), "url") from None
    schemes = ("https",) if production else ("https", "http")
    if parts.scheme.lower() not in schemes:
        raise WebhookRefused(
            _("L’adresse doit commencer par https://.")
            if production
            else _("L’adresse doit commencer par https:// ou http://."),
            "url",
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise WebhookRefused(
            _("L’adresse ne doit pas contenir d’identifiant ni de mot de passe."), "url"
        )
    host = parts.hostname or ""
    if not host or port == 0:
        raise WebhookRefused(_("Cette adresse n’est pas une URL valide."), "url")
    if production and not allow_private:
        addresses = list(resolver(host))
        if not addresses:
            raise WebhookRefused(_("Le nom de cet hôte ne se résout pas."), "url")
        if any(_private(a) for a in addresses):
            raise WebhookRefused(
                _("Cette adresse mène à un réseau privé ou local : elle est refusée."), "url"
            )
    return url


# --- endpoints ----------------------------------------------------------------------------


def new_secret() -> str:
    """A signing secret: ``whsec_`` and 32 random bytes in hex (the whole string is the
    HMAC key)."""
    return SECRET_PREFIX + secrets.token_hex(32)


def endpoints_of(session: Session, centre_id: int) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.centre_id == centre_id)
            .order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc())
        )
    )


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once on the page answering the creation or rotation


def create_endpoint(
    session: Session,
    *,
    centre_id: int,
    url: str,
    events: Iterable[str],
    created_by: int | None,
    production: bool,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> NewEndpoint:
    """A new active endpoint (the caller commits); raises :class:`WebhookRefused`."""
    url = check_url(url, production=production, allow_private=allow_private, resolver=resolver)
    wanted = set(events)
    chosen = [e for e in EVENTS if e in wanted]
    if not chosen or len(chosen) != len(wanted):
        raise WebhookRefused(_("Choisissez au moins un événement parmi ceux proposés."), "events")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        centre_id=centre_id,
        url=url,
        events=" ".join(chosen),
        secret=secret,
        active=True,
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(endpoint)
    session.flush()
    return NewEndpoint(endpoint, secret)


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """A new secret at once (deliveries still pending are signed with it)."""
    endpoint.secret = new_secret()
    return endpoint.secret


def set_active(endpoint: WebhookEndpoint, active: bool) -> None:
    """Deactivated: no new deliveries, and the pending ones wait (not sent) until reactivated."""
    endpoint.active = active


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its delivery log."""
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)


def send_test(session: Session, endpoint: WebhookEndpoint) -> str | None:
    """Queue a :data:`PING` event for this endpoint only."""
    return emit(
        session, endpoint.centre_id, PING, {"endpoint_id": endpoint.id}, endpoints=[endpoint]
    )


def retry_now(session: Session, delivery: WebhookDelivery, now: dt.datetime | None = None) -> None:
    """Send a failed (or waiting) delivery again at the next run ("Renvoyer")."""
    if delivery.status == DeliveryStatus.DELIVERED:
        return
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now or utcnow()
    delivery.claimed_until = None
    session.info[_WAKE] = True


DELIVERIES_PER_PAGE = 25


def deliveries_page(
    session: Session, endpoint: WebhookEndpoint, page: int, per_page: int = DELIVERIES_PER_PAGE
) -> tuple[list[WebhookDelivery], int]:
    """One page of the endpoint's deliveries, newest first, and the number of pages."""
    total = (
        session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), pages


def purge_deliveries(session: Session, now: dt.datetime) -> int:
    """Remove delivered rows after :data:`DELIVERED_KEEP_DAYS` and failed ones after
    :data:`FAILED_KEEP_DAYS` (``boussole purge``); returns how many went."""
    delivered = session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.DELIVERED,
            WebhookDelivery.delivered_at < now - dt.timedelta(days=DELIVERED_KEEP_DAYS),
        )
    )
    failed = session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.FAILED,
            WebhookDelivery.created_at < now - dt.timedelta(days=FAILED_KEEP_DAYS),
        )
    )
    return int(getattr(delivered, "rowcount", 0) or 0) + int(getattr(failed, "rowcount", 0) or 0)
