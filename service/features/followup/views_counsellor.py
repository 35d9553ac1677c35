"""Counsellor routes: end of the bilan (satisfaction questionnaire assigned, follow-up date)
and the attestation of attendance for the funder.

Thin routes: access through :mod:`service.access`, the
work in :mod:`service.features.followup.service` and :mod:`service.features.followup.attendance`.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField
from wtforms.validators import Optional

from service import access, dates
from service.audit import audit
from service.dates import utcnow
from service.extensions import db
from service.features.accounts.invitations import create_invitation
from service.features.followup import attendance
from service.features.followup import service as followup
from service.features.journey import service as journey
from service.mail import links, messages
from service.models import Assignment, Bilan
from service.models.states import phase_label
from service.web import guards
from service.web.blueprints import counsellor as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.forms import DateField
from service.web.headers import csp_nonce
from service.web.responses import pdf_download


class EndBilanForm(FlaskForm):
    ended_on = DateField(
        _l("Date de fin du bilan (par défaut : aujourd’hui)"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    send_link = BooleanField(
        _l("Envoyer à la personne, par e-mail, un lien vers le questionnaire de satisfaction")
    )


def _when(day: dt.date | None) -> dt.datetime:
    """The end moment: now for today (or no date given), noon in Paris for another day."""
    if day is None or day == dates.paris_today():
        return utcnow()
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=dates.PARIS).astimezone(dt.UTC)


def _satisfaction(bilan: Bilan, purpose: str) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.bilan_id == bilan.id, Assignment.purpose == purpose)
            .order_by(Assignment.id)
        )
    )


def _render_end(bilan: Bilan, form: EndBilanForm, status: int = 200) -> ResponseReturnValue:
    instruments = _instruments()
    lang = _lang()

    def rows(purpose: str) -> list[tuple[str, Assignment]]:
        out = []
        for a in _satisfaction(bilan, purpose):
            inst = journey.instrument_for(instruments, a)
            out.append((inst.name.get(lang) if inst is not None else a.instrument_id, a))
        return out

    ended_on = dates.paris_date(bilan.ended_at) if bilan.ended_at is not None else None
    planned = bilan.followup_date or dates.add_months(
        ended_on or dates.paris_today(), followup.FOLLOWUP_MONTHS
    )
    return (
        render_template(
            "followup/end_bilan.html",
            bilan=bilan,
            form=form,
            ended_on=ended_on,
            planned_followup=planned,
            end_rows=rows("end"),
            followup_rows=rows("followup"),
            phase_label=phase_label(bilan.status),
            reminder_days=followup.REMINDER_DAYS,
            max_reminders=followup.MAX_REMINDERS,
            has_satisfaction=followup.SATISFACTION in instruments,
        ),
        status,
    )


def _send_satisfaction_link(bilan: Bilan) -> None:
    person = bilan.beneficiary
    if not person.email:
        flash(_("Aucune adresse e-mail connue : aucun lien n’a été envoyé."), "info")
        return
    token = create_invitation(db.session, person, days=current_app.config["INVITATION_DAYS"])
    db.session.commit()
    sent = messages.deliver(
        person.email,
        lambda: messages.satisfaction_link(
            lang=person.language,
            name=person.first_name,
            link=links.public_url("auth.invitation", token=token),
            days=current_app.config["INVITATION_DAYS"],
        ),
        what="satisfaction link",
    )
    if not sent:
        flash(_("Le message n’a pas pu être envoyé (messagerie indisponible)."), "error")
        return
    flash(_("Un lien a été envoyé à %(email)s.", email=person.email), "info")


@bp.route("/bilans/<int:bilan_id>/fin", methods=["GET", "POST"])
@login_required
def end_bilan(bilan_id: int) -> ResponseReturnValue:
    """ "Terminer le bilan": ends it, sets the follow-up date, assigns the satisfaction
    questionnaire (once). GET shows the page with the form and what happened since."""
    bilan = guards.managed_bilan(bilan_id)
    access.require(access.can_end_bilan(current_user, bilan))
    form = EndBilanForm()
    if request.method == "GET":
        if form.ended_on.data is None and bilan.ended_at is None:
            form.ended_on.data = dates.paris_today()
        return _render_end(bilan, form)
    if not form.validate():
        if form.ended_on.errors:
            form.ended_on.errors = [_("Date de fin : indiquez une date valide (jj/mm/aaaa).")]
        return _render_end(bilan, form, status=422)
    try:
        result = followup.end_bilan(
            db.session, bilan, _instruments(), when=_when(form.ended_on.data)
        )
    except followup.FollowupError as exc:
        db.session.rollback()
        form.ended_on.errors = [str(exc)]
        return _render_end(bilan, form, status=422)
    if not result.already_ended:
        audit(db.session, current_user, followup.END_BILAN, bilan_id=bilan.id)
    db.session.commit()
    if result.already_ended:
        flash(_("Ce bilan était déjà terminé : rien n’a été modifié."), "info")
    else:
        flash(
            _(
                "Le bilan est terminé. Suivi à 6 mois prévu le %(date)s.",
                date=dates.format_day(result.followup_date) if result.followup_date else "",
            ),
            "info",
        )
    if result.satisfaction is None:
        flash(
            _(
                "Le questionnaire de satisfaction n’est pas installé : il n’a pas pu être"
                " assigné. Prévenez l’administration du centre."
            ),
            "error",
        )
    elif result.assigned_now:
        flash(_("Le questionnaire de satisfaction de fin de bilan est assigné."), "info")
        if form.send_link.data:
            _send_satisfaction_link(bilan)
    return redirect(url_for("counsellor.end_bilan", bilan_id=bilan.id))


# --- attestation of attendance ------------------------------------------------------------


def _attendance_bilan(bilan_id: int) -> Bilan:
    bilan = guards.managed_bilan(bilan_id)
    access.require(access.can_issue_attendance(current_user, bilan))
    return bilan


@bp.get("/bilans/<int:bilan_id>/attestation")
@login_required
def attendance_page(bilan_id: int) -> ResponseReturnValue:
    """The attestation as a page (to check it before downloading the PDF)."""
    bilan = _attendance_bilan(bilan_id)
    html = attendance.attendance_html(
        db.session, bilan, _lang(), get_translations(), nonce=csp_nonce()
    )
    audit(db.session, current_user, "view_attendance", bilan_id=bilan.id)
    db.session.commit()
    return Response(html, mimetype="text/html")


@bp.get("/bilans/<int:bilan_id>/attestation.pdf")
@login_required
def attendance_pdf(bilan_id: int) -> ResponseReturnValue:
    """The attestation of attendance for the funder, as an A4 PDF (dates and hours only)."""
    bilan = _attendance_bilan(bilan_id)
    tr = get_translations()
    name = f"attestation-assiduite-bilan-{bilan.id}.pdf"
    response = pdf_download(lambda: attendance.attendance_pdf(db.session, bilan, _lang(), tr), name)
    if response.status_code == 200:
        audit(db.session, current_user, "attendance_pdf", bilan_id=bilan.id)
        db.session.commit()
    return response
