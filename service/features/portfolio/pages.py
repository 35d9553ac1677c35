"""The portfolio pages, shared by the person's routes (/espace/bilans/<id>/portefeuille...)
and the counsellor's (/conseil/bilans/<id>/portefeuille...): the views load the bilan with
their audience's guard, and call these. Each check of access is
:mod:`service.access`'s; each change one function of :mod:`.service`, then a commit and a
redirect (a refused change: the page again, with the reason, a 4xx, nothing written).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, format_percent
from flask_babel import gettext as _
from flask_login import current_user

from service import access
from service.extensions import db
from service.features.metiers import search
from service.features.metiers.service import current_source
from service.features.portfolio import service
from service.models import Bilan
from service.web.forms import ActionForm
from service.web.inputs import parse_id

PICK_LIMIT = 15


def actor() -> service.Actor:
    kind = "beneficiary" if access.is_beneficiary(current_user) else "staff"
    return service.Actor(kind, int(current_user.id))


def _query() -> tuple[str, str | None]:
    """The search typed in the query string, and an error when it is too long."""
    q = (request.args.get("q") or "").strip()
    if len(q) > search.MAX_QUERY:
        return "", _(
            "« Rechercher » : la recherche est trop longue (%(max)s caractères au plus).",
            max=search.MAX_QUERY,
        )
    return q, None


def render_portfolio(
    audience: str, bilan: Bilan, *, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    access.require(access.can_use_portfolio(current_user, bilan), hide=False)
    q, too_long = _query()
    hits = search.search_competences(db.session, q, limit=PICK_LIMIT) if q else []
    hits = [h for h in hits if h.category in (service.SAVOIR_FAIRE, service.SAVOIR_ETRE)]
    rows = service.entries(db.session, bilan)
    return (
        render_template(
            "portfolio/portfolio.html",
            audience=audience,
            bilan=bilan,
            q=q,
            hits=hits,
            entries=rows,
            changes=service.entry_changes(db.session, rows),
            realisations=service.realisations(db.session, bilan),
            ratings=service.RATINGS,
            sources=service.SOURCES,
            limits={
                "label": service.LABEL_MAX,
                "title": service.TITLE_MAX,
                "text": service.TEXT_MAX,
                "period": service.PERIOD_MAX,
            },
            error=error or too_long,
            action_form=ActionForm(),
            source=current_source(db.session),
        ),
        400 if too_long and status == 200 else status,
    )


def render_gap(
    audience: str, bilan: Bilan, *, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    access.require(access.can_use_portfolio(current_user, bilan), hide=False)
    may_choose = access.can_choose_gap_targets(current_user, bilan)
    q, too_long = _query()
    hits = search.search_appellations(db.session, q, limit=PICK_LIMIT) if q and may_choose else []
    return (
        render_template(
            "portfolio/gap.html",
            audience=audience,
            bilan=bilan,
            q=q,
            hits=hits,
            may_choose=may_choose,
            fmt_share=lambda share: format_percent(share, "#,##0 %"),
            analyses=service.analyses(db.session, bilan),
            ratings={k: str(v) for k, v in service.RATINGS.items()},
            error=error or too_long,
            action_form=ActionForm(),
            source=current_source(db.session),
        ),
        400 if too_long and status == 200 else status,
    )


def render_history(audience: str, bilan: Bilan) -> ResponseReturnValue:
    access.require(access.can_use_portfolio(current_user, bilan), hide=False)
    return render_template(
        "portfolio/history.html",
        audience=audience,
        bilan=bilan,
        rows=service.history(db.session, bilan),
        fmt_at=lambda at: format_datetime(at, "short"),
    )


def _change(
    audience: str,
    bilan: Bilan,
    do: Callable[[], object],
    done: str,
    *,
    page: str = "portfolio",
    require_choose: bool = False,
) -> ResponseReturnValue:
    allowed = (
        access.can_choose_gap_targets(current_user, bilan)
        if require_choose
        else access.can_use_portfolio(current_user, bilan)
    )
    access.require(allowed, hide=False)
    render = render_gap if page == "gap" else render_portfolio
    try:
        do()
    except LookupError:
        db.session.rollback()
        return render(audience, bilan, error=_("Cet élément n’existe plus."), status=404)
    except service.PortfolioError as exc:
        db.session.rollback()
        return render(audience, bilan, error=str(exc), status=exc.status)
    db.session.commit()
    flash(done, "info")
    endpoint = f"{audience}.{'gap_analysis' if page == 'gap' else 'portfolio'}"
    return redirect(url_for(endpoint, bilan_id=bilan.id))


def add_entry(audience: str, bilan: Bilan) -> ResponseReturnValue:
    form = request.form
    raw_code = form.get("code_ogr")
    code = parse_id(raw_code) if raw_code else None
    if raw_code and code is None:
        return render_portfolio(
            audience, bilan, error=_("« Compétence » : choisissez une compétence de la liste."),
            status=422,
        )  # fmt: skip
    return _change(
        audience,
        bilan,
        lambda: service.add_entry(
            db.session,
            bilan,
            actor(),
            code_ogr=code,
            label=form.get("label"),
            rating=form.get("rating"),
            source=form.get("source"),
        ),
        _("Compétence ajoutée au portefeuille."),
    )


def edit_entry(audience: str, bilan: Bilan, entry_id: int) -> ResponseReturnValue:
    form = request.form
    return _change(
        audience,
        bilan,
        lambda: service.update_entry(
            db.session,
            bilan,
            actor(),
            entry_id,
            label=form.get("label"),
            rating=form.get("rating"),
            source=form.get("source"),
        ),
        _("Compétence enregistrée."),
    )


def delete_entry(audience: str, bilan: Bilan, entry_id: int) -> ResponseReturnValue:
    return _change(
        audience,
        bilan,
        lambda: service.delete_entry(db.session, bilan, actor(), entry_id),
        _("Compétence retirée du portefeuille."),
    )


def add_realisation(audience: str, bilan: Bilan) -> ResponseReturnValue:
    form = request.form
    ids = [parse_id(v) for v in form.getlist("entries")]
    if any(i is None for i in ids):
        return render_portfolio(
            audience, bilan,
            error=_("« Compétences montrées » : choisissez des compétences de ce portefeuille."),
            status=422,
        )  # fmt: skip
    return _change(
        audience,
        bilan,
        lambda: service.add_realisation(
            db.session,
            bilan,
            actor(),
            title=form.get("title"),
            context=form.get("context"),
            action=form.get("action"),
            result=form.get("result"),
            period=form.get("period"),
            entry_ids=[i for i in ids if i is not None],
        ),
        _("Réalisation ajoutée."),
    )


def delete_realisation(audience: str, bilan: Bilan, realisation_id: int) -> ResponseReturnValue:
    return _change(
        audience,
        bilan,
        lambda: service.delete_realisation(db.session, bilan, actor(), realisation_id),
        _("Réalisation retirée."),
    )


def add_target(audience: str, bilan: Bilan) -> ResponseReturnValue:
    code = parse_id(request.form.get("appellation", ""))
    if code is None:
        access.require(access.can_choose_gap_targets(current_user, bilan), hide=False)
        return render_gap(
            audience, bilan, error=_("« Métier cible » : choisissez un métier de la liste."),
            status=422,
        )  # fmt: skip
    return _change(
        audience,
        bilan,
        lambda: service.add_target(db.session, bilan, actor(), code),
        _("Métier cible ajouté à l’analyse des écarts."),
        page="gap",
        require_choose=True,
    )


def delete_target(audience: str, bilan: Bilan, target_id: int) -> ResponseReturnValue:
    return _change(
        audience,
        bilan,
        lambda: service.delete_target(db.session, bilan, actor(), target_id),
        _("Métier cible retiré de l’analyse."),
        page="gap",
        require_choose=True,
    )


def add_gap_action(audience: str, bilan: Bilan, target_id: int) -> ResponseReturnValue:
    code = parse_id(request.form.get("code_ogr", ""))
    if code is None:
        access.require(access.can_choose_gap_targets(current_user, bilan), hide=False)
        return render_gap(
            audience, bilan,
            error=_("« Compétence » : choisissez une compétence manquante ou à développer."),
            status=422,
        )  # fmt: skip
    return _change(
        audience,
        bilan,
        lambda: service.add_gap_action(db.session, bilan, target_id, code),
        _("Action ajoutée au plan d’action."),
        page="gap",
        require_choose=True,
    )
