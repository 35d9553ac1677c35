"""French wording rules, checked on the sources: no "(s)" plural hacks, typographic
apostrophes, and no French punctuation spacing in the English catalogue nor in template
text that escapes translation.

What is scanned:

- the msgids of ``service/translations/messages.pot`` (every translated French string of
  the code and the templates), their HTML tags removed;
- the text of every template (``service/**/templates/**``, ``reports/templates/**``, the
  mail bodies): Jinja comments, ``{{ }}`` and ``{% %}`` removed, then only HTML text nodes
  (not tags, attribute values, scripts or styles);
- the msgstrs of the English catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
POT = ROOT / "service" / "translations" / "messages.pot"
EN_PO = ROOT / "service" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
TEMPLATE_GLOBS = ("service/**/templates/**/*.html", "service/**/templates/**/*.txt")
TEMPLATE_GLOBS += ("reports/templates/**/*.html",)

#: "point(s)", "rempli(s)", "assigné(s)", "arrêté(e)", "nouveau(x)": plurals and genders
#: written as hacks instead of ngettext or a neutral wording.
PLURAL_HACK = re.compile(r"\w\((?:s|e|es|x)\)")
#: French spacing before a colon, semicolon, question or exclamation mark (any space kind).
FRENCH_SPACING = re.compile(r"[ \u00a0\u202f][:;?!](?=\s|$|\W)")

_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", re.S)
_TAG = re.compile(r"<[^>]*>")


class _TextNodes(HTMLParser):
    """The text nodes of an HTML fragment, with their line numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.nodes.append((self.getpos()[0], data))


def _blank(match: re.Match[str]) -> str:
    """A removed span, replaced by its line breaks (line numbers stay right) or a space."""
    return "\n" * match.group(0).count("\n") or " "


def template_text(source: str, *, html: bool, keep_trans: bool = True) -> list[tuple[int, str]]:
    """The visible text of a template: (line, text) pairs, Jinja code removed.

    >>> template_text('<a href="{{ u }}" title="l\\'x">Voir {{ n }} fois</a>', html=True)
    [(1, 'Voir   fois')]
    >>> template_text('{% trans %}Un{% endtrans %} : {{ x }}', html=True, keep_trans=False)
    [(1, '  :  ')]
    """
    source = _JINJA_COMMENT.sub(_blank, source)
    if not keep_trans:
        source = _TRANS_BLOCK.sub(_blank, source)
    source = _JINJA.sub(_blank, source)
    if not html:
        return [(n, line) for n, line in enumerate(source.splitlines(), 1) if line.strip()]
    parser = _TextNodes()
    parser.feed(source)
    parser.close()
    return parser.nodes


def templates() -> list[Path]:
    return sorted({p for pattern in TEMPLATE_GLOBS for p in ROOT.glob(pattern)})


def template_strings(*, keep_trans: bool = True) -> Iterator[tuple[str, str]]:
    """(where, text) for every text node of every template."""
    for path in templates():
        source = path.read_text(encoding="utf-8")
        for line, text in template_text(source, html=path.suffix == ".html", keep_trans=keep_trans):
            yield f"{path.relative_to(ROOT)}:{line}", text


def french_msgids() -> Iterator[tuple[str, str]]:
    """(where, text) for every msgid (singular and plural) of the catalogue template."""
    with POT.open("rb") as fh:
        catalogue = read_po(fh)
    for message in catalogue:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        for text in ids:
            yield where, _TAG.sub(" ", text)


def french_strings() -> list[tuple[str, str]]:
    return [*french_msgids(), *template_strings()]


def test_the_scan_sees_the_sources() -> None:
    """The scanner reads what it claims to: without it, the checks below pass vacuously."""
    found = french_strings()
    assert len(found) > 500
    assert any(text == "Connexion" for _where, text in found)
    # the mail bodies are msgids; the reports' templates also have text of their own
    assert any(w.startswith("service/mail/templates/") for w, _t in french_msgids())
    assert any(w.startswith("reports/templates/") for w, _t in template_strings())


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("1 point(s) de vigilance", True),
        ("questionnaire(s) rempli(s) sur 2 assigné(s)", True),
        ("là où vous vous étiez arrêté(e)", True),
        ("Temps moyen : %(s)s secondes", False),  # a placeholder named s
        ("Outils (seuls ou en groupe)", False),
    ],
)
def test_plural_hack_pattern(text: str, bad: bool) -> None:
    assert bool(PLURAL_HACK.search(text)) is bad


