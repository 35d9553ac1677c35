"""What every request must be before a view reads it: the checks that turn malformed input
into a clear 4xx instead of a crash deep in a form, a query or the database.

- ``<int:...>`` in URL rules is :class:`DatabaseIdConverter`: a number beyond the database's
  integer range matches no rule (404) instead of overflowing the query.
- :func:`parse_id` reads an id typed in a form field the same way (None when it cannot be
  one).
- :func:`check_request` (before every view): no NUL character in the query string, the
  form (422) or a JSON body (400) (PostgreSQL refuses them in text), a 404 for one in the
  path, JSON bodies only on the views marked :func:`accepts_json` (the forms read HTML
  form data), and the smaller size limit of JSON endpoints (``JSON_MAX_CONTENT_LENGTH``;
  every request is bounded by ``MAX_CONTENT_LENGTH``).
- :class:`SafeJSONProvider`: a JSON body nested too deeply is unreadable (a 400), not a
  ``RecursionError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.routing import IntegerConverter, Map

#: The largest value of the database's INTEGER columns (PostgreSQL's and every id).
DB_INT_MAX = 2**31 - 1

#: Deepest nesting accepted in a JSON body (the autosave needs 2: an object, a ranking).
JSON_MAX_DEPTH = 32

_DIGITS = re.compile(r"[0-9]{1,10}")

F = TypeVar("F", bound=Callable[..., Any])


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` bounded to the database's integer range: ``/conseil/bilans/2147483648``
    matches no rule and answers 404, like any id that names nothing."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def parse_id(raw: object) -> int | None:
    """An id typed in a form (ASCII digits, within the database's range), else None.

    >>> parse_id("42"), parse_id("2147483648"), parse_id("²"), parse_id(" 7"), parse_id(None)
    (42, None, None, None, None)
    """
    if not isinstance(raw, str) or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= DB_INT_MAX else None


def accepts_json(view: F) -> F:
    """Mark a view that reads a JSON body (the others refuse one: 415)."""
    view.accepts_json = True  # type: ignore[attr-defined]
    return view


def _view_accepts_json() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "accepts_json", False):
        return True
    # A class-based view (an API resource): the mark is on its class.
    return bool(getattr(getattr(view, "view_class", None), "accepts_json", False))


def json_endpoint() -> bool:
    """Whether the current request is answered in JSON (a JSON body, or a JSON view)."""
    return request.is_json or _view_accepts_json()


class NulCharacter(BadRequest):
    """A NUL character in a field: refused, the message names the field. 422 for a form
    (like the forms' own refusals), 400 in JSON (the autosave script shows a 400's message
    next to the question)."""

    def __init__(self, field: str, *, json: bool = False) -> None:
        super().__init__()
        self.field = field
        self.code = 400 if json else 422


def _strings(value: object, name: str) -> Iterator[tuple[str, str]]:
    """Every (field name, string) in a JSON value, keys included."""
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key), str(key)
            yield from _strings(inner, str(key))
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, name)


def _form_strings() -> Iterator[tuple[str, str]]:
    for source in (request.args, request.form):
        for key, values in source.lists():
            yield key, key
            for value in values:
                yield key, value


def check_request() -> None:
    """Refuse, before any view runs, what no view can read (see the module docstring)."""
    if request.routing_exception is not None:
        return  # no rule matched: the routing error (404, 405) answers
    if any("\x00" in str(v) for v in (request.view_args or {}).values()):
        abort(404)
    json_view = _view_accepts_json()
    if json_view and current_app.config.get("JSON_MAX_CONTENT_LENGTH"):
        # Checked here rather than by setting request.max_content_length, which Flask
        # allows only from 3.1 (the floor is 3.0); the app-wide limit still bounds a body
        # sent without a Content-Length.
        limit = int(current_app.config["JSON_MAX_CONTENT_LENGTH"])
        g.body_limit = min(limit, request.max_content_length or limit)
        if (request.content_length or 0) > g.body_limit:
            raise RequestEntityTooLarge()
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json and not json_view:
        raise UnsupportedMediaType()
    for field, text in _form_strings():
        if "\x00" in text:
            raise NulCharacter(field)
    if json_view and request.is_json:
        payload = request.get_json(silent=True)
        for field, text in _strings(payload, "json"):
            if "\x00" in text:
                raise NulCharacter(field, json=True)


def _depth(value: object, limit: int) -> bool:
    """Whether ``value`` nests no deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return True


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a body too deeply nested is a ``ValueError`` (unreadable JSON:
    400, or None for ``get_json(silent=True)``) instead of a ``RecursionError``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if not _depth(value, JSON_MAX_DEPTH):
            raise ValueError("JSON nested too deeply")
        return value


def init_app(app: Flask) -> None:
    """Install the converter (before any rule is added), the JSON provider and the check."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.json = SafeJSONProvider(app)
    app.before_request(check_request)
