"""Counsellor routes of the bilan record (``/conseil/bilans/<id>/dossier``): convention,
objectives, status, the plan (steps, hours, interview dates), interviews and personal work,
hours against the 24 h ceiling, the .ics calendar; and the centre's template of steps
(``/conseil/centre/modele``, centre admins only).

Registered on the counsellor blueprint (:mod:`service.web.blueprints`). Thin routes:
access through :mod:`service.access` (a bilan the counsellor does not follow is a 404),
one call to :mod:`service.features.record.service`, render or redirect. Refused input answers 422
with the
message next to the field and nothing saved; a change the state of the bilan forbids
(e.g. a closed bilan) answers 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from service import access, dates
from service.extensions import db
from service.features.journey import service as journey
from service.features.lifecycle import service as lifecycle
from service.features.record import service as record
from service.features.record.forms import (
    InterviewForm,
    PlanForm,
    RecordForm,
    StatusForm,
    StepForm,
    WorkForm,
    step_id_of,
    today_paris,
)
from service.i18n import builtin_text
from service.models import Bilan, BilanStep, CentreStep, Interview, PersonalWork
from service.models.states import phase_label
from service.web import guards
from service.web.blueprints import counsellor as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.forms import ActionForm, select_choices
from service.web.responses import download

# --- helpers ------------------------------------------------------------------------------


def _session() -> Session:
    return db.session


def _record_bilan(bilan_id: int) -> Bilan:
    bilan = guards.managed_bilan(bilan_id)
    access.require(access.can_edit_record(current_user, bilan))
    return bilan


def _names() -> dict[str, str]:
    lang = _lang()
    return {iid: inst.name.get(lang) for iid, inst in _instruments().items()}


def _phase_choices() -> list[Any]:
    return select_choices([(p, phase_label(p)) for p in record.STEP_PHASES])


def _step_form(bilan: Bilan | None, formdata: Any = None, **data: Any) -> StepForm:
    form = StepForm(formdata=formdata, **data)
    form.phase.choices = _phase_choices()
    names = _names()
    form.instruments.choices = select_choices(
        sorted(names.items(), key=lambda pair: pair[1].casefold())
    )
    if bilan is None:
        del form.planned_at  # the centre's template has no dates
    return form


def _step_data(step: CentreStep | BilanStep) -> dict[str, Any]:
    data: dict[str, Any] = {
        "phase": step.phase,
        "name": step.name,
        "objectives": step.objectives or "",
        "interview_hours": Decimal(str(step.interview_hours)),
        "personal_hours": Decimal(str(step.personal_hours)),
        "instruments": record.instrument_ids(step.instruments),
    }
    if isinstance(step, BilanStep):
        data["planned_at"] = dates.to_form(step.planned_at)
    return data


def _step_values(form: StepForm, *, with_date: bool) -> record.StepValues:
    return record.StepValues(
        phase=form.phase.data or "",
        name=form.name.data or "",
        objectives=form.objectives.data,
        interview_hours=cast(Decimal, form.interview_hours.data),
        personal_hours=cast(Decimal, form.personal_hours.data),
        instruments=tuple(form.instruments.data or ()),
        planned_at=dates.from_form(form.planned_at.data) if with_date else None,
    )


def _step_choices(steps: list[BilanStep]) -> list[Any]:
    return select_choices(
        [("", _("— aucune —"))] + [(str(s.id), f"{s.position}. {s.name}") for s in steps]
    )


def _interview_form(steps: list[BilanStep], formdata: Any = None, **data: Any) -> InterviewForm:
    form = InterviewForm(formdata=formdata, prefix="entretien", **data)
    form.mode.choices = select_choices([(m, record.mode_label(m)) for m in record.MODES])
    form.step_id.choices = _step_choices(steps)
    return form


def _work_form(steps: list[BilanStep], formdata: Any = None, **data: Any) -> WorkForm:
    form = WorkForm(formdata=formdata, prefix="travail", **data)
    form.kind.choices = select_choices([(k, record.work_kind_label(k)) for k in record.WORK_KINDS])
    form.step_id.choices = _step_choices(steps)
    return form


def _attach(form: Any, exc: record.RecordError) -> None:
    """Show a refusal of :mod:`service.features.record.service` next to its field (or as a
    message)."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, str(exc)]
    else:
        flash(str(exc), "error")


