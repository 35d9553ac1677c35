"""Opaque cursors of the API's lists: base64url of the last key of the page."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from service.web.problems import ApiProblem


def encode(key: str) -> str:
    return base64.urlsafe_b64encode(("k:" + key).encode("utf-8")).decode("ascii").rstrip("=")


#: The largest id a list's cursor may carry: the databases' 32-bit integer columns (a
#: larger key would make PostgreSQL refuse the query, a 500).
MAX_ID = 2**31 - 1


def _invalid() -> ApiProblem:
    return ApiProblem(
        400,
        _l("Le curseur « cursor » est invalide : reprenez celui de la page précédente."),
        errors=[{"field": "cursor", "in": "query"}],
    )


def decode(cursor: str | None) -> str | None:
    """The key after which the page starts; a cursor we did not make is a 400."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith("k:"):
        raise _invalid()
    return raw[2:]


def decode_id(cursor: str | None) -> int:
    """The id after which a list ordered by id starts (0: the first page); a cursor whose
    key is not an id that the database can hold is a 400, like one we did not make."""
    key = decode(cursor)
    if key is None:
        return 0
    if not (key.isascii() and key.isdigit() and len(key) <= 10 and int(key) <= MAX_ID):
        raise _invalid()
    return int(key)


def id_page(
    session: Session,
    query: Select[Any],
    id_column: InstrumentedAttribute[int],
    *,
    cursor: str | None,
    limit: int,
    status: tuple[InstrumentedAttribute[Any], str | None] | None = None,
    created: tuple[InstrumentedAttribute[Any], dt.datetime | None, dt.datetime | None]
    | None = None,
) -> tuple[list[Any], str | None]:
    """One page of ``query`` ordered by ``id_column`` after the cursor's id, with the lists'
    filters: ``status`` (column, value) and ``created`` (column, from included, to
    excluded); (the rows, the next page's cursor or None on the last page)."""
    query = query.where(id_column > decode_id(cursor))
    if status is not None and status[1] is not None:
        query = query.where(status[0] == status[1])
    if created is not None:
        column, after, before = created
        if after is not None:
            query = query.where(column >= after)
        if before is not None:
            query = query.where(column < before)
    rows = list(session.scalars(query.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    return rows[:limit], encode(str(getattr(rows[limit - 1], id_column.key))) if more else None
