"""The centre's activity page (admins of the centre only): bilans by status and by
counsellor, hours per month, questionnaire completion rates. Decision:
:func:`service.access.can_view_centre_activity`; figures:
:mod:`service.features.admin.activity`."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_login import current_user, login_required

from service import access
from service.extensions import db
from service.features.admin import activity as centre
from service.web import guards
from service.web.blueprints import admin as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang


@bp.get("/activite")
@login_required
def activity() -> ResponseReturnValue:
    guards.staff_only()
    centre_id = int(current_user.centre_id)
    access.require(access.can_view_centre_activity(current_user, centre_id), hide=False)
    figures = centre.centre_activity(db.session, centre_id, _instruments(), _lang())
    return render_template(
        "admin/activity.html",
        activity=figures,
        summary=centre.summary(figures),
        months=centre.MONTHS,
        number=format_decimal,
    )
