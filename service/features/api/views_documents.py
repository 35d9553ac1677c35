"""Documents through the API: the restitution report of one questionnaire (PDF), the
synthesis once approved (JSON, DOCX, PDF) and the attendance attestation (PDF, JSON).

Each is built by its feature's own builder (:mod:`service.features.profiles.service`,
:mod:`service.features.synthesis.service`, :mod:`service.features.followup.attendance`),
as the pages build it. Access: :func:`service.access.can_read_results_by_token` for the
report and the synthesis, :func:`service.access.can_read_bilan_by_token` for the
attestation (no content). A PDF that cannot be produced on this server is a 503 problem
with ``Retry-After``. Every document sent is written to the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from reports.restitution import PdfUnavailable
from service import access
from service.audit import audit
from service.dates import utcnow
from service.extensions import db
from service.features.api.schemas import ProblemSchema
from service.features.api.schemas_answers import AttestationSchema
from service.features.api.views import SECURITY, blp, documented
from service.features.api.views_auth import requires
from service.features.followup import attendance
from service.features.journey import service as journey
from service.features.profiles import service as restitution
from service.features.synthesis import service as synthesis
from service.models import ApiToken, Assignment, Bilan
from service.web.context import installed_instruments, request_lang
from service.web.problems import ApiProblem
from service.web.responses import MIMETYPES, download

DOCUMENT_PROBLEMS = (400, 401, 403, 404, 405, 409, 422, 429, 503)


def _binary(media_type: str, description: str) -> Callable[[Any], Any]:
    """Document a view answering a file of ``media_type`` (and its problems)."""

    def decorate(view: Any) -> Any:
        for code in DOCUMENT_PROBLEMS:
            view = blp.alt_response(
                code, schema=ProblemSchema, content_type="application/problem+json"
            )(view)
        responses = {
            "200": {
                "description": description,
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
        scope = getattr(view, "api_scope", None)
        security = [{"bearer": [scope]}] if scope else SECURITY
        return blp.doc(security=security, responses=responses)(view)

    return decorate


_document = documented(DOCUMENT_PROBLEMS)


def _file(render: Callable[[], bytes], filename: str) -> Response:
    """``render()`` as a download, or a 503 problem when the PDF engine is missing."""
    try:
        data = render()
    except PdfUnavailable as exc:
        current_app.logger.error("PDF unavailable: %s", exc)
        raise ApiProblem(
            503,
            _l("Le PDF ne peut pas être produit sur ce serveur : %(reason)s", reason=str(exc)),
            headers=[("Retry-After", "3600")],
        ) from None
    return download(data, filename)


def _bilan_not_found() -> ApiProblem:
    return ApiProblem(
        404,
        _l("Ce bilan n’existe pas ou n’est pas accessible avec ce jeton."),
        errors=[{"field": "bilan_id", "in": "path"}],
    )


def _results_bilan(token: ApiToken, bilan_id: int) -> Bilan:
    bilan = db.session.get(Bilan, bilan_id)
    if bilan is None or not access.can_read_results_by_token(token, bilan, utcnow()):
        raise _bilan_not_found()
    return bilan


def _attestation_bilan(token: ApiToken, bilan_id: int) -> Bilan:
    bilan = db.session.get(Bilan, bilan_id)
    if bilan is None or not access.can_read_bilan_by_token(token, bilan, utcnow()):
        raise _bilan_not_found()
    return bilan


# --- the restitution report of one questionnaire ----------------------------------------


@blp.route("/assignments/<int:assignment_id>/report.pdf")
class AssignmentReport(MethodView):
    @_binary("application/pdf", "Le rapport de restitution / The restitution report")
    @requires("results:read")
    def get(self, token: ApiToken, assignment_id: int) -> ResponseReturnValue:
        """Rapport de restitution d’un questionnaire (PDF) / Restitution report (PDF)

        Droit : `results:read`. Le rapport de restitution tel que les pages du conseiller
        le produisent, réduit à ce questionnaire. 409 tant qu’il n’est pas terminé ; 404
        pour un questionnaire anonyme ou d’un autre centre. Inscrit au journal d’audit.

        Scope: `results:read`. The restitution report as the counsellor's pages make it,
        with this questionnaire only. 409 until it is completed; 404 for an anonymous
        questionnaire or another centre's. Written to the audit log."""
        assignment = db.session.get(
            Assignment, assignment_id, options=[joinedload(Assignment.bilan)]
        )
        instruments = installed_instruments()
        if (
            assignment is None
            or not access.can_read_results_by_token(token, assignment.bilan, utcnow())
            or access.is_anonymous(assignment, journey.instrument_for(instruments, assignment))
        ):
            raise ApiProblem(
                404,
                _l("Ce questionnaire n’existe pas ou n’est pas accessible avec ce jeton."),
                errors=[{"field": "assignment_id", "in": "path"}],
            )
        if not assignment.is_completed:
            raise ApiProblem(
                409, _l("Ce questionnaire n’est pas terminé : il n’a pas encore de rapport.")
            )
        bilan = assignment.bilan
        tr = get_translations()
        response = _file(
            lambda: restitution.report_pdf(
                db.session, bilan, instruments, request_lang(), tr, assignment_id=assignment.id
            ),
            f"rapport-restitution-questionnaire-{assignment.id}.pdf",
        )
        audit(db.session, token, "api_report_pdf", bilan_id=bilan.id)
        db.session.commit()
        return response


