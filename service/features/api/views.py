"""The API's resources (``/api/v1``): instruments, their definition and norm versions.
Authentication, scopes: :mod:`service.features.api.views_auth`; errors: problem+json
(:mod:`service.web.problems`); reads carry an ETag (``If-None-Match`` answers 304)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from instruments.model import Instrument, Text
from service import access
from service.audit import audit
from service.dates import utcnow
from service.extensions import csrf, db, limiter
from service.features.api import paging
from service.features.api.schemas import (
    BilanPageSchema,
    BilanSchema,
    InstrumentPageSchema,
    InstrumentSchema,
    NormListSchema,
    PageArgsSchema,
    ProblemSchema,
)
from service.features.api.schemas_records import BilanFilterSchema
from service.features.api.views_auth import rate_key, rate_limit, requires
from service.features.api.views_etags import etag_header, etag_of
from service.features.norms import service as norms
from service.models import ApiToken, Bilan
from service.web import problems
from service.web.context import installed_instruments
from service.web.problems import ApiProblem

blp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Instruments (questionnaires), leurs définitions et versions de normes ; dossiers"
    " administratifs des bilans. / Instruments (questionnaires), their definitions and norm"
    " versions; administrative records of bilans.",
)
csrf.exempt(blp)
limiter.limit(rate_limit, key_func=rate_key)(blp)

SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
PROBLEMS = (400, 401, 403, 404, 422, 429)
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "ETag d’une lecture précédente : 304 sans corps si rien n’a changé."
    "\n\nETag of an earlier read: 304 without a body when nothing changed.",
}
ETAG_HEADER = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "Version de la représentation / Version of the representation",
    }
}


def documented(codes: tuple[int, ...] = PROBLEMS) -> Any:
    """A decorator (outermost, above ``blp.response`` and ``requires``): the problems the
    operation may answer (``codes``), and its security requirement: the bearer token, with
    the scope of :func:`requires` as its role (OpenAPI 3.1 allows role names for non-OAuth
    schemes). Every API module documents its operations with it."""

    # 405 too: a path parameter that reads as another route's path (``5/end``) reaches
    # a rule that does not take this method.
    every = (*codes, *(() if 405 in codes else (405,)))

    def decorate(view: Any) -> Any:
        for code in every:
            view = blp.alt_response(
                code, schema=ProblemSchema, content_type="application/problem+json"
            )(view)
        scope = getattr(view, "api_scope", None)
        return blp.doc(security=[{"bearer": [scope]}] if scope else SECURITY)(view)

    return decorate


_document = documented()


def document_etags(paths: dict[str, dict[str, Any]]) -> None:
    """Every read of the document (a GET answering 200) takes ``If-None-Match`` and may
    answer 304; its 200 carries an ``ETag`` (see :func:`_etag`). Done once on the whole
    document, so that every blueprint's reads are covered."""
    for operations in paths.values():
        read = operations.get("get")
        if not read or "200" not in read.get("responses", {}):
            continue
        parameters = read.setdefault("parameters", [])
        if not any(p.get("name") == "If-None-Match" for p in parameters):
            parameters.append(dict(IF_NONE_MATCH))
        read["responses"]["200"].setdefault("headers", {}).update(ETAG_HEADER)
        read["responses"].setdefault("304", {"description": "Not Modified"})


@blp.errorhandler(429)
def _too_many(exc: HTTPException) -> Response:
    """The rate limiter's 429 as a problem (the app's own 429 handler renders a page)."""
    return problems.from_http_exception(exc)


@blp.after_request
def _etag(response: Response) -> Response:
    """A strong ETag on every successful read; ``If-None-Match`` then answers 304."""
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.add_etag()
        response.make_conditional(request)
    return response


def _text(text: Text | None) -> dict[str, str | None] | None:
    return None if text is None else {"fr": text.fr, "en": text.en}


