"""The centre's API tokens (admins only): list, create (the token is shown once, on the
answer to the creation), revoke. Decisions: :mod:`service.access`; work:
:mod:`service.features.api.tokens`."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from service import access
from service.dates import utcnow
from service.extensions import db
from service.features.admin.forms import ApiTokenForm
from service.features.api import tokens
from service.models import API_SCOPES, ApiToken
from service.web import guards
from service.web.blueprints import admin as bp
from service.web.forms import ActionForm

SCOPE_LABELS: dict[str, Any] = {
    "instruments:read": _l("Lire les instruments et leurs normes"),
    "bilans:write": _l("Gérer les bilans et les questionnaires assignés"),
    "answers:write": _l("Envoyer des réponses (passations sur papier)"),
    "results:read": _l("Lire les résultats (si le ou la bénéficiaire l’a accepté)"),
}


def _centre() -> int:
    centre_id = guards.centre_admin()
    access.require(access.can_manage_api_tokens(current_user, centre_id), hide=False)
    return centre_id


def _form() -> ApiTokenForm:
    form = ApiTokenForm()
    form.scopes.choices = [(s, f"{s} — {SCOPE_LABELS[s]}") for s in API_SCOPES]
    return form


def _render(
    form: ApiTokenForm | None = None, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    centre_id = _centre()
    now = utcnow()
    rows = [
        {
            "token": t,
            "state": (
                _("Révoqué")
                if t.revoked_at is not None
                else _("Expiré")
                if not access.api_token_usable(t, now)
                else _("Actif")
            ),
            "active": access.api_token_usable(t, now),
            "scopes": t.scopes.split(),
        }
        for t in tokens.tokens_of(db.session, centre_id)
    ]
    return (
        render_template(
            "admin/api_tokens.html",
            rows=rows,
            form=form or _form(),
            action_form=ActionForm(),
            labels=SCOPE_LABELS,
            **extra,
        ),
        status,
    )


@bp.get("/api/jetons")
@login_required
def api_tokens() -> ResponseReturnValue:
    return _render()


@bp.post("/api/jetons")
@login_required
def create_api_token() -> ResponseReturnValue:
    centre_id = _centre()
    form = _form()
    if not form.validate_on_submit():
        form.name.errors = [*form.name.errors, _("Le formulaire a expiré : envoyez-le de nouveau.")]
        return _render(form, 400)
    raw_days = (form.days.data or "").strip()
    days = int(raw_days) if raw_days.isascii() and raw_days.isdigit() and len(raw_days) < 6 else 0
    try:
        new = tokens.create_token(
            db.session,
            centre_id=centre_id,
            name=form.name.data or "",
            scopes=form.scopes.data or [],
            days=days,
            created_by=current_user.id,
        )
    except tokens.TokenRefused as refusal:
        db.session.rollback()
        getattr(form, refusal.field).errors = [str(refusal)]
        return _render(form, 422)
    db.session.commit()
    return _render(created=new.token, raw=new.raw)


@bp.post("/api/jetons/<int:token_id>/revoquer")
@login_required
def revoke_api_token(token_id: int) -> ResponseReturnValue:
    guards.centre_admin()
    token = db.session.get(ApiToken, token_id)
    access.require(token is not None and access.can_revoke_api_token(current_user, token))
    assert token is not None
    form = ActionForm()
    if form.validate_on_submit():
        tokens.revoke(token)
        db.session.commit()
        flash(_("Le jeton « %(name)s » est révoqué.", name=token.name))
    return redirect(url_for("admin.api_tokens"))
