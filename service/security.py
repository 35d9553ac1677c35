"""Passwords (argon2, rehashed when the parameters change; strength by zxcvbn) and
invitation tokens (random, stored hashed)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
#: zxcvbn's score (0 to 4) a password must reach: 3 = "safely unguessable" (about 10^8
#: guesses, with the per-account back-off and the rate limits of the sign-in page).
MIN_PASSWORD_SCORE = 3
#: French words that zxcvbn's dictionaries (English, from public password leaks) do not
#: know, and that appear at the top of French leaked-password lists.
FRENCH_COMMON = (
    "motdepasse", "azerty", "azertyuiop", "soleil", "doudou", "chouchou", "bonjour",
    "loulou", "marseille", "paris", "toulouse", "lyon", "france", "nicolas", "julien",
    "camille", "chocolat", "coucou", "jetaime", "amour", "boussole", "bilan", "competences",
    "conseiller", "conseillere", "beneficiaire", "formation", "travail", "centre",
)  # fmt: skip


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made with other argon2 parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def _words(value: str) -> list[str]:
    """An address or a name, and its parts (the local part, the words of the domain)."""
    value = value.strip().lower()
    return [value, *(p for p in re.split(r"[@.\s_+-]+", value) if len(p) >= 3)]


def _squeeze(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _is_personal(password: str, own: list[str]) -> bool:
    """The password is made of ``own`` (address, its parts, names) plus fewer than 4 other
    letters or digits."""
    squeezed = _squeeze(password)
    rest = squeezed
    for word in sorted({_squeeze(w) for w in own if len(_squeeze(w)) >= 3}, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest != squeezed and len(rest) < 4


def password_weakness(password: str, personal: Iterable[str] = ()) -> str | None:
    """Why ``password`` is too weak, or None: ``"personal"`` (it is, or mostly is, the
    person's address or name) or ``"guessable"`` (a common password, a word, a sequence, a
    repetition... as zxcvbn estimates it, offline).

    >>> [password_weakness(p) for p in ("aaaaaaaaaa", "1234567890", "password12")]
    ['guessable', 'guessable', 'guessable']
    >>> password_weakness("claire@exemple.fr", ["claire@exemple.fr"])
    'personal'
    >>> password_weakness("trois chats sous la pluie verte") is None
    True
    """
    own = [w for value in personal if value for w in _words(value)]
    if _is_personal(password, own):
        return "personal"
    result = zxcvbn(password[:100], user_inputs=[*own, *FRENCH_COMMON])
    if int(result["score"]) < MIN_PASSWORD_SCORE:
        return "guessable"
    return None


def new_token() -> str:
    """A URL-safe random token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored: the SHA-256 of the token, so a database leak reveals no link."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
