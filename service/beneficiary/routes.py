"""The beneficiary's journey: home, consent, questionnaires, autosave, results."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from service import access

bp = Blueprint("beneficiary", __name__, url_prefix="/espace")


@bp.get("/")
@login_required
def home() -> str:
    access.require(access.is_beneficiary(current_user), hide=False)
    return render_template("beneficiary/home.html", bilans=current_user.bilans)
