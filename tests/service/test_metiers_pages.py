"""The métiers pages (/conseil/metiers, /espace/metiers and each fiche) on the fixture
release: who may browse, search and filters, the fiche, the source line, bad input."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.service.conftest import World, helpers

SOURCE = "Source : France Travail, ROME 4.0 (version 59, 12 juin 2025)"


def _client(app: Flask, world: World, who: str) -> FlaskClient:
    client = app.test_client()
    if who == "beneficiary":
        helpers.mark_way_chosen(app, world.beneficiary)
        helpers.sign_in_beneficiary(client, app, world.beneficiary)
    elif who != "anonymous":
        helpers.sign_in_staff(client, f"{who}@test.fr")
    return client


def test_who_may_browse(rome_app: Flask, world: World) -> None:
    for who, url, expected in (
        ("anonymous", "/conseil/metiers", 302),
        ("anonymous", "/espace/metiers/D1102", 302),
        ("claire", "/conseil/metiers", 200),
        ("admin", "/conseil/metiers/D1102", 200),  # reference data: admins too
        ("claire", "/espace/metiers", 403),  # each audience its own pages
        ("beneficiary", "/espace/metiers/D1102", 200),
        ("beneficiary", "/conseil/metiers/D1102", 403),
    ):
        response = _client(rome_app, world, who).get(url)
        assert response.status_code == expected, (who, url)
        if expected == 302:
            assert "/connexion" in response.headers["Location"]


def test_search_with_typos_and_filters(rome_app: Flask, world: World) -> None:
    client = _client(rome_app, world, "claire")
    page = client.get("/conseil/metiers?q=boulangr").get_data(as_text=True)
    assert "1 fiche métier correspond." in page
    assert 'href="/conseil/metiers/D1102"' in page
    assert "Boulanger-pâtissier / Boulangère-pâtissière" in page  # the title that matched
    assert SOURCE in page
    both = client.get("/conseil/metiers?q=developpeur").get_data(as_text=True)
    assert "1 fiche métier correspond." in both and "M1805" in both
    cadre = client.get("/conseil/metiers?tag=cadre").get_data(as_text=True)
    assert "1 fiche métier correspond." in cadre and "M1805" in cadre and "J1506" not in cadre
    two = client.get("/conseil/metiers?tag=reglemente&tag=ecologique").get_data(as_text=True)
    assert "Aucune fiche ne correspond" in two  # J1506 regulated, M1805 ecological: none both
    health = client.get("/conseil/metiers?gd=J").get_data(as_text=True)
    assert "J1506" in health and "D1102" not in health
    none = client.get("/conseil/metiers?q=xylophone").get_data(as_text=True)
    assert "0 fiche métier correspond." in none
    start = client.get("/conseil/metiers").get_data(as_text=True)
    assert "Les grands domaines" in start and 'href="/conseil/metiers?gd=J"' in start


def test_bad_input(rome_app: Flask, world: World) -> None:
    client = _client(rome_app, world, "claire")
    long = client.get("/conseil/metiers?q=" + "a" * 201)
    assert long.status_code == 400
    assert "La recherche est trop longue : 200 caractères au plus." in long.get_data(as_text=True)
    bad = client.get("/conseil/metiers?gd=Z&tag=inconnu")
    assert bad.status_code == 200
    text = bad.get_data(as_text=True)
    assert "Filtre « Grand domaine » ignoré" in text
    assert "Filtre « Caractéristiques » ignoré" in text
    for code in ("Z9999", "D1103", "d1102", "x" * 300):
        missing = client.get(f"/conseil/metiers/{code}")
        assert missing.status_code == 404, code
        assert "Cette page n’existe pas" in missing.get_data(as_text=True)


def test_fiche_page(rome_app: Flask, world: World) -> None:
    page = (
        _client(rome_app, world, "beneficiary").get("/espace/metiers/J1506").get_data(as_text=True)
    )
    assert "Infirmier / Infirmière de soins généraux" in page
    assert "Code RIASEC</dt><dd>SI</dd>" in page
    assert "Métier réglementé" in page
    assert "2 appellations" in page
    # savoir-faire grouped by macro-competence, with the macro's RIASEC
    assert 'Réaliser des soins <span class="muted">(RIASEC : S)</span>' in page
    assert page.index("Réaliser un pansement") < page.index("Savoir-être professionnels")
    assert "Surveiller l&#39;état de santé d&#39;un patient" in page
    after = page[page.index("Savoir-être professionnels") :]
    assert "Faire preuve de rigueur et de précision" in after
    assert SOURCE in page
    assert 'href="/espace/metiers"' in page


def test_removed_fiche_says_so(rome_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.features.metiers.importer import apply_release
    from service.features.metiers.release import read_release
    from tests.service.conftest import ROME_FIXTURE

    data = read_release(ROME_FIXTURE)
    data.version = 60
    data.fiches = [f for f in data.fiches if f["code_rome"] != "J1506"]
    data.appellations = [a for a in data.appellations if a["code_rome"] != "J1506"]
    data.links = [k for k in data.links if k["code_rome"] != "J1506"]
    with rome_app.app_context(), db.standalone() as s:
        apply_release(s, data, source="test")
    client = _client(rome_app, world, "claire")
    page = client.get("/conseil/metiers/J1506").get_data(as_text=True)
    assert "Cette fiche n’existe plus depuis la version 60 du ROME" in page
    assert "Réaliser un pansement" in page  # its competences are still there
    assert "J1506" not in client.get("/conseil/metiers?gd=J").get_data(as_text=True)


def test_the_job_database_is_reached_from_the_dashboard_and_the_home_page(
    db_app: Flask, world: World, claire: FlaskClient, camille: FlaskClient
) -> None:
    assert 'href="/conseil/metiers"' in claire.get("/conseil/").get_data(as_text=True)
    assert 'href="/espace/metiers"' in camille.get("/espace/").get_data(as_text=True)
