"""The counsellor's workspace (issue 5 builds it out): for now, the list of bilans."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from service import access
from service.extensions import db
from service.models import Bilan, bilan_counsellor

bp = Blueprint("counsellor", __name__, url_prefix="/conseil")


@bp.get("/")
@login_required
def dashboard() -> str:
    access.require(access.is_staff(current_user), hide=False)
    bilans = db.session.scalars(
        select(Bilan)
        .join(bilan_counsellor)
        .where(bilan_counsellor.c.staff_user_id == current_user.id)
        .order_by(Bilan.id)
    ).all()
    return render_template("counsellor/dashboard.html", bilans=bilans)
