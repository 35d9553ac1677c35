"""The centre admin's satisfaction statistics (Qualiopi): aggregates only, never a person
(see :mod:`service.features.followup.satisfaction` for what is shown and the small-number
rule). Access: the admins of the centre; counsellors and beneficiaries get a 403,
anonymous visitors the sign-in page."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from service.extensions import db
from service.features.followup import satisfaction
from service.web import guards
from service.web.blueprints import admin as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.responses import download


@bp.get("/satisfaction")
@login_required
def satisfaction_stats() -> ResponseReturnValue:
    centre_id = guards.centre_admin()
    groups = satisfaction.centre_statistics(db.session, centre_id, _instruments(), _lang())
    return render_template(
        "followup/satisfaction.html", groups=groups, small_n=satisfaction.SMALL_N
    )


@bp.get("/satisfaction.csv")
@login_required
def satisfaction_csv() -> ResponseReturnValue:
    centre_id = guards.centre_admin()
    groups = satisfaction.centre_statistics(db.session, centre_id, _instruments(), _lang())
    return download(satisfaction.statistics_csv(groups), "satisfaction-centre.csv")
