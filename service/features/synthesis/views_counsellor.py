"""The counsellor's pages of the document de synthèse and of the action plan.

Thin routes on the ``counsellor`` blueprint: load the bilan (404 unless the counsellor
follows it), check :func:`service.access.can_edit_synthesis`, call one function of
:mod:`service.features.synthesis.service`, commit, redirect. A refused change (document approved,
bad
input) re-renders the page with the reason and a 409 or 422. Every view and download of
the document or of the results offered for it is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required

from reports import synthesis as documents
from service import access
from service.audit import audit
from service.extensions import db
from service.features.journey import service as journey
from service.features.synthesis import service as synthesis
from service.features.synthesis.forms import ActionItemForm, FollowupForm, SynthesisForm
from service.models import Assignment, Bilan
from service.web import guards
from service.web.blueprints import counsellor as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.forms import ActionForm
from service.web.headers import csp_nonce
from service.web.inputs import parse_id
from service.web.responses import pdf_download


def _editable(bilan_id: int) -> Bilan:
    bilan = guards.managed_bilan(bilan_id)
    access.require(access.can_edit_synthesis(current_user, bilan))
    return bilan


# --- the document -------------------------------------------------------------------------


def _render_synthesis(
    bilan: Bilan,
    *,
    form: SynthesisForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    rows = synthesis.versions(db.session, bilan)
    current = rows[0] if rows else None
    locked = synthesis.approved(db.session, bilan)
    if form is None:
        form = SynthesisForm(
            formdata=None,
            data={k: getattr(current, k) for k in synthesis.SECTION_KEYS} if current else None,
        )
    items = synthesis.result_items(db.session, bilan)
    return (
        render_template(
            "synthesis/synthesis.html",
            bilan=bilan,
            form=form,
            error=error,
            versions=rows,
            current=current,
            locked=locked,
            can_share=locked is None and current is not None and current.shared_at is None,
            status_of=synthesis.version_status,
            authors=synthesis.authors(db.session, rows),
            items=items,
            item_names=item_names(bilan, items),
            withheld=not access.results_processable(bilan),
            action_form=ActionForm(),
        ),
        status,
    )


def item_names(bilan: Bilan, items: list[Any]) -> dict[int, tuple[str, str]]:
    """(questionnaire, element) names of proposed items, without drawing any result."""
    instruments, lang, tr = _instruments(), _lang(), get_translations()
    names = {}
    for a in bilan.assignments:
        inst = journey.instrument_for(instruments, a)
        names[a.id] = inst.name.get(lang) if inst is not None else a.instrument_id
    out = {
        i.id: (names.get(i.assignment_id, ""), documents.element_label(i.element, tr, lang))
        for i in items
        if i.assignment_id is not None
    }
    if len(out) < len(items):
        groups = {p.element: p.group for p in synthesis.portfolio_proposables(db.session, bilan)}
        for i in items:
            if i.assignment_id is None and i.element in groups:
                out[i.id] = (_("Portefeuille de compétences"), groups[i.element].questionnaire)
            elif i.assignment_id is None:
                out[i.id] = (_("Portefeuille de compétences"), i.element)
    return out


@bp.get("/bilans/<int:bilan_id>/synthese", endpoint="synthesis")
@login_required
def synthesis_page(bilan_id: int) -> ResponseReturnValue:
    return _render_synthesis(_editable(bilan_id))


@bp.post("/bilans/<int:bilan_id>/synthese")
@login_required
def save_synthesis(bilan_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    form = SynthesisForm()
    if not form.validate():
        return _render_synthesis(bilan, form=form, status=422)
    try:
        version, created = synthesis.save_draft(
            db.session,
            bilan,
            current_user,
            {key: getattr(form, key).data for key in synthesis.SECTION_KEYS},
        )
    except synthesis.SynthesisError as exc:
        db.session.rollback()
        return _render_synthesis(bilan, form=form, error=str(exc), status=exc.status)
    db.session.commit()
    if created:
        flash(_("Version %(n)s enregistrée (brouillon non partagé).", n=version.version), "info")
    else:
        flash(_("Brouillon enregistré (version %(n)s).", n=version.version), "info")
    return redirect(url_for("counsellor.synthesis", bilan_id=bilan.id))


@bp.post("/bilans/<int:bilan_id>/synthese/partage")
@login_required
def share_synthesis(bilan_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    try:
        version = synthesis.share(db.session, bilan)
    except synthesis.SynthesisError as exc:
        db.session.rollback()
        return _render_synthesis(bilan, error=str(exc), status=exc.status)
    db.session.commit()
    flash(
        _(
            "La version %(n)s est partagée : la personne peut la lire, ajouter ses observations"
            " et l’approuver depuis son espace.",
            n=version.version,
        ),
        "info",
    )
    return redirect(url_for("counsellor.synthesis", bilan_id=bilan.id))


def _document(bilan: Bilan, *, png: bool = False) -> documents.SynthesisDocument | None:
    version = synthesis.document_version(db.session, bilan, audience="counsellor")
    if version is None:
        return None
    access.require(access.can_read_synthesis(current_user, bilan, version))
    return synthesis.build_document(
        db.session, bilan, version, _instruments(), _lang(), get_translations(), png=png
    )


@bp.get("/bilans/<int:bilan_id>/synthese/document")
@login_required
def synthesis_document(bilan_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    document = _document(bilan)
    if document is None:
        flash(_("Rédigez d’abord le document de synthèse."), "info")
        return redirect(url_for("counsellor.synthesis", bilan_id=bilan.id))
    html = documents.render_html(
        document,
        translations=get_translations(),
        links={
            "back": url_for("counsellor.synthesis", bilan_id=bilan.id),
            "pdf": url_for("counsellor.export_synthesis", bilan_id=bilan.id, fmt="pdf"),
            "docx": url_for("counsellor.export_synthesis", bilan_id=bilan.id, fmt="docx"),
        },
        nonce=csp_nonce(),
    )
    audit(db.session, current_user, "view_synthesis", bilan_id=bilan.id)
    db.session.commit()
    return Response(html, mimetype="text/html")


@bp.get("/bilans/<int:bilan_id>/synthese.<fmt>")
@login_required
def export_synthesis(bilan_id: int, fmt: str) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    access.require(fmt in synthesis.EXPORT_FORMATS)
    document = _document(bilan, png=fmt == "docx")
    if document is None:
        flash(_("Rédigez d’abord le document de synthèse."), "info")
        return redirect(url_for("counsellor.synthesis", bilan_id=bilan.id))
    tr = get_translations()
    name = synthesis.filename(bilan, document, fmt)
    response = pdf_download(lambda: synthesis.export(document, fmt, tr), name)
    if response.status_code == 200:
        audit(db.session, current_user, f"synthesis_{fmt}", bilan_id=bilan.id)
        db.session.commit()
    return response


# --- results proposed for the synthesis ---------------------------------------------------


def _render_results(
    bilan: Bilan, *, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    rows = synthesis.proposables(db.session, bilan, _instruments(), _lang(), get_translations())
    audit(db.session, current_user, "view_synthesis_results", bilan_id=bilan.id)
    db.session.commit()
    return (
        render_template(
            "synthesis/results.html",
            bilan=bilan,
            rows=rows,
            error=error,
            locked=synthesis.approved(db.session, bilan),
            released=access.results_released,
            from_portfolio=synthesis.portfolio_proposables(db.session, bilan),
            action_form=ActionForm(),
        ),
        status,
    )


@bp.get("/bilans/<int:bilan_id>/synthese/resultats")
@login_required
def synthesis_results(bilan_id: int) -> ResponseReturnValue:
    return _render_results(_editable(bilan_id))


@bp.post("/bilans/<int:bilan_id>/synthese/resultats")
@login_required
def propose_result(bilan_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    raw = request.form.get("assignment_id", "")
    assignment = db.session.get(Assignment, number) if (number := parse_id(raw)) else None
    access.require(assignment is not None and assignment.bilan_id == bilan.id)
    element = request.form.get("element", "")
    try:
        synthesis.propose(
            db.session,
            bilan,
            assignment,  # type: ignore[arg-type]  # checked just above
            element,
            _instruments(),
            _lang(),
            get_translations(),
        )
    except synthesis.SynthesisError as exc:
        db.session.rollback()
        return _render_results(bilan, error=str(exc), status=exc.status)
    db.session.commit()
    flash(_("Élément proposé : la personne l’acceptera ou le refusera depuis son espace."), "info")
    anchor = f"#a{raw}-{element.replace(':', '-')}"
    return redirect(url_for("counsellor.synthesis_results", bilan_id=bilan.id) + anchor)


@bp.post("/bilans/<int:bilan_id>/synthese/portefeuille")
@login_required
def propose_portfolio_result(bilan_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    element = request.form.get("element", "")
    try:
        synthesis.propose_portfolio(db.session, bilan, element)
    except synthesis.SynthesisError as exc:
        db.session.rollback()
        return _render_results(bilan, error=str(exc), status=exc.status)
    db.session.commit()
    flash(_("Élément proposé : la personne l’acceptera ou le refusera depuis son espace."), "info")
    return redirect(url_for("counsellor.synthesis_results", bilan_id=bilan.id) + "#portefeuille")


@bp.post("/bilans/<int:bilan_id>/synthese/resultats/<int:item_id>/retrait")
@login_required
def withdraw_result(bilan_id: int, item_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    try:
        synthesis.withdraw(db.session, bilan, item_id)
    except LookupError:
        db.session.rollback()
        access.require(False)
    except synthesis.SynthesisError as exc:
        db.session.rollback()
        return _render_results(bilan, error=str(exc), status=exc.status)
    db.session.commit()
    flash(_("Proposition retirée."), "info")
    return redirect(url_for("counsellor.synthesis_results", bilan_id=bilan.id))


# --- action plan --------------------------------------------------------------------------


def _render_plan(
    bilan: Bilan,
    *,
    form: ActionItemForm | None = None,
    followup_form: FollowupForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "synthesis/action_plan.html",
            bilan=bilan,
            actions=synthesis.actions_of(db.session, bilan),
            labels=documents.action_status_labels(get_translations(), _lang()),
            form=form or ActionItemForm(formdata=None),
            followup_form=followup_form
            or FollowupForm(formdata=None, data={"followup_date": bilan.followup_date}),
            default_followup=synthesis.default_followup(bilan),
            action_form=ActionForm(),
        ),
        status,
    )


@bp.get("/bilans/<int:bilan_id>/plan-action")
@login_required
def action_plan(bilan_id: int) -> ResponseReturnValue:
    return _render_plan(_editable(bilan_id))


@bp.post("/bilans/<int:bilan_id>/plan-action")
@login_required
def add_action(bilan_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    form = ActionItemForm()
    if not form.validate():
        return _render_plan(bilan, form=form, status=422)
    try:
        synthesis.add_action(
            db.session,
            bilan,
            text=form.text.data or "",
            owner=form.owner.data,
            due_on=form.due_on.data,
            status=form.status.data or "a_faire",
        )
    except synthesis.SynthesisError as exc:
        db.session.rollback()
        form.text.errors = [str(exc)]
        return _render_plan(bilan, form=form, status=exc.status)
    db.session.commit()
    flash(_("Action ajoutée au plan."), "info")
    return redirect(url_for("counsellor.action_plan", bilan_id=bilan.id))


def _action_id(bilan: Bilan, action_id: int) -> int:
    try:
        synthesis.action(db.session, bilan, action_id)
    except LookupError:
        access.require(False)
    return action_id


@bp.route("/bilans/<int:bilan_id>/plan-action/<int:action_id>", methods=["GET", "POST"])
@login_required
def edit_action(bilan_id: int, action_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    item = synthesis.action(db.session, bilan, _action_id(bilan, action_id))
    if request.method == "GET":
        form = ActionItemForm(formdata=None, obj=item)
        return render_template("synthesis/action_edit.html", bilan=bilan, item=item, form=form)
    form = ActionItemForm()
    if form.validate():
        try:
            synthesis.update_action(
                db.session,
                bilan,
                item.id,
                text=form.text.data or "",
                owner=form.owner.data,
                due_on=form.due_on.data,
                status=form.status.data or "a_faire",
            )
        except synthesis.SynthesisError as exc:
            db.session.rollback()
            form.text.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Action modifiée."), "info")
            return redirect(url_for("counsellor.action_plan", bilan_id=bilan.id))
    return (
        render_template("synthesis/action_edit.html", bilan=bilan, item=item, form=form),
        422,
    )


@bp.post("/bilans/<int:bilan_id>/plan-action/<int:action_id>/suppression")
@login_required
def delete_action(bilan_id: int, action_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    synthesis.delete_action(db.session, bilan, _action_id(bilan, action_id))
    db.session.commit()
    flash(_("Action supprimée du plan."), "info")
    return redirect(url_for("counsellor.action_plan", bilan_id=bilan.id))


@bp.post("/bilans/<int:bilan_id>/plan-action/<int:action_id>/deplacement")
@login_required
def move_action(bilan_id: int, action_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    synthesis.move_action(db.session, bilan, _action_id(bilan, action_id), offset)
    db.session.commit()
    return redirect(url_for("counsellor.action_plan", bilan_id=bilan.id) + f"#action-{action_id}")


@bp.post("/bilans/<int:bilan_id>/plan-action/suivi")
@login_required
def set_followup(bilan_id: int) -> ResponseReturnValue:
    bilan = _editable(bilan_id)
    form = FollowupForm()
    if not form.validate():
        return _render_plan(bilan, followup_form=form, status=422)
    synthesis.set_followup_date(bilan, form.followup_date.data)
    db.session.commit()
    flash(_("Date de suivi enregistrée."), "info")
    return redirect(url_for("counsellor.action_plan", bilan_id=bilan.id))
