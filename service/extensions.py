"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from babel.support import NullTranslations
from flask_babel import Babel, Domain, get_locale
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from service.db import Database


class _FrenchPlurals(NullTranslations):
    """The messages are written in French, and French has no catalogue: without one,
    ``ngettext`` would follow the English rule (plural unless 1: "0 réponses"). In French,
    0 and 1 take the singular ("0 réponse", "1 réponse", "2 réponses")."""

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return msgid1 if n < 2 else msgid2

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return msgid1 if n < 2 else msgid2

    def ungettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.ngettext(msgid1, msgid2, n)

    def unpgettext(self, context: str, singular: str, plural: str, num: int) -> str:
        return self.npgettext(context, singular, plural, num)


class _Domain(Domain):
    """The message domain, with the French plural rule for the source language."""

    def get_translations(self) -> Any:
        translations = super().get_translations()
        locale = get_locale()
        if (
            locale is not None
            and locale.language == "fr"
            and getattr(translations, "_fallback", None) is None
        ):
            translations.add_fallback(_FrenchPlurals())  # once: the domain caches it
        return translations


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> _Domain:
        return _Domain(domain=self.domain)


db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = _Babel()
