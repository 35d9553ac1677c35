"""Texts that Boussole writes into the database in French (the default bilan title, the
default plan of a centre) and translates when it shows them.

Such a default is stored as its French text, which a counsellor may then edit. Marked
with :func:`N_` where it is defined, it is extracted into the catalogue like any message;
:func:`builtin_text` (the ``builtin_text`` filter of the templates) shows the English
translation of a stored text that is still a built-in default, and any other text as it is.
"""

from __future__ import annotations

import gettext as gettext_module

from flask_babel import gettext


def N_(text: str) -> str:
    """Mark a French default for extraction; returns it untranslated (it is stored so)."""
    return text


def builtin_text(text: str | None) -> str:
    """A stored text in the page's language when it is one of the built-in defaults.

    Outside a request the text is returned in French, as stored. A text a counsellor
    wrote is not in the catalogue and comes back unchanged.
    """
    if not text:
        return text or ""
    return str(gettext(text))


def builtin_text_in(text: str, translations: gettext_module.NullTranslations | None) -> str:
    """:func:`builtin_text` for a document written in its own language (the catalogue of
    that language; ``None``: French, as stored)."""
    if not text or translations is None:
        return text
    return translations.gettext(text)
