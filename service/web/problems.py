"""Errors of the JSON API (``/api/v1``) as ``application/problem+json`` (RFC 9457).

Every problem carries ``type``, ``title``, ``status``, ``detail`` (in the request's
language), ``detail_fr`` and ``detail_en`` (both, always: an integration logs one
language), and ``errors`` naming the field in error when there is one::

    {"type": "https://boussole.example/problems/invalid-parameter", "title": "Unprocessable",
     "status": 422, "detail": "...", "detail_fr": "...", "detail_en": "...",
     "errors": [{"field": "limit", "in": "query", "messages": ["..."]}]}

The HTML pages keep their error pages (:mod:`service.web.errors` asks
:func:`is_api_request` first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import request
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from service.web.inputs import NulCharacter

API_PREFIX = "/api/v1"
PROBLEM_TYPE = "https://boussole.fr/problemes/"

#: The French message (msgid) of each status, when the view gave none.
MESSAGES: dict[int, Any] = {
    400: _l("La demande est invalide : elle est incomplète ou mal formée."),
    401: _l(
        "Authentification requise : envoyez un jeton d’API valide dans l’en-tête"
        " « Authorization: Bearer »."
    ),
    403: _l("Ce jeton d’API n’a pas le droit nécessaire pour cette ressource."),
    404: _l("Cette ressource n’existe pas ou n’est pas accessible avec ce jeton."),
    405: _l("Cette méthode HTTP n’est pas possible sur cette ressource."),
    409: _l("La demande est en conflit avec l’état actuel de la ressource."),
    412: _l("La ressource a changé depuis votre lecture (If-Match) : relisez-la."),
    413: _l("La demande est trop volumineuse."),
    415: _l("Cette ressource n’accepte pas ce format de contenu."),
    428: _l("Cette modification demande l’en-tête « If-Match » (l’ETag lu)."),
    422: _l("Un paramètre de la demande est invalide."),
    429: _l("Trop de demandes avec ce jeton : patientez avant de réessayer."),
    500: _l("Une erreur inattendue est survenue."),
    503: _l("Le service est momentanément indisponible : réessayez dans quelques secondes."),
}

#: The ``type`` slug of each status.
SLUGS = {
    400: "demande-invalide",
    401: "authentification",
    403: "droit-manquant",
    404: "introuvable",
    405: "methode",
    409: "conflit",
    412: "precondition",
    413: "trop-volumineux",
    415: "format",
    428: "precondition-requise",
    422: "parametre-invalide",
    429: "limite",
    500: "erreur-serveur",
    503: "indisponible",
}


class ApiProblem(HTTPException):
    """Raised by API views: a status, a French message (a lazy string, translated into
    both languages when sent), the fields in error."""

    def __init__(
        self,
        code: int,
        message: Any = None,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__()
        self.code = code
        self.message = message
        self.errors = list(errors)
        self.extra_headers = list(headers)


def is_api_request() -> bool:
    path = request.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _both(message: Any) -> tuple[str, str]:
    with force_locale("fr"):
        fr = str(message)
    with force_locale("en"):
        en = str(message)
    return fr, en


def _webargs_errors(exc: HTTPException) -> list[dict[str, Any]]:
    """The fields of a flask-smorest/webargs 422 (``exc.data["messages"]``)."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, Mapping) else None
    out: list[dict[str, Any]] = []
    if isinstance(messages, Mapping):
        for location, fields in messages.items():
            if isinstance(fields, Mapping):
                for name, texts in fields.items():
                    texts = texts if isinstance(texts, list) else [texts]
                    out.append(
                        {
                            "field": str(name),
                            "in": "body" if location == "json" else str(location),
                            "messages": [str(t) for t in texts],
                        }
                    )
    return out


def problem_response(
    code: int,
    message: Any = None,
    *,
    errors: Sequence[Mapping[str, Any]] = (),
    headers: Sequence[tuple[str, str]] = (),
) -> Response:
    fr, en = _both(message if message is not None else MESSAGES.get(code, MESSAGES[500]))
    lang = str(get_locale() or "fr")
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + SLUGS.get(code, "erreur"),
        "title": HTTP_STATUS_CODES.get(code, "Error"),
        "status": code,
        "detail": en if lang.startswith("en") else fr,
        "detail_fr": fr,
        "detail_en": en,
    }
    if errors:
        body["errors"] = list(errors)
    from flask import json

    response = Response(json.dumps(body), code, list(headers), mimetype="application/problem+json")
    return response


def from_http_exception(exc: HTTPException) -> Response:
    """Any HTTP error raised under ``/api/v1`` (a view's :class:`ApiProblem`, a routing 404
    or 405, a NUL character, a webargs 422, a 429 of the rate limiter) as a problem."""
    code = exc.code or 500
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if isinstance(exc, ApiProblem):
        return problem_response(
            code, exc.message, errors=exc.errors, headers=[*headers, *exc.extra_headers]
        )
    if isinstance(exc, NulCharacter):
        message = _l(
            "Le champ « %(field)s » contient un caractère non autorisé (le caractère nul).",
            field=exc.field,
        )
        return problem_response(code, message, errors=[{"field": exc.field}], headers=headers)
    errors = _webargs_errors(exc)
    if errors:
        names = ", ".join(e["field"] for e in errors)
        message = _l("Paramètre invalide : %(fields)s.", fields=names)
        return problem_response(422, message, errors=errors, headers=headers)
    if code == 401:
        headers.append(("WWW-Authenticate", 'Bearer realm="boussole"'))
    return problem_response(code, headers=headers)
