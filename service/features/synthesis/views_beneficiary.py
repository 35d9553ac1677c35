"""The person's page of the document de synthèse: read the shared version, accept or
refuse each proposed result, write observations, approve; download DOCX or PDF.

Thin routes on the ``beneficiary`` blueprint. Only the person whose bilan it is may decide
and approve (:func:`service.access.can_decide_synthesis_items`,
:func:`service.access.can_approve_synthesis`): a counsellor is refused (403), someone
else's bilan is a 404.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required

from reports import synthesis as documents
from service import access
from service.audit import audit
from service.extensions import db
from service.features.journey.forms import FinishForm
from service.features.synthesis import service as synthesis
from service.features.synthesis.forms import ApproveForm, ObservationsForm
from service.models import Bilan
from service.web import guards
from service.web.blueprints import beneficiary as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.inputs import parse_id
from service.web.responses import pdf_download


@bp.context_processor
def _synthesis_helpers() -> dict[str, object]:
    """``synthesis_available(bilan_id)`` for the home page: a shared document or a
    proposed result awaits the person (queried only when a template asks)."""

    def synthesis_available(bilan_id: int) -> bool:
        if not access.is_beneficiary(current_user):
            return False
        bilan = db.session.get(Bilan, bilan_id)
        return (
            bilan is not None
            and access.owns_bilan(current_user, bilan)
            and synthesis.has_something_for(db.session, bilan)
        )

    return {"synthesis_available": synthesis_available}


def _render(
    bilan: Bilan,
    *,
    observations_form: ObservationsForm | None = None,
    approve_form: ApproveForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    version = synthesis.document_version(db.session, bilan, audience="beneficiary")
    readable = version is not None and access.can_read_synthesis(current_user, bilan, version)
    lang, tr = _lang(), get_translations()
    rows = synthesis.proposables(db.session, bilan, _instruments(), lang, tr)
    proposed = [
        (row, element, row.items[element.element])
        for row in rows
        for element in row.elements
        if element.element in row.items
    ]
    from_portfolio = [p for p in synthesis.portfolio_proposables(db.session, bilan) if p.item]
    document = (
        synthesis.build_document(db.session, bilan, version, _instruments(), lang, tr)
        if readable and version is not None
        else None
    )
    return (
        render_template(
            "synthesis/beneficiary.html",
            bilan=bilan,
            version=version if readable else None,
            document=document,
            proposed=proposed,
            locked=synthesis.approved(db.session, bilan),
            from_portfolio=from_portfolio,
            pending=sum(1 for _row, _e, item in proposed if item.decision == "pending")
            + sum(1 for p in from_portfolio if p.item and p.item.decision == "pending"),
            observations_form=observations_form
            or ObservationsForm(
                formdata=None, data={"observations": version.observations if version else ""}
            ),
            approve_form=approve_form
            or ApproveForm(formdata=None, data={"version": version.version if version else ""}),
            decision_form=FinishForm(),
            section_titles=documents.section_titles(tr, lang),
            status_labels=documents.action_status_labels(tr, lang),
            error=error,
        ),
        status,
    )


@bp.get("/bilans/<int:bilan_id>/synthese", endpoint="synthesis")
@login_required
def synthesis_page(bilan_id: int) -> ResponseReturnValue:
    return _render(guards.own_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/synthese/elements/<int:item_id>")
@login_required
def decide_result(bilan_id: int, item_id: int) -> ResponseReturnValue:
    bilan = guards.own_bilan(bilan_id)
    access.require(access.can_decide_synthesis_items(current_user, bilan), hide=False)
    FinishForm().validate()  # CSRF is checked by CSRFProtect before the view
    decision = request.form.get("decision", "")
    try:
        synthesis.decide(db.session, bilan, item_id, decision)
    except LookupError:
        db.session.rollback()
        access.require(False)
    except synthesis.SynthesisError as exc:
        db.session.rollback()
        return _render(bilan, error=str(exc), status=exc.status)
    db.session.commit()
    flash(
        _("Résultat accepté : il figurera dans votre document de synthèse.")
        if decision == "approved"
        else _("Résultat refusé : il ne figurera pas dans votre document de synthèse."),
        "info",
    )
    return redirect(url_for("beneficiary.synthesis", bilan_id=bilan.id) + f"#item-{item_id}")


@bp.post("/bilans/<int:bilan_id>/synthese/observations")
@login_required
def synthesis_observations(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.own_bilan(bilan_id)
    access.require(access.can_approve_synthesis(current_user, bilan), hide=False)
    form = ObservationsForm()
    if not form.validate():
        return _render(bilan, observations_form=form, status=422)
    try:
        synthesis.save_observations(db.session, bilan, form.observations.data)
    except synthesis.SynthesisError as exc:
        db.session.rollback()
        return _render(bilan, observations_form=form, error=str(exc), status=exc.status)
    db.session.commit()
    flash(
        _("Vos observations sont enregistrées ; votre conseiller ou conseillère les lira."),
        "info",
    )
    return redirect(url_for("beneficiary.synthesis", bilan_id=bilan.id) + "#mes-observations")


@bp.post("/bilans/<int:bilan_id>/synthese/approbation")
@login_required
def approve_synthesis(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.own_bilan(bilan_id)
    access.require(access.can_approve_synthesis(current_user, bilan), hide=False)
    form = ApproveForm()
    if not form.validate():
        return _render(bilan, approve_form=form, status=422)
    raw = form.version.data or ""
    try:
        synthesis.approve(db.session, bilan, parse_id(raw) or -1)
    except synthesis.SynthesisError as exc:
        db.session.rollback()
        return _render(bilan, approve_form=form, error=str(exc), status=exc.status)
    db.session.commit()
    flash(_("Vous avez approuvé votre document de synthèse. Merci."), "info")
    return redirect(url_for("beneficiary.synthesis", bilan_id=bilan.id))


@bp.get("/bilans/<int:bilan_id>/synthese.<fmt>")
@login_required
def export_synthesis(bilan_id: int, fmt: str) -> ResponseReturnValue:
    bilan = guards.own_bilan(bilan_id)
    access.require(fmt in ("docx", "pdf"))
    version = synthesis.document_version(db.session, bilan, audience="beneficiary")
    access.require(version is not None and access.can_read_synthesis(current_user, bilan, version))
    document = synthesis.build_document(
        db.session,
        bilan,
        version,  # type: ignore[arg-type]  # checked just above
        _instruments(),
        _lang(),
        get_translations(),
        png=fmt == "docx",
    )
    tr = get_translations()
    name = synthesis.filename(bilan, document, fmt)
    response = pdf_download(lambda: synthesis.export(document, fmt, tr), name)
    if response.status_code == 200:
        audit(db.session, current_user, f"synthesis_{fmt}", bilan_id=bilan.id)
        db.session.commit()
    return response
