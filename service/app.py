"""Flask application factory. Configuration comes in layers (:mod:`service.config`).
The instruments are loaded and validated here: an invalid instrument file stops start-up
with the list of problems (``InstrumentError``). The database is never created or
migrated here: run ``boussole db upgrade``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, session
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader

from instruments import load_all
from instruments.loader import archived_files, builtin_files
from service import features, jobs
from service.config import configure
from service.extensions import babel, csrf, db, limiter, login_manager
from service.i18n import builtin_text
from service.models import Beneficiary, StaffUser
from service.web import blueprints, errors, headers, inputs, sessions
from service.web.context import date_filter, number_filter
from service.web.logs import install_redaction


def _select_locale() -> str:
    """The session's choice, else the signed-in person's language, else French (and French
    outside a request: command line, daily job)."""
    if not has_request_context():
        return "fr"
    langs = tuple(current_app.config["LANGUAGES"])
    lang = session.get("lang")
    if lang in langs:
        return str(lang)
    user_lang = getattr(current_user, "language", None)
    if user_lang in langs:
        return str(user_lang)
    return "fr"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Boussole app (see the module docstring for the configuration order)."""
    app = Flask(__name__, instance_relative_config=True)
    configure(app, config)
    install_redaction()
    _load_instruments(app)
    _init_extensions(app)
    _register_views(app)
    _register_handlers(app)
    headers.install(app)
    jobs.init_app(app)  # the in-process runner of background jobs (webhook deliveries)
    if app.config.get("ENV_NAME") == "production" and not app.testing:
        # Reports: pay WeasyPrint's loading now, in the background, not on a first PDF.
        from reports.restitution import warm_up

        threading.Thread(target=warm_up, name="weasyprint-warm-up", daemon=True).start()
        # The job database's search indexes, built per process (bench_metiers_search.py).
        from service.features.metiers import search as metiers_search

        threading.Thread(
            target=metiers_search.warm_up, args=(app,), name="metiers-warm-up", daemon=True
        ).start()
    return app


def _load_instruments(app: Flask) -> None:
    """The built-in instruments and the centre's own, with the earlier versions of their
    archive folders (kept to read stored scores, never assigned); refuses to start on any
    invalid file (raises InstrumentError listing every problem)."""
    files = app.config["INSTRUMENT_FILES"] or list(builtin_files())
    if isinstance(files, str):  # from the environment: a PATH-like list
        files = [f for f in files.split(os.pathsep) if f]
    earlier = archived_files()
    extra = app.config.get("EXTRA_INSTRUMENT_DIR")
    if extra:
        files = [*files, *sorted(Path(extra).glob("*.yaml"))]
        earlier = [*earlier, *archived_files(Path(extra) / "archive")]
    app.extensions["boussole.instruments"] = load_all(files, earlier=earlier)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_principal(principal_id: str) -> Any:
        kind, _, raw = principal_id.partition(":")
        if not raw.isdigit():
            return None
        model = {"staff": StaffUser, "beneficiary": Beneficiary}.get(kind)
        user = db.session.get(model, int(raw)) if model else None
        if user is not None and not sessions.session_is_current(user):
            sessions.drop_sign_in()  # logged out elsewhere, idle too long, or too old
            return None
        return user


def _register_views(app: Flask) -> None:
    """Every feature's views on their audience's blueprint; templates from service/templates
    (layout and shared partials), the mail templates and each feature's folder."""
    inputs.init_app(app)  # the bounded <int:...> converter, before any rule is added
    features.import_views()
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(Path(app.root_path) / "templates"),
            FileSystemLoader(Path(app.root_path) / "mail" / "templates"),
            *(FileSystemLoader(folder) for folder in features.template_folders()),
        ]
    )
    for blueprint in blueprints.ALL:
        app.register_blueprint(blueprint)
    from service.features import api

    api.init_app(app)  # /api/v1: its blueprint and the generated OpenAPI document


def _register_handlers(app: Flask) -> None:
    """The template globals and the error pages (French first, JSON for JSON endpoints:
    :mod:`service.web.errors`)."""

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"current_lang": _select_locale()}

    app.add_template_filter(date_filter, "date")
    app.add_template_filter(number_filter, "number")
    app.add_template_filter(builtin_text, "builtin_text")

    errors.init_app(app)