# --- the synthesis, once approved -------------------------------------------------------


def _synthesis(token: ApiToken, bilan_id: int, fmt: str) -> Response:
    bilan = _results_bilan(token, bilan_id)
    version = synthesis.approved(db.session, bilan)
    if version is None:
        raise ApiProblem(
            409,
            _l(
                "Le document de synthèse n’est pas encore approuvé par la personne : il n’est"
                " disponible qu’une fois approuvé."
            ),
        )
    tr = get_translations()
    document = synthesis.build_document(
        db.session, bilan, version, installed_instruments(), request_lang(), tr, png=fmt == "docx"
    )
    response = _file(
        lambda: synthesis.export(document, fmt, tr), synthesis.filename(bilan, document, fmt)
    )
    audit(db.session, token, f"api_synthesis_{fmt}", bilan_id=bilan.id)
    db.session.commit()
    return response


SYNTHESIS_DOC = """

        Droit : `results:read`. Le document de synthèse approuvé par la personne, tel que
        les pages l’exportent (seuls les résultats qu’elle a approuvés). 409 tant qu’il
        n’est pas approuvé ; 404 pour un bilan d’un autre centre. Inscrit au journal
        d’audit.

        Scope: `results:read`. The synthesis the person approved, as the pages export it
        (only the results they approved). 409 until it is approved; 404 for another
        centre's bilan. Written to the audit log."""


@blp.route("/bilans/<int:bilan_id>/synthesis.json")
class SynthesisJson(MethodView):
    @_binary(MIMETYPES["json"], "Le document de synthèse / The synthesis")
    @requires("results:read")
    def get(self, token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        return _synthesis(token, bilan_id, "json")

    get.__doc__ = "Document de synthèse (JSON) / Synthesis (JSON)" + SYNTHESIS_DOC


@blp.route("/bilans/<int:bilan_id>/synthesis.docx")
class SynthesisDocx(MethodView):
    @_binary(MIMETYPES["docx"], "Le document de synthèse / The synthesis")
    @requires("results:read")
    def get(self, token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        return _synthesis(token, bilan_id, "docx")

    get.__doc__ = "Document de synthèse (DOCX) / Synthesis (DOCX)" + SYNTHESIS_DOC


@blp.route("/bilans/<int:bilan_id>/synthesis.pdf")
class SynthesisPdf(MethodView):
    @_binary(MIMETYPES["pdf"], "Le document de synthèse / The synthesis")
    @requires("results:read")
    def get(self, token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        return _synthesis(token, bilan_id, "pdf")

    get.__doc__ = "Document de synthèse (PDF) / Synthesis (PDF)" + SYNTHESIS_DOC


# --- the attendance attestation (no content) --------------------------------------------


ATTESTATION_DOC = """

        Droit : `bilans:write`. L’attestation d’assiduité pour le financeur, telle que les
        pages du conseiller la produisent : dates et heures seulement, jamais de contenu.
        404 pour un bilan d’un autre centre. Inscrit au journal d’audit.

        Scope: `bilans:write`. The attendance attestation for the funder, as the
        counsellor's pages make it: dates and hours only, never any content. 404 for
        another centre's bilan. Written to the audit log."""


@blp.route("/bilans/<int:bilan_id>/attestation.pdf")
class AttestationPdf(MethodView):
    @_binary("application/pdf", "L’attestation d’assiduité / The attendance attestation")
    @requires("bilans:write")
    def get(self, token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        bilan = _attestation_bilan(token, bilan_id)
        tr = get_translations()
        response = _file(
            lambda: attendance.attendance_pdf(db.session, bilan, request_lang(), tr),
            f"attestation-assiduite-bilan-{bilan.id}.pdf",
        )
        audit(db.session, token, "api_attestation_pdf", bilan_id=bilan.id)
        db.session.commit()
        return response

    get.__doc__ = "Attestation d’assiduité (PDF) / Attendance attestation (PDF)" + ATTESTATION_DOC


@blp.route("/bilans/<int:bilan_id>/attestation.json")
class AttestationJson(MethodView):
    @_document
    @blp.response(200, AttestationSchema)
    @requires("bilans:write")
    def get(self, token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        bilan = _attestation_bilan(token, bilan_id)
        found = attendance.build_attendance(db.session, bilan, request_lang())
        audit(db.session, token, "api_attestation_json", bilan_id=bilan.id)
        db.session.commit()
        return {
            "bilan_id": bilan.id,
            "centre": found.centre,
            "beneficiary": found.beneficiary,
            "start": found.start,
            "end": found.end,
            "issued_on": found.issued_on,
            "completed": found.completed,
            "interviews": [
                {"day": i.day, "minutes": i.minutes, "mode": i.mode} for i in found.interviews
            ],
            "interview_minutes": found.interview_minutes,
            "personal_minutes": found.personal_minutes,
            "questionnaire_minutes": found.questionnaire_minutes,
            "questionnaires_done": found.questionnaires_done,
            "total_minutes": found.total_minutes,
            "funding": found.funding,
            "commanditaire": found.commanditaire,
            "counsellors": list(found.counsellors),
        }

    get.__doc__ = "Attestation d’assiduité (JSON) / Attendance attestation (JSON)" + ATTESTATION_DOC
