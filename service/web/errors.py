"""The error pages, which never fail themselves.

Every error is a French page (JSON for the JSON endpoints) rendered without the database:
the header and footer are told who is signed in by :class:`Viewer`, read from the session
cookie, never by a lazily loaded (maybe detached, maybe unreachable) ORM object. Should the
template fail all the same, a minimal page written here is sent.

A database that cannot be reached (restart, lost connection, pool exhausted) is a 503 with
``Retry-After``, on pages and in JSON: the autosave script sends the answer again.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, gettext
from markupsafe import escape
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from service.web import problems
from service.web.inputs import NulCharacter, json_endpoint

#: Seconds a client should wait before retrying when the database is unreachable.
RETRY_AFTER_SECONDS = 5

#: SQLAlchemy errors that mean "the database cannot be reached now", not "a bug".
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.DisconnectionError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)


def _(text: str, **values: Any) -> str:
    return str(gettext(text, **values))


class Viewer:
    """Who is signed in, as the layout needs it, taken from the session cookie alone."""

    is_anonymous: bool
    is_active = True

    def __init__(self, user_id: str | None, language: str | None) -> None:
        kind, _sep, raw = (user_id or "").partition(":")
        self.kind = kind if raw.isdigit() and kind in ("staff", "beneficiary") else None
        self.is_authenticated = self.kind is not None
        self.is_anonymous = not self.is_authenticated
        self.language = language
        self.id = int(raw) if self.is_authenticated else None

    def get_id(self) -> str | None:
        return f"{self.kind}:{self.id}" if self.is_authenticated else None


def _viewer() -> Viewer:
    """The signed-in person from the cookie; the language only if already loaded."""
    loaded = g.get("_login_user")
    language = getattr(loaded, "__dict__", {}).get("language")  # never a lazy load
    try:
        user_id = session.get("_user_id")
    except Exception:  # pragma: no cover - a session that cannot be read
        user_id = None
    return Viewer(str(user_id) if user_id else None, language)


def _release_database() -> None:
    """A failed statement leaves the transaction aborted (PostgreSQL): roll back and close
    the request's session, quietly (the database may be the failure)."""
    db_session = g.pop("db_session", None)
    if db_session is None:
        return
    try:
        db_session.rollback()
        db_session.close()
    except Exception:  # the connection is gone: nothing more to release
        current_app.logger.warning("could not release the database session", exc_info=True)


def _minimal_page(code: int, message: str) -> str:
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Erreur {code} — Boussole</title></head><body><main>"
        f"<h1>Erreur {code}</h1><p>{escape(message)}</p>"
        '<p><a href="/">Retour à l’accueil</a></p></main></body></html>'
    )


def error_response(
    code: int, message: str, headers: list[tuple[str, str]] | None = None, **extra: Any
) -> ResponseReturnValue:
    """The error as JSON (JSON endpoints) or as the French page; never raises."""
    headers = headers or []
    if json_endpoint():
        return {"saved": False, "error": message, "status": code, **extra}, code, headers
    viewer = _viewer()
    previous = g.get("_login_user")
    g._login_user = viewer  # the layout's current_user: no query, no lazy attribute
    try:
        page = render_template("error.html", code=code, message=message, current_user=viewer)
    except Exception:
        current_app.logger.exception("the error page failed; minimal page sent")
        page = _minimal_page(code, message)
    finally:
        # Only for this page: an application context that outlives the request (tests,
        # the CLI) must not keep the stand-in as the next request's current_user.
        if previous is None:
            g.pop("_login_user", None)
        else:
            g._login_user = previous
    return Response(page, code, headers, mimetype="text/html")


def _size(limit: int) -> str:
    """``1 Mo``, ``64 Ko``: a size limit in the page's language."""
    if limit >= 1024 * 1024:
        return _("%(n)s Mo", n=format_decimal(round(limit / (1024 * 1024), 1)))
    return _("%(n)s Ko", n=format_decimal(round(limit / 1024, 1)))


def _message(exc: HTTPException) -> str:
    code = exc.code or 500
    if isinstance(exc, NulCharacter):
        return _(
            "Le champ « %(field)s » contient un caractère non autorisé (le caractère nul) :"
            " retirez-le puis envoyez de nouveau.",
            field=exc.field,
        )
    if code == 413:
        limit = g.get("body_limit") or request.max_content_length or 0
        return _(
            "La demande est trop volumineuse : elle dépasse la taille autorisée (%(size)s).",
            size=_size(limit),
        )
    messages = {
        400: _("La demande n’a pas pu être traitée : elle est incomplète ou invalide."),
        403: _("Vous n’avez pas accès à cette page."),
        404: _("Cette page n’existe pas ou n’est plus disponible."),
        405: _("Cette action n’est pas possible sur cette page."),
        415: _(
            "Cette page attend les données d’un formulaire, pas un autre format (JSON par exemple)."
        ),
    }
    return messages.get(code, _("Une erreur est survenue."))


def http_error(exc: HTTPException) -> ResponseReturnValue:
    if problems.is_api_request():
        return problems.from_http_exception(exc)
    code = exc.code or 500
    # Keep the headers HTTP requires (e.g. Allow on 405), not the content type.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    extra = {"field": exc.field} if isinstance(exc, NulCharacter) else {}
    return error_response(code, _message(exc), headers, **extra)


#: SQLite reports mistakes in the SQL itself as OperationalError too: those are bugs (500).
_SQL_MISTAKES = ("no such table", "no such column", "syntax error")


def database_unavailable(exc: Exception) -> ResponseReturnValue:
    if isinstance(exc, sa_exc.OperationalError) and any(
        mistake in str(exc.orig) for mistake in _SQL_MISTAKES
    ):
        return server_error(exc)
    current_app.logger.error("database unavailable: %s", exc)
    _release_database()
    if problems.is_api_request():
        return problems.problem_response(503, headers=[("Retry-After", str(RETRY_AFTER_SECONDS))])
    message = _(
        "Le service est momentanément indisponible. Vos réponses déjà enregistrées sont"
        " conservées ; réessayez dans quelques secondes."
    )
    return error_response(503, message, [("Retry-After", str(RETRY_AFTER_SECONDS))])


def server_error(exc: Exception) -> ResponseReturnValue:
    current_app.logger.exception("unhandled error")
    _release_database()
    if problems.is_api_request():
        return problems.problem_response(500)
    message = _(
        "Une erreur inattendue est survenue. Vos réponses déjà enregistrées sont"
        " conservées ; vous pouvez réessayer dans un instant."
    )
    return error_response(500, message)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    for error in OUTAGE_ERRORS:
        app.register_error_handler(error, database_unavailable)
    app.register_error_handler(Exception, server_error)
