"""The centre admin's page of the erasure requests (GDPR art. 17): the pending ones with
their legal deadline, the answered ones, and the answer (carry out or refuse with a
reason). Decisions: :func:`service.access.can_view_erasure_requests` and
:func:`~service.access.can_answer_erasure_request`; domain: :mod:`.requests`."""

from __future__ import annotations

from typing import Any, cast

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import access, dates
from service.extensions import db
from service.features.lifecycle import requests
from service.features.lifecycle.forms import ErasureAnswerForm
from service.models import ErasureRequest
from service.web import guards
from service.web.blueprints import admin as bp


@bp.context_processor
def erasure_request_count() -> dict[str, Any]:
    """``pending_erasure_requests()``: how many requests of the admin's centre wait for an
    answer (the admin's home page says so)."""

    def pending_erasure_requests() -> int:
        centre_id = getattr(current_user, "centre_id", None)
        if not isinstance(centre_id, int):
            return 0
        if not access.can_view_erasure_requests(current_user, centre_id):
            return 0
        return requests.pending_count(db.session, centre_id)

    return {"pending_erasure_requests": pending_erasure_requests}


def _centre() -> int:
    guards.staff_only()
    centre_id = int(current_user.centre_id)
    access.require(access.can_view_erasure_requests(current_user, centre_id), hide=False)
    return centre_id


@bp.get("/demandes-rgpd")
@login_required
def erasure_requests() -> ResponseReturnValue:
    centre_id = _centre()
    rows = requests.admin_rows(db.session, centre_id, dates.paris_today())
    return render_template(
        "lifecycle/admin_requests.html",
        pending=[r for r in rows if r.request.is_pending],
        answered=[r for r in rows if not r.request.is_pending],
    )


def _request(request_id: int) -> ErasureRequest:
    """A request of the admin's own centre, or 404 (another centre's is not revealed)."""
    _centre()
    found = db.session.get(ErasureRequest, request_id)
    access.require(
        found is not None and access.can_view_erasure_requests(current_user, found.centre_id)
    )
    return cast(ErasureRequest, found)


@bp.route("/demandes-rgpd/<int:request_id>", methods=["GET", "POST"])
@login_required
def answer_erasure_request(request_id: int) -> ResponseReturnValue:
    request = _request(request_id)
    form = ErasureAnswerForm()
    error, status = None, 200
    if form.is_submitted():
        access.require(access.can_answer_erasure_request(current_user, request), hide=False)
    if form.validate_on_submit():
        try:
            if form.decision.data == "carry_out":
                requests.carry_out(db.session, request, current_user, now=dates.utcnow())
                message = _("Le contenu du bilan est effacé ; la personne est prévenue.")
            else:
                requests.refuse(
                    db.session, request, current_user, reason=form.reason.data, now=dates.utcnow()
                )
                message = _("Le refus est enregistré ; la personne est prévenue.")
        except requests.RequestError as exc:
            db.session.rollback()
            error, status = str(exc), exc.status
        else:
            db.session.commit()
            requests.mail_answer(request)
            flash(message, "info")
            return redirect(url_for("admin.erasure_requests"))
    elif form.errors:
        status = 422
    return render_template(
        "lifecycle/admin_request.html",
        row=requests.AdminRow(
            request=request,
            name=request.beneficiary.display_name,
            deadline=requests.deadline(request),
            overdue=request.is_pending and requests.deadline(request) < dates.paris_today(),
        ),
        bilan=request.bilan,
        form=form,
        error=error,
    ), status
