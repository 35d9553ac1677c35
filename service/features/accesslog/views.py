"""The beneficiary's page "Qui a consulté mes données" (read only)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from service import access
from service.extensions import db
from service.features.accesslog import service
from service.web import guards
from service.web.blueprints import beneficiary as bp


@bp.get("/mes-donnees/consultations")
@login_required
def accesses() -> ResponseReturnValue:
    guards.beneficiary_only()
    access.require(access.can_view_access_log(current_user, current_user.id))
    rows = service.accesses_of(db.session, current_user.id)
    return render_template("accesslog/accesses.html", rows=rows)
