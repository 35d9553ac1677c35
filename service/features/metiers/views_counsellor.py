"""The job database for staff: /conseil/metiers (search),
/conseil/metiers/competences (competence search) and /conseil/metiers/<code>."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import login_required

from service.features.metiers import pages
from service.web import guards
from service.web.blueprints import counsellor as bp


@bp.get("/metiers")
@login_required
def metiers() -> ResponseReturnValue:
    guards.staff_only()
    return pages.search_page("counsellor")


@bp.get("/metiers/competences")
@login_required
def metiers_competences() -> ResponseReturnValue:
    guards.staff_only()
    return pages.competences_page("counsellor")


@bp.get("/metiers/<code_rome>")
@login_required
def metier(code_rome: str) -> ResponseReturnValue:
    guards.staff_only()
    return pages.fiche_page("counsellor", code_rome)


@bp.get("/questionnaires/<int:assignment_id>/pistes")
@login_required
def pistes(assignment_id: int) -> ResponseReturnValue:
    return pages.pistes_page("counsellor", guards.managed_assignment(assignment_id))
