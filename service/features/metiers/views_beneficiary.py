"""The job database for the beneficiary: /espace/metiers (search),
/espace/metiers/competences (competence search) and /espace/metiers/<code>."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import login_required

from service.features.metiers import pages
from service.web import guards
from service.web.blueprints import beneficiary as bp


@bp.get("/metiers")
@login_required
def metiers() -> ResponseReturnValue:
    guards.beneficiary_only()
    return pages.search_page("beneficiary")


@bp.get("/metiers/competences")
@login_required
def metiers_competences() -> ResponseReturnValue:
    guards.beneficiary_only()
    return pages.competences_page("beneficiary")


@bp.get("/metiers/<code_rome>")
@login_required
def metier(code_rome: str) -> ResponseReturnValue:
    guards.beneficiary_only()
    return pages.fiche_page("beneficiary", code_rome)


@bp.get("/questionnaires/<int:assignment_id>/pistes")
@login_required
def pistes(assignment_id: int) -> ResponseReturnValue:
    return pages.pistes_page("beneficiary", guards.own_assignment(assignment_id))
