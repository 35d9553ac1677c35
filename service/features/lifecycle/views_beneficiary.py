"""The person's erasure of the content of their bilan (GDPR art. 17): a page that says
what goes and what stays, a confirmation box, then immediate destruction."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import access
from service.dates import utcnow
from service.extensions import db
from service.features.lifecycle import service as lifecycle
from service.features.lifecycle.forms import EraseForm
from service.web import guards
from service.web.blueprints import beneficiary as bp


@bp.route("/bilans/<int:bilan_id>/effacement", methods=["GET", "POST"])
@login_required
def erase_content(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.own_bilan(bilan_id)
    access.require(access.can_erase_content(current_user, bilan), hide=False)
    form = EraseForm()
    if form.validate_on_submit():
        lifecycle.destroy_content(
            db.session, bilan, now=utcnow(), reason="erasure", actor=current_user.get_id()
        )
        db.session.commit()
        flash(_("Les données de votre bilan ont été effacées."), "info")
        return redirect(url_for("beneficiary.home"))
    status = 422 if form.errors else 200
    return render_template(
        "lifecycle/erase.html", bilan=bilan, form=form, retention=lifecycle.retention_of(bilan)
    ), status
