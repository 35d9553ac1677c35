"""The norms pages of the centre admin: each instrument's shipped norms beside the centre's
local ones, building local norms, choosing the norms of new scores. Decisions:
:func:`service.access.can_manage_norms`; work: :mod:`service.features.norms.service`.
Counsellors and beneficiaries get a 403; another centre's local version a 404."""

from __future__ import annotations

from typing import Any, cast

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from instruments.model import Instrument
from scoring.norms import NormTable
from service import access
from service.audit import audit
from service.extensions import db
from service.features.norms import service as local_norms
from service.features.norms.forms import SHIPPED, BuildNormsForm, ChooseNormsForm
from service.models import Centre, LocalNorm
from service.web import guards
from service.web.blueprints import admin as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.forms import select_choices
from service.web.inputs import parse_id


def _admin_centre() -> int:
    """The signed-in admin's centre (403 for anyone else)."""
    centre_id = guards.centre_admin()
    access.require(access.can_manage_norms(current_user, centre_id), hide=False)
    return centre_id


def _instrument(instrument_id: str) -> Instrument:
    """An installed instrument with shipped norms, or 404."""
    found = [i for i in local_norms.normed_instruments(_instruments()) if i.id == instrument_id]
    access.require(bool(found))
    return found[0]


def _shown_version(
    centre_id: int, inst: Instrument, info: local_norms.InstrumentNorms
) -> LocalNorm | None:
    """The local version compared on the page: ``?version=`` (404 if not the centre's),
    else the chosen one, else the newest built for the installed version."""
    raw = request.args.get("version", "")
    if raw:
        access.require(parse_id(raw) is not None)
        try:
            return local_norms.local_version(db.session, centre_id, inst, int(raw))
        except local_norms.NormNotFound:
            access.require(False)
    if info.choice_applies:
        return info.choice
    return info.current_versions[0] if info.current_versions else None


def _choice_labels(info: local_norms.InstrumentNorms, lang: str) -> list[tuple[str, str]]:
    shipped = _(
        "Normes fournies avec le questionnaire (%(version)s, n\u00a0=\u00a0%(n)s)",
        version=info.shipped.version,
        n=local_norms.count(info.shipped_n, lang),
    )
    pairs = [(SHIPPED, shipped)]
    pairs += [
        (str(v.id), _("Normes locales du centre, %(v)s", v=local_norms.version_label(v, lang)))
        for v in info.current_versions
    ]
    return pairs


def _render_instrument(
    instrument_id: str,
    *,
    build_form: BuildNormsForm | None = None,
    choose_form: ChooseNormsForm | None = None,
    build_error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    centre_id = _admin_centre()
    inst = _instrument(instrument_id)
    lang = _lang()
    info = local_norms.instrument_norms(db.session, centre_id, inst)
    shown = _shown_version(centre_id, inst, info)
    choose_form = choose_form or ChooseNormsForm(
        norms=str(info.choice.id) if info.choice is not None and info.choice_applies else SHIPPED
    )
    choose_form.norms.choices = select_choices(_choice_labels(info, lang))
    context: dict[str, Any] = {
        "info": info,
        "instrument_name": inst.name.get(lang),
        "shipped_description": local_norms.shipped_description(inst, lang),
        "shipped_n": local_norms.count(info.shipped_n, lang),
        "shown": shown,
        "rows": local_norms.compare(
            inst, info.shipped, NormTable(shown.table) if shown else None, lang
        ),
        "labels": {v.id: local_norms.version_label(v, lang) for v in info.versions},
        "build_form": build_form or BuildNormsForm(),
        "choose_form": choose_form,
        "build_error": build_error,
        "floor": local_norms.MIN_N_FLOOR,
    }
    return render_template("norms/instrument.html", **context), status


@bp.get("/normes")
@login_required
def norms_index() -> ResponseReturnValue:
    centre_id = _admin_centre()
    lang = _lang()
    rows = [
        local_norms.instrument_norms(db.session, centre_id, i)
        for i in local_norms.normed_instruments(_instruments())
    ]
    labels = {v.id: local_norms.version_label(v, lang) for r in rows for v in r.versions}
    names = {r.instrument.id: r.instrument.name.get(lang) for r in rows}
    return render_template("norms/index.html", rows=rows, labels=labels, names=names)


@bp.get("/normes/<instrument_id>")
@login_required
def instrument_norms(instrument_id: str) -> ResponseReturnValue:
    return _render_instrument(instrument_id)


@bp.post("/normes/<instrument_id>/construire")
@login_required
def build_norms(instrument_id: str) -> ResponseReturnValue:
    centre_id = _admin_centre()
    inst = _instrument(instrument_id)
    form = BuildNormsForm()
    if not form.validate() or form.min_n.data is None:
        return _render_instrument(instrument_id, build_form=form, status=422)
    centre = db.session.get(Centre, centre_id)
    access.require(centre is not None)
    try:
        (draft,) = local_norms.build_local_norms(
            db.session,
            cast(Centre, centre),
            [inst],
            min_n=form.min_n.data,
            by=current_user,
            lang=_lang(),
        )
    except local_norms.BuildRefused as exc:
        db.session.rollback()
        return _render_instrument(instrument_id, build_form=form, build_error=str(exc), status=422)
    except local_norms.NormsRefused as exc:
        db.session.rollback()
        form.min_n.errors = [str(exc)]
        return _render_instrument(instrument_id, build_form=form, status=422)
    audit(db.session, current_user, "build_local_norms")
    db.session.commit()
    record = draft.record
    flash(
        _(
            "Nouvelles normes locales construites : %(v)s. Elles ne sont utilisées qu’une fois"
            " choisies ci-dessous.",
            v=local_norms.version_label(record, _lang()) if record else "",
        ),
        "info",
    )
    return redirect(
        url_for(
            "admin.instrument_norms",
            instrument_id=inst.id,
            version=record.id if record else None,
        )
    )


@bp.post("/normes/<instrument_id>/choix")
@login_required
def choose_norms(instrument_id: str) -> ResponseReturnValue:
    centre_id = _admin_centre()
    inst = _instrument(instrument_id)
    form = ChooseNormsForm()
    raw = form.norms.data or ""
    if not form.validate() or not (raw == SHIPPED or parse_id(raw) is not None):
        if not form.norms.errors:
            form.norms.errors = [_("Choisissez les normes à utiliser.")]
        return _render_instrument(instrument_id, choose_form=form, status=422)
    try:
        record = local_norms.choose_norms(
            db.session, centre_id, inst, None if raw == SHIPPED else int(raw), by=current_user
        )
    except local_norms.NormNotFound:
        db.session.rollback()
        access.require(False)
        raise  # unreachable: require aborts
    except local_norms.NormsRefused as exc:
        db.session.rollback()
        form.norms.errors = [str(exc)]
        return _render_instrument(instrument_id, choose_form=form, status=422)
    audit(db.session, current_user, "choose_norms")
    db.session.commit()
    name = inst.name.get(_lang())
    if record is None:
        flash(
            _(
                "«\u00a0%(name)s\u00a0» : les nouveaux scores utilisent les normes fournies.",
                name=name,
            ),
            "info",
        )
    else:
        flash(
            _(
                "«\u00a0%(name)s\u00a0» : les nouveaux scores utilisent les normes locales du"
                " centre, %(v)s.",
                name=name,
                v=local_norms.version_label(record, _lang()),
            ),
            "info",
        )
    return redirect(url_for("admin.instrument_norms", instrument_id=inst.id))