def _summary(instrument: Instrument) -> dict[str, Any]:
    return {
        "id": instrument.id,
        "version": instrument.version,
        "name": _text(instrument.name),
        "construct": instrument.construct,
        "minutes": instrument.minutes,
        "languages": list(instrument.languages),
        "items": len(instrument.items),
        "anonymous": instrument.anonymous,
    }


def _instrument(instrument_id: str) -> Instrument:
    instrument = installed_instruments().get(instrument_id)
    if instrument is None:
        raise ApiProblem(
            404,
            _l("L’instrument « %(id)s » n’existe pas.", id=instrument_id[:100]),
            errors=[{"field": "instrument_id", "in": "path"}],
        )
    return instrument


@blp.route("/instruments")
class Instruments(MethodView):
    @_document
    @blp.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, InstrumentPageSchema)
    @requires("instruments:read")
    def get(self, token: ApiToken, limit: int, cursor: str | None) -> ResponseReturnValue:
        """Liste des instruments installés / Installed instruments

        Droit : `instruments:read`. Triés par identifiant ; pagination par curseur.

        Scope: `instruments:read`. Sorted by id; cursor pagination."""
        after = paging.decode(cursor)
        ordered = sorted(installed_instruments().values(), key=lambda i: i.id)
        rest = [i for i in ordered if after is None or i.id > after]
        page = rest[:limit]
        more = len(rest) > limit
        return {
            "data": [_summary(i) for i in page],
            "next_cursor": paging.encode(page[-1].id) if more and page else None,
        }


@blp.route("/instruments/<instrument_id>")
class InstrumentDefinition(MethodView):
    @_document
    @blp.response(200, InstrumentSchema)
    @requires("instruments:read")
    def get(self, token: ApiToken, instrument_id: str) -> ResponseReturnValue:
        """Définition courante d’un instrument / Current definition of an instrument

        Droit : `instruments:read`. Items, formats de réponse et échelles, en français et
        en anglais.

        Scope: `instruments:read`. Items, response formats and scales, in French and in
        English."""
        instrument = _instrument(instrument_id)
        return {
            **_summary(instrument),
            "description": _text(instrument.description),
            "instructions": _text(instrument.instructions),
            "licence": instrument.licence,
            "formats": [
                {
                    "id": f.id,
                    "type": f.type,
                    "options": [{"value": o.value, "label": _text(o.label)} for o in f.options],
                    "minimum": f.minimum,
                    "maximum": f.maximum,
                }
                for f in instrument.formats.values()
            ],
            "items": [
                {
                    "id": it.id,
                    "text": _text(it.text),
                    "format": it.format,
                    "section": it.section,
                    "required": it.required,
                }
                for it in instrument.items
            ],
            "scales": [
                {
                    "id": s.id,
                    "name": _text(s.name),
                    "description": _text(s.description),
                    "method": s.method,
                    "parent": s.parent,
                    "members": [{"item": m.item, "key": m.key} for m in s.members],
                }
                for s in instrument.scales
            ],
        }


@blp.route("/instruments/<instrument_id>/norms")
class InstrumentNorms(MethodView):
    @_document
    @blp.response(200, NormListSchema)
    @requires("instruments:read")
    def get(self, token: ApiToken, instrument_id: str) -> ResponseReturnValue:
        """Versions de normes d’un instrument / Norm versions of an instrument

        Droit : `instruments:read`. Les normes fournies et les normes locales du centre du
        jeton (jamais celles d’un autre centre) ; `current` marque celles qu’il utilise.

        Scope: `instruments:read`. The shipped norms and the local norms of the token's
        centre (never another centre's); `current` marks the ones it uses."""
        instrument = _instrument(instrument_id)
        chosen = norms.current_choice(db.session, token.centre_id, instrument.id)
        rows: list[dict[str, Any]] = []
        if instrument.norms is not None and not instrument.anonymous:
            table = norms.shipped_norms(instrument)
            rows.append(
                {
                    "version": table.version,
                    "source": "shipped",
                    "instrument_version": instrument.version,
                    "n": None,
                    "built_at": None,
                    "current": chosen is None,
                }
            )
        for local in norms.local_versions(db.session, token.centre_id, instrument.id):
            rows.append(
                {
                    "version": local.norm_version,
                    "source": "local",
                    "instrument_version": local.instrument_version,
                    "n": local.n,
                    "built_at": local.built_at,
                    "current": chosen is not None and chosen.id == local.id,
                }
            )
        return {"instrument": instrument.id, "data": rows}


