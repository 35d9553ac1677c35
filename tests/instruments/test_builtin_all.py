"""Every built-in instrument: valid, complete in French and English, no duplicated item,
French typography, no English or unaccented words left in the French texts."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from instruments import builtin_files, check_instrument_file
from instruments.model import Instrument, Text

FILES = builtin_files()

# Words a French text should not contain: English leftovers, and frequent words typed
# without their accents.
ENGLISH = r"\b(the|and|you|your|with|which|would|should|please|yes|job)\b"
UNACCENTED = (
    r"\b(tres|deja|etre|apres|meme|facon|ca|equipe|activites?|probleme|qualite|securite"
    r"|reussite|interet|metier|deroulement|reponses?|reponde[zr]|general|developper"
    r"|competences?|resultats?|a cote|progres|precis|eleve|evaluer|idees?)\b"
)


def _texts(inst: Instrument) -> Iterator[tuple[str, Text]]:
    yield "name", inst.name
    yield "description", inst.description
    if inst.instructions:
        yield "instructions", inst.instructions
    for sec in inst.sections:
        yield f"section {sec.id}", sec.title
        if sec.instructions:
            yield f"section {sec.id}", sec.instructions
    for fmt in inst.formats.values():
        for opt in fmt.options:
            yield f"format {fmt.id}", opt.label
    for it in inst.items:
        yield f"item {it.id}", it.text
    for sc in inst.scales:
        yield f"scale {sc.id}", sc.name
        if sc.description:
            yield f"scale {sc.id}", sc.description
        if sc.bands:
            for band in sc.bands.levels:
                yield f"scale {sc.id} level {band.level}", band.label
                yield f"scale {sc.id} level {band.level}", band.text


@pytest.fixture(scope="module", params=FILES, ids=[f.stem for f in FILES])
def inst(request: pytest.FixtureRequest) -> Instrument:
    instrument, problems = check_instrument_file(request.param)
    assert problems == [], "\n".join(map(str, problems))
    assert instrument is not None
    return instrument


def test_there_are_the_six_builtin_instruments() -> None:
    assert {f.stem for f in FILES} >= {
        "ipip-bfi-25",
        "spi-135",
        "riasec-60",
        "valeurs-travail",
        "satisfaction-fin-bilan",
        "suivi-6-mois",
    }


def test_file_name_is_the_id_and_metadata_is_complete(inst: Instrument) -> None:
    assert inst.path is not None and inst.path.stem == inst.id
    assert inst.languages == ("fr", "en")
    assert inst.licence and inst.source.citation and inst.minutes > 0


def test_every_text_exists_in_french_and_english(inst: Instrument) -> None:
    missing = [where for where, t in _texts(inst) if not t.fr.strip() or not (t.en or "").strip()]
    assert missing == []


def test_no_duplicated_items(inst: Instrument) -> None:
    for lang in ("fr", "en"):
        seen: dict[str, str] = {}
        for it in inst.items:
            text = re.sub(r"\W+", " ", it.text.get(lang)).strip().lower()
            assert text not in seen, f"{it.id} repeats {seen[text]} in {lang}"
            seen[text] = it.id


def typography_errors(fr: str) -> list[str]:
    """French rules: ’ not ', narrow no-break space before ; ! ?, no-break space before :
    (except in addresses and times)."""
    errors = []
    if "'" in fr:
        errors.append("typewriter apostrophe")
    if re.search(r"(?<!\u202f)[;!?]", fr):
        errors.append("; ! or ? without a narrow no-break space before it")
    if re.search(r"(?<![\u00a0\d]):(?!//)", fr):
        errors.append(": without a no-break space before it")
    return errors


def test_typography_check_itself() -> None:
    assert typography_errors("Oui ! C'est : bien") == [
        "typewriter apostrophe",
        "; ! or ? without a narrow no-break space before it",
        ": without a no-break space before it",
    ]
    assert typography_errors("Oui\u202f! C’est\u00a0: bien, à 10:30 sur https://x.fr") == []


def test_french_typography(inst: Instrument) -> None:
    bad = [(where, t.fr, e) for where, t in _texts(inst) if (e := typography_errors(t.fr))]
    assert bad == []


def test_no_english_or_unaccented_words_in_french(inst: Instrument) -> None:
    for where, t in _texts(inst):
        assert not re.search(ENGLISH, t.fr, re.I), f"{where}: English word in {t.fr!r}"
        assert not re.search(UNACCENTED, t.fr, re.I), f"{where}: missing accent in {t.fr!r}"


def test_word_lists_catch_what_they_should() -> None:
    assert re.search(ENGLISH, "Je fais the job", re.I)
    assert re.search(UNACCENTED, "Je suis tres content", re.I)
    assert not re.search(UNACCENTED, "Je suis très content", re.I)
