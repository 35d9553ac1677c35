"""The person's portfolio pages: /espace/bilans/<id>/portefeuille (competences and
réalisations), .../historique (the changes) and .../ecarts (the gap analysis, read only:
the counsellor chooses the targets with them)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from service import access
from service.extensions import db
from service.features.portfolio import pages
from service.models import Bilan
from service.web import guards
from service.web.blueprints import beneficiary as bp

AUDIENCE = "beneficiary"


@bp.context_processor
def _portfolio_helpers() -> dict[str, object]:
    """``portfolio_available(bilan_id)`` for the home page: the person may use the
    portfolio of that bilan (queried only when a template asks)."""

    def portfolio_available(bilan_id: int) -> bool:
        if not access.is_beneficiary(current_user):
            return False
        bilan = db.session.get(Bilan, bilan_id)
        return bilan is not None and access.can_use_portfolio(current_user, bilan)

    return {"portfolio_available": portfolio_available}


@bp.get("/bilans/<int:bilan_id>/portefeuille", endpoint="portfolio")
@login_required
def portfolio(bilan_id: int) -> ResponseReturnValue:
    return pages.render_portfolio(AUDIENCE, guards.own_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/portefeuille/competences")
@login_required
def add_portfolio_entry(bilan_id: int) -> ResponseReturnValue:
    return pages.add_entry(AUDIENCE, guards.own_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/portefeuille/competences/<int:entry_id>")
@login_required
def edit_portfolio_entry(bilan_id: int, entry_id: int) -> ResponseReturnValue:
    return pages.edit_entry(AUDIENCE, guards.own_bilan(bilan_id), entry_id)


@bp.post("/bilans/<int:bilan_id>/portefeuille/competences/<int:entry_id>/suppression")
@login_required
def delete_portfolio_entry(bilan_id: int, entry_id: int) -> ResponseReturnValue:
    return pages.delete_entry(AUDIENCE, guards.own_bilan(bilan_id), entry_id)


@bp.post("/bilans/<int:bilan_id>/portefeuille/realisations")
@login_required
def add_realisation(bilan_id: int) -> ResponseReturnValue:
    return pages.add_realisation(AUDIENCE, guards.own_bilan(bilan_id))


@bp.post("/bilans/<int:bilan_id>/portefeuille/realisations/<int:realisation_id>/suppression")
@login_required
def delete_realisation(bilan_id: int, realisation_id: int) -> ResponseReturnValue:
    return pages.delete_realisation(AUDIENCE, guards.own_bilan(bilan_id), realisation_id)


@bp.get("/bilans/<int:bilan_id>/portefeuille/historique")
@login_required
def portfolio_history(bilan_id: int) -> ResponseReturnValue:
    return pages.render_history(AUDIENCE, guards.own_bilan(bilan_id))


@bp.get("/bilans/<int:bilan_id>/portefeuille/ecarts")
@login_required
def gap_analysis(bilan_id: int) -> ResponseReturnValue:
    return pages.render_gap(AUDIENCE, guards.own_bilan(bilan_id))
