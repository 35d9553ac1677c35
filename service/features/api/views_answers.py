"""Answers submitted through the API (``POST /api/v1/assignments/{id}/answers``): a whole
questionnaire at once, for paper administrations. Checked, stored, completed and scored
by :mod:`service.features.journey.submission` (the pages' rules and messages); the access
rule is :func:`service.access.api_answer_refusal`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import current_app
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_babel import LazyString, force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from instruments.model import Instrument
from service import access
from service.audit import audit
from service.dates import utcnow
from service.extensions import db
from service.features.api.schemas_answers import AnswersBodySchema, SubmittedSchema
from service.features.api.views import blp, documented
from service.features.api.views_auth import requires
from service.features.api.views_idempotency import idempotent
from service.features.journey import service as journey
from service.features.journey import store as answer_store
from service.features.journey import submission
from service.features.journey.completion import Problem
from service.models import ApiToken, Assignment
from service.web.context import installed_instruments
from service.web.problems import ApiProblem

ANSWER_PROBLEMS = (400, 401, 403, 404, 409, 413, 422, 429, 503)


_document = documented(ANSWER_PROBLEMS)


def _not_found() -> ApiProblem:
    return ApiProblem(
        404,
        _l("Ce questionnaire n’existe pas ou n’est pas accessible avec ce jeton."),
        errors=[{"field": "assignment_id", "in": "path"}],
    )


REFUSALS: dict[str, Any] = {
    "closed": _l(
        "Ce bilan est terminé ou son contenu a été détruit : aucune réponse ne peut plus y"
        " être enregistrée."
    ),
    "no_consent": _l(
        "La personne n’a pas donné son accord pour ce bilan : aucun questionnaire ne peut"
        " être administré avant son consentement."
    ),
    "completed": _l("Ce questionnaire est terminé : les réponses ne peuvent plus être modifiées."),
}


def _lang() -> str:
    return "en" if str(get_locale() or "fr").startswith("en") else "fr"


def _invalid(instrument: Instrument, check: Callable[[], list[Problem]]) -> ApiProblem:
    """The 422 of refused answers: each problem on its item (``field``), with the message
    its page shows, in French and in English; ``detail`` is the pages' sentence."""
    by_lang: dict[str, list[Problem]] = {}
    for lang in ("fr", "en"):
        with force_locale(lang):
            by_lang[lang] = check()
    fr, en = by_lang["fr"], by_lang["en"]
    here = en if _lang() == "en" else fr

    def sentence() -> str:
        lang = _lang()
        return submission.summary(by_lang[lang], instrument, lang)

    errors = [
        {
            "field": f.item_id,
            "in": "body",
            "messages": [h.message],
            "detail_fr": f.message,
            "detail_en": e.message,
        }
        for f, e, h in zip(fr, en, here, strict=True)
    ]
    return ApiProblem(422, LazyString(sentence), errors=errors)


def _busy() -> ApiProblem:
    return ApiProblem(
        503,
        _l("Le serveur est momentanément occupé : renvoyez la demande dans quelques secondes."),
        headers=[("Retry-After", "2")],
    )


@blp.route("/assignments/<int:assignment_id>/answers")
class AssignmentAnswers(MethodView):
    accepts_json = True  # service.web.inputs: this view reads a JSON body

    @idempotent
    @_document
    @requires("answers:write")  # before the body is read: no token, a 401 whatever the body
    @blp.arguments(AnswersBodySchema, as_kwargs=True)
    @blp.response(201, SubmittedSchema)
    def post(
        self,
        token: ApiToken,
        assignment_id: int,
        answers: dict[str, Any],
        seconds: float | None,
        complete: bool,
    ) -> ResponseReturnValue:
        """Réponses d’un questionnaire entier / Submit a whole questionnaire

        Droit : `answers:write`. Pour une passation sur papier : toutes les réponses en une
        fois, vérifiées exactement comme dans les pages du questionnaire (mêmes messages,
        chaque refus sur son item dans `errors`), puis, avec `complete` (par défaut), le
        questionnaire est terminé et coté comme par « Terminer ». Tout ou rien : au moindre
        refus (422), rien n’est enregistré. 409 quand la personne n’a pas donné son accord,
        quand le bilan est terminé ou détruit, ou quand le questionnaire est déjà terminé ;
        404 pour un questionnaire d’un autre centre. Inscrit au journal d’audit.

        Scope: `answers:write`. For a paper administration: every answer at once, checked
        exactly as the questionnaire's pages check them (same messages, each refusal on its
        item in `errors`); then, with `complete` (the default), the questionnaire is
        completed and scored as "Terminer" does. All or nothing: on any refusal (422),
        nothing is stored. 409 when the person has not consented, when the bilan is ended or
        destroyed, or when the questionnaire is already completed; 404 for another centre's
        questionnaire. Written to the audit log."""
        now = utcnow()
        assignment = db.session.get(
            Assignment, assignment_id, options=[joinedload(Assignment.bilan)]
        )
        if assignment is None:
            raise _not_found()
        refusal = access.api_answer_refusal(token, assignment, now)
        if refusal == "not_found":
            raise _not_found()
        if refusal is not None:
            raise ApiProblem(409, REFUSALS[refusal])
        found = journey.answerable_instrument(installed_instruments(), assignment)
        if found is None:  # a version no longer installed: never answered again
            raise ApiProblem(
                409,
                _l(
                    "La version de ce questionnaire n’est plus proposée : il ne peut plus"
                    " être rempli."
                ),
            )
        instrument = found
        per_page = int(current_app.config["ITEMS_PER_PAGE"])
        try:
            outcome = submission.submit(
                db.session,
                assignment,
                instrument,
                answers,
                seconds=float(seconds or 0.0),
                finish=complete,
                per_page=per_page,
            )
            if outcome.problems:
                stored = answer_store.stored_answers(db.session, assignment.id)
                db.session.rollback()

                def check() -> list[Problem]:
                    return submission.check_answers(
                        instrument, answers, stored, finish=complete, per_page=per_page
                    )[1]

                raise _invalid(instrument, check)
            audit(db.session, token, "api_submit_answers", bilan_id=assignment.bilan_id)
            db.session.commit()
        except answer_store.AssignmentClosed:
            db.session.rollback()
            raise ApiProblem(409, REFUSALS["completed"]) from None
        except OperationalError:
            db.session.rollback()
            raise _busy() from None
        db.session.refresh(assignment)
        record = outcome.record
        return _submitted(assignment, record.norm_version if record else None, record is not None)


def _submitted(assignment: Assignment, norm_version: str | None, scored: bool) -> dict[str, Any]:
    return {
        "assignment_id": assignment.id,
        "instrument": assignment.instrument_id,
        "instrument_version": assignment.instrument_version,
        "status": str(getattr(assignment.status, "value", assignment.status)),
        "completed_at": assignment.completed_at,
        "answered": answer_store.count_answered(db.session, assignment.id),
        "scored": scored,
        "norm_version": norm_version,
        "links": {
            "scores": f"/api/v1/assignments/{assignment.id}/scores" if scored else None,
        },
    }


__all__: Sequence[str] = ("AssignmentAnswers",)
