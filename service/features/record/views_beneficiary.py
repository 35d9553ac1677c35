"""Beneficiary route of the bilan record: the calendar of planned interviews (.ics).

The beneficiary's calendar holds dates and generic titles only ("Entretien de bilan de
compétences"): no step name, objective or note.
"""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from service import access
from service.extensions import db
from service.features.record import service as record
from service.web import guards
from service.web.blueprints import beneficiary as bp
from service.web.responses import download


@bp.get("/bilans/<int:bilan_id>/calendrier.ics")
@login_required
def download_calendar(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.own_bilan(bilan_id)
    access.require(access.can_download_calendar(current_user, bilan))
    data = record.calendar_ics(db.session, bilan, audience="beneficiary")
    return download(data, "mon-bilan.ics")
