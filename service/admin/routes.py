"""The centre admin's pages: index and satisfaction statistics (Qualiopi).

An admin manages the centre, not the content of bilans: these pages show aggregates only
(see :mod:`service.satisfaction` for what is shown and the small-number rule). Access:
:func:`service.access.can_view_centre_statistics` (the admins of the centre); counsellors
and beneficiaries get a 403, anonymous visitors the sign-in page.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from service import access, satisfaction
from service.extensions import db
from service.web import installed_instruments as _instruments
from service.web import request_lang as _lang

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _centre_id() -> int:
    """The admin's own centre, or 403 for anyone who is not one of its admins."""
    centre_id = getattr(current_user, "centre_id", None)
    access.require(
        isinstance(centre_id, int) and access.can_view_centre_statistics(current_user, centre_id),
        hide=False,
    )
    return int(centre_id)  # type: ignore[arg-type]


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    _centre_id()
    return render_template("admin/index.html")


@bp.get("/satisfaction")
@login_required
def satisfaction_stats() -> ResponseReturnValue:
    centre_id = _centre_id()
    groups = satisfaction.centre_statistics(db.session, centre_id, _instruments(), _lang())
    return render_template("admin/satisfaction.html", groups=groups, small_n=satisfaction.SMALL_N)


@bp.get("/satisfaction.csv")
@login_required
def satisfaction_csv() -> ResponseReturnValue:
    centre_id = _centre_id()
    groups = satisfaction.centre_statistics(db.session, centre_id, _instruments(), _lang())
    response = Response(satisfaction.statistics_csv(groups), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="satisfaction-centre.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
