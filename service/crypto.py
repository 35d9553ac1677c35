"""Encryption at rest of the free-text columns (answers, notes, objectives, synthesis...).

Each value is a Fernet token (AES-128-CBC then HMAC-SHA256, from ``cryptography``) stored
as text: the database alone (a dump, a backup, a stolen file) shows no free text. The keys
come from the configuration (``BOUSSOLE_DATA_KEYS``, comma-separated, see
:mod:`service.config`); with several keys, the FIRST encrypts and every key decrypts
(``MultiFernet``), which is how a key is rotated: put the new key first, run
``boussole keys rotate`` (every value re-encrypted with it), then drop the old key.

The column types :class:`EncryptedText` and :class:`EncryptedJSON` find their keys on the
engine's dialect (:func:`attach`, done by :func:`service.db.make_engine`), else the keys
of the last app created in the process (:func:`activate`). A value that no configured key
opens raises :class:`DataKeyError`, never garbage.

This module imports nothing of the service (models, db and config import it).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

#: The prefix of every Fernet token (version byte 0x80, base64): a stored value that does
#: not start with it was written in clear.
TOKEN_PREFIX = "gAAAAA"

#: Decrypted values kept per set of keys (least recently read dropped first).
CACHE_SIZE = 4096


class DataKeyError(RuntimeError):
    """The data keys are missing or wrong, or a stored value cannot be decrypted."""


def generate_key() -> str:
    """A new random Fernet key (44 characters of URL-safe base64)."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw: str | Iterable[str]) -> tuple[str, ...]:
    """The keys of ``raw`` (comma, space or newline separated), each checked; raises
    :class:`DataKeyError` naming the bad one (by position, never printing it)."""
    items = re.split(r"[\s,]+", raw) if isinstance(raw, str) else list(raw)
    keys = tuple(k.strip() for k in items if k and k.strip())
    if not keys:
        raise DataKeyError("no data key given (BOUSSOLE_DATA_KEYS is empty)")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise DataKeyError(
                f"data key no. {position} of BOUSSOLE_DATA_KEYS is not a Fernet key"
                " (44 characters of URL-safe base64; make one with `boussole keys generate`)"
            ) from None
    return keys


class Cipher:
    """The configured keys: the first encrypts, all decrypt."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = parse_keys(keys)
        fernets = [Fernet(k) for k in self.keys]
        self._current = fernets[0]
        self._all = MultiFernet(fernets)
        # A token never changes meaning: the texts of the last tokens read are kept in
        # memory (the keys are there anyway), so that a page read again (the questionnaire
        # page after each save, the results) does not pay the decryption again.
        self._opened = functools.lru_cache(maxsize=CACHE_SIZE)(self._open)

    def encrypt(self, text: str) -> str:
        return self._current.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of ``token`` (DataKeyError when no key opens it)."""
        return self._opened(token)

    def _open(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise DataKeyError(
                "a stored value cannot be decrypted with the configured data keys"
                " (BOUSSOLE_DATA_KEYS, or instance/data.key): the key that encrypted it is"
                " missing, or the value was written in clear"
                if token.startswith(TOKEN_PREFIX)
                else "a stored value is not encrypted (written in clear, not a Fernet token):"
                " run `boussole db upgrade`"
            ) from None

    def is_current(self, token: str) -> bool:
        """Whether ``token`` is encrypted with the first key (nothing to rotate)."""
        try:
            self._current.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted with the first key (decrypted with any key)."""
        try:
            return self._all.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            self.decrypt(token)  # raises the clear message
            raise  # pragma: no cover


_ACTIVE: Cipher | None = None


def activate(cipher: Cipher) -> None:
    """The keys used by engines made without their own (the last app created wins)."""
    global _ACTIVE
    _ACTIVE = cipher


def attach(engine: Engine, cipher: Cipher) -> None:
    """``engine``'s columns are encrypted with ``cipher`` (whatever the active keys)."""
    engine.dialect.boussole_cipher = cipher  # type: ignore[attr-defined]


def cipher_for(dialect: Dialect) -> Cipher:
    cipher = getattr(dialect, "boussole_cipher", None) or _ACTIVE
    if cipher is None:
        raise DataKeyError(
            "no data keys: set BOUSSOLE_DATA_KEYS (see docs/security.md) or create the app first"
        )
    return cipher


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token (NULL stays NULL; an empty text is encrypted too)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"EncryptedText needs a str, not {type(value).__name__}")
        return cipher_for(dialect).encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_for(dialect).decrypt(str(value))


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value (number, text, list...) stored as the Fernet token of its JSON text;
    ``None`` is JSON ``null`` (encrypted too), as SQLAlchemy's ``JSON`` type stores it."""

    impl = Text
    cache_ok = True
    should_evaluate_none = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return cipher_for(dialect).encrypt(text)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(cipher_for(dialect).decrypt(str(value)))


#: Every encrypted column: (table, column). The migration, ``boussole keys rotate`` and the
#: tests read this list; a test checks it against the models.
ENCRYPTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("answer", "value"),
    ("score_record", "notes"),
    ("bilan", "report_comment"),
    ("bilan", "objectives"),
    ("assignment", "report_comment"),
    ("counsellor_note", "text"),
    ("bilan_step", "objectives"),
    ("interview", "topic"),
    ("personal_work", "description"),
    ("synthesis_version", "circumstances"),
    ("synthesis_version", "competences"),
    ("synthesis_version", "project"),
    ("synthesis_version", "observations"),
    ("action_item", "text"),
    ("erasure_request", "message"),
    ("erasure_request", "refusal_reason"),
    ("portfolio_entry", "label"),
    ("portfolio_realisation", "title"),
    ("portfolio_realisation", "context"),
    ("portfolio_realisation", "action"),
    ("portfolio_realisation", "result"),
    ("portfolio_realisation", "period"),
    ("portfolio_change", "snapshot"),
    ("api_idempotency_key", "body"),
    ("webhook_endpoint", "secret"),
)


def migration_cipher(attributes: dict[str, Any]) -> Cipher | None:
    """The keys for a migration: given by :func:`service.migrate.upgrade`, else the active
    app's, else ``BOUSSOLE_DATA_KEYS``; None when there are none (fine on an empty base)."""
    import os

    keys = attributes.get("data_keys")
    if keys:
        return Cipher(keys)
    if _ACTIVE is not None:
        return _ACTIVE
    raw = os.environ.get("BOUSSOLE_DATA_KEYS")
    return Cipher(parse_keys(raw)) if raw else None
