"""Sign-in: staff and beneficiary login, invitation links, logout."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from service.auth.forms import LoginForm
from service.extensions import db
from service.invitations import InvitationError, redeem_invitation
from service.models import Beneficiary, StaffUser
from service.security import verify_password

bp = Blueprint("auth", __name__)


@bp.route("/connexion", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Counsellors, admins and beneficiaries who set a password sign in here."""
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        password = form.password.data or ""
        staff = db.session.scalars(
            select(StaffUser).where(func.lower(StaffUser.email) == email)
        ).first()
        if staff is not None and staff.active and verify_password(staff.password_hash, password):
            login_user(staff)
            return redirect(url_for("counsellor.dashboard"))
        person = db.session.scalars(
            select(Beneficiary).where(func.lower(Beneficiary.email) == email)
        ).first()
        if person is not None and verify_password(person.password_hash, password):
            login_user(person)
            return redirect(url_for("beneficiary.home"))
        flash(_("Adresse e-mail ou mot de passe incorrect."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.get("/invitation/<token>")
def invitation(token: str) -> ResponseReturnValue:
    """An invitation link: single use, expiring; opens the beneficiary's session."""
    try:
        person = redeem_invitation(db.session, token)
    except InvitationError as exc:
        db.session.rollback()
        return render_template("auth/invitation_invalid.html", reason=exc.reason), 410 if (
            exc.reason in ("used", "expired")
        ) else 404
    db.session.commit()
    login_user(person)
    return redirect(url_for("beneficiary.home"))


@bp.post("/deconnexion")
def logout() -> Response:
    logout_user()
    flash(_("Vous êtes déconnecté·e."), "info")
    return redirect(url_for("public.index"))
