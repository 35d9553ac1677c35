"""The results side of the API (``results:read``): a bilan's scored questionnaires, one
questionnaire's scores and profile, its pistes (métiers matches), the bilan's gap analysis.

Every route needs the person's agreement to THIS token
(:func:`service.access.can_read_results_by_token`, recorded on their page
``/espace/bilans/<id>/partage-resultats``). Without it, the answer is 404, the same as for
an unknown id or another centre's bilan: a token that was not given the results is not
told whether the bilan or the questionnaire exists (403 is kept for a token without the
scope, which says nothing about any bilan). A questionnaire the token may read but whose
results were not yet presented to the person answers 409: nothing leaves before the person
has it. Each call is written to the audit log with the token as actor."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_babel import force_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from instruments.model import Instrument
from reports.profile import ProfileView
from service import access
from service.audit import audit
from service.dates import utcnow
from service.extensions import db
from service.features.api import paging
from service.features.api.schemas import ProblemSchema
from service.features.api.schemas_results import (
    GapSchema,
    PistesArgsSchema,
    PistesSchema,
    ResultsListSchema,
    ScoresSchema,
)
from service.features.api.views import _document, blp
from service.features.api.views_auth import requires
from service.features.journey import service as journey
from service.features.metiers import matches
from service.features.portfolio import service as portfolio
from service.features.profiles import service as restitution
from service.models import ApiToken, Assignment, Bilan, ScoreRecord
from service.web.context import installed_instruments
from service.web.problems import ApiProblem

SCOPE = access.RESULTS_SCOPE
#: The level of the confidence bands of the profiles (``reports.profile``: 90 %).
CONFIDENCE = 0.90


def _no_bilan() -> ApiProblem:
    return ApiProblem(
        404,
        _l("Ce bilan n’existe pas ou ses résultats ne sont pas accessibles avec ce jeton."),
        errors=[{"field": "bilan_id", "in": "path"}],
    )


def _no_assignment() -> ApiProblem:
    return ApiProblem(
        404,
        _l("Ce questionnaire n’existe pas ou ses résultats ne sont pas accessibles avec ce jeton."),
        errors=[{"field": "assignment_id", "in": "path"}],
    )


def _bilan(token: ApiToken, bilan_id: int) -> Bilan:
    bilan = db.session.get(Bilan, bilan_id)
    if bilan is None or not access.can_read_results_by_token(token, bilan, utcnow()):
        raise _no_bilan()
    return bilan


def _scored(token: ApiToken, assignment_id: int) -> tuple[Assignment, Instrument, ScoreRecord]:
    """The questionnaire, its instrument and its score record, when the token may read
    them (404 otherwise) and the person has been given them (409 before)."""
    assignment = db.session.get(Assignment, assignment_id, options=[joinedload(Assignment.bilan)])
    instrument = journey.instrument_for(installed_instruments(), assignment) if assignment else None
    if assignment is None or not access.can_read_assignment_results_by_token(
        token, assignment, instrument, utcnow()
    ):
        raise _no_assignment()
    record = restitution.score_record(db.session, assignment)
    if record is None or instrument is None:
        raise _no_assignment()
    if not access.results_released(assignment):
        raise ApiProblem(
            409,
            _l(
                "Les résultats de ce questionnaire n’ont pas encore été présentés à la"
                " personne : ils seront lisibles ensuite."
            ),
            errors=[{"field": "assignment_id", "in": "path"}],
        )
    return assignment, instrument, record


def _profiles(record: ScoreRecord, instrument: Instrument) -> dict[str, ProfileView]:
    """The profile in French and in English (:func:`profiles.service.profile_of`, as the
    pages build it)."""
    out = {}
    for lang in ("fr", "en"):
        with force_locale(lang):
            out[lang] = restitution.profile_of(record, instrument, lang, get_translations())
    return out


def _both(fr: str | None, en: str | None) -> dict[str, str | None] | None:
    return None if fr is None else {"fr": fr, "en": en}


def _scores(assignment: Assignment, instrument: Instrument, record: ScoreRecord) -> dict[str, Any]:
    views = _profiles(record, instrument)
    fr, en = views["fr"], views["en"]
    en_scales = {s.id: s for s in en.scales}
    scales = []
    for s in fr.scales:
        e = en_scales[s.id]
        band = None
        if s.level is not None and s.level_label is not None:
            band = {
                "code": s.level,
                "label": {"fr": s.level_label, "en": e.level_label},
                "metric": s.level_metric,
            }
        scales.append(
            {
                "id": s.id,
                "name": {"fr": s.name, "en": e.name},
                "tier": s.tier,
                "parent": s.parent,
                "method": s.method,
                "missing": s.missing,
                "answered": s.answered,
                "n_items": s.n_items,
                "raw": s.raw,
                "mean": s.mean,
                "range": list(s.range) if s.range is not None else None,
                "t": s.t,
                "t_low": s.t_low,
                "t_high": s.t_high,
                "percentile": s.percentile_value,
                "percentile_low": s.percentile_low,
                "percentile_high": s.percentile_high,
                "band": band,
            }
        )
    en_flags = {f.key: f for f in en.flags}
    flags = [
        {
            "key": f.key,
            "message": {"fr": f.message, "en": en_flags[f.key].message},
            "plain": {"fr": f.plain, "en": en_flags[f.key].plain},
        }
        for f in fr.flags
    ]
    profile = instrument.profile
    letters = dict(profile.scales) if profile is not None and profile.type == "riasec" else {}
    en_ranks = {v.scale_id: v for v in en.value_ranks}
    return {
        "assignment_id": assignment.id,
        "bilan_id": assignment.bilan_id,
        "instrument_id": assignment.instrument_id,
        "instrument_version": assignment.instrument_version,
        "instrument_key": record.instrument_key,
        "norm_version": record.norm_version,
        "normed": fr.normed,
        "norm_group": _both(fr.norm_group, en.norm_group),
        "completed_at": assignment.completed_at,
        "computed_at": record.computed_at,
        "confidence": CONFIDENCE,
        "scales": scales,
        "flags": flags,
        "holland_code": fr.riasec_code,
        "riasec": [
            {"letter": letter, "scale_id": letters.get(letter, ""), "score": score}
            for letter, _name, score in fr.riasec_scores
        ],
        "values": [
            {
                "scale_id": v.scale_id,
                "name": {"fr": v.name, "en": en_ranks[v.scale_id].name},
                "rank": v.rank_value,
                "tied": v.tied,
                "score": v.score,
            }
            for v in fr.value_ranks
        ],
        "stored": dict(record.scores),
    }


@blp.route("/bilans/<int:bilan_id>/results")
class BilanResults(MethodView):
    @_document
    @blp.response(200, ResultsListSchema)
    @requires(SCOPE)
    def get(self, token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        """Questionnaires scorés d’un bilan / A bilan's scored questionnaires

        Droit : `results:read`, et l’accord de la personne pour ce jeton (donné sur sa page
        « Transmettre mes résultats ») ; sans cet accord, 404 comme pour un bilan inconnu.
        Chaque questionnaire terminé et scoré (jamais un questionnaire anonyme) : son
        instrument et sa version, la version des normes, la date de fin, et s’il a été
        présenté à la personne. Inscrit au journal d’audit.

        Scope: `results:read`, and the person's agreement to this token (given on their
        page); without it, 404 as for an unknown bilan. Each completed, scored
        questionnaire (never an anonymous one): its instrument and version, the norm
        version, when it was completed, and whether it was released to the person.
        Written to the audit log."""
        bilan = _bilan(token, bilan_id)
        rows = restitution.scored_questionnaires(db.session, bilan, installed_instruments())
        audit(db.session, token, "api_list_results", bilan_id=bilan.id)
        db.session.commit()
        return {
            "bilan_id": bilan.id,
            "data": [
                {
                    "assignment_id": a.id,
                    "instrument_id": a.instrument_id,
                    "instrument_version": a.instrument_version,
                    "norm_version": record.norm_version,
                    "completed_at": a.completed_at,
                    "released": access.results_released(a),
                }
                for a, _inst, record in rows
            ],
        }


@blp.route("/assignments/<int:assignment_id>/scores")
class AssignmentScores(MethodView):
    @_document
    @blp.alt_response(409, schema=ProblemSchema, content_type="application/problem+json")
    @blp.response(200, ScoresSchema)
    @requires(SCOPE)
    def get(self, token: ApiToken, assignment_id: int) -> ResponseReturnValue:
        """Scores et profil d’un questionnaire / A questionnaire's scores and profile

        Droit : `results:read` et l’accord de la personne pour ce jeton (sinon 404). Les
        scores enregistrés et le profil tel que les pages le montrent : versions de
        l’instrument et des normes, par échelle le score brut, la moyenne, la note T et le
        rang percentile avec leur bande de confiance à 90 %, le niveau et son libellé
        (fr/en) ; les indices de validité en mots (fr/en) ; le code de Holland (RIASEC) ;
        le rang des valeurs. 409 tant que les résultats n’ont pas été présentés à la
        personne. Inscrit au journal d’audit.

        Scope: `results:read` and the person's agreement to this token (else 404). The
        stored scores and the profile as the pages show it: instrument and norm versions;
        per scale the raw score, mean, T score and percentile with their 90 % confidence
        band, the band and its label (fr/en); validity flags in words (fr/en); the Holland
        code (RIASEC); the values' ranks. 409 until the results are released to the
        person. Written to the audit log."""
        assignment, instrument, record = _scored(token, assignment_id)
        body = _scores(assignment, instrument, record)
        audit(
            db.session,
            token,
            "api_view_scores",
            bilan_id=assignment.bilan_id,
            assignment_id=assignment.id,
        )
        db.session.commit()
        return body


def _explanation(status: str) -> dict[str, str | None] | None:
    """Why there is no ranking, in the words of the pistes pages (fr and en)."""
    out: dict[str, str] = {}
    for lang in ("fr", "en"):
        with force_locale(lang):
            if status == "low":
                text = _(
                    "Peu d’activités du questionnaire suscitent de l’attrait aujourd’hui :"
                    " un classement des métiers n’aurait pas de sens."
                )
            elif status == "flat":
                text = _(
                    "Aucun type d’intérêts ne se détache nettement (profil plat) : un"
                    " classement des métiers serait arbitraire."
                )
            elif status == "missing":
                text = _("Pas assez de réponses pour établir un code à trois lettres.")
            elif status == "empty":
                text = _("La base de métiers n’est pas encore chargée.")
            else:
                return None
            out[lang] = str(text)
    return {"fr": out["fr"], "en": out["en"]}


@blp.route("/assignments/<int:assignment_id>/pistes")
class AssignmentPistes(MethodView):
    @_document
    @blp.alt_response(409, schema=ProblemSchema, content_type="application/problem+json")
    @blp.arguments(PistesArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, PistesSchema)
    @requires(SCOPE)
    def get(
        self, token: ApiToken, assignment_id: int, limit: int, cursor: str | None
    ) -> ResponseReturnValue:
        """Pistes de métiers d’un questionnaire RIASEC / Métiers matches of a RIASEC questionnaire

        Droit : `results:read` et l’accord de la personne pour ce jeton (sinon 404). Les
        fiches ROME classées par congruence avec le code d’intérêts, comme sur les pages
        « Pistes à explorer » : des pistes à discuter, jamais une orientation. Un profil
        plat ou bas ne donne aucun classement (`status` et `explanation`). Pagination par
        curseur. 404 pour un questionnaire sans profil RIASEC. Inscrit au journal d’audit.

        Scope: `results:read` and the person's agreement to this token (else 404). The ROME
        fiches ranked by congruence with the interest code, as on the "pistes" pages:
        leads to discuss, never a verdict. A flat or low profile gives no ranking
        (`status` and `explanation`). Cursor paging. 404 for a questionnaire without a
        RIASEC profile. Written to the audit log."""
        assignment, instrument, record = _scored(token, assignment_id)
        profile = instrument.profile
        if profile is None or profile.type != "riasec":
            raise _no_assignment()
        offset = paging.decode_id(cursor)  # the rank reached: an id-like key
        found = matches.pistes(db.session, instrument, record.scores, limit=offset + limit)
        page = found.rows[offset : offset + limit]
        more = found.total > offset + limit
        audit(
            db.session,
            token,
            "api_view_pistes",
            bilan_id=assignment.bilan_id,
            assignment_id=assignment.id,
        )
        db.session.commit()
        return {
            "assignment_id": assignment.id,
            "status": found.status,
            "explanation": _explanation(found.status),
            "person_code": found.person_code,
            "strongest": [letter for letter, _name in found.strongest],
            "total": found.total,
            "data": [
                {
                    "code_rome": p.code_rome,
                    "label": p.label,
                    "domaine": p.domaine,
                    "riasec": p.riasec,
                    "tags": list(p.tags),
                    "rank": p.rank,
                    "tied": p.tied,
                    "index": p.index_value,
                    "shared": [
                        {"letter": s.letter, "places": list(s.places), "same_place": s.same_place}
                        for s in p.shared
                    ],
                    "macros": list(p.macros),
                    "more_macros": p.more_macros,
                }
                for p in page
            ],
            "next_cursor": paging.encode(str(offset + limit)) if more else None,
        }


@blp.route("/bilans/<int:bilan_id>/gap")
class BilanGap(MethodView):
    @_document
    @blp.response(200, GapSchema)
    @requires(SCOPE)
    def get(self, token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        """Analyse des écarts du portefeuille / The portfolio's gap analysis

        Droit : `results:read` et l’accord de la personne pour ce jeton (sinon 404). Pour
        chaque fiche cible choisie : les compétences que la fiche demande, groupées par
        macro-compétence, chacune acquise (`held`), à développer (`develop`) ou absente du
        portefeuille (`missing`), avec l’auto-évaluation ; ce qu’une version plus récente
        du ROME a changé (en français). Inscrit au journal d’audit.

        Scope: `results:read` and the person's agreement to this token (else 404). For each
        target fiche chosen: the competences the fiche requires, grouped by
        macro-competence, each held, to develop or missing from the portfolio, with the
        self-rating; what a newer ROME release changed (in French). Written to the audit
        log."""
        bilan = _bilan(token, bilan_id)
        analyses = portfolio.analyses(db.session, bilan)
        audit(db.session, token, "api_view_gap", bilan_id=bilan.id)
        db.session.commit()
        return {
            "bilan_id": bilan.id,
            "data": [
                {
                    "target_id": g.target.id,
                    "code_rome": g.target.code_rome,
                    "label": g.target.label,
                    "fiche_label": g.fiche_label,
                    "appellation": g.target.appellation,
                    "changes": list(g.changes),
                    "required": g.required,
                    "held": g.held,
                    "share": g.share,
                    "sections": [
                        {
                            "kind": s.kind,
                            "groups": [
                                {
                                    "macro_label": grp.macro_label,
                                    "items": [
                                        {
                                            "code_ogr": i.code_ogr,
                                            "label": i.label,
                                            "status": i.status,
                                            "rating": i.rating,
                                            "change": i.change,
                                            "planned": i.code_ogr in g.planned,
                                        }
                                        for i in grp.items
                                    ],
                                }
                                for grp in s.groups
                            ],
                        }
                        for s in g.sections
                    ],
                }
                for g in analyses
            ],
        }
