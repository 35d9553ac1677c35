"""The beneficiary's side of profiles and restitution: their results once released, and
the restitution report (page and PDF) once the counsellor releases it."""

from __future__ import annotations

from typing import cast

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_translations
from flask_login import current_user, login_required
from sqlalchemy import select

from instruments.model import Instrument
from service import access
from service.extensions import db
from service.features.journey import service as journey
from service.features.profiles import service as restitution
from service.features.profiles.pages import report_page
from service.models import Bilan, ScoreRecord
from service.web import guards
from service.web.blueprints import beneficiary as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang


@bp.get("/questionnaires/<int:assignment_id>/resultats")
@login_required
def results(assignment_id: int) -> ResponseReturnValue:
    assignment = guards.own_assignment(assignment_id)
    found = journey.instrument_for(_instruments(), assignment)
    access.require(found is not None)  # a version no longer installed
    instrument = cast(Instrument, found)
    access.require(access.can_view_results(current_user, assignment, instrument), hide=False)
    record = db.session.scalars(
        select(ScoreRecord).where(ScoreRecord.assignment_id == assignment.id)
    ).first()
    access.require(record is not None)
    scores = cast(ScoreRecord, record)
    view = restitution.results_view(
        instrument, scores.scores, scores.norm_version, _lang(), get_translations()
    )
    charts = restitution.charts_for(view, _lang())
    return render_template("profiles/results.html", assignment=assignment, view=view, charts=charts)


# --- restitution report -------------------------------------------------------------------


def _released_report_bilan(bilan_id: int) -> Bilan:
    """The person's own bilan whose report was released to them (403 before release)."""
    bilan = guards.own_bilan(bilan_id)
    access.require(access.can_view_report(current_user, bilan), hide=False)
    return bilan


@bp.get("/bilans/<int:bilan_id>/rapport")
@login_required
def report(bilan_id: int) -> ResponseReturnValue:
    return _report(_released_report_bilan(bilan_id), pdf=False)


@bp.get("/bilans/<int:bilan_id>/rapport.pdf")
@login_required
def report_pdf(bilan_id: int) -> ResponseReturnValue:
    return _report(_released_report_bilan(bilan_id), pdf=True)


def _report(bilan: Bilan, *, pdf: bool) -> ResponseReturnValue:
    return report_page(
        bilan,
        pdf=pdf,
        back=url_for("beneficiary.home"),
        pdf_url=url_for("beneficiary.report_pdf", bilan_id=bilan.id),
    )
