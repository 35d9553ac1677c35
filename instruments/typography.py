"""French typography applied to every French text when an instrument is loaded.

Authors may type plain text; what a beneficiary reads follows French rules: typographic
apostrophe, a narrow no-break space before ``; ! ?``, a no-break space before ``:``, inside
guillemets and between a number and ``%``. The function is idempotent.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"

_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_BEFORE_TIGHT = re.compile(r"[ \u00a0\u202f]+([;!?])")
_BEFORE_COLON = re.compile(r"[ \u00a0\u202f]+:")
_OPEN_QUOTE = re.compile(r"«[ \u00a0\u202f]*")
_CLOSE_QUOTE = re.compile(r"[ \u00a0\u202f]*»")
_PERCENT = re.compile(r"(?<=\d) (?=%)")


def french(text: str) -> str:
    """Apply French typographic spacing and apostrophes.

    Examples
    --------
    >>> french("J'aime ça ! Vraiment ? Oui : « bien »") == (
    ...     "J’aime ça\\u202f! Vraiment\\u202f? Oui\\u00a0: «\\u00a0bien\\u00a0»")
    True
    >>> french(french("C'est : « ok » ?")) == french("C'est : « ok » ?")
    True
    >>> french("à 90 % près") == "à 90\\u00a0% près"
    True
    >>> french("https://example.org et 10:30")
    'https://example.org et 10:30'
    """
    text = _APOSTROPHE.sub("’", text)
    text = _BEFORE_TIGHT.sub(NNBSP + r"\1", text)
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = _OPEN_QUOTE.sub("«" + NBSP, text)
    text = _PERCENT.sub(NBSP, text)
    return _CLOSE_QUOTE.sub(NBSP + "»", text)
