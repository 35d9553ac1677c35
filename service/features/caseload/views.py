"""The counsellor's workspace: caseload, bilans, questionnaires, profiles, notes, reports,
exports.

Thin routes: load the records, check access with :mod:`service.access` (a bilan the
counsellor does not follow is a 404, as if it did not exist), call one function of
:mod:`service.features.caseload.service` or :mod:`service.features.profiles.service`, render or
redirect. Every view or
export of results is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import access, dates
from service.audit import audit
from service.extensions import db
from service.features.accounts.invitations import create_invitation
from service.features.caseload import service as workspace
from service.features.caseload.forms import (
    AssignForm,
    BeneficiaryForm,
    DashboardFilters,
    NewBilanForm,
    NextInterviewForm,
)
from service.features.journey import service as journey
from service.features.notices import service as notices
from service.features.profiles import service as restitution
from service.features.profiles.forms import CommentForm, NoteForm
from service.features.profiles.pages import render_profile
from service.mail import links, messages
from service.models import Assignment, Bilan
from service.web import guards
from service.web.blueprints import counsellor as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.forms import ActionForm, select_choices
from service.web.inputs import parse_id
from service.web.responses import download

# --- helpers ------------------------------------------------------------------------------


def _invitation_link(token: str) -> str:
    """The invitation link to show and mail (built from ``PUBLIC_URL``, never from the
    request's Host header); in production without ``PUBLIC_URL``, the path alone, with a
    message for the administration."""
    try:
        return links.public_url("auth.invitation", token=token)
    except links.LinkUnavailable:
        current_app.logger.error("invitation link: set PUBLIC_URL in production")
        flash(
            _(
                "L’adresse publique du site n’est pas configurée (PUBLIC_URL) : prévenez"
                " l’administration."
            ),
            "error",
        )
        return url_for("auth.invitation", token=token)


def _send_link(bilan: Bilan, token: str) -> bool:
    """Mail the invitation when an address is on record; False (with a message) otherwise.
    The mailed link starts with ``PUBLIC_URL`` whatever the request's Host header says."""
    person = bilan.beneficiary
    if not person.email:
        return False
    sent = messages.deliver(
        person.email,
        lambda: messages.invitation(
            lang=person.language,
            name=person.first_name,
            link=links.public_url("auth.invitation", token=token),
            days=current_app.config["INVITATION_DAYS"],
        ),
        what="invitation mail",
    )
    if not sent:
        flash(_("Le message n’a pas pu être envoyé : copiez le lien ci-dessous."), "error")
        return False
    return True


def _render_bilan(
    bilan: Bilan, *, link: str | None = None, status: int = 200, **forms: Any
) -> ResponseReturnValue:
    instruments = _instruments()
    row = workspace.caseload(db.session, [bilan], instruments, _lang())[0]
    news = notices.notices_for(db.session, current_user, instruments, _lang())
    assign_form = forms.get("assign_form") or _assign_form()
    return (
        render_template(
            "caseload/bilan.html",
            bilan=bilan,
            row=row,
            new_ids={n.assignment_id for n in news if n.bilan_id == bilan.id},
            link=link,
            assign_form=assign_form,
            note_form=forms.get("note_form") or NoteForm(),
            comment_form=forms.get("comment_form") or CommentForm(comment=bilan.report_comment),
            interview_form=forms.get("interview_form")
            or NextInterviewForm(next_interview_at=dates.to_form(bilan.next_interview_at)),
            action_form=ActionForm(),
            notes=restitution.notes_of(db.session, bilan),
        ),
        status,
    )


def _assign_form(formdata: Any = None) -> AssignForm:
    form = AssignForm(formdata=formdata) if formdata is not None else AssignForm()
    lang = _lang()
    form.instrument.choices = select_choices(
        [
            (inst.id, f"{inst.name.get(lang)} ({round(inst.minutes)} min)")
            for inst in sorted(_instruments().values(), key=lambda i: i.name.get(lang))
            # not archived versions, nor what the end of the bilan and the follow-up assign
            if inst.administered_in_bilan and not inst.anonymous
        ]
    )
    return form


# --- caseload -----------------------------------------------------------------------------


def _filters_form(counsellors: list[tuple[int, str]]) -> DashboardFilters:
    form = DashboardFilters(request.args)
    form.statut.choices = select_choices(
        [
            ("", _("Tous")),
            ("en-cours", _("En cours (les trois phases)")),
            ("termine", _("Terminés ou en suivi")),
            ("clos", _("Clos")),
        ]
    )
    form.phase.choices = select_choices(
        [("", _("Toutes")), *((p.value, p.label) for p in workspace.PHASES)]
    )
    form.conseiller.choices = select_choices(
        [("", _("Tous et toutes")), *((str(cid), name) for cid, name in counsellors)]
    )
    return form


def _read_filters(form: DashboardFilters) -> tuple[workspace.Filters, list[str]]:
    """The valid filters of the query string, and a message for each one ignored."""
    form.validate()
    ignored = [
        _("Filtre « %(field)s » ignoré : %(error)s", field=f.label.text, error=" ".join(f.errors))
        if f.name == "q"
        else _(
            "Filtre « %(field)s » ignoré : cette valeur n’est pas dans la liste.",
            field=f.label.text,
        )
        for f in form
        if f.errors
    ]

    def value(field: Any) -> str:
        return "" if field.errors else str(field.data or "")

    counsellor = value(form.conseiller)
    return (
        workspace.Filters(
            name=value(form.q),
            state=value(form.statut),
            phase=value(form.phase),
            counsellor=int(counsellor) if counsellor else None,
        ),
        ignored,
    )


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    guards.staff_only()
    bilans = workspace.my_bilans(db.session, current_user)
    everything = workspace.caseload(db.session, bilans, _instruments(), _lang())
    counsellors = workspace.visible_counsellors(everything)
    form = _filters_form(counsellors)
    filters, ignored = _read_filters(form)
    rows = workspace.filter_rows(everything, filters)
    news = notices.notices_for(db.session, current_user, _instruments(), _lang())
    return render_template(
        "caseload/dashboard.html",
        rows=rows,
        total=len(everything),
        filters=filters,
        filter_form=form,
        ignored=ignored,
        several_counsellors=len(counsellors) > 1,
        notices=news,
        new_ids={n.assignment_id: n.id for n in news},
        action_form=ActionForm(),
        can_create=access.can_create_bilan(current_user),
        can_export=access.can_export_caseload(current_user) and bool(everything),
    )


@bp.route("/bilans/nouveau", methods=["GET", "POST"])
@login_required
def new_bilan() -> ResponseReturnValue:
    guards.staff_only()
    access.require(access.can_create_bilan(current_user), hide=False)
    form = NewBilanForm()
    if form.validate_on_submit():
        try:
            bilan = workspace.create_bilan(
                db.session,
                current_user,
                first_name=form.first_name.data or "",
                last_name=form.last_name.data or "",
                email=form.email.data,
                language=form.language.data or "fr",
                title=form.title.data or "",
                next_interview_at=dates.from_form(form.next_interview_at.data),
                start_date=form.start_date.data,
            )
        except workspace.WorkspaceError as exc:
            db.session.rollback()
            form.email.errors = [str(exc)]
            return render_template("caseload/new_bilan.html", form=form), 422
        token = create_invitation(
            db.session, bilan.beneficiary, days=current_app.config["INVITATION_DAYS"]
        )
        db.session.commit()
        link = _invitation_link(token)
        flash(_("Le bilan de %(name)s est créé.", name=bilan.beneficiary.display_name), "info")
        if bilan.beneficiary.email and _send_link(bilan, token):
            flash(_("Le lien a été envoyé à %(email)s.", email=bilan.beneficiary.email), "info")
        return _render_bilan(bilan, link=link, status=201)
    status = 422 if request.method == "POST" else 200
    return render_template("caseload/new_bilan.html", form=form), status


@bp.get("/bilans/<int:bilan_id>")
@login_required
def bilan(bilan_id: int) -> ResponseReturnValue:
    return _render_bilan(guards.managed_bilan(bilan_id))


@bp.route("/bilans/<int:bilan_id>/personne", methods=["GET", "POST"])
@login_required
def edit_beneficiary(bilan_id: int) -> ResponseReturnValue:
    """Correct the person's name, e-mail address or language."""
    bilan = guards.managed_bilan(bilan_id)
    person = bilan.beneficiary
    form = BeneficiaryForm(obj=person) if request.method == "GET" else BeneficiaryForm()
    if form.validate_on_submit():
        try:
            workspace.update_beneficiary(
                db.session,
                person,
                first_name=form.first_name.data or "",
                last_name=form.last_name.data or "",
                email=form.email.data,
                language=form.language.data or "fr",
            )
        except workspace.WorkspaceError as exc:
            db.session.rollback()
            form.email.errors = [str(exc)]
        else:
            db.session.commit()
            flash(
                _("Les coordonnées de %(name)s sont enregistrées.", name=person.display_name),
                "info",
            )
            return redirect(url_for("counsellor.bilan", bilan_id=bilan.id))
    status = 422 if request.method == "POST" else 200
    return render_template("caseload/beneficiary.html", bilan=bilan, form=form), status


@bp.post("/bilans/<int:bilan_id>/lien")
@login_required
def new_link(bilan_id: int) -> ResponseReturnValue:
    """A new invitation link for the beneficiary (shown once; mailed if asked)."""
    bilan = guards.managed_bilan(bilan_id)
    token = create_invitation(
        db.session, bilan.beneficiary, days=current_app.config["INVITATION_DAYS"]
    )
    db.session.commit()
    link = _invitation_link(token)
    if request.form.get("send") == "1":
        if _send_link(bilan, token):
            flash(_("Le lien a été envoyé à %(email)s.", email=bilan.beneficiary.email), "info")
        elif not bilan.beneficiary.email:
            flash(_("Aucune adresse e-mail connue : copiez le lien ci-dessous."), "info")
    return _render_bilan(bilan, link=link)


@bp.post("/bilans/<int:bilan_id>/questionnaires")
@login_required
def assign(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.managed_bilan(bilan_id)
    form = _assign_form(request.form)
    if not form.validate():
        return _render_bilan(bilan, assign_form=form, status=422)
    instrument = _instruments().get(form.instrument.data or "")
    if instrument is None:  # pragma: no cover - the select refuses unknown choices
        form.instrument.errors = [_("Questionnaire inconnu.")]
        return _render_bilan(bilan, assign_form=form, status=422)
    try:
        journey.assign(
            db.session,
            bilan,
            instrument,
            language=form.language.data or "fr",
            show_results_now=bool(form.show_results_now.data),
        )
    except journey.AssignmentRefused as exc:
        db.session.rollback()
        form.instrument.errors = [str(exc)]
        return _render_bilan(bilan, assign_form=form, status=422)
    db.session.commit()
    flash(_("« %(name)s » est assigné.", name=instrument.name.get(_lang())), "info")
    return redirect(url_for("counsellor.bilan", bilan_id=bilan.id))


@bp.post("/bilans/<int:bilan_id>/entretien")
@login_required
def next_interview(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.managed_bilan(bilan_id)
    form = NextInterviewForm()
    if not form.validate():
        return _render_bilan(bilan, interview_form=form, status=422)
    bilan.next_interview_at = dates.from_form(form.next_interview_at.data)
    db.session.commit()
    flash(_("Date du prochain entretien enregistrée."), "info")
    return redirect(url_for("counsellor.bilan", bilan_id=bilan.id))


@bp.post("/bilans/<int:bilan_id>/notes")
@login_required
def add_note(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.managed_bilan(bilan_id)
    access.require(access.can_read_notes(current_user, bilan))
    assignment = None
    raw = request.form.get("assignment_id", "")
    if raw:
        found = db.session.get(Assignment, number) if (number := parse_id(raw)) else None
        access.require(found is not None and found.bilan_id == bilan.id)
        assignment = found
    form = NoteForm()
    if not form.validate():
        if assignment is not None:
            return render_profile(assignment, note_form=form, status=422)
        return _render_bilan(bilan, note_form=form, status=422)
    restitution.add_note(
        db.session, bilan, current_user, form.text.data or "", assignment=assignment
    )
    db.session.commit()
    flash(_("Note enregistrée."), "info")
    if assignment is not None:
        return redirect(url_for("counsellor.profile", assignment_id=assignment.id) + "#notes")
    return redirect(url_for("counsellor.bilan", bilan_id=bilan.id) + "#notes")


@bp.post("/bilans/<int:bilan_id>/commentaire")
@login_required
def bilan_comment(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.managed_bilan(bilan_id)
    form = CommentForm()
    if not form.validate():
        return _render_bilan(bilan, comment_form=form, status=422)
    bilan.report_comment = (form.comment.data or "").strip() or None
    db.session.commit()
    flash(_("Commentaire du rapport enregistré."), "info")
    return redirect(url_for("counsellor.bilan", bilan_id=bilan.id))


# --- questionnaires -----------------------------------------------------------------------


def _action(assignment: Assignment, change: Any, done: str) -> ResponseReturnValue:
    try:
        change()
    except workspace.WorkspaceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_bilan(assignment.bilan, status=409)
    db.session.commit()
    flash(done, "info")
    return redirect(url_for("counsellor.bilan", bilan_id=assignment.bilan_id))


@bp.post("/questionnaires/<int:assignment_id>/relance")
@login_required
def remind(assignment_id: int) -> ResponseReturnValue:
    assignment = guards.managed_assignment(assignment_id)
    bilan = assignment.bilan
    person = bilan.beneficiary
    if assignment.is_completed:
        flash(_("Ce questionnaire est déjà terminé : pas de relance."), "error")
        return redirect(url_for("counsellor.bilan", bilan_id=bilan.id))
    if not person.email:
        flash(
            _(
                "Aucune adresse e-mail connue pour %(name)s : créez un nouveau lien et"
                " transmettez-le.",
                name=person.display_name,
            ),
            "error",
        )
        return redirect(url_for("counsellor.bilan", bilan_id=bilan.id))
    inst = journey.instrument_for(_instruments(), assignment)
    name = inst.name.get(person.language) if inst is not None else assignment.instrument_id
    sent = messages.deliver(
        person.email,
        lambda: messages.reminder(
            lang=person.language,
            name=person.first_name,
            questionnaire=name,
            link=links.public_url("auth.login"),
        ),
        what="reminder",
    )
    if not sent:
        flash(_("La relance n’a pas pu être envoyée (messagerie indisponible)."), "error")
        return redirect(url_for("counsellor.bilan", bilan_id=bilan.id))
    return _action(
        assignment,
        lambda: workspace.remind(assignment),
        _("Relance envoyée à %(email)s.", email=person.email),
    )


@bp.post("/questionnaires/<int:assignment_id>/reouverture")
@login_required
def reopen(assignment_id: int) -> ResponseReturnValue:
    assignment = guards.managed_assignment(assignment_id)
    return _action(
        assignment,
        lambda: workspace.reopen(db.session, assignment, _instruments()),
        _(
            "Le questionnaire est rouvert : la personne peut modifier ses réponses ; il sera"
            " de nouveau calculé quand elle le terminera."
        ),
    )


@bp.post("/questionnaires/<int:assignment_id>/diffusion")
@login_required
def release(assignment_id: int) -> ResponseReturnValue:
    assignment = guards.managed_assignment(assignment_id)
    show = request.form.get("show") == "1"
    if show and not assignment.is_completed:
        flash(
            _("Les résultats ne peuvent être montrés qu’une fois le questionnaire terminé."),
            "error",
        )
        return redirect(url_for("counsellor.bilan", bilan_id=assignment.bilan_id))
    return _action(
        assignment,
        lambda: workspace.set_released(assignment, show),
        _("Les résultats sont maintenant visibles par la personne.")
        if show
        else _("Les résultats ne sont plus visibles par la personne."),
    )


@bp.get("/portefeuille.<fmt>")
@login_required
def export_caseload(fmt: str) -> ResponseReturnValue:
    guards.staff_only()
    access.require(access.can_export_caseload(current_user), hide=False)
    access.require(fmt in ("csv", "xlsx"))
    bilans = workspace.my_bilans(db.session, current_user)
    data = restitution.export_caseload(
        db.session, bilans, _instruments(), _lang(), fmt, get_translations()
    )
    audit(db.session, current_user, f"export_caseload_{fmt}")
    db.session.commit()
    return download(data, f"portefeuille.{fmt}")