def _end_url(bilan: Bilan) -> str:
    """The "Terminer le bilan" page (the follow-up feature)."""
    return url_for("counsellor.end_bilan", bilan_id=bilan.id)


def _current_step(steps: list[BilanStep], bilan: Bilan) -> str:
    """The step whose planned date is the nearest to now (default of the forms)."""
    now = dt.datetime.now(dt.UTC)
    dated = [(s, record.step_moment(s, bilan)) for s in steps]
    candidates = [(abs((m - now).total_seconds()), s.id) for s, m in dated if m is not None]
    return str(min(candidates)[1]) if candidates else ""


def _render_record(bilan: Bilan, *, status: int = 200, **forms: Any) -> ResponseReturnValue:
    session = _session()
    steps = record.bilan_steps(session, bilan)
    names = _names()
    summary = record.hours_summary(session, bilan)
    step_names = {s.id: builtin_text(s.name) for s in steps}
    first = next((record.step_moment(s, bilan) for s in steps if s.planned_at), None)
    interviews = record.interviews_of(session, bilan)
    works = record.work_of(session, bilan)
    current = _current_step(steps, bilan)
    record_form = forms.get("record_form") or RecordForm(
        formdata=None,
        prefix="dossier",
        data={
            "funding": bilan.funding or "",
            "commanditaire": bilan.commanditaire or "",
            "convention_date": bilan.convention_date,
            "convention_signatories": bilan.convention_signatories or "",
            "convention_signed": bilan.convention_signed,
            "objectives": bilan.objectives or "",
            "start_date": bilan.start_date,
            "planned_end": bilan.planned_end,
            "followup_date": bilan.followup_date,
        },
    )
    plan_form = forms.get("plan_form") or PlanForm(
        formdata=None,
        prefix="plan",
        data={
            "start_date": bilan.start_date or today_paris(),
            "at": dates.paris_time_of(first) if first else record.DEFAULT_TIME,
        },
    )
    interview_form = forms.get("interview_form") or _interview_form(
        steps, data={"mode": "presentiel", "minutes": 120, "step_id": current}
    )
    work_form = forms.get("work_form") or _work_form(
        steps, data={"done_on": today_paris(), "kind": "recherches", "step_id": current}
    )
    return (
        render_template(
            "record/record.html",
            bilan=bilan,
            person=bilan.beneficiary,
            status_label=phase_label(bilan.status),
            retention=lifecycle.retention_of(bilan),
            next_statuses=[(s, phase_label(s)) for s in record.next_statuses(bilan)],
            end_url=_end_url(bilan) if bilan.is_running else None,
            open=not bilan.is_closed,
            steps=[
                (
                    s,
                    record.step_moment(s, bilan),
                    record.step_tools(s, bilan, names),
                )
                for s in steps
            ],
            summary=summary,
            warnings=record.hours_warnings(summary),
            interviews=interviews,
            works=works,
            digests=record.record_digest(
                bilan,
                [record.step_moment(s, bilan) for s in steps],
                summary,
                interviews=len(interviews),
                works=len(works),
            ),
            step_names=step_names,
            fmt=record.format_minutes,
            fmt_hours=record.format_hours,
            phase_label=phase_label,
            mode_label=record.mode_label,
            kind_label=record.work_kind_label,
            record_form=record_form,
            status_form=StatusForm(),
            plan_form=plan_form,
            interview_form=interview_form,
            work_form=work_form,
            action_form=ActionForm(),
        ),
        status,
    )


