"""The counsellor's portfolio pages: /conseil/bilans/<id>/portefeuille (the person's
competences and réalisations, edited with them), .../historique, and .../ecarts (the gap
analysis: target fiches chosen by job title, gaps turned into actions of the plan)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import login_required

from service.features.portfolio import pages
from service.web import guards
from service.web.blueprints import counsellor as bp

AUDIENCE = "counsellor"


@bp.get("/bilans/<int:bilan_id>/portefeuille", endpoint="portfolio")
@login_required
def portfolio(bilan_id: int) -> ResponseReturnValue:
    return pages.render_portfolio(AUDIENCE, guards.managed_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/portefeuille/competences")
@login_required
def add_portfolio_entry(bilan_id: int) -> ResponseReturnValue:
    return pages.add_entry(AUDIENCE, guards.managed_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/portefeuille/competences/<int:entry_id>")
@login_required
def edit_portfolio_entry(bilan_id: int, entry_id: int) -> ResponseReturnValue:
    return pages.edit_entry(AUDIENCE, guards.managed_bilan(bilan_id), entry_id)


@bp.post("/bilans/<int:bilan_id>/portefeuille/competences/<int:entry_id>/suppression")
@login_required
def delete_portfolio_entry(bilan_id: int, entry_id: int) -> ResponseReturnValue:
    return pages.delete_entry(AUDIENCE, guards.managed_bilan(bilan_id), entry_id)


@bp.post("/bilans/<int:bilan_id>/portefeuille/realisations")
@login_required
def add_realisation(bilan_id: int) -> ResponseReturnValue:
    return pages.add_realisation(AUDIENCE, guards.managed_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/portefeuille/realisations/<int:realisation_id>/suppression")
@login_required
def delete_realisation(bilan_id: int, realisation_id: int) -> ResponseReturnValue:
    return pages.delete_realisation(AUDIENCE, guards.managed_bilan(bilan_id), realisation_id)


@bp.get("/bilans/<int:bilan_id>/portefeuille/historique")
@login_required
def portfolio_history(bilan_id: int) -> ResponseReturnValue:
    return pages.render_history(AUDIENCE, guards.managed_bilan(bilan_id))


@bp.get("/bilans/<int:bilan_id>/portefeuille/ecarts")
@login_required
def gap_analysis(bilan_id: int) -> ResponseReturnValue:
    return pages.render_gap(AUDIENCE, guards.managed_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/portefeuille/ecarts/cibles")
@login_required
def add_gap_target(bilan_id: int) -> ResponseReturnValue:
    return pages.add_target(AUDIENCE, guards.managed_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/portefeuille/ecarts/cibles/<int:target_id>/suppression")
@login_required
def delete_gap_target(bilan_id: int, target_id: int) -> ResponseReturnValue:
    return pages.delete_target(AUDIENCE, guards.managed_bilan(bilan_id), target_id)


@bp.post("/bilans/<int:bilan_id>/portefeuille/ecarts/cibles/<int:target_id>/plan")
@login_required
def add_gap_action(bilan_id: int, target_id: int) -> ResponseReturnValue:
    return pages.add_gap_action(AUDIENCE, guards.managed_bilan(bilan_id), target_id)
