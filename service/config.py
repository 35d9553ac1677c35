"""Configuration in layers: built-in defaults, then the instance file
``instance/boussole.cfg`` (Python), then ``BOUSSOLE_*`` environment variables, then the
mapping given to :func:`service.app.create_app` (tests).

``BOUSSOLE_ENV=production`` refuses a missing or short secret key, refuses to start
without data keys (``BOUSSOLE_DATA_KEYS``: the Fernet keys of the encrypted columns, see
:mod:`service.crypto`) and marks the session cookie ``Secure``; elsewhere a random secret
key and a random data key are kept in the instance folder (``secret_key``, ``data.key``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from service.crypto import DataKeyError, generate_key, parse_keys

DEFAULTS: dict[str, Any] = {
    "ENV_NAME": "development",  # "production" requires a strong SECRET_KEY
    "SECRET_KEY": None,
    # Fernet keys of the encrypted columns, comma-separated: the first encrypts, all decrypt
    # (docs/security.md, "Chiffrement au repos"). Default outside production: instance/data.key.
    "DATA_KEYS": None,
    "DATABASE_URL": None,  # default: SQLite in the instance folder
    "DB_POOL_SIZE": 10,  # PostgreSQL connections per worker (>= gunicorn threads)
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes of a request body (413 beyond)
    "JSON_MAX_CONTENT_LENGTH": 64 * 1024,  # bytes of a JSON body (the autosave)
    "INSTRUMENT_FILES": None,  # None = the built-in instruments
    "EXTRA_INSTRUMENT_DIR": None,  # a folder of a centre's own instrument files
    "INVITATION_DAYS": 14,  # validity of an invitation link
    "DESTRUCTION_NOTICE_DAYS": 14,  # the person is told this many days before destruction
    "ITEMS_PER_PAGE": 6,
    "LANGUAGES": ("fr", "en"),
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",  # dates shown in French time
    "MAIL_FOLDER": None,  # development mail sender writes here (default instance/mail)
    "PUBLIC_URL": None,  # used in links sent by mail; default: the request's host
    "WTF_CSRF_TIME_LIMIT": None,  # a questionnaire can stay open for hours
    "STAFF_IDLE_MINUTES": 30,  # a staff session ends after this long without a request
    "BENEFICIARY_IDLE_MINUTES": 60,  # the same for a beneficiary
    "SESSION_MAX_HOURS": 12,  # any session ends this long after signing in
    # Rate limits (Flask-Limiter) per client address, on the POSTs of the sign-in, new-link,
    # forgotten-password and password pages; "memory://" is per worker: use Redis in
    # production, e.g. "redis://localhost:6379/0" (docs/deployment.md).
    "RATELIMIT_ENABLED": True,
    "FORWARDED_PROXIES": 0,  # behind nginx: 1 (the limits then count the real client)
    "RATELIMIT_STORAGE_URI": "memory://",
    "SIGN_IN_RATE_LIMIT": "10 per minute;50 per hour",
    "LINK_RATE_LIMIT": "3 per 10 minutes;10 per day",
    "PASSWORD_RATE_LIMIT": "10 per hour",
    "RATELIMIT_HEADERS_ENABLED": False,
    "SIGN_IN_FAILURES_BEFORE_DELAY": 5,  # then each wrong password locks the account longer
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "MAIL_BACKEND": "folder",  # "folder" (development) or "smtp"
    "MAIL_FROM": None,
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": True,
    # Background jobs (service/jobs.py): a thread per process runs them after each commit
    # that queued work and every JOBS_INTERVAL_SECONDS (never under TESTING).
    "JOBS_IN_PROCESS": True,
    "JOBS_INTERVAL_SECONDS": 30,
    # Webhooks: in production, URLs resolving to loopback or private addresses are refused
    # (SSRF) unless this is set (a receiver on the centre's own network; docs/security.md).
    "WEBHOOK_ALLOW_PRIVATE": False,
}

MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


def _coerce(key: str, value: str) -> Any:
    default = DEFAULTS.get(key)
    if isinstance(default, bool):
        return value.strip().lower() in ("1", "true", "yes", "on", "oui")
    if isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"BOUSSOLE_{key} must be a whole number, not {value!r}") from None
    return value


def configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` from the layers (see the module docstring)."""
    app.config.update(DEFAULTS)
    app.config.from_pyfile("boussole.cfg", silent=True)
    for key, value in os.environ.items():
        if key.startswith("BOUSSOLE_"):
            name = key.removeprefix("BOUSSOLE_")
            name = "ENV_NAME" if name == "ENV" else name  # BOUSSOLE_ENV=production
            app.config[name] = _coerce(name, value)
    if config:
        app.config.update(config)
    if app.config.get("TESTING") and "RATELIMIT_ENABLED" not in (config or {}):
        app.config["RATELIMIT_ENABLED"] = False  # tests sign in often; they ask for limits
    instance = Path(app.instance_path)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'boussole.sqlite'}"
    if not app.config["MAIL_FOLDER"]:
        app.config["MAIL_FOLDER"] = str(instance / "mail")
    production = app.config["ENV_NAME"] == "production"
    secret = app.config.get("SECRET_KEY")
    if production:
        if not secret or len(str(secret)) < MIN_SECRET_LENGTH:
            raise ConfigError(
                "refusing to start in production without a strong secret key: set"
                f" BOUSSOLE_SECRET_KEY to a random string of at least {MIN_SECRET_LENGTH}"
                " characters (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if not app.config.get("DATA_KEYS"):
            raise ConfigError(
                "refusing to start in production without data keys: set BOUSSOLE_DATA_KEYS"
                " to one or more Fernet keys, comma-separated (make one with"
                " `boussole keys generate`; keep them with the backups, see docs/security.md)"
            )
        app.config["SESSION_COOKIE_SECURE"] = True
    elif not secret:
        app.config["SECRET_KEY"] = _development_key(instance)
    raw_keys = app.config.get("DATA_KEYS") or _development_data_key(instance)
    try:
        app.config["DATA_KEYS"] = parse_keys(raw_keys)
    except DataKeyError as exc:
        raise ConfigError(str(exc)) from None


def _development_key(instance: Path) -> str:
    """A random key kept in the instance folder, so that sessions survive a restart."""
    path = instance / "secret_key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key, encoding="utf-8")
        path.chmod(0o600)
        return key


def _development_data_key(instance: Path) -> str:
    """Outside production: the data keys of ``instance/data.key`` (created on the first run,
    readable by its owner only). Losing this file loses the encrypted texts."""
    path = instance / "data.key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(key + "\n")
        return key
