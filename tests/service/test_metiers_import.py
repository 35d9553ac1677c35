"""``boussole metiers import``: the fixture release (tests/service/data/rome, written by
hand in the official format), a newer release updating it in place, refused files, the
snapshot, and the full copy of release 60 when ../shared/data/rome is there."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from service.cli import main
from service.extensions import db
from service.features.metiers import importer
from service.features.metiers.release import ReleaseError, read_release
from service.models import (
    RomeAppellation,
    RomeCompetence,
    RomeFiche,
    RomeFicheLink,
    RomeRelease,
)
from tests.service.conftest import ROME_FIXTURE, ROME_FULL


def _count(s: object, model: object) -> int:
    return int(s.scalar(select(func.count()).select_from(model)))  # type: ignore[attr-defined]


def test_fixture_release_is_read_with_its_quirks() -> None:
    data = read_release(ROME_FIXTURE)
    assert (data.version, str(data.published_on)) == (59, "2025-06-12")
    assert data.title == "ROME 4.0 version 59 - fixture des tests"
    # the BOM of the grand domaine file does not end up in the first column's name
    assert [g["code"] for g in data.grands_domaines] == ["D", "J", "M"]
    fiches = {f["code_rome"]: f for f in data.fiches}
    assert (fiches["D1102"]["riasec_majeur"], fiches["D1102"]["riasec_mineur"]) == ("R", None)
    assert (fiches["J1506"]["riasec_majeur"], fiches["J1506"]["riasec_mineur"]) == ("S", "I")
    assert fiches["J1506"]["emploi_reglemente"] is True
    assert fiches["D1102"]["emploi_reglemente"] is False  # "" read as no
    assert fiches["M1805"]["emploi_cadre"] is True
    assert fiches["M1805"]["transition_eco"] == "Emploi stratégique pour la Transition écologique"
    comp = {c["code_ogr"]: c for c in data.competences}
    # a quoted definition over two lines is one field of one row
    assert (
        comp[100002]["definition"]
        == "Mélanger la farine, l'eau et le levain.\nPuis laisser reposer."
    )
    assert comp[100003]["macro_code_ogr"] == 300003
    assert (comp[300002]["riasec_majeur"], comp[300002]["riasec_mineur"]) == ("R", "C")
    assert comp[300004]["riasec_majeur"] is None and comp[300004]["is_macro"]
    # blocs 1 and 2 (the fiche itself, its appellations) are not kept: 22 lines - 10
    assert len(data.links) == 12
    assert {(k["bloc"], k["rubrique"]) for k in data.links} == {
        (5, "1"),
        (5, "2"),
        (5, "3"),
        (6, ""),
    }
    assert next(a for a in data.appellations if a["code_ogr"] == 207)["search_key"] == (
        "oenologue developpeur oenologue developpeuse"
    )


def _copy(tmp_path: Path, name: str = "release") -> Path:
    out = tmp_path / name
    shutil.copytree(ROME_FIXTURE, out)
    return out


def _edit(folder: Path, stem: str, old: str, new: str) -> None:
    (path,) = folder.glob(f"unix_{stem}_v*_utf8.csv")
    text = path.read_text(encoding="utf-8-sig")
    assert old in text, (stem, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_cli_imports_the_fixture_from_a_zip_and_refuses_it_twice(
    db_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_app.config["DATABASE_URL"])
    archive = tmp_path / "RefRomeCsv.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in ROME_FIXTURE.iterdir():
            zf.write(f, f"RefRomeCsv/{f.name}")
    result = CliRunner().invoke(main, ["metiers", "import", str(archive)])
    assert result.exit_code == 0, result.output
    assert "ROME 4.0 version 59, 12/06/2025 importée" in result.output
    assert "fiches métier : 3" in result.output
    assert "appellations : 7" in result.output
    assert "compétences : 5" in result.output
    with db_app.app_context(), db.standalone() as s:
        release = s.scalars(select(RomeRelease)).one()
        assert (release.version, release.fiches, release.source) == (59, 3, "RefRomeCsv.zip")
        assert _count(s, RomeCompetence) == 9  # 5 competences and 4 macro-competences
        assert _count(s, RomeFicheLink) == 12
    again = CliRunner().invoke(main, ["metiers", "import", str(archive)])
    assert again.exit_code == 1
    assert "même version que celle déjà importée (59)" in again.output
    forced = CliRunner().invoke(main, ["metiers", "import", "--force", str(archive)])
    assert forced.exit_code == 0, forced.output
    with db_app.app_context(), db.standalone() as s:
        assert _count(s, RomeRelease) == 1
        assert _count(s, RomeFicheLink) == 12


def test_a_newer_release_updates_in_place(rome_app: Flask, tmp_path: Path) -> None:
    newer = _copy(tmp_path)
    (newer / "version.txt").write_text(
        "Numero de version : 60\nDate de publication : 18/09/2025\n", encoding="utf-8"
    )
    # the developer fiche is renamed, the nurse fiche removed (with its appellations)
    _edit(
        newer,
        "referentiel_code_rome",
        'Développeur / Développeuse informatique"',
        'Développeur / Développeuse d’applications"',
    )
    for stem in (
        "referentiel_code_rome",
        "referentiel_code_rome_riasec",
        "referentiel_appellation",
        "liens_rome_referentiels",
    ):
        (path,) = newer.glob(f"unix_{stem}_v*_utf8.csv")
        lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        path.write_text("".join(x for x in lines if "J1506" not in x), encoding="utf-8")
    _edit(newer, "referentiel_competence", "Pétrir la pâte", "Pétrir une pâte")
    with rome_app.app_context(), db.standalone() as s:
        result = importer.import_release(s, newer)
    assert (result.version, result.renamed, result.removed) == (60, 2, 3)  # fiche, competence
    with rome_app.app_context(), db.standalone() as s:
        dev = s.get(RomeFiche, "M1805")
        assert dev is not None
        assert dev.label == "Développeur / Développeuse d’applications"
        assert (dev.previous_label, dev.changed_in, dev.removed_in) == (
            "Développeur / Développeuse informatique",
            60,
            None,
        )
        nurse = s.get(RomeFiche, "J1506")
        assert nurse is not None and nurse.removed_in == 60
        assert nurse.label == "Infirmier / Infirmière de soins généraux"  # still readable
        for code in (203, 204):
            appellation = s.get(RomeAppellation, code)
            assert appellation is not None and appellation.removed_in == 60
        # the removed fiche keeps its competence links (a gap analysis can still be read)
        assert (
            _count(s, select(RomeFicheLink).where(RomeFicheLink.code_rome == "J1506").subquery())
            == 4
        )
        petrir = s.get(RomeCompetence, 100002)
        assert petrir is not None
        assert (petrir.label, petrir.previous_label, petrir.changed_in) == (
            "Pétrir une pâte",
            "Pétrir la pâte",
            60,
        )
        assert [
            r.version for r in s.scalars(select(RomeRelease).order_by(RomeRelease.version))
        ] == [59, 60]
        assert importer.latest_release(s).version == 60  # type: ignore[union-attr]
    older = _copy(tmp_path, "older")
    with rome_app.app_context(), db.standalone() as s, pytest.raises(ReleaseError) as exc:
        importer.import_release(s, older)
    assert "version plus ancienne que celle déjà importée (60)" in str(exc.value)


@pytest.mark.parametrize(
    ("stem", "old", "new", "message"),
    [
        (
            "referentiel_appellation",
            '"libelle_appellation_long"',
            '"libelle_long"',
            "unix_referentiel_appellation_v459_utf8.csv, ligne 1 :"
            " colonnes manquantes : libelle_appellation_long",
        ),
        (
            "referentiel_code_rome_riasec",
            '"J1506","S","I"',
            '"J1506","X","I"',
            "unix_referentiel_code_rome_riasec_v459_utf8.csv, ligne 3 :"
            " riasec_majeur « X » n’est pas une lettre RIASEC",
        ),
        (
            "referentiel_competence",
            '"100004","Compétence"',
            '"10000A","Compétence"',
            "unix_referentiel_competence_v459_utf8.csv, ligne 10 :"
            " code_ogr « 10000A » n’est pas un code numérique",
        ),
        (
            "liens_rome_referentiels",
            '"M1805","5","1","100004"',
            '"M1805","5","1"',
            "unix_liens_rome_referentiels_v459_utf8.csv, ligne 23 : 3 champs au lieu de 4",
        ),
        (
            "referentiel_appellation",
            '"J1506","Emploi Blanc","","","O","","SYNONYME"',
            '"Z9999","Emploi Blanc","","","O","","SYNONYME"',
            "unix_referentiel_appellation_v459_utf8.csv, ligne 5 :"
            " code ROME Z9999 absent des fiches",
        ),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_written(
    rome_app: Flask,
    tmp_path: Path,
    stem: str,
    old: str,
    new: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = _copy(tmp_path)
    (bad / "version.txt").write_text("Numero de version : 60\n", encoding="utf-8")
    _edit(bad, stem, old, new)
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", rome_app.config["DATABASE_URL"])
    result = CliRunner().invoke(main, ["metiers", "import", str(bad)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Rien n’a été importé." in result.output
    with rome_app.app_context(), db.standalone() as s:
        assert [r.version for r in s.scalars(select(RomeRelease))] == [59]


def test_a_file_missing_or_a_foreign_archive_is_refused(tmp_path: Path) -> None:
    partial = _copy(tmp_path)
    next(partial.glob("unix_referentiel_competence_*")).unlink()
    with pytest.raises(
        ReleaseError, match=r"fichiers manquants : unix_referentiel_competence_v…_utf8\.csv"
    ):
        read_release(partial)
    foreign = tmp_path / "photos.zip"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("image.txt", "rien")
    with pytest.raises(ReleaseError, match="fichiers manquants"):
        read_release(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("bonjour", encoding="utf-8")
    with pytest.raises(ReleaseError, match="ni un dossier ni une archive zip"):
        read_release(text)
    latin = _copy(tmp_path, "latin")
    (path,) = latin.glob("unix_domaine_professionnel_*")
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(
        ReleaseError,
        match=r"unix_domaine_professionnel_v459_utf8\.csv : le fichier n’est pas en UTF-8",
    ):
        read_release(latin)


def test_snapshot_round_trip(tmp_path: Path, db_app: Flask) -> None:
    out = tmp_path / "snap.json.gz"
    size = importer.write_snapshot(read_release(ROME_FIXTURE), out)
    assert 0 < size < 5000
    data = importer.read_snapshot(out)
    assert data.version == 59
    # links to savoirs and work contexts are left out of the snapshot
    assert {(k["bloc"], k["rubrique"]) for k in data.links} == {(5, "1"), (5, "2")}
    with db_app.app_context(), db.standalone() as s:
        loaded = importer.ensure_snapshot(s, out)
        assert loaded is not None and loaded.fiches == 3
        assert importer.ensure_snapshot(s, out) is None  # a release is there: nothing done
        fiche = s.get(RomeFiche, "M1805")
        assert fiche is not None and fiche.search_key == "developpeur developpeuse informatique"
        assert s.scalars(select(RomeRelease)).one().source == "snapshot"


def test_shipped_snapshot_is_release_60_and_small() -> None:
    assert importer.SNAPSHOT.stat().st_size < 3_000_000
    data = importer.read_snapshot()
    assert (data.version, str(data.published_on)) == (60, "2025-09-18")
    # release 60's figures (version.txt: 1,584 fiches; the files: 13,120 appellations,
    # 17,810 competences and 507 macro-competences)
    assert len(data.fiches) == 1584
    assert len(data.appellations) == 13120
    assert sum(not c["is_macro"] for c in data.competences) == 17810
    assert sum(bool(c["is_macro"]) for c in data.competences) == 507


def test_db_upgrade_loads_the_snapshot_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    first = CliRunner().invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert (
        "Base de métiers : ROME 4.0 version 60 chargée (1584 fiches, 13120 appellations)"
        in first.output
    )
    second = CliRunner().invoke(main, ["db", "upgrade"])
    assert second.exit_code == 0
    assert "Base de métiers" not in second.output


@pytest.mark.slow  # 1,584 fiches and 13,120 appellations: about 30 s on PostgreSQL
@pytest.mark.skipif(not ROME_FULL.is_dir(), reason="../shared/data/rome is not there")
def test_full_release_60(db_app: Flask) -> None:
    with db_app.app_context(), db.standalone() as s:
        result = importer.import_release(s, ROME_FULL)
    assert (result.version, result.fiches, result.appellations, result.competences) == (
        60,
        1584,
        13120,
        17810,
    )
    with db_app.app_context(), db.standalone() as s:
        fiche = s.get(RomeFiche, "A1201")
        assert fiche is not None
        assert (fiche.label, fiche.riasec_majeur, fiche.riasec_mineur) == (
            "Bûcheron / Bûcheronne",
            "R",
            "C",
        )
        assert s.get(RomeFiche, "A1101").riasec_mineur is None  # type: ignore[union-attr]
        assert _count(s, RomeFiche) == 1584
