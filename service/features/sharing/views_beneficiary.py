"""The person's page on sending their results to the centre's software:
/espace/bilans/<id>/partage-resultats (accept, refuse, withdraw, one software at a time)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import access
from service.audit import audit
from service.dates import utcnow
from service.extensions import db
from service.features.sharing import service as sharing
from service.features.sharing.forms import SharingForm
from service.models import Bilan
from service.web import guards
from service.web.blueprints import beneficiary as bp

#: The audit log's action for each decision recorded.
AUDIT_ACTIONS = {
    "accepted": "results_sharing_accepted",
    "refused": "results_sharing_refused",
    "withdrawn": "results_sharing_withdrawn",
}


@bp.context_processor
def sharing_links() -> dict[str, Any]:
    """``sharing_asked(bilan_id)`` for the home page: how many of the centre's software ask
    for the bilan's results (the link to decide is shown when one does; queried only when
    a template asks)."""

    def sharing_asked(bilan_id: int) -> int:
        if not access.is_beneficiary(current_user):
            return 0
        bilan = db.session.get(Bilan, bilan_id)
        if bilan is None or not access.can_decide_results_sharing(current_user, bilan):
            return 0
        return len(sharing.recipients(db.session, bilan, utcnow()))

    return {"sharing_asked": sharing_asked}


def _done(decision: str, name: str) -> str:
    if decision == "accepted":
        return str(
            _("Votre accord est enregistré : %(name)s peut recevoir vos résultats.", name=name)
        )
    if decision == "refused":
        return str(
            _("Votre refus est enregistré : %(name)s ne reçoit pas vos résultats.", name=name)
        )
    return str(_("Votre accord est retiré : %(name)s ne reçoit plus vos résultats.", name=name))


@bp.route("/bilans/<int:bilan_id>/partage-resultats", methods=["GET", "POST"])
@login_required
def results_sharing(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.own_bilan(bilan_id)
    access.require(access.can_decide_results_sharing(current_user, bilan), hide=False)
    form = SharingForm()
    now = utcnow()
    error, status = None, 200
    if form.validate_on_submit():  # the CSRF token is checked for the whole app first
        raw = form.token.data or ""
        try:
            row, created = sharing.decide(
                db.session,
                bilan,
                current_user,
                token_id=int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0,
                choice=request.form.get("decision", ""),
                now=now,
            )
        except sharing.SharingRefused as exc:
            db.session.rollback()
            error, status = str(exc), 422
        else:
            if created:  # a new decision (not the one already in force)
                audit(db.session, current_user, AUDIT_ACTIONS[row.decision], bilan_id=bilan.id)
            db.session.commit()
            flash(_done(row.decision, row.recipient_name), "info")
            return redirect(url_for("beneficiary.results_sharing", bilan_id=bilan.id))
    return render_template(
        "sharing/results_sharing.html",
        bilan=bilan,
        form=form,
        recipients=sharing.recipients(db.session, bilan, now),
        processable=access.results_processable(bilan),
        error=error,
    ), status
