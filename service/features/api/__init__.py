"""The integration API under ``/api/v1`` (issue 14): flask-smorest generates the OpenAPI
3.1 document from the marshmallow schemas (``/api/v1/openapi.json``); ``/api/v1/docs`` is
our own page rendered from it. Tokens: :mod:`.tokens`; authentication: :mod:`.views_auth`."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from service.features.api.schemas import ProblemSchema


class BoussoleApi(Api):
    """flask-smorest's Api without its error handlers: the app's own handlers answer
    problem+json under /api/v1 and keep the HTML error pages elsewhere."""

    ERROR_SCHEMA = ProblemSchema  # the spec's error responses: problem+json
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its problems itself

    def _register_error_handlers(self) -> None:
        pass


def init_app(app: Flask) -> None:
    from service.features.api import (  # noqa: F401  (their routes register on views.blp)
        views,
        views_answers,
        views_docs,
        views_documents,
        views_records,
        views_results,
    )

    app.config.setdefault("API_TITLE", "Boussole")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    spec: dict[str, Any] = {
        "info": {
            "description": (
                "API d’intégration de Boussole : jetons d’API par centre (en-tête"
                " `Authorization: Bearer bsl_…`), erreurs `application/problem+json` en"
                " français et en anglais, pagination par curseur, ETag sur les lectures. Voir"
                " /api/v1/docs et docs/api.md.\n\n"
                "Boussole's integration API: API tokens per centre (header"
                " `Authorization: Bearer bsl_…`), `application/problem+json` errors in French"
                " and in English, cursor pagination, ETags on reads. See /api/v1/docs and"
                " docs/api.md."
            ),
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "bsl_…"}
            }
        },
    }
    api = BoussoleApi(app, spec_kwargs=spec)
    api.register_blueprint(views.blp)
    views.document_etags(api.spec._paths)  # apispec keeps the paths there until to_dict()
    app.register_blueprint(views_docs.bp)
    # The write routes read a JSON body (the other views refuse one: 415).
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        if endpoint.startswith("api.") and {"post", "patch"} & set(dir(view_class)):
            setattr(view, "accepts_json", True)  # noqa: B010 (a view function attribute)
    app.extensions["boussole.api"] = api
