"""Signed-in sessions that end: on the server's word, after idleness, after a lifetime.

At sign-in the session receives the account's ``session_generation`` and two times (signed
in, last seen); every request checks them (:func:`session_is_current`, called by the user
loader). Raising the generation (logout, new password, deactivation: ``end_sessions()`` on
the account) ends every session of the person, including a copied cookie. Signing in
starts from an empty session (a new CSRF token; only the language choice is kept)."""

from __future__ import annotations

from typing import Any

from flask import current_app, session
from flask_login import login_user

from service import dates

GENERATION = "auth_gen"
SIGNED_IN_AT = "auth_at"
SEEN_AT = "auth_seen"
_FLASK_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember")


def _now() -> float:
    return dates.utcnow().timestamp()


def sign_in(user: Any) -> None:
    """Open a new session for ``user`` (a StaffUser or a Beneficiary)."""
    lang = session.get("lang")
    session.clear()  # no session fixation, and a fresh CSRF token
    if lang:
        session["lang"] = lang
    login_user(user)
    now = _now()
    session[GENERATION] = user.session_generation or 0
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def keep_session(user: Any) -> None:
    """After ``user.end_sessions()`` in this request: this session goes on (the person who
    just changed their password stays signed in here, and only here)."""
    session[GENERATION] = user.session_generation or 0


def idle_limit_seconds(user: Any) -> float:
    key = "STAFF_IDLE_MINUTES" if user.kind == "staff" else "BENEFICIARY_IDLE_MINUTES"
    return float(current_app.config[key]) * 60


def session_is_current(user: Any) -> bool:
    """Whether this request's session still opens ``user``'s account; marks it seen."""
    generation, signed_in_at, seen_at = (
        session.get(GENERATION),
        session.get(SIGNED_IN_AT),
        session.get(SEEN_AT),
    )
    if generation != (user.session_generation or 0) or not getattr(user, "is_active", True):
        return False
    if not isinstance(signed_in_at, int | float) or not isinstance(seen_at, int | float):
        return False
    now = _now()
    lifetime = float(current_app.config["SESSION_MAX_HOURS"]) * 3600
    if now - seen_at > idle_limit_seconds(user) or now - signed_in_at > lifetime:
        return False
    session[SEEN_AT] = now
    return True


def drop_sign_in() -> None:
    """Forget the sign-in held by this session (the rest, e.g. the language, stays)."""
    for key in (*_FLASK_LOGIN_KEYS, GENERATION, SIGNED_IN_AT, SEEN_AT):
        session.pop(key, None)
