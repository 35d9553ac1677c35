"""Webhooks (issue 14): a centre's endpoints and the outbox of their deliveries.

A :class:`WebhookEndpoint` is a URL of the centre's other software, the events it wants
and its signing secret (encrypted at rest: it must be read back to sign). A
:class:`WebhookDelivery` is one event for one endpoint, written in the same transaction as
the change it reports (an outbox), then sent by the job runner. Its payload holds ids and
statuses only, never results, names, e-mails or free text: it is not bilan content.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.crypto import EncryptedText
from service.dates import utcnow
from service.db import Base
from service.models.people import Centre, StaffUser
from service.models.states import DeliveryStatus
from service.models.types import UTCDateTime, status_type


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(Text)  # space-separated event types
    secret: Mapped[str] = mapped_column(EncryptedText)  # "whsec_" + 64 hex characters
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    centre: Mapped[Centre] = relationship()
    creator: Mapped[StaffUser | None] = relationship()

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(self.events.split())


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(36))  # uuid4, the same for every endpoint
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the event's "data": ids, statuses
    status: Mapped[DeliveryStatus] = mapped_column(
        status_type(DeliveryStatus, "status"), default=DeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A runner owns the delivery until then (claimed by a conditional UPDATE).
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    endpoint: Mapped[WebhookEndpoint] = relationship()
