"""The one builder of links that leave the site by mail.

A mailed link always starts with ``PUBLIC_URL``. The Host header of a request is chosen by
whoever sends it, so a link built from it (``url_for(..., _external=True)``) lets a forged
request make Boussole mail a sign-in token to another site. Only in development, without
``PUBLIC_URL``, does the link use the current request's address; in production without
``PUBLIC_URL`` no link is built (:class:`LinkUnavailable`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for


class LinkUnavailable(RuntimeError):
    """No trustworthy address to build a link from: set ``PUBLIC_URL``."""


def public_base() -> str:
    """``PUBLIC_URL`` without its trailing slash (see the module docstring)."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return str(base).rstrip("/")
    if current_app.config.get("ENV_NAME") != "production" and has_request_context():
        return request.host_url.rstrip("/") + request.script_root
    raise LinkUnavailable("set PUBLIC_URL in production: links sent by mail need it")


def public_url(endpoint: str, *, base: str | None = None, **values: Any) -> str:
    """The absolute address of ``endpoint`` for a mail: ``base`` (default
    :func:`public_base`) followed by the endpoint's path on this site."""
    root = base.rstrip("/") if base else public_base()
    if has_request_context():
        path = url_for(endpoint, **values).removeprefix(request.script_root)
    else:  # a daily job: no request, build the path from the URL rules alone
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return root + path
