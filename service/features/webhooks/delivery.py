"""Sending the outbox: claim each due delivery, POST it signed, record the outcome.

- **Body**: ``{"id": event id, "type": ..., "created_at": ISO 8601 with offset, "data": {...}}``.
- **Headers**: ``Boussole-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``,
  ``Boussole-Event`` (the type), ``Boussole-Delivery`` (the delivery's id), JSON content type.
- **HTTP**: urllib, a timeout of :data:`TIMEOUT` seconds, redirects never followed (a 3xx
  is a failure: the URL must be the final one).
- **Outcome**: 2xx delivered; a network error, timeout, 5xx or 429 is retried after
  :data:`BACKOFF` (1 min, 5 min, 30 min, 2 h, 12 h; a ``Retry-After`` is honoured, up to
  12 h), then failed; any other status (4xx, 3xx) fails at once.
- **Concurrency**: a delivery is claimed by a conditional UPDATE (still pending, due, not
  claimed by a live lease) that also counts the attempt; only the process whose UPDATE
  changed the row sends it, so two runners (gunicorn workers, cron) never send it twice. A
  runner that dies mid-send leaves a lease that expires after :data:`LEASE`: the delivery
  is then retried (receivers de-duplicate on the event id).

:func:`run_due` takes its clock and its sender as arguments: the tests run it with a fake
clock and a real receiver on loopback.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import json
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from service import jobs
from service.dates import utcnow
from service.extensions import db
from service.features.webhooks.service import JOB, _private, resolve
from service.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

TIMEOUT = 5.0
#: The wait after the 1st, 2nd... failed attempt; after the last one, failed.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = dt.timedelta(minutes=2)
RETRY_AFTER_MAX = BACKOFF[-1]
USER_AGENT = "Boussole-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What the receiver answered: a status code, or an error (network, timeout)."""

    status: int | None
    error: str | None = None
    retry_after: dt.timedelta | None = None


Sender = Callable[[str, bytes, Mapping[str, str]], Outcome]
Clock = Callable[[], dt.datetime]
#: Says why a URL may not be called now (None: it may): the SSRF check at send time.
Guard = Callable[[str], str | None]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Boussole-Signature`` header of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """The receiver's check (documented in docs/api.md): the signature matches and its
    timestamp is within ``tolerance`` seconds of ``now``."""
    fields = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def body_of(delivery: WebhookDelivery) -> bytes:
    created = delivery.created_at.astimezone(dt.UTC).isoformat(timespec="seconds")
    document = {
        "id": delivery.event_id,
        "type": delivery.event_type,
        "created_at": created,
        "data": delivery.payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


_OPENER = urllib.request.build_opener(_NoRedirect)


def _retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = dt.timedelta(seconds=int(value[:9]))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        wait = when - now
    return max(dt.timedelta(0), min(wait, RETRY_AFTER_MAX))


def post(url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
    """POST with urllib: :data:`TIMEOUT`, no redirect; never reads more than 1 KiB back."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            response.read(1024)
            return Outcome(response.status)
    except urllib.error.HTTPError as exc:
        wait = _retry_after(exc.headers.get("Retry-After") if exc.headers else None, utcnow())
        exc.close()
        return Outcome(exc.code, f"HTTP {exc.code}", wait)
    except TimeoutError:
        return Outcome(None, "délai dépassé (5 s)")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            return Outcome(None, "délai dépassé (5 s)")
        return Outcome(None, f"réseau : {reason}"[:200])
    except (OSError, ValueError) as exc:
        return Outcome(None, f"réseau : {type(exc).__name__}"[:200])


def ssrf_guard(production: bool, allow_private: bool) -> Guard:
    """At send time, in production, refuse a host that now resolves to a private address."""

    def guard(url: str) -> str | None:
        if not production or allow_private:
            return None
        addresses = resolve(urlsplit(url).hostname or "")
        if not addresses or any(_private(a) for a in addresses):
            return "adresse refusée (réseau privé ou local)"
        return None

    return guard


def _due(now: dt.datetime) -> Any:
    return (
        WebhookDelivery.status == DeliveryStatus.PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
    )


def claim(session: Session, delivery_id: int, now: dt.datetime) -> bool:
    """Take the delivery for this runner (one UPDATE, committed); False if another has it,
    or it is no longer due."""
    done = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, *_due(now))
        .values(claimed_until=now + LEASE, attempts=WebhookDelivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(done, "rowcount", 0) or 0) == 1


def _record(delivery: WebhookDelivery, outcome: Outcome, now: dt.datetime) -> None:
    delivery.claimed_until = None
    delivery.last_status_code = outcome.status
    code = outcome.status
    if code is not None and 200 <= code < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = None
        return
    delivery.last_error = (outcome.error or (f"HTTP {code}" if code else "erreur"))[:200]
    retryable = code is None or code == 429 or 500 <= code < 600
    if not retryable or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        return
    wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
    if outcome.retry_after is not None and code in (429, 503):
        wait = outcome.retry_after
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now + wait


def deliver_one(
    session: Session, delivery_id: int, *, clock: Clock, send: Sender, guard: Guard
) -> DeliveryStatus:
    """Send one claimed delivery and record the outcome (committed)."""
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
    if delivery is None or endpoint is None:  # deleted meanwhile (with its endpoint)
        session.commit()
        return DeliveryStatus.FAILED
    url, secret, body = endpoint.url, endpoint.secret, body_of(delivery)
    session.commit()  # no transaction stays open while the receiver answers
    refused = guard(url)
    if refused is not None:
        outcome = Outcome(None, refused)
        delivery.attempts = MAX_ATTEMPTS  # not retried: the address is refused
    else:
        timestamp = int(clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Boussole-Event": delivery.event_type,
            "Boussole-Delivery": str(delivery.id),
            "Boussole-Signature": sign(secret, timestamp, body),
        }
        outcome = send(url, body, headers)
    _record(delivery, outcome, clock())
    session.commit()
    return delivery.status


def run_due(
    session: Session,
    *,
    clock: Clock = utcnow,
    send: Sender = post,
    guard: Guard | None = None,
    limit: int = 100,
) -> int:
    """Send every delivery due at ``clock()`` (at most ``limit``) of the active endpoints;
    returns how many this runner sent (attempts, whatever their outcome)."""
    now = clock()
    ids = list(
        session.scalars(
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookEndpoint.active.is_(True), *_due(now))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )
    session.commit()
    sent = 0
    for delivery_id in ids:
        if not claim(session, delivery_id, clock()):
            continue
        deliver_one(session, delivery_id, clock=clock, send=send, guard=guard or (lambda _u: None))
        sent += 1
    return sent


def job(app: Flask) -> int:
    """The runner's job (:mod:`service.jobs`): the due deliveries, once."""
    guard = ssrf_guard(
        app.config.get("ENV_NAME") == "production", bool(app.config.get("WEBHOOK_ALLOW_PRIVATE"))
    )
    with db.standalone() as session:
        return run_due(session, guard=guard)


jobs.register(JOB, job)
