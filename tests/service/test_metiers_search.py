"""The métiers search (service/features/metiers/search.py): the fixture release, then the
shipped snapshot of release 60 (the typo examples of issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from service.extensions import db
from service.features.metiers import search
from service.features.metiers.search import (
    levenshtein,
    search_appellations,
    search_competences,
)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("boulangr", "boulanger", 1),
        ("chien", "niche", 4),
        ("kitten", "sitting", 3),
    ],
)
def test_levenshtein_hand_values(a: str, b: str, distance: int) -> None:
    assert levenshtein(a, b) == distance
    assert levenshtein(b, a) == distance


def test_fixture_appellations(rome_app: Flask) -> None:
    with rome_app.app_context(), db.standalone() as s:
        first = search_appellations(s, "infirmiere")[0]
        assert first.label == "Infirmier / Infirmière de soins généraux"
        assert (first.code_rome, first.fiche_label) == (
            "J1506",
            "Infirmier / Infirmière de soins généraux",
        )
        assert search_appellations(s, "boulangr")[0].label == "Boulanger / Boulangère"
        assert search_appellations(s, "DÉVELOPPEUR WEB")[0].code_ogr == 205
        assert search_appellations(s, "devlopeur web")[0].code_ogr == 205  # a letter missing
        assert search_appellations(s, "oenologue")[0].code_ogr == 207  # Œ spelt oe
        assert search_appellations(s, "xylophone") == []
        assert search_appellations(s, "de la des") == []  # stop words only
        assert search_appellations(s, "  ") == []
        assert len(search_appellations(s, "developpeur", limit=1)) == 1


def test_fixture_competences(rome_app: Flask) -> None:
    with rome_app.app_context(), db.standalone() as s:
        hit = search_competences(s, "petrir")[0]
        assert (hit.code_ogr, hit.label, hit.category) == (100002, "Pétrir la pâte", "Savoir-faire")
        assert (hit.macro_code_ogr, hit.macro_label) == (
            300002,
            "Fabriquer des produits de boulangerie",
        )
        # macro-competences are the groups, not search results
        assert all(h.code_ogr < 300000 for h in search_competences(s, "realiser soins"))
        assert search_competences(s, "pansment")[0].code_ogr == 100001
        assert search_competences(s, "petrir", category="Savoir-être professionnel") == []


def test_index_follows_a_new_import(rome_app: Flask) -> None:
    from service.features.metiers.importer import apply_release
    from service.features.metiers.release import read_release
    from tests.service.conftest import ROME_FIXTURE

    with rome_app.app_context(), db.standalone() as s:
        assert search_appellations(s, "boulanger")[0].code_ogr == 201
        data = read_release(ROME_FIXTURE)
        data.version = 60
        data.appellations = [a for a in data.appellations if a["code_ogr"] != 201]
        apply_release(s, data, source="test")
    with rome_app.app_context(), db.standalone() as s:
        # 201 was removed by release 60: no longer found
        assert [h.code_ogr for h in search_appellations(s, "boulanger")] == [202]


def test_release_60_typo_examples(snapshot_app: Flask) -> None:
    with snapshot_app.app_context(), db.standalone() as s:
        nurses = search_appellations(s, "infirmiere", limit=20)
        assert len(nurses) == 20
        assert all("infirmi" in h.label.lower() and h.code_rome.startswith("J15") for h in nurses)
        assert {h.code_rome for h in nurses} >= {"J1506"}
        assert search_appellations(s, "boulangr")[0].label == "Boulanger / Boulangère"
        web = search_appellations(s, "developpeur web")[0]
        assert (web.label, web.code_rome) == ("Développeur / Développeuse web", "M1855")
        assert search_appellations(s, "chaufeur poids lourd")[0].label == (
            "Chauffeur / Chauffeuse de poids lourd"
        )
        budget = search_competences(s, "gerer un budjet")
        assert budget and "budget" in budget[0].label.lower()
        assert budget[0].macro_label  # every competence of release 60 has its macro
        assert search.MAX_QUERY == 200


def test_warm_up_builds_both_indexes(snapshot_app: Flask) -> None:
    """What create_app starts in a background thread in production (tested here directly)."""
    with snapshot_app.app_context(), db.standalone() as s:
        url = str(s.get_bind().engine.url)
        stamp = search.release_stamp(s)
    assert stamp is not None
    for kind in ("appellations", "competences"):
        search._CACHE.pop((url, kind), None)
    search.warm_up(snapshot_app)
    for kind in ("appellations", "competences"):
        assert search._CACHE[(url, kind)][0] == stamp
    appellations = search._CACHE[(url, "appellations")][1]
    competences = search._CACHE[(url, "competences")][1]
    # release 60 as docs/metiers.md counts it: 13,120 appellations, 17,810 savoir-faire
    assert (len(appellations.entries), len(competences.entries)) == (13120, 17810)


def test_warm_up_without_tables(tmp_path: Path) -> None:
    """A CLI started before the migration: no error, nothing built; and a database file
    that does not exist is not created (the database is never a side effect)."""
    import sqlite3

    from service.app import create_app

    missing = tmp_path / "absent.sqlite"
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{missing}", "SECRET_KEY": "x" * 40}
    )
    search.warm_up(app)
    assert not missing.exists()
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()  # an existing database without tables
    url = f"sqlite:///{empty}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x" * 40})
    search.warm_up(app)
    assert not [key for key in search._CACHE if key[0] == url]
    from service.extensions import db as database

    if database.engine is not None:
        database.engine.dispose()


def test_a_short_list_is_the_head_of_the_long_one(snapshot_app: Flask) -> None:
    """Only the entries that can be in the first ``limit`` are sorted (common words match
    thousands): the order must be that of the full ranking, ties broken the same way."""
    with snapshot_app.app_context(), db.standalone() as s:
        for query in ("agent", "conducteur de travaux", "technicien", "gestion"):
            long = [h.code_ogr for h in search_appellations(s, query, limit=100)]
            assert len(long) == 100
            for k in (1, 7, 30):
                assert [h.code_ogr for h in search_appellations(s, query, limit=k)] == long[:k]
            long_c = [h.code_ogr for h in search_competences(s, query, limit=100)]
            assert [h.code_ogr for h in search_competences(s, query, limit=9)] == long_c[:9]