def test_no_plural_hacks_in_french_strings() -> None:
    """Plurals go through ngettext (``{% trans count=n %}`` or ``ngettext()``), never "(s)"."""
    found = [(where, text) for where, text in french_strings() if PLURAL_HACK.search(text)]
    assert found == []


def test_typographic_apostrophes_in_french_strings() -> None:
    """French text uses ’ (U+2019), never the straight apostrophe."""
    found = [(where, text) for where, text in french_strings() if "'" in text]
    assert found == []


def test_no_french_spacing_in_the_english_catalogue() -> None:
    """ "Strong appeal: …", "[36, 48]": no space before ``: ; ? !`` in English."""
    with EN_PO.open("rb") as fh:
        catalogue = read_po(fh, locale="en")
    found = []
    for message in (m for m in catalogue if m.id):  # not the header
        strings = (message.string,) if isinstance(message.string, str) else message.string
        found += [(message.id, s) for s in strings if s and FRENCH_SPACING.search(s)]
    assert found == []


def test_no_untranslated_french_punctuation_in_templates() -> None:
    """Punctuation typed between two Jinja expressions (``{{ a }} : {{ b }}``, ``[{{ lo }} ;
    {{ hi }}]``) is shown as is in English: it must go through the catalogue."""
    found = [
        (where, text)
        for where, text in template_strings(keep_trans=False)
        if FRENCH_SPACING.search(text)
    ]
    assert found == []


#: Words a template may show untranslated: names and formats, the same in both languages.
UNTRANSLATED_OK = {"Boussole", "English", "Français", "CSV", "Excel", "JSON", "PDF", "h", "n"}


def test_template_words_are_translated() -> None:
    """Every word a page shows comes from the catalogue (or is a name, the same in English)."""
    found = []
    for where, text in template_strings(keep_trans=False):
        if where.startswith("reports/templates/_document_style"):
            continue  # CSS in a template meant for inclusion in <style>
        words = set(re.findall(r"[^\W\d_]{2,}|\b[^\W\d_]\b", text)) - UNTRANSLATED_OK
        if words:
            found.append((where, " ".join(text.split())))
    assert found == []


def test_no_plural_hacks_in_the_messages_of_the_code() -> None:
    """Messages written outside the catalogue (the ``boussole`` commands) count properly too:
    "1 problème", "2 problèmes", never "problème(s)"."""
    import tokenize

    hack = re.compile(r"\w\((?:s|e|es)\)")  # not "(x)": f-strings hold code such as isnan(x)
    found = []
    for path in sorted((ROOT / "service").rglob("*.py")):
        with path.open("rb") as fh:
            for token in tokenize.tokenize(fh.readline):
                if token.type == tokenize.STRING and hack.search(token.string):
                    found.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert found == []


def test_typographic_apostrophes_in_the_french_messages_of_the_commands() -> None:
    """The French messages and help texts of the ``boussole`` commands (not in the catalogue)."""
    import tokenize

    french = re.compile(r"[a-zé]'[a-zéèêàâ]", re.IGNORECASE)
    english = re.compile(r"\b(?:today's|don't|isn't|can't|won't|it's)\b")
    found = []
    for path in sorted((ROOT / "service" / "cli").rglob("*.py")):
        with path.open("rb") as fh:
            for token in tokenize.tokenize(fh.readline):
                text = token.string
                if token.type != tokenize.STRING or text.startswith(('"""', "'")):
                    continue  # docstrings, and strings quoted with ' (no apostrophe inside)
                if french.search(english.sub("", text)):
                    found.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {text[:60]}")
    assert found == []
