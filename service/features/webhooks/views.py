"""The centre's webhooks (admins only, under /admin/api/webhooks): list and add endpoints
(the secret is shown once, on the answer to the creation or rotation), rotate the secret,
deactivate, reactivate, delete, send a test event; the delivery log of an endpoint, paged,
with "Renvoyer". Decisions: :mod:`service.access`; work: :mod:`.service`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import access
from service.dates import format_day, paris_time_of
from service.extensions import db
from service.features.webhooks import service as hooks
from service.features.webhooks.forms import WebhookForm
from service.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from service.web import guards
from service.web.blueprints import admin as bp
from service.web.forms import ActionForm


def _centre() -> int:
    centre_id = guards.centre_admin()
    access.require(access.can_manage_webhooks(current_user, centre_id), hide=False)
    return centre_id


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    guards.centre_admin()
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    access.require(endpoint is not None and access.can_manage_webhook(current_user, endpoint))
    assert endpoint is not None
    return endpoint


def _form(*, blank: bool = False) -> WebhookForm:
    form = WebhookForm(formdata=None) if blank else WebhookForm()
    form.events.choices = [(e, str(label)) for e, label in hooks.EVENTS.items()]
    return form


def _render(
    form: WebhookForm | None = None, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    centre_id = _centre()
    return (
        render_template(
            "webhooks/index.html",
            endpoints=hooks.endpoints_of(db.session, centre_id),
            form=form or _form(blank=True),
            action_form=ActionForm(),
            labels=hooks.EVENTS,
            **extra,
        ),
        status,
    )


@bp.get("/api/webhooks")
@login_required
def webhooks() -> ResponseReturnValue:
    return _render()


@bp.post("/api/webhooks")
@login_required
def create_webhook() -> ResponseReturnValue:
    centre_id = _centre()
    form = _form()
    if not form.validate_on_submit():
        form.url.errors = [*form.url.errors, _("Le formulaire a expiré : envoyez-le de nouveau.")]
        return _render(form, 400)
    try:
        new = hooks.create_endpoint(
            db.session,
            centre_id=centre_id,
            url=form.url.data or "",
            events=form.events.data or [],
            created_by=current_user.id,
            production=current_app.config.get("ENV_NAME") == "production",
            allow_private=bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE")),
        )
    except hooks.WebhookRefused as refusal:
        db.session.rollback()
        getattr(form, refusal.field).errors = [str(refusal)]
        return _render(form, 422)
    db.session.commit()
    return _render(created=new.endpoint, secret=new.secret)


@bp.post("/api/webhooks/<int:endpoint_id>/secret")
@login_required
def rotate_webhook_secret(endpoint_id: int) -> ResponseReturnValue:
    endpoint = _endpoint(endpoint_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.webhooks"))
    secret = hooks.rotate_secret(endpoint)
    db.session.commit()
    return _render(created=endpoint, secret=secret, rotated=True)


def _action(endpoint_id: int, work: Any, message: str) -> ResponseReturnValue:
    endpoint = _endpoint(endpoint_id)
    if ActionForm().validate_on_submit():
        url = endpoint.url
        work(endpoint)
        db.session.commit()
        flash(message % {"url": url})
    return redirect(url_for("admin.webhooks"))


@bp.post("/api/webhooks/<int:endpoint_id>/desactiver")
@login_required
def deactivate_webhook(endpoint_id: int) -> ResponseReturnValue:
    return _action(
        endpoint_id,
        lambda e: hooks.set_active(e, False),
        _("Le webhook %(url)s est désactivé : il ne reçoit plus rien."),
    )


@bp.post("/api/webhooks/<int:endpoint_id>/reactiver")
@login_required
def reactivate_webhook(endpoint_id: int) -> ResponseReturnValue:
    return _action(
        endpoint_id, lambda e: hooks.set_active(e, True), _("Le webhook %(url)s est réactivé.")
    )


@bp.post("/api/webhooks/<int:endpoint_id>/supprimer")
@login_required
def delete_webhook(endpoint_id: int) -> ResponseReturnValue:
    return _action(
        endpoint_id,
        lambda e: hooks.delete_endpoint(db.session, e),
        _("Le webhook %(url)s et son journal sont supprimés."),
    )


@bp.post("/api/webhooks/<int:endpoint_id>/test")
@login_required
def test_webhook(endpoint_id: int) -> ResponseReturnValue:
    endpoint = _endpoint(endpoint_id)
    if ActionForm().validate_on_submit():
        hooks.send_test(db.session, endpoint)
        db.session.commit()
        flash(_("Un événement de test part vers %(url)s : voyez le journal.", url=endpoint.url))
        return redirect(url_for("admin.webhook_log", endpoint_id=endpoint.id))
    return redirect(url_for("admin.webhooks"))


def _moment(value: dt.datetime | None) -> str:
    """A moment in Paris time: the day in the page's language and the hour."""
    if value is None:
        return "—"
    hour = paris_time_of(value).strftime("%H:%M")
    return str(_("%(day)s à %(time)s", day=format_day(value), time=hour))


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1


@bp.get("/api/webhooks/<int:endpoint_id>")
@login_required
def webhook_log(endpoint_id: int) -> ResponseReturnValue:
    endpoint = _endpoint(endpoint_id)
    page = _page()
    rows, pages = hooks.deliveries_page(db.session, endpoint, page)
    return render_template(
        "webhooks/log.html",
        endpoint=endpoint,
        rows=rows,
        page=min(page, pages),
        pages=pages,
        labels=hooks.EVENTS,
        action_form=ActionForm(),
        DeliveryStatus=DeliveryStatus,
        ping=hooks.PING,
        moment=_moment,
    )


@bp.post("/api/webhooks/<int:endpoint_id>/livraisons/<int:delivery_id>/renvoyer")
@login_required
def retry_webhook_delivery(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    endpoint = _endpoint(endpoint_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    access.require(delivery is not None and delivery.endpoint_id == endpoint.id)
    assert delivery is not None
    if ActionForm().validate_on_submit() and delivery.status != DeliveryStatus.DELIVERED:
        hooks.retry_now(db.session, delivery)
        db.session.commit()
        flash(_("La livraison %(id)s repart maintenant.", id=delivery.id))
    return redirect(url_for("admin.webhook_log", endpoint_id=endpoint.id, page=_page()))