BILAN_FIELDS = (
    "id", "title", "beneficiary_id", "created_at", "funding", "commanditaire",
    "convention_date", "convention_signed", "start_date", "planned_end", "ended_at",
)  # fmt: skip


def bilan_representation(bilan: Bilan) -> dict[str, Any]:
    """A bilan's administrative record as the API gives it (:class:`BilanSchema`)."""
    return {"status": str(bilan.status.value), **{f: getattr(bilan, f) for f in BILAN_FIELDS}}


def missing_bilan() -> ApiProblem:
    return ApiProblem(
        404,
        _l("Ce bilan n’existe pas ou n’est pas accessible avec ce jeton."),
        errors=[{"field": "bilan_id", "in": "path"}],
    )


@blp.route("/bilans")
class Bilans(MethodView):
    @_document
    @blp.response(200, BilanPageSchema)
    @requires("bilans:write")
    @blp.arguments(BilanFilterSchema, location="query", as_kwargs=True)
    def get(
        self,
        token: ApiToken,
        limit: int,
        cursor: str | None,
        status: str | None,
        created_after: dt.datetime | None,
        created_before: dt.datetime | None,
    ) -> ResponseReturnValue:
        """Bilans du centre du jeton / The token's centre's bilans

        Droit : `bilans:write`. Champs administratifs seulement (ni contenu, ni résultat,
        ni nom) ; triés par identifiant ; filtres `status`, `created_after`,
        `created_before` (ISO 8601 avec décalage horaire ; sans décalage : 422). Chaque
        appel est inscrit au journal d’audit.

        Scope: `bilans:write`. Administrative fields only (no content, no result, no
        name); by id; filters `status`, `created_after`, `created_before` (ISO 8601 with
        an offset; without one: 422). Every call is written to the audit log."""
        rows, next_cursor = paging.id_page(
            db.session,
            select(Bilan).where(Bilan.centre_id == token.centre_id),
            Bilan.id,
            cursor=cursor,
            limit=limit,
            status=(Bilan.status, status),
            created=(Bilan.created_at, created_after, created_before),
        )
        now = utcnow()
        page = [b for b in rows if access.can_read_bilan_by_token(token, b, now)]
        audit(db.session, token, "api_list_bilans")
        db.session.commit()
        return {
            "data": [bilan_representation(b) for b in page],
            "next_cursor": next_cursor,
        }


@blp.route("/bilans/<int:bilan_id>")
class BilanRecord(MethodView):
    @_document
    @blp.response(200, BilanSchema)
    @requires("bilans:write")
    def get(self, token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        """Dossier administratif d’un bilan / A bilan's administrative record

        Droit : `bilans:write`. Un bilan d’un autre centre répond 404. Son ETag se renvoie
        dans `If-Match` pour le modifier (`PATCH`). Inscrit au journal d’audit.

        Scope: `bilans:write`. Another centre's bilan answers 404. Send its ETag back in
        `If-Match` to change it (`PATCH`). Written to the audit log."""
        bilan = db.session.get(Bilan, bilan_id)
        if bilan is None or not access.can_read_bilan_by_token(token, bilan, utcnow()):
            raise missing_bilan()
        audit(db.session, token, "api_view_bilan", bilan_id=bilan.id)
        db.session.commit()
        body = bilan_representation(bilan)
        return body, etag_header(etag_of(BilanSchema, body))
