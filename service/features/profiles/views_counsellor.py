"""The counsellor's side of profiles and restitution: a questionnaire's profile, the
comparison of a bilan's questionnaires, the restitution report (page and PDF) and its
release, score exports. Every view or export is written to the audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import access
from service.audit import audit
from service.extensions import db
from service.features.notices import service as notices
from service.features.profiles import service as restitution
from service.features.profiles.forms import CommentForm
from service.features.profiles.pages import render_profile, report_page
from service.models import Bilan
from service.web import guards
from service.web.blueprints import counsellor as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.responses import download


@bp.post("/questionnaires/<int:assignment_id>/commentaire")
@login_required
def assignment_comment(assignment_id: int) -> ResponseReturnValue:
    assignment = guards.managed_assignment(assignment_id)
    form = CommentForm()
    if not form.validate():
        return render_profile(assignment, comment_form=form, status=422)
    assignment.report_comment = (form.comment.data or "").strip() or None
    db.session.commit()
    flash(_("Commentaire du rapport enregistré."), "info")
    return redirect(url_for("counsellor.profile", assignment_id=assignment.id))


@bp.get("/questionnaires/<int:assignment_id>/profil")
@login_required
def profile(assignment_id: int) -> ResponseReturnValue:
    assignment = guards.managed_assignment(assignment_id)
    notices.mark_seen(db.session, current_user, assignment.id)  # committed with the audit
    return render_profile(assignment)


@bp.get("/bilans/<int:bilan_id>/comparaison")
@login_required
def compare(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.managed_bilan(bilan_id)
    lang = _lang()
    views = restitution.completed_profiles(
        db.session, bilan, _instruments(), lang, get_translations()
    )
    audit(db.session, current_user, "view_comparison", bilan_id=bilan.id)
    db.session.commit()
    return render_template(
        "profiles/compare.html",
        bilan=bilan,
        columns=[(a, v, restitution.charts_for(v, lang)) for a, v in views],
    )


# --- report and exports -------------------------------------------------------------------


@bp.get("/bilans/<int:bilan_id>/rapport")
@login_required
def report(bilan_id: int) -> ResponseReturnValue:
    return _report(guards.managed_bilan(bilan_id), pdf=False)


@bp.get("/bilans/<int:bilan_id>/rapport.pdf")
@login_required
def report_pdf(bilan_id: int) -> ResponseReturnValue:
    return _report(guards.managed_bilan(bilan_id), pdf=True)


def _report(bilan: Bilan, *, pdf: bool) -> ResponseReturnValue:
    access.require(access.can_view_report(current_user, bilan))
    return report_page(
        bilan,
        pdf=pdf,
        back=url_for("counsellor.bilan", bilan_id=bilan.id),
        pdf_url=url_for("counsellor.report_pdf", bilan_id=bilan.id),
    )


@bp.post("/bilans/<int:bilan_id>/rapport/diffusion")
@login_required
def release_report(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.managed_bilan(bilan_id)
    show = request.form.get("show") == "1"
    restitution.set_report_released(bilan, show)
    db.session.commit()
    flash(
        _("Le rapport de restitution est maintenant disponible pour la personne.")
        if show
        else _("Le rapport de restitution n’est plus visible par la personne."),
        "info",
    )
    return redirect(url_for("counsellor.bilan", bilan_id=bilan.id))


@bp.get("/bilans/<int:bilan_id>/scores.<fmt>")
@login_required
def export_scores(bilan_id: int, fmt: str) -> ResponseReturnValue:
    bilan = guards.managed_bilan(bilan_id)
    access.require(fmt in ("csv", "xlsx", "json"))
    named = request.args.get("nom") == "1" and fmt != "json"
    data = restitution.export_bilan(
        db.session,
        bilan,
        _instruments(),
        _lang(),
        fmt,
        with_name=named,
        translations=get_translations(),
    )
    audit(
        db.session,
        current_user,
        f"export_{fmt}_named" if named else f"export_{fmt}",
        bilan_id=bilan.id,
    )
    db.session.commit()
    return download(data, f"scores-bilan-{bilan.id}.{fmt}")
