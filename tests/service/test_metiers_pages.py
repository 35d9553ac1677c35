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


# --- the competence search (/conseil/metiers/competences, /espace/metiers/competences) ---------


def test_competence_search_on_the_fixture(rome_app: Flask, world: World) -> None:
    for who, base in (("claire", "/conseil"), ("beneficiary", "/espace")):
        client = _client(rome_app, world, who)
        start = client.get(f"{base}/metiers").get_data(as_text=True)
        assert f'action="{base}/metiers/competences"' in start  # the field on the métiers page
        assert '<label for="competence-q">Rechercher une compétence</label>' in start
        response = client.get(f"{base}/metiers/competences?q=petrir")
        assert response.status_code == 200, who
        page = response.get_data(as_text=True)
        assert '<h2 class="competence-label">Pétrir la pâte</h2>' in page
        assert "Savoir-faire · Macro-compétence : Fabriquer des produits de boulangerie" in page
        assert "Demandée par 1 fiche métier :" in page
        assert f'href="{base}/metiers/D1102"' in page  # the fiche linking 100002
        assert SOURCE in page
        empty = client.get(f"{base}/metiers/competences").get_data(as_text=True)
        assert "competences-count" not in empty and SOURCE in empty
        none = client.get(f"{base}/metiers/competences?q=xylophone").get_data(as_text=True)
        assert "Aucune compétence ne correspond." in none


def test_competence_search_bad_input(rome_app: Flask, world: World) -> None:
    client = _client(rome_app, world, "claire")
    long = client.get("/conseil/metiers/competences?q=" + "p" * 201)
    assert long.status_code == 400
    text = long.get_data(as_text=True)
    assert "La recherche est trop longue : 200 caractères au plus." in text
    assert "competences-count" not in text  # nothing searched
    at_limit = client.get("/conseil/metiers/competences?q=" + "p" * 200)
    assert at_limit.status_code == 200
    for query in ("%FF%FE", "%F0%9F%92%A9", "%3Cscript%3E", "%25%25", "'%20OR%201=1"):
        response = client.get(f"/conseil/metiers/competences?q={query}")
        assert response.status_code == 200, query
    # a NUL byte is refused before any view (service/web/inputs.py): 422, the field named
    for query in ("%00%00", "petrir%00", "%00" * 300):
        nul = client.get(f"/conseil/metiers/competences?q={query}")
        assert nul.status_code == 422, query
        assert "Le champ « q » contient un caractère non autorisé" in nul.get_data(as_text=True)
    for who, url in (
        ("anonymous", "/conseil/metiers/competences?q=petrir"),
        ("beneficiary", "/conseil/metiers/competences?q=petrir"),
        ("claire", "/espace/metiers/competences?q=petrir"),
    ):
        response = _client(rome_app, world, who).get(url)
        assert response.status_code == (302 if who == "anonymous" else 403), (who, url)


def _counsellor_on(app: Flask) -> FlaskClient:
    """A counsellor signed in on ``app`` (the snapshot's database has no ``world``)."""
    from service.extensions import db
    from service.models import Centre, StaffUser
    from service.security import hash_password

    with app.app_context(), db.standalone() as s:
        centre = Centre(name="Centre ROME")
        s.add(centre)
        s.flush()
        s.add(
            StaffUser(
                centre_id=centre.id,
                email="rome@test.fr",
                name="rome",
                role="counsellor",
                password_hash=hash_password("mot-de-passe-de-test"),
            )
        )
    client = app.test_client()
    helpers.sign_in_staff(client, "rome@test.fr")
    return client


def test_competence_search_on_release_60(snapshot_app: Flask) -> None:
    """The shipped snapshot: typos and a word without its accent; the fiches counted by hand
    in the v60 files (sqlite3 on a demo database: rome_fiche_link joined to rome_fiche)."""
    client = _counsellor_on(snapshot_app)
    stock = client.get("/conseil/metiers/competences?q=gestion+de+stok").get_data(as_text=True)
    assert '<h2 class="competence-label">Utiliser des logiciels de gestion de stock</h2>' in stock
    first = stock[stock.index('class="competence-label"') :]
    first = first[: first.index("</ul>")]
    # 485267: Savoir-faire of the macro "Utiliser des logiciels spécifiques", in 8 fiches
    assert "Utiliser des logiciels de gestion de stock" in first
    assert "Savoir-faire · Macro-compétence : Utiliser des logiciels spécifiques" in first
    assert "Demandée par 8 fiches métier :" in first
    codes = ("D1223", "F1710", "G1806", "I1111", "I1608", "I1609", "J1405", "N1105")
    for code in codes:
        assert f'href="/conseil/metiers/{code}"' in first, code
    assert "Manutentionnaire" in first
    weld = client.get("/conseil/metiers/competences?q=soudure").get_data(as_text=True)
    labels = weld.split('<h2 class="competence-label">')[1:]
    assert len(labels) == 20
    assert all("soud" in chunk[: chunk.index("</h2>")].lower() for chunk in labels[:10])
    welcome = client.get(
        "/conseil/metiers/competences?q=Accueillir, orienter et renseigner un client"
    ).get_data(as_text=True)
    top = welcome[welcome.index('class="competence-label"') :]
    top = top[: top.index('class="competence-label"', 1)]
    assert top.startswith('class="competence-label">Accueillir, orienter et renseigner un client')
    # 104174 is in 24 current fiches: ten shown, the rest counted
    assert "Demandée par 24 fiches métier :" in top
    assert "… et 14 autres fiches." in top
    # 1,518 competences of release 60 are in no fiche (sqlite3, as above): said so
    unused = client.get("/conseil/metiers/competences?q=Gérer un budget d'investissement").get_data(
        as_text=True
    )
    first = unused[unused.index('class="competence-label"') :]
    first = first[: first.index('class="competence-label"', 1)]
    assert first.startswith('class="competence-label">Gérer un budget d&#39;investissement</h2>')
    assert "Aucune fiche de cette version du ROME ne la cite." in first
