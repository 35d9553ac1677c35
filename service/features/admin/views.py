"""The centre admin's home page. The other admin pages belong to their features
(satisfaction statistics: :mod:`service.features.followup.views_admin`; the centre's bilan
template: :mod:`service.features.record.views_counsellor`)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from service.web import guards
from service.web.blueprints import admin as bp


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    guards.centre_admin()
    return render_template("admin/index.html")
