"""The counsellor's notices and the staff account page (``/mon-compte``): dismiss a
"nouveau" notice of the dashboard; see one's account and choose whether completed
questionnaires are also mailed. Decisions: :mod:`service.access`; work:
:mod:`service.features.notices.service`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import access
from service.extensions import db
from service.features.notices import service as notices
from service.features.notices.forms import NotificationForm
from service.web import guards
from service.web.blueprints import auth as auth_bp
from service.web.blueprints import counsellor as bp
from service.web.redirects import safe_next


@bp.post("/nouveautes/<int:notice_id>/vu")
@login_required
def dismiss_notice(notice_id: int) -> ResponseReturnValue:
    """Mark one "nouveau" notice as seen (it leaves the dashboard)."""
    guards.staff_only()
    access.require(notices.dismiss(db.session, current_user, notice_id))
    db.session.commit()
    flash(_("La nouveauté est marquée comme vue."), "info")
    return redirect(safe_next(request.form.get("next")) or url_for("counsellor.dashboard"))


@auth_bp.route("/mon-compte", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    """The signed-in staff member's own account: who they are, mail preference."""
    guards.staff_only()
    access.require(access.can_edit_own_preferences(current_user), hide=False)
    form = NotificationForm(
        formdata=request.form if request.method == "POST" else None,
        notify_completions=current_user.notify_completions,
    )
    if request.method == "POST":
        if not form.validate():  # only the CSRF token can be wrong
            return render_template("notices/account.html", form=form), 400
        notices.set_mail_preference(current_user, bool(form.notify_completions.data))
        db.session.commit()
        flash(
            _("Vous recevrez un e-mail à chaque questionnaire terminé.")
            if current_user.notify_completions
            else _("Vous ne recevrez plus d’e-mail quand un questionnaire est terminé."),
            "info",
        )
        return redirect(url_for("auth.account"))
    return render_template("notices/account.html", form=form)
