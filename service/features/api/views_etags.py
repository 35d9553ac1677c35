"""Strong ETags computed from a resource's representation (not from the bytes of one
response), so that the GET that gives one and the PATCH that checks ``If-Match`` agree;
and the ``If-Match`` rule of every PATCH: 428 without it, 412 when stale."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from service.web.problems import ApiProblem


def etag_of(schema: type[Schema], data: Mapping[str, Any]) -> str:
    """The strong ETag of a representation: the same for the GET and the PATCH's check
    (computed from the dumped fields, not from the bytes of one response)."""
    dumped = schema().dump(data)
    text = json.dumps(dumped, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def etag_header(tag: str) -> dict[str, str]:
    return {"ETag": f'"{tag}"'}


def check_if_match(current: str) -> None:
    """428 without ``If-Match``, 412 when it names another version (nothing written)."""
    if "If-Match" not in request.headers:
        raise ApiProblem(
            428,
            _l(
                "L’en-tête « If-Match » est obligatoire : renvoyez l’ETag reçu en lisant"
                " la ressource."
            ),
            errors=[{"field": "If-Match", "in": "header"}],
        )
    if not request.if_match.contains(current) and not request.if_match.star_tag:
        raise ApiProblem(
            412,
            _l("La ressource a changé depuis votre lecture (If-Match) : relisez-la."),
            errors=[{"field": "If-Match", "in": "header"}],
        )
