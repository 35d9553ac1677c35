"""Flask application factory.

The instruments are loaded and validated when the app is created: an invalid instrument
file stops start-up with the list of problems (``InstrumentError``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, abort, render_template

from instruments import load_all
from instruments.loader import builtin_files

DEFAULTS: dict[str, Any] = {
    "INSTRUMENT_FILES": None,  # None = the built-in instruments
    "EXTRA_INSTRUMENT_DIR": None,  # a folder of a centre's own instrument files
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app: defaults, then ``config``, then ``BOUSSOLE_*`` environment variables."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(DEFAULTS)
    if config:
        app.config.update(config)
    for key, value in os.environ.items():
        if key.startswith("BOUSSOLE_"):
            app.config[key.removeprefix("BOUSSOLE_")] = value
    files = app.config["INSTRUMENT_FILES"] or list(builtin_files())
    if isinstance(files, str):  # from the environment: a PATH-like list
        files = [f for f in files.split(os.pathsep) if f]
    extra = app.config.get("EXTRA_INSTRUMENT_DIR")
    if extra:
        files = [*files, *sorted(Path(extra).glob("*.yaml"))]
    # Refuses to start on any invalid file (raises InstrumentError listing every problem).
    app.extensions["boussole.instruments"] = load_all(files)

    @app.get("/")
    def index() -> str:
        insts = sorted(app.extensions["boussole.instruments"].values(), key=lambda i: i.id)
        return render_template("index.html", instruments=insts)

    @app.get("/instruments/<instrument_id>")
    def instrument_page(instrument_id: str) -> str:
        inst = app.extensions["boussole.instruments"].get(instrument_id)
        if inst is None:
            abort(404)
        return render_template("instrument.html", inst=inst)

    @app.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        return render_template("error.html", code=404, message="Page introuvable."), 404

    return app
