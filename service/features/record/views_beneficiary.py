"""Beneficiary route of the bilan record: the calendar of planned interviews (.ics).

The beneficiary's calendar holds dates and generic titles only ("Entretien de bilan de
compétences"): no step name, objective or note. Registered by one import line at the end
of ``service/beneficiary/routes.py``.
"""

from __future__ import annotations

from typing import cast

from flask import Response
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from service import access
from service.extensions import db
from service.features.record import service as record
from service.models import Bilan
from service.web import guards
from service.web.blueprints import beneficiary as bp


@bp.get("/bilans/<int:bilan_id>/calendrier.ics")
@login_required
def download_calendar(bilan_id: int) -> ResponseReturnValue:
    guards.beneficiary_only()
    bilan = db.session.get(Bilan, bilan_id)
    access.require(bilan is not None and access.can_download_calendar(current_user, bilan))
    data = record.calendar_ics(db.session, cast(Bilan, bilan), audience="beneficiary")
    response = Response(data, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="mon-bilan.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response
