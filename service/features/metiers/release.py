"""Reading an official ROME 4.0 release: the zip from France Travail or its folder.

:func:`read_release` checks the header of each expected ``unix_<name>_v<N>_utf8.csv``
file and each line it uses, and returns a :class:`ReleaseData`: plain rows, nothing
written yet. Every problem is a :class:`ReleaseError` in French naming the file and the
line. The files' quirks are handled: a byte-order mark, quoted fields spanning several
lines (the ``csv`` module with ``newline=""``), an empty minor RIASEC letter, tags left
empty on some fiches ("" is read as "no").

What the blocks and rubrics of ``unix_liens_rome_referentiels`` mean, as observed on
release 60 (see ``docs/metiers.md``): bloc 1 is the fiche's own ``code_ogr``, bloc 2 its
appellations, bloc 5 its competences (rubrique 1: savoir-faire, competences and their
macro-competences; 2: savoir-être professionnels, macro-competences; 3: savoirs, whose
file the open-data release does not ship), bloc 6 its work contexts. Blocs 1 and 2 repeat
what the fiche and appellation files say and are not kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from service.text import search_key

RIASEC = frozenset("RIASEC")

#: The files read, by their name in ``unix_<name>_v<N>_utf8.csv``, and the columns used.
FILES: dict[str, tuple[str, ...]] = {
    "grand_domaine": ("code_grand_domaine", "libelle_grand_domaine"),
    "domaine_professionnel": ("code_domaine_professionnel", "libelle_domaine_professionnel"),
    "referentiel_code_rome": (
        "code_rome",
        "code_ogr",
        "libelle_rome",
        "transition_eco",
        "transition_num",
        "transition_demo",
        "emploi_reglemente",
        "emploi_cadre",
    ),
    "referentiel_code_rome_riasec": ("code_rome", "riasec_majeur", "riasec_mineur"),
    "referentiel_appellation": (
        "code_ogr",
        "libelle_appellation_long",
        "libelle_appellation_court",
        "code_rome",
        "emploi_reglemente",
        "emploi_cadre",
    ),
    "referentiel_competence": (
        "code_ogr",
        "nature",
        "libelle_competence",
        "definition",
        "code_ogr_macro_comp",
        "code_macro_comp",
        "cat_comp",
        "sous_cat_comp",
        "transition_eco",
        "transition_num",
    ),
    "referentiel_macro_competence_riasec": ("code_ogr", "riasec_majeur", "riasec_mineur"),
    "liens_rome_referentiels": ("code_rome", "code_compo_bloc", "code_rubrique", "code_ogr"),
}

MACRO = "Macro-compétence"
#: Blocks of the links file that repeat the fiche and appellation files (not kept).
REDUNDANT_BLOCS = frozenset({1, 2})

_FILE_NAME = re.compile(r"^unix_(?P<name>[a-z_]+)_v\d+_utf8\.csv$")


class ReleaseError(ValueError):
    """A release that cannot be imported (the message is French and names the file)."""


@dataclass
class ReleaseData:
    """One release as plain rows (dicts of column values), ready to write."""

    version: int
    published_on: dt.date | None
    title: str
    grands_domaines: list[dict[str, object]] = field(default_factory=list)
    domaines: list[dict[str, object]] = field(default_factory=list)
    fiches: list[dict[str, object]] = field(default_factory=list)
    appellations: list[dict[str, object]] = field(default_factory=list)
    competences: list[dict[str, object]] = field(default_factory=list)
    links: list[dict[str, object]] = field(default_factory=list)


class _Source:
    """The release's files, in a folder or a zip (possibly inside one sub-folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.names: dict[str, str] = {}
        self.version_txt: str | None = None
        if path.is_dir():
            entries = [str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()]
        elif path.is_file() and zipfile.is_zipfile(path):
            self.zip = zipfile.ZipFile(path)
            entries = self.zip.namelist()
        elif path.exists():
            raise ReleaseError(f"{path.name} : ni un dossier ni une archive zip.")
        else:
            raise ReleaseError(f"{path} : introuvable.")
        for entry in entries:
            base = entry.rsplit("/", 1)[-1]
            m = _FILE_NAME.match(base)
            if m and m.group("name") in FILES:
                self.names[m.group("name")] = entry
            elif base == "version.txt":
                self.version_txt = entry

    @contextmanager
    def open(self, entry: str) -> Iterator[IO[str]]:
        if self.zip is not None:
            with self.zip.open(entry) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        else:
            with (self.path / entry).open(encoding="utf-8-sig", newline="") as fh:
                yield fh

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _rows(source: _Source, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of file ``name`` with their line number, after checking the header."""
    entry = source.names[name]
    label = entry.rsplit("/", 1)[-1]
    try:
        with source.open(entry) as fh:
            reader = csv.reader(fh, strict=True)
            header = next(reader, None)
            if header is None:
                raise ReleaseError(f"{label}, ligne 1 : le fichier est vide.")
            missing = [c for c in FILES[name] if c not in header]
            if missing:
                raise ReleaseError(
                    f"{label}, ligne 1 : colonnes manquantes : {', '.join(missing)}"
                    " (ce n’est pas un fichier ROME 4.0, ou ses colonnes ont changé)."
                )
            width = len(header)
            start = reader.line_num
            for row in reader:
                if not any(row):
                    start = reader.line_num
                    continue
                if len(row) != width:
                    raise ReleaseError(
                        f"{label}, ligne {start + 1} : {len(row)} champs au lieu de {width}"
                        " (fichier tronqué ou mal formé)."
                    )
                yield start + 1, dict(zip(header, row, strict=True))
                start = reader.line_num
    except UnicodeDecodeError as exc:
        raise ReleaseError(f"{label} : le fichier n’est pas en UTF-8 ({exc.reason}).") from exc
    except csv.Error as exc:
        raise ReleaseError(f"{label} : fichier CSV mal formé ({exc}).") from exc


class _Checker:
    def __init__(self, source: _Source, name: str) -> None:
        self.label = source.names[name].rsplit("/", 1)[-1]
        self.line = 0

    def fail(self, message: str) -> ReleaseError:
        return ReleaseError(f"{self.label}, ligne {self.line} : {message}")

    def text(self, row: dict[str, str], column: str) -> str:
        value = row[column].strip()
        if not value:
            raise self.fail(f"la colonne {column} est vide.")
        return value

    def integer(self, row: dict[str, str], column: str) -> int:
        value = row[column].strip()
        if not value.isdigit() or len(value) > 9:
            raise self.fail(f"{column} « {value[:20]} » n’est pas un code numérique.")
        return int(value)

    def letter(self, row: dict[str, str], column: str, *, required: bool) -> str | None:
        value = row[column].strip().upper()
        if not value and not required:
            return None
        if value not in RIASEC or len(value) != 1:
            raise self.fail(f"{column} « {value[:20]} » n’est pas une lettre RIASEC.")
        return value


def _yes(value: str) -> bool:
    return value.strip().upper() == "O"


def _tag(value: str) -> str | None:
    """A fiche's transition tag as the release words it ("O"/"N" or a phrase), or None."""
    value = value.strip()
    return value[:120] or None


_VERSION = re.compile(r"num[ée]ro de version\s*:\s*(\d+)", re.IGNORECASE)
_DATE = re.compile(r"date de publication\s*:\s*(\d{2})/(\d{2})/(\d{4})", re.IGNORECASE)
_TITLE = re.compile(r"titre/commentaire\s*:\s*(.+)", re.IGNORECASE)


def parse_version_txt(text: str) -> tuple[int, dt.date | None, str]:
    """The version number, publication date and title of a release's ``version.txt``."""
    m = _VERSION.search(text)
    if m is None:
        raise ReleaseError("version.txt : « Numero de version » introuvable.")
    day: dt.date | None = None
    d = _DATE.search(text)
    if d is not None:
        try:
            day = dt.date(int(d.group(3)), int(d.group(2)), int(d.group(1)))
        except ValueError as exc:
            raise ReleaseError("version.txt : date de publication impossible.") from exc
    t = _TITLE.search(text)
    return int(m.group(1)), day, (t.group(1).strip()[:200] if t else "")


def read_release(path: Path) -> ReleaseData:
    """Read and check the release at ``path`` (a folder or a zip). Raises ReleaseError."""
    source = _Source(path)
    try:
        missing = [f"unix_{n}_v…_utf8.csv" for n in FILES if n not in source.names]
        if source.version_txt is None:
            missing.append("version.txt")
        if missing:
            raise ReleaseError(
                f"{path.name} : fichiers manquants : {', '.join(missing)}"
                " (une version officielle du ROME 4.0 est attendue)."
            )
        assert source.version_txt is not None
        with source.open(source.version_txt) as fh:
            try:
                version, day, title = parse_version_txt(fh.read())
            except UnicodeDecodeError as exc:
                raise ReleaseError("version.txt : le fichier n’est pas en UTF-8.") from exc
        data = ReleaseData(version=version, published_on=day, title=title)
        _read_domains(source, data)
        _read_fiches(source, data)
        _read_appellations(source, data)
        _read_competences(source, data)
        _read_links(source, data)
        return data
    finally:
        source.close()


def _read_domains(source: _Source, data: ReleaseData) -> None:
    check = _Checker(source, "grand_domaine")
    for check.line, row in _rows(source, "grand_domaine"):
        code = check.text(row, "code_grand_domaine")
        if len(code) != 1:
            raise check.fail(f"code de grand domaine « {code[:20]} » : une lettre attendue.")
        data.grands_domaines.append(
            {"code": code, "label": check.text(row, "libelle_grand_domaine")}
        )
    grands = {g["code"] for g in data.grands_domaines}
    check = _Checker(source, "domaine_professionnel")
    for check.line, row in _rows(source, "domaine_professionnel"):
        code = check.text(row, "code_domaine_professionnel")
        if len(code) != 3 or code[0] not in grands:
            raise check.fail(f"code de domaine « {code[:20]} » inconnu ou mal formé.")
        data.domaines.append(
            {
                "code": code,
                "label": check.text(row, "libelle_domaine_professionnel"),
                "grand_domaine_code": code[0],
            }
        )


_CODE_ROME = re.compile(r"^[A-N]\d{4}$")


def _read_fiches(source: _Source, data: ReleaseData) -> None:
    domaines = {d["code"] for d in data.domaines}
    riasec: dict[str, tuple[str | None, str | None]] = {}
    check = _Checker(source, "referentiel_code_rome_riasec")
    for check.line, row in _rows(source, "referentiel_code_rome_riasec"):
        code = check.text(row, "code_rome")
        riasec[code] = (
            check.letter(row, "riasec_majeur", required=True),
            check.letter(row, "riasec_mineur", required=False),
        )
    check = _Checker(source, "referentiel_code_rome")
    seen: set[str] = set()
    for check.line, row in _rows(source, "referentiel_code_rome"):
        code = check.text(row, "code_rome")
        if not _CODE_ROME.match(code) or code[:3] not in domaines:
            raise check.fail(f"code ROME « {code[:20]} » inconnu ou mal formé.")
        if code in seen:
            raise check.fail(f"le code ROME {code} apparaît deux fois.")
        seen.add(code)
        label = check.text(row, "libelle_rome")
        majeur, mineur = riasec.get(code, (None, None))
        data.fiches.append(
            {
                "code_rome": code,
                "code_ogr": check.integer(row, "code_ogr"),
                "label": label[:300],
                "search_key": search_key(label)[:300],
                "domaine_code": code[:3],
                "riasec_majeur": majeur,
                "riasec_mineur": mineur,
                "emploi_cadre": _yes(row["emploi_cadre"]),
                "emploi_reglemente": _yes(row["emploi_reglemente"]),
                "transition_eco": _tag(row["transition_eco"]),
                "transition_num": _tag(row["transition_num"]),
                "transition_demo": _tag(row["transition_demo"]),
            }
        )
    unknown = sorted(set(riasec) - seen)
    if unknown:
        raise ReleaseError(
            f"{source.names['referentiel_code_rome_riasec'].rsplit('/', 1)[-1]} : codes ROME"
            f" absents des fiches : {', '.join(unknown[:5])}."
        )


def _read_appellations(source: _Source, data: ReleaseData) -> None:
    fiches = {f["code_rome"] for f in data.fiches}
    check = _Checker(source, "referentiel_appellation")
    for check.line, row in _rows(source, "referentiel_appellation"):
        code_rome = check.text(row, "code_rome")
        if code_rome not in fiches:
            raise check.fail(f"code ROME {code_rome[:20]} absent des fiches.")
        label = check.text(row, "libelle_appellation_long")
        short = row["libelle_appellation_court"].strip()
        data.appellations.append(
            {
                "code_ogr": check.integer(row, "code_ogr"),
                "code_rome": code_rome,
                "label": label[:300],
                "label_short": "" if short == label else short[:300],
                "search_key": search_key(label)[:300],
                "emploi_cadre": _yes(row["emploi_cadre"]),
                "emploi_reglemente": _yes(row["emploi_reglemente"]),
            }
        )


def _read_competences(source: _Source, data: ReleaseData) -> None:
    macro_riasec: dict[int, tuple[str | None, str | None]] = {}
    check = _Checker(source, "referentiel_macro_competence_riasec")
    for check.line, row in _rows(source, "referentiel_macro_competence_riasec"):
        # 149 of release 60's 507 macro-competences have no RIASEC letter at all.
        majeur = check.letter(row, "riasec_majeur", required=False)
        mineur = check.letter(row, "riasec_mineur", required=False)
        if majeur is None and mineur is not None:
            raise check.fail("riasec_mineur sans riasec_majeur.")
        macro_riasec[check.integer(row, "code_ogr")] = (majeur, mineur)
    check = _Checker(source, "referentiel_competence")
    for check.line, row in _rows(source, "referentiel_competence"):
        code = check.integer(row, "code_ogr")
        is_macro = row["nature"].strip() == MACRO
        label = check.text(row, "libelle_competence")
        macro_of = (
            None
            if is_macro or not row["code_ogr_macro_comp"].strip()
            else (check.integer(row, "code_ogr_macro_comp"))
        )
        majeur, mineur = macro_riasec.get(code, (None, None)) if is_macro else (None, None)
        data.competences.append(
            {
                "code_ogr": code,
                "is_macro": is_macro,
                "label": label,
                "search_key": search_key(label),
                "definition": row["definition"].strip(),
                "category": row["cat_comp"].strip()[:60],
                "subcategory": row["sous_cat_comp"].strip()[:120],
                "macro_code_ogr": macro_of,
                "macro_code": (row["code_macro_comp"].strip()[:20] or None) if is_macro else None,
                "riasec_majeur": majeur,
                "riasec_mineur": mineur,
                "transition_eco": _yes(row["transition_eco"]),
                "transition_num": _yes(row["transition_num"]),
            }
        )
    macros = {c["code_ogr"] for c in data.competences if c["is_macro"]}
    orphans = sorted(
        {c["macro_code_ogr"] for c in data.competences if c["macro_code_ogr"] is not None} - macros,
        key=str,
    )
    if orphans:
        raise ReleaseError(
            f"{check.label} : macro-compétences inconnues : {', '.join(map(str, orphans[:5]))}."
        )


def _read_links(source: _Source, data: ReleaseData) -> None:
    fiches = {f["code_rome"] for f in data.fiches}
    check = _Checker(source, "liens_rome_referentiels")
    seen: set[tuple[str, int]] = set()
    for check.line, row in _rows(source, "liens_rome_referentiels"):
        code_rome = check.text(row, "code_rome")
        if code_rome not in fiches:
            raise check.fail(f"code ROME {code_rome[:20]} absent des fiches.")
        bloc = check.integer(row, "code_compo_bloc")
        if bloc in REDUNDANT_BLOCS:
            continue
        key = (code_rome, check.integer(row, "code_ogr"))
        if key in seen:
            continue  # the same item twice in a fiche: one link
        seen.add(key)
        data.links.append(
            {
                "code_rome": key[0],
                "code_ogr": key[1],
                "bloc": bloc,
                "rubrique": row["code_rubrique"].strip()[:20],
            }
        )


def release_files(names: Sequence[str] = tuple(FILES)) -> list[str]:
    """The file names a release ``N`` is expected to have (for messages and docs)."""
    return [f"unix_{n}_v4N_utf8.csv" for n in names]
