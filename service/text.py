"""Text folding for forgiving searches, shared by the features.

:func:`fold` is what the counsellor's dashboard compares names with;
:func:`search_key` is what the ROME tables store in their ``search_key`` columns (and
what the métiers search compares): folded, the ligatures spelt out and punctuation
turned into spaces, so that "Œnologue", "oenologue" and "ŒNOLOGUE !" meet.
"""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Text for a forgiving search: lower case, accents and extra spaces removed.

    >>> fold("  Hélène  LEFÈVRE ")
    'helene lefevre'
    """
    plain = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).split())


def search_key(text: str) -> str:
    """:func:`fold`, ligatures spelt out, anything but letters and digits a space.

    >>> search_key("Infirmier / Infirmière d’Œuvre-sociale")
    'infirmier infirmiere d oeuvre sociale'
    """
    return " ".join(_NOT_WORD.sub(" ", fold(text).translate(_LIGATURES)).split())