def _refused(bilan: Bilan, exc: record.RecordError, **forms: Any) -> ResponseReturnValue:
    """A refusal: 409 when the bilan's state forbids it (closed), 422 for bad input."""
    db.session.rollback()
    if exc.field is None:
        flash(str(exc), "error")
        return _render_record(bilan, status=409, **forms)
    for form in forms.values():
        _attach(form, exc)
    return _render_record(bilan, status=422, **forms)


def _back(bilan: Bilan, anchor: str) -> ResponseReturnValue:
    return redirect(url_for("counsellor.view_record", bilan_id=bilan.id) + f"#{anchor}")


# --- the record ---------------------------------------------------------------------------


@bp.get("/bilans/<int:bilan_id>/dossier")
@login_required
def view_record(bilan_id: int) -> ResponseReturnValue:
    return _render_record(_record_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/dossier")
@login_required
def update_record(bilan_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    form = RecordForm(prefix="dossier")
    if not form.validate():
        return _render_record(bilan, record_form=form, status=422)
    try:
        record.update_record(
            bilan,
            record.RecordValues(
                funding=form.funding.data,
                commanditaire=form.commanditaire.data,
                convention_date=form.convention_date.data,
                convention_signatories=form.convention_signatories.data,
                convention_signed=bool(form.convention_signed.data),
                objectives=form.objectives.data,
                start_date=form.start_date.data,
                planned_end=form.planned_end.data,
                followup_date=form.followup_date.data,
            ),
        )
    except record.RecordError as exc:
        return _refused(bilan, exc, record_form=form)
    db.session.commit()
    flash(_("Dossier du bilan enregistré."), "info")
    return _back(bilan, "convention")


@bp.post("/bilans/<int:bilan_id>/dossier/statut")
@login_required
def change_status(bilan_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    form = StatusForm()
    wanted = (form.status.data or "").strip()
    if not form.validate() or wanted not in record.STATUSES:
        flash(_("Statut inconnu."), "error")
        return _render_record(bilan, status=422)
    try:
        record.change_status(_session(), bilan, wanted)
    except record.RecordError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_record(bilan, status=409)
    db.session.commit()
    flash(_("Statut du bilan : %(status)s.", status=phase_label(wanted)), "info")
    return _back(bilan, "statut")


@bp.post("/bilans/<int:bilan_id>/dossier/calendrier")
@login_required
def plan_calendar(bilan_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    form = PlanForm(prefix="plan")
    if not form.validate():
        return _render_record(bilan, plan_form=form, status=422)
    try:
        record.plan_bilan(
            _session(),
            bilan,
            cast(dt.date, form.start_date.data),
            at=form.at.data,
            replace=True,
        )
    except record.RecordError as exc:
        return _refused(bilan, exc, plan_form=form)
    db.session.commit()
    flash(_("Calendrier proposé : vérifiez et ajustez les dates des entretiens."), "info")
    return _back(bilan, "etapes")


# --- steps of the bilan -------------------------------------------------------------------


def _bilan_step(bilan: Bilan, step_id: int) -> BilanStep:
    step = db.session.get(BilanStep, step_id)
    access.require(step is not None and step.bilan_id == bilan.id)
    return cast(BilanStep, step)


def _render_step_page(
    *,
    title: str,
    form: Any,
    action: str,
    back: str,
    status: int = 200,
    hints: dict[str, str] | None = None,
) -> ResponseReturnValue:
    return (
        render_template(
            "record/record_form.html",
            title=title,
            form=form,
            action=action,
            back=back,
            hints=hints or {},
        ),
        status,
    )


def _step_hints() -> dict[str, str]:
    return {
        "interview_hours": _("Par exemple 2 ou 1,5."),
        "personal_hours": _("Par exemple 2 ou 1,5."),
        "planned_at": _("Date et heure, heure de Paris ; laissez vide si non planifié."),
    }


#: What a new step's form shows first.
NEW_STEP = {"phase": "investigation", "interview_hours": 2, "personal_hours": 0}


def _step_route(
    bilan: Bilan | None,
    *,
    title: str,
    action: str,
    initial: dict[str, Any],
    save: Callable[[record.StepValues], object],
    done: str,
) -> ResponseReturnValue:
    """Add or edit a step of a bilan's plan (``bilan``) or of the centre's template (None):
    the form, then the domain's checks, then back to the plan."""
    if bilan is not None:
        back = url_for("counsellor.view_record", bilan_id=bilan.id) + "#etapes"
    else:
        back = url_for("counsellor.view_centre_template")

    def page(form: StepForm, status: int = 200) -> ResponseReturnValue:
        return _render_step_page(
            title=title, form=form, action=action, back=back, status=status, hints=_step_hints()
        )

    if request.method == "GET":
        return page(_step_form(bilan, data=initial))
    form = _step_form(bilan, request.form)
    if not form.validate():
        return page(form, 422)
    try:
        save(_step_values(form, with_date=bilan is not None))
    except record.RecordError as exc:
        db.session.rollback()
        _attach(form, exc)
        # A refused plan change of a bilan (no field to blame) is a conflict with its state.
        status = 409 if bilan is not None and not exc.field else 422
        return page(form, status)
    db.session.commit()
    flash(done, "info")
    if bilan is not None:
        return _back(bilan, "etapes")
    return redirect(back)


@bp.route("/bilans/<int:bilan_id>/dossier/etapes/nouvelle", methods=["GET", "POST"])
@login_required
def add_step(bilan_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    return _step_route(
        bilan,
        title=_("Nouvelle étape du bilan"),
        action=url_for("counsellor.add_step", bilan_id=bilan.id),
        initial=NEW_STEP,
        save=lambda values: record.add_bilan_step(_session(), bilan, values, _instruments().keys()),
        done=_("Étape ajoutée."),
    )


@bp.route("/bilans/<int:bilan_id>/dossier/etapes/<int:step_id>", methods=["GET", "POST"])
@login_required
def edit_step(bilan_id: int, step_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    step = _bilan_step(bilan, step_id)
    return _step_route(
        bilan,
        title=_("Modifier l’étape « %(name)s »", name=step.name),
        action=url_for("counsellor.edit_step", bilan_id=bilan.id, step_id=step.id),
        initial=_step_data(step),
        save=lambda values: record.update_bilan_step(bilan, step, values, _instruments().keys()),
        done=_("Étape enregistrée."),
    )


@bp.post("/bilans/<int:bilan_id>/dossier/etapes/<int:step_id>/supprimer")
@login_required
def delete_step(bilan_id: int, step_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    step = _bilan_step(bilan, step_id)
    try:
        record.ensure_open(bilan)
        record.remove_step(_session(), step)
    except record.RecordError as exc:
        return _refused(bilan, exc)
    db.session.commit()
    flash(_("Étape supprimée."), "info")
    return _back(bilan, "etapes")


@bp.post("/bilans/<int:bilan_id>/dossier/etapes/<int:step_id>/deplacer")
@login_required
def move_step(bilan_id: int, step_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    step = _bilan_step(bilan, step_id)
    try:
        record.ensure_open(bilan)
        record.move_step(_session(), step, -1 if request.form.get("sens") == "haut" else 1)
    except record.RecordError as exc:
        return _refused(bilan, exc)
    db.session.commit()
    return _back(bilan, "etapes")


@bp.post("/bilans/<int:bilan_id>/dossier/etapes/<int:step_id>/questionnaires")
@login_required
def assign_step_questionnaires(bilan_id: int, step_id: int) -> ResponseReturnValue:
    """Assign the step's questionnaires not assigned yet (phase-linked tools)."""
    bilan = _record_bilan(bilan_id)
    step = _bilan_step(bilan, step_id)
    instruments = _instruments()
    assigned = []
    try:
        record.ensure_open(bilan)
        for tool in record.step_tools(step, bilan, _names()):
            inst = instruments.get(tool.instrument_id)
            if tool.is_assigned or inst is None:
                continue
            lang = bilan.beneficiary.language
            journey.assign(
                _session(),
                bilan,
                inst,
                language=lang if lang in inst.languages else "fr",
                show_results_now=False,
            )
            assigned.append(tool.name)
    except (record.RecordError, journey.AssignmentRefused) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_record(bilan, status=409)
    db.session.commit()
    if assigned:
        flash(_("Assignés : %(names)s.", names=", ".join(assigned)), "info")
    else:
        flash(_("Les questionnaires de cette étape sont déjà assignés."), "info")
    return _back(bilan, "etapes")


# --- interviews and personal work -----------------------------------------------------------


@dataclass(frozen=True)
class _Log:
    """What differs between the two logs of the record (interviews, personal work): the
    routes below are the same for both."""

    model: type[Interview] | type[PersonalWork]
    anchor: str  # section of the record page
    edit_endpoint: str
    row_arg: str  # the row id's name in the edit endpoint's URL
    form: Callable[..., Any]  # (steps, formdata=None, data=...) -> the form
    values: Callable[[Any], Any]  # form -> record.InterviewValues | record.WorkValues
    data: Callable[[Any], dict[str, Any]]  # row -> the edit form's data
    add: Callable[[Session, Bilan, Any], Any]
    update: Callable[[Session, Any, Bilan, Any], Any]
    form_name: str  # keyword of _render_record for a refused form
    saved: Callable[[], str]
    deleted: Callable[[], str]
    title: Callable[[], str]
    hints: Callable[[], dict[str, str]]


def _interview_values(form: InterviewForm) -> record.InterviewValues:
    return record.InterviewValues(
        held_at=cast(dt.datetime, dates.from_form(form.held_at.data)),
        minutes=int(form.minutes.data or 0),
        mode=form.mode.data or "",
        topic=form.topic.data,
        step_id=step_id_of(form),
    )


def _work_values(form: WorkForm) -> record.WorkValues:
    return record.WorkValues(
        done_on=cast(dt.date, form.done_on.data),
        minutes=int(form.minutes.data or 0),
        kind=form.kind.data or "",
        description=form.description.data,
        step_id=step_id_of(form),
    )


_INTERVIEWS = _Log(
    model=Interview,
    anchor="entretiens",
    edit_endpoint="counsellor.edit_interview",
    row_arg="interview_id",
    form=_interview_form,
    values=_interview_values,
    data=lambda row: {
        "held_at": dates.to_form(row.held_at),
        "minutes": row.minutes,
        "mode": row.mode,
        "topic": row.topic or "",
        "step_id": str(row.step_id or ""),
    },
    add=record.add_interview,
    update=record.update_interview,
    form_name="interview_form",
    saved=lambda: _("Entretien enregistré."),
    deleted=lambda: _("Entretien supprimé."),
    title=lambda: _("Modifier l’entretien"),
    hints=lambda: {"held_at": _("Heure de Paris.")},
)

_WORK = _Log(
    model=PersonalWork,
    anchor="travail",
    edit_endpoint="counsellor.edit_work",
    row_arg="work_id",
    form=_work_form,
    values=_work_values,
    data=lambda row: {
        "done_on": row.done_on,
        "minutes": row.minutes,
        "kind": row.kind,
        "description": row.description or "",
        "step_id": str(row.step_id or ""),
    },
    add=record.add_work,
    update=record.update_work,
    form_name="work_form",
    saved=lambda: _("Travail personnel enregistré."),
    deleted=lambda: _("Travail personnel supprimé."),
    title=lambda: _("Modifier le travail personnel"),
    hints=dict,
)


def _log_row(log: _Log, bilan: Bilan, row_id: int) -> Any:
    """A row of that log, of this bilan, or 404."""
    row = cast("Interview | PersonalWork | None", db.session.get(log.model, row_id))
    access.require(row is not None and row.bilan_id == bilan.id)
    return row


def _add_to_log(log: _Log, bilan_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    form = log.form(record.bilan_steps(_session(), bilan), request.form)
    if not form.validate():
        return _render_record(bilan, status=422, **{log.form_name: form})
    try:
        log.add(_session(), bilan, log.values(form))
    except record.RecordError as exc:
        return _refused(bilan, exc, **{log.form_name: form})
    db.session.commit()
    flash(log.saved(), "info")
    return _back(bilan, log.anchor)


def _edit_in_log(log: _Log, bilan_id: int, row_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    row = _log_row(log, bilan, row_id)
    steps = record.bilan_steps(_session(), bilan)
    page: dict[str, Any] = {
        "title": log.title(),
        "action": url_for(log.edit_endpoint, bilan_id=bilan.id, **{log.row_arg: row.id}),
        "back": url_for("counsellor.view_record", bilan_id=bilan.id) + f"#{log.anchor}",
        "hints": log.hints(),
    }
    if request.method == "GET":
        return _render_step_page(form=log.form(steps, data=log.data(row)), **page)
    form = log.form(steps, request.form)
    if not form.validate():
        return _render_step_page(form=form, status=422, **page)
    try:
        log.update(_session(), row, bilan, log.values(form))
    except record.RecordError as exc:
        db.session.rollback()
        _attach(form, exc)
        return _render_step_page(form=form, status=422 if exc.field else 409, **page)
    db.session.commit()
    flash(log.saved(), "info")
    return _back(bilan, log.anchor)


def _delete_from_log(log: _Log, bilan_id: int, row_id: int) -> ResponseReturnValue:
    bilan = _record_bilan(bilan_id)
    row = _log_row(log, bilan, row_id)
    try:
        record.delete_row(_session(), bilan, row)
    except record.RecordError as exc:
        return _refused(bilan, exc)
    db.session.commit()
    flash(log.deleted(), "info")
    return _back(bilan, log.anchor)


@bp.post("/bilans/<int:bilan_id>/dossier/entretiens")
@login_required
def add_interview(bilan_id: int) -> ResponseReturnValue:
    return _add_to_log(_INTERVIEWS, bilan_id)


@bp.route("/bilans/<int:bilan_id>/dossier/entretiens/<int:interview_id>", methods=["GET", "POST"])
@login_required
def edit_interview(bilan_id: int, interview_id: int) -> ResponseReturnValue:
    return _edit_in_log(_INTERVIEWS, bilan_id, interview_id)


@bp.post("/bilans/<int:bilan_id>/dossier/entretiens/<int:interview_id>/supprimer")
@login_required
def delete_interview(bilan_id: int, interview_id: int) -> ResponseReturnValue:
    return _delete_from_log(_INTERVIEWS, bilan_id, interview_id)


@bp.post("/bilans/<int:bilan_id>/dossier/travail")
@login_required
def add_work(bilan_id: int) -> ResponseReturnValue:
    return _add_to_log(_WORK, bilan_id)


@bp.route("/bilans/<int:bilan_id>/dossier/travail/<int:work_id>", methods=["GET", "POST"])
@login_required
def edit_work(bilan_id: int, work_id: int) -> ResponseReturnValue:
    return _edit_in_log(_WORK, bilan_id, work_id)


@bp.post("/bilans/<int:bilan_id>/dossier/travail/<int:work_id>/supprimer")
@login_required
def delete_work(bilan_id: int, work_id: int) -> ResponseReturnValue:
    return _delete_from_log(_WORK, bilan_id, work_id)


# --- calendar -----------------------------------------------------------------------------


@bp.get("/bilans/<int:bilan_id>/calendrier.ics")
@login_required
def download_calendar(bilan_id: int) -> ResponseReturnValue:
    bilan = guards.managed_bilan(bilan_id)
    access.require(access.can_download_calendar(current_user, bilan))
    data = record.calendar_ics(_session(), bilan, audience="counsellor")
    return download(data, f"bilan-{bilan.id}.ics")


# --- the centre's template (admins of the centre) -----------------------------------------


def _centre_admin() -> int:
    guards.staff_only()
    access.require(
        access.can_edit_centre_template(current_user, current_user.centre_id), hide=False
    )
    return int(current_user.centre_id)


def _centre_step(step_id: int) -> CentreStep:
    _centre_admin()
    step = db.session.get(CentreStep, step_id)
    access.require(
        step is not None and access.can_edit_centre_template(current_user, step.centre_id)
    )
    return cast(CentreStep, step)


@bp.get("/centre/modele")
@login_required
def view_centre_template() -> ResponseReturnValue:
    centre_id = _centre_admin()
    steps = record.centre_steps(_session(), centre_id)
    db.session.commit()  # the default template, seeded on first visit
    planned = [
        (
            s.phase,
            record.minutes_of_hours(s.interview_hours),
            record.minutes_of_hours(s.personal_hours),
        )
        for s in steps
    ]
    summary = record.summarise(planned, [])
    return render_template(
        "record/centre_template.html",
        steps=steps,
        names=_names(),
        summary=summary,
        warnings=record.hours_warnings(summary),
        fmt=record.format_minutes,
        fmt_hours=record.format_hours,
        phase_label=phase_label,
        instrument_ids=record.instrument_ids,
        action_form=ActionForm(),
    )


@bp.route("/centre/modele/etapes/nouvelle", methods=["GET", "POST"])
@login_required
def add_centre_step() -> ResponseReturnValue:
    centre_id = _centre_admin()
    return _step_route(
        None,
        title=_("Nouvelle étape du modèle du centre"),
        action=url_for("counsellor.add_centre_step"),
        initial=NEW_STEP,
        save=lambda values: record.add_centre_step(
            _session(), centre_id, values, _instruments().keys()
        ),
        done=_("Étape ajoutée au modèle du centre."),
    )


@bp.route("/centre/modele/etapes/<int:step_id>", methods=["GET", "POST"])
@login_required
def edit_centre_step(step_id: int) -> ResponseReturnValue:
    step = _centre_step(step_id)
    return _step_route(
        None,
        title=_("Modifier l’étape « %(name)s »", name=step.name),
        action=url_for("counsellor.edit_centre_step", step_id=step.id),
        initial=_step_data(step),
        save=lambda values: record.update_centre_step(step, values, _instruments().keys()),
        done=_("Étape du modèle enregistrée."),
    )


@bp.post("/centre/modele/etapes/<int:step_id>/supprimer")
@login_required
def delete_centre_step(step_id: int) -> ResponseReturnValue:
    step = _centre_step(step_id)
    record.remove_step(_session(), step)
    db.session.commit()
    flash(_("Étape retirée du modèle du centre."), "info")
    return redirect(url_for("counsellor.view_centre_template"))


@bp.post("/centre/modele/etapes/<int:step_id>/deplacer")
@login_required
def move_centre_step(step_id: int) -> ResponseReturnValue:
    step = _centre_step(step_id)
    record.move_step(_session(), step, -1 if request.form.get("sens") == "haut" else 1)
    db.session.commit()
    return redirect(url_for("counsellor.view_centre_template"))


@bp.post("/centre/modele/reinitialiser")
@login_required
def reset_centre_template() -> ResponseReturnValue:
    centre_id = _centre_admin()
    record.reset_centre_steps(_session(), centre_id)
    db.session.commit()
    flash(_("Le modèle du centre est revenu au modèle par défaut."), "info")
    return redirect(url_for("counsellor.view_centre_template"))
