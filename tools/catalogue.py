"""Update the translation catalogues after changing user-facing strings (run from the root).

    .venv/bin/python tools/catalogue.py

1. extracts the French msgids of the code and templates into messages.pot (babel.cfg);
2. updates the English and French catalogues from it;
3. fills the French catalogue's plural entries with the msgids themselves: the source
   strings are French, but without a French entry gettext falls back to the English rule
   (singular only for 1), which would print "0 étapes"; with it, French's own rule applies
   ("0 étape", "2 étapes");
4. compiles both catalogues (the .mo files are committed: pip does not compile them);
5. lists the English entries still to translate (or marked fuzzy), exit 1 while any is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "service" / "translations"
POT = TRANSLATIONS / "messages.pot"
BIN = Path(sys.executable).parent


def pybabel(*args: str) -> None:
    subprocess.run([str(BIN / "pybabel"), *args], cwd=ROOT, check=True, capture_output=True)


def fill_french_plurals(po: Path) -> int:
    """Every plural entry of the French catalogue says what its msgids say."""
    with po.open("rb") as f:
        catalogue = read_po(f, locale="fr")
    filled = 0
    for message in catalogue:
        if not message.id:
            continue
        message.flags.discard("fuzzy")
        if message.pluralizable:
            singular, plural = message.id
            forms = (singular,) + (plural,) * (catalogue.num_plurals - 1)
            if message.string != forms:
                message.string = forms
                filled += 1
        else:
            message.string = ""  # singular entries fall back to the msgid
    with po.open("wb") as f:
        write_po(f, catalogue, width=None, ignore_obsolete=True)
    return filled


def untranslated(po: Path) -> list[str]:
    with po.open("rb") as f:
        catalogue = read_po(f, locale="en")
    missing = []
    for m in catalogue:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy or not all(strings):
            missing.append(m.id if isinstance(m.id, str) else m.id[0])
    return missing


def main() -> int:
    pybabel(
        "extract", "-F", "babel.cfg", "-k", "_l", "--no-wrap", "--sort-by-file",
        "--project=Boussole", "--version=0.1.0", "--copyright-holder=Boussole",
        "-o", str(POT), ".",
    )  # fmt: skip
    pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-wrap", "--ignore-obsolete")
    filled = fill_french_plurals(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po")
    pybabel("compile", "-d", str(TRANSLATIONS))
    missing = untranslated(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")
    print(f"French plural entries filled: {filled}")
    for msgid in missing:
        print(f"to translate in en/LC_MESSAGES/messages.po: {msgid!r}")
    print(f"English entries to translate or review: {len(missing)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
