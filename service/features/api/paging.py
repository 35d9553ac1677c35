"""Opaque cursors of the API's lists: base64url of the last key of the page."""

from __future__ import annotations

import base64
import binascii

from flask_babel import lazy_gettext as _l

from service.web.problems import ApiProblem


def encode(key: str) -> str:
    return base64.urlsafe_b64encode(("k:" + key).encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str | None) -> str | None:
    """The key after which the page starts; a cursor we did not make is a 400."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith("k:"):
        raise ApiProblem(
            400,
            _l("Le curseur « cursor » est invalide : reprenez celui de la page précédente."),
            errors=[{"field": "cursor", "in": "query"}],
        )
    return raw[2:]
