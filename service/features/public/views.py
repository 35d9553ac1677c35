"""Public pages: home, instrument catalogue, language switch."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from service.web.blueprints import public as bp
from service.web.redirects import safe_next


@bp.get("/")
def index() -> str | Response:
    if current_user.is_authenticated:
        if getattr(current_user, "kind", "") == "beneficiary":
            return redirect(url_for("beneficiary.home"))
        return redirect(url_for("counsellor.dashboard"))
    insts = sorted(current_app.extensions["boussole.instruments"].values(), key=lambda i: i.id)
    return render_template("public/index.html", instruments=insts)


@bp.get("/questionnaires/<instrument_id>")
def instrument_page(instrument_id: str) -> str:
    inst = current_app.extensions["boussole.instruments"].get(instrument_id)
    if inst is None:
        abort(404)
    return render_template("public/instrument.html", inst=inst)


@bp.post("/langue")
def set_language() -> Response:
    """Switch the interface language (kept in the session)."""
    lang = request.form.get("lang", "fr")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("public.index"))
