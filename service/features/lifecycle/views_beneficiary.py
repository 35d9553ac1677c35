"""The person's erasure of the content of their bilan (GDPR art. 17): after the end, a page
that says what goes and what stays, a confirmation box, then immediate destruction; at any
time, a request the centre's admin answers (:mod:`.requests`, :mod:`.views_admin`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import access, dates
from service.audit import audit
from service.extensions import db
from service.features.lifecycle import portability, requests
from service.features.lifecycle import service as lifecycle
from service.features.lifecycle.forms import EraseForm, ErasureRequestForm
from service.features.synthesis import service as synthesis
from service.web import guards
from service.web.blueprints import beneficiary as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.responses import download


@bp.context_processor
def destruction_notices() -> dict[str, Any]:
    """``upcoming_destructions``: bilan id -> the day its content is destroyed, when that
    day is at most ``DESTRUCTION_NOTICE_DAYS`` away (the home page tells the person)."""

    def upcoming_destructions() -> dict[int, dt.date]:
        if not access.is_beneficiary(current_user):
            return {}
        days = int(current_app.config["DESTRUCTION_NOTICE_DAYS"])
        return lifecycle.upcoming_for(db.session, current_user.id, dates.paris_today(), days)

    return {"upcoming_destructions": upcoming_destructions}


@bp.get("/bilans/<int:bilan_id>/mes-donnees.zip")
@login_required
def download_archive(bilan_id: int) -> ResponseReturnValue:
    """Everything that is the person's, in one ZIP, at any time (GDPR portability)."""
    bilan = guards.own_bilan(bilan_id)
    version = synthesis.document_version(db.session, bilan, audience="beneficiary")
    rights = portability.ArchiveRights(
        report=access.can_view_report(current_user, bilan),
        synthesis=version is not None and access.can_read_synthesis(current_user, bilan, version),
    )
    data = portability.build_archive(
        db.session, bilan, _instruments(), _lang(), get_translations(), rights
    )
    audit(db.session, current_user, "export_archive", bilan_id=bilan.id)
    db.session.commit()
    return download(data, portability.archive_filename(bilan))


@bp.route("/bilans/<int:bilan_id>/effacement", methods=["GET", "POST"])
@login_required
def erase_content(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.own_bilan(bilan_id)
    access.require(access.can_erase_content(current_user, bilan), hide=False)
    form = EraseForm()
    if form.validate_on_submit():
        lifecycle.destroy_content(
            db.session, bilan, now=dates.utcnow(), reason="erasure", actor=current_user.get_id()
        )
        db.session.commit()
        flash(_("Les données de votre bilan ont été effacées."), "info")
        return redirect(url_for("beneficiary.home"))
    status = 422 if form.errors else 200
    return render_template(
        "lifecycle/erase.html", bilan=bilan, form=form, retention=lifecycle.retention_of(bilan)
    ), status


# --- requests for erasure (answered by the centre's admin) --------------------------------


@bp.route("/bilans/<int:bilan_id>/demande-effacement", methods=["GET", "POST"])
@login_required
def request_erasure(bilan_id: int) -> ResponseReturnValue:
    """Ask the centre to erase the content of the bilan (one pending request at a time)."""
    bilan = guards.own_bilan(bilan_id)
    access.require(access.can_request_erasure(current_user, bilan), hide=False)
    pending = requests.pending_of(db.session, current_user.id)
    form = ErasureRequestForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            requests.ask(db.session, bilan, message=form.message.data, now=dates.utcnow())
        except requests.RequestError as exc:
            db.session.rollback()
            error, status = str(exc), exc.status
        else:
            db.session.commit()
            flash(
                _(
                    "Votre demande d’effacement est envoyée : le centre vous répondra"
                    " dans un mois au plus."
                ),
                "info",
            )
            return redirect(url_for("beneficiary.erasure_requests"))
    elif form.errors:
        status = 422
    return render_template(
        "lifecycle/request.html",
        bilan=bilan,
        form=form,
        pending=pending,
        error=error,
        erasable=access.can_erase_content(current_user, bilan),
        deadline=requests.deadline,
    ), status


@bp.get("/mes-donnees/demandes-effacement")
@login_required
def erasure_requests() -> ResponseReturnValue:
    """The person's requests for erasure: status, the answer and its reason."""
    guards.beneficiary_only()
    rows = requests.requests_of(db.session, current_user.id)
    return render_template("lifecycle/my_requests.html", rows=rows, deadline=requests.deadline)
