"""The centre's team (admins only): invite counsellors and admins by mail, resend an
invitation, deactivate (after handing the running bilans to another counsellor) and
reactivate accounts. Decisions: :mod:`service.access`; work:
:mod:`service.features.accounts.staff`."""

from __future__ import annotations

from typing import cast

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from service import access
from service.extensions import db
from service.features.accounts import staff as staff_accounts
from service.features.admin.forms import DeactivateForm, InviteStaffForm
from service.mail import links, messages
from service.models import StaffUser
from service.web import guards
from service.web.blueprints import admin as bp
from service.web.forms import ActionForm, select_choices
from service.web.inputs import parse_id


def _member(staff_id: int) -> StaffUser:
    """A staff account of the signed-in admin's centre, or 404."""
    guards.centre_admin()
    staff = db.session.get(StaffUser, staff_id)
    access.require(staff is not None and access.can_manage_staff(current_user, staff))
    return cast(StaffUser, staff)


def _send_invitation(staff: StaffUser) -> bool:
    token = staff_accounts.issue_token(db.session, staff, "invite")
    db.session.commit()
    return messages.deliver(
        staff.email,
        lambda: messages.staff_invitation(
            name=staff.name,
            inviter=current_user.name,
            centre=staff.centre.name,
            role=staff_accounts.role_label(staff.role),
            email=staff.email,
            link=links.public_url("auth.staff_password", token=token),
            days=staff_accounts.INVITE_HOURS // 24,
        ),
        what="staff invitation",
    )


def _render_team(form: InviteStaffForm | None = None, status: int = 200) -> ResponseReturnValue:
    centre_id = guards.centre_admin()
    members = staff_accounts.staff_of(db.session, centre_id)
    rows = [
        {
            "staff": m,
            "role": staff_accounts.role_label(m.role),
            "has_password": staff_accounts.has_password(m),
            "bilans": len(staff_accounts.running_bilans(db.session, m)),
            "is_me": m.id == current_user.id,
        }
        for m in members
    ]
    return (
        render_template(
            "admin/team.html",
            rows=rows,
            form=form or InviteStaffForm(),
            action_form=ActionForm(),
        ),
        status,
    )


@bp.get("/equipe")
@login_required
def team() -> ResponseReturnValue:
    return _render_team()


@bp.post("/equipe")
@login_required
def invite_staff() -> ResponseReturnValue:
    centre_id = guards.centre_admin()
    access.require(access.can_invite_staff(current_user, centre_id), hide=False)
    form = InviteStaffForm()
    if not form.validate():
        return _render_team(form, 422)
    try:
        staff = staff_accounts.create_staff(
            db.session,
            centre_id,
            role=form.role.data or "counsellor",
            email=form.email.data or "",
            name=form.name.data or "",
        )
    except staff_accounts.StaffError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None)
        if target is not None:
            target.errors = [*target.errors, str(exc)]
        else:
            flash(str(exc), "error")
        return _render_team(form, 422)
    db.session.commit()
    if _send_invitation(staff):
        flash(_("Invitation envoyée à %(email)s.", email=staff.email), "info")
    else:
        flash(
            _(
                "Le compte de %(name)s est créé, mais l’invitation n’a pas pu être envoyée :"
                " réessayez avec « Renvoyer l’invitation ».",
                name=staff.name,
            ),
            "error",
        )
    return redirect(url_for("admin.team"))


@bp.post("/equipe/<int:staff_id>/invitation")
@login_required
def resend_invitation(staff_id: int) -> ResponseReturnValue:
    staff = _member(staff_id)
    if not staff.active:
        flash(_("Réactivez d’abord ce compte."), "error")
    elif _send_invitation(staff):
        flash(_("Invitation envoyée à %(email)s.", email=staff.email), "info")
    else:
        flash(_("L’invitation n’a pas pu être envoyée (messagerie indisponible)."), "error")
    return redirect(url_for("admin.team"))


def _render_deactivate(
    staff: StaffUser, form: DeactivateForm, status: int = 200
) -> ResponseReturnValue:
    bilans = staff_accounts.running_bilans(db.session, staff)
    form.successor.choices = select_choices(
        [(str(s.id), s.name) for s in staff_accounts.successors(db.session, staff)]
    )
    return render_template("admin/deactivate.html", staff=staff, bilans=bilans, form=form), status


@bp.route("/equipe/<int:staff_id>/desactiver", methods=["GET", "POST"])
@login_required
def deactivate_staff(staff_id: int) -> ResponseReturnValue:
    staff = _member(staff_id)
    form = DeactivateForm()
    if request.method == "GET":
        return _render_deactivate(staff, form)
    raw = form.successor.data or ""
    successor = db.session.get(StaffUser, number) if (number := parse_id(raw)) else None
    if successor is not None and not access.can_manage_staff(current_user, successor):
        successor = None
    try:
        moved = staff_accounts.deactivate(db.session, staff, by=current_user, successor=successor)
    except staff_accounts.StaffError as exc:
        db.session.rollback()
        form.successor.errors = [str(exc)]
        return _render_deactivate(staff, form, 422 if exc.field else 409)
    db.session.commit()
    flash(_("Le compte de %(name)s est désactivé.", name=staff.name), "info")
    if moved and successor is not None:
        flash(
            ngettext(
                "Son bilan en cours est désormais suivi par %(other)s.",
                "Ses %(num)d bilans en cours sont désormais suivis par %(other)s.",
                moved,
                other=successor.name,
            ),
            "info",
        )
    return redirect(url_for("admin.team"))


@bp.post("/equipe/<int:staff_id>/reactiver")
@login_required
def reactivate_staff(staff_id: int) -> ResponseReturnValue:
    staff = _member(staff_id)
    try:
        staff_accounts.reactivate(staff)
    except staff_accounts.StaffError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.team"))
    db.session.commit()
    flash(_("Le compte de %(name)s est de nouveau actif.", name=staff.name), "info")
    return redirect(url_for("admin.team"))
