"""Results people understand (issue 11): the beneficiary's results page, the restitution
report (page and PDF) and the score exports, through the app.

Each test names what it would have caught on the old behaviour: three metrics on one page,
facets unfolded, "Points de vigilance : 2 (détail ci-dessous)" with no detail, a near-empty
PDF page, CSV booleans as True/False and numbers in full, the counsellor's RIASEC page
speaking to the person.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from tests.service.conftest import World
from tests.service.test_counsellor import (
    BFI,
    RIASEC,
    VALUES,
    answers_for,
    audit_actions,
    complete,
)

SPI = "spi-135"


def _add_spi(app: Flask, world: World) -> int:
    from service.extensions import db
    from service.models import Assignment

    with app.app_context(), db.standalone() as s:
        a = Assignment(
            bilan_id=world.bilan,
            instrument_id=SPI,
            instrument_version=app.extensions["boussole.instruments"][SPI].version,
            show_results_now=True,
        )
        s.add(a)
        s.flush()
        return a.id


@pytest.fixture
def spi_done(db_app: Flask, world: World) -> int:
    """Camille's SPI, completed in 100 s (raises the "too fast" validity flag)."""
    aid = _add_spi(db_app, world)
    complete(db_app, aid, answers_for(db_app, SPI, seed=3), seconds=100)
    return aid


# --- the beneficiary's results page ------------------------------------------------------


def test_spi_results_read_one_metric_with_the_summary_first_and_facets_folded(
    spi_done: int, camille: FlaskClient
) -> None:
    html = camille.get(f"/espace/questionnaires/{spi_done}/resultats").get_data(as_text=True)
    # The summary first, then the chart, then the detail.
    assert html.index('class="summary"') < html.index("<figure") < html.index("<h2>Détail</h2>")
    # One metric, in plain words and with its uncertainty: no T score, no "x sur 6", no alpha.
    assert html.count("Rang percentile ") >= 5 and "probablement entre" in html
    for counsellor_only in ("Note T", "sur une échelle de 1 à 6", "alpha", "écart-type"):
        assert counsellor_only not in html, counsellor_only
    assert "rang centile" not in html.lower()
    # Five domains, their facets folded in <details> under each domain.
    sections = re.findall(
        r'<section class="scale" aria-labelledby="scale-(\w+)">(.*?)</section>', html, re.S
    )
    assert len(sections) == 5
    folded = sum(s.count("<h4") for _sid, s in sections)
    assert folded == 26  # SPI 2.0.0: 26 facets, each inside its domain's section
    for _sid, body in sections:
        if "<h4" in body:
            assert body.index("<details") < body.index("<h4")
    assert "<details open" not in html


def test_validity_points_are_explained_in_plain_words_where_they_are_announced(
    spi_done: int, camille: FlaskClient, claire: FlaskClient
) -> None:
    page = camille.get(f"/espace/questionnaires/{spi_done}/resultats").get_data(as_text=True)
    assert "Le questionnaire a été rempli très vite" in page
    assert "détail ci-dessous" not in page and "secondes par question" not in page
    counsellor = claire.get(f"/conseil/questionnaires/{spi_done}/profil").get_data(as_text=True)
    assert "par question en moyenne" in counsellor  # the counsellor gets the number
    assert "Le questionnaire a été rempli très vite" not in counsellor


def test_the_report_explains_its_validity_points_and_can_include_the_facets(
    db_app: Flask, world: World, spi_done: int, claire: FlaskClient
) -> None:
    html = claire.get(f"/conseil/bilans/{world.bilan}/rapport").get_data(as_text=True)
    assert "détail ci-dessous" not in html
    flags = html[html.index('class="flags"') :]
    assert "Le questionnaire a été rempli très vite" in flags[: flags.index("</div>")]
    assert "Compassion" not in html  # a facet: only with the option
    assert f"/conseil/bilans/{world.bilan}/rapport.pdf?facettes=1" in html
    with_facets = claire.get(f"/conseil/bilans/{world.bilan}/rapport?facettes=1").get_data(
        as_text=True
    )
    assert "Compassion" in with_facets and with_facets.count("<h4>") >= 26
    assert with_facets.count("data:image/svg+xml") == html.count("data:image/svg+xml") + 1


def _filled(html: str) -> list[float]:
    """Share of each A4 page's content area that the layout fills (top of the area to the
    bottom of the lowest box), from WeasyPrint's own layout of the report's HTML."""
    import weasyprint

    out = []
    for page in weasyprint.HTML(string=html).render().pages:
        box = page._page_box
        top, height = box.content_box_y(), box.height
        bottoms = [
            b.position_y + b.margin_height()
            for b in box.descendants()
            if getattr(b, "position_y", None) is not None and b is not box
            and (b.element_tag or "") not in ("html", "body", "main")
            and not (b.element_tag or "@").startswith("@")
        ]  # fmt: skip
        out.append((max(bottoms, default=top) - top) / height)
    return out


@pytest.mark.parametrize("facets", [False, True])
def test_report_pdf_has_no_near_empty_page(
    db_app: Flask, world: World, spi_done: int, claire: FlaskClient, facets: bool
) -> None:
    from flask_babel import get_translations

    from service.extensions import db
    from service.features.profiles import service as restitution
    from service.models import Bilan

    for iid in (BFI, RIASEC, VALUES):
        complete(db_app, world.assignments[iid])
    # Before: each questionnaire began on a new page, so the end of one (its limits)
    # was left alone on a page a fifth full.
    url = f"/conseil/bilans/{world.bilan}/rapport.pdf" + ("?facettes=1" if facets else "")
    response = claire.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    with db_app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        report = restitution.build_report(
            s, bilan, db_app.extensions["boussole.instruments"], "fr", get_translations(),
            for_pdf=True, facets=facets,
        )  # fmt: skip
        html = restitution.render_html(report, translations=get_translations())
    filled = _filled(html)
    assert len(filled) == len(reader.pages)  # the same layout as the PDF served
    # The cover is a page of its own by design; every other page is at least a quarter full.
    assert all(f > 0.25 for f in filled[1:]), [round(f, 2) for f in filled]
    joined = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert ("Compassion" in joined) == facets
    assert "à garder en tête" in joined and "rempli très vite" in joined
    assert "détail ci-dessous" not in joined


def test_report_css_keeps_captions_with_their_tables(
    db_app: Flask, world: World, spi_done: int, claire: FlaskClient
) -> None:
    html = claire.get(f"/conseil/bilans/{world.bilan}/rapport").get_data(as_text=True)
    style = html[html.index("<style") : html.index("</style>")]
    assert re.search(r"caption[^{]*\{[^}]*break-after:\s*avoid", style)
    assert re.search(r"\.chart-data[^{]*\{[^}]*break-inside:\s*avoid", style)
    # every data table sits in a block that is kept on one page
    assert html.count('<div class="chart-data">\n  <table>') == html.count("<caption>")


# --- the counsellor's pages ------------------------------------------------------------


def test_counsellor_riasec_page_speaks_of_the_person_not_to_them(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    complete(db_app, world.assignments[RIASEC])
    html = claire.get(f"/conseil/questionnaires/{world.assignments[RIASEC]}/profil").get_data(
        as_text=True
    )
    main = html[html.index("<main") : html.index("</main>")]
    visible = re.sub(r"<[^>]+>", " ", main.split('id="notes"')[0])
    for word in ("Votre", "votre", "vous", "Vous", "vos", "Vos"):
        assert not re.search(rf"\b{word}\b", visible), (word, visible[:2000])
    assert "Le code à trois lettres résume" in visible


def test_counsellor_table_has_no_french_spacing_in_english(
    db_app: Flask, world: World, spi_done: int, claire: FlaskClient
) -> None:
    claire.post("/langue", data={"lang": "en"})
    html = claire.get(f"/conseil/questionnaires/{spi_done}/profil").get_data(as_text=True)
    assert "Strong appeal :" not in html and " ; " not in html
    assert re.search(r"\d+ \(\d+–\d+\)", html)  # "42 (36–48)", never "[36 ; 48]"
    assert not re.search(r"\w \xa0?: ", re.sub(r"<[^>]+>", "", html.split("<main")[1]))


# --- exports ------------------------------------------------------------------------------


def _csv(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_csv_writes_oui_non_and_numbers_as_displayed(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    complete(db_app, world.assignments[BFI])
    rows = _csv(claire.get(f"/conseil/bilans/{world.bilan}/scores.csv").data)
    assert rows and {r["Validité à vérifier"] for r in rows} <= {"Oui", "Non"}
    for r in rows:
        assert re.fullmatch(r"\d+", r["Note T"]), r["Note T"]
        assert re.fullmatch(r"\d+", r["Percentile"]) and 1 <= int(r["Percentile"]) <= 99
        assert re.fullmatch(r"\d+(,\d)?", r["Moyenne"]), r["Moyenne"]
    assert "Bénéficiaire" not in rows[0]  # no name unless asked
    claire.post("/langue", data={"lang": "en"})
    english = _csv(claire.get(f"/conseil/bilans/{world.bilan}/scores.csv").data)
    assert {r["Check validity"] for r in english} <= {"Yes", "No"}


def test_csv_can_carry_the_persons_name_and_says_so_in_the_audit_log(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    complete(db_app, world.assignments[BFI])
    rows = _csv(claire.get(f"/conseil/bilans/{world.bilan}/scores.csv?nom=1").data)
    assert {r["Bénéficiaire"] for r in rows} == {"Camille Martin"}
    actions = [a for _actor, a in audit_actions(db_app)]
    assert "export_csv_named" in actions
    # The other exports are audited as before, and JSON ignores the option.
    claire.get(f"/conseil/bilans/{world.bilan}/scores.json?nom=1")
    assert [a for _actor, a in audit_actions(db_app)][-1] == "export_json"


def test_values_profile_has_one_ranking_for_the_counsellor(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    complete(db_app, world.assignments[VALUES])
    html = claire.get(f"/conseil/questionnaires/{world.assignments[VALUES]}/profil").get_data(
        as_text=True
    )
    assert "Ordre donné par la personne à ses six valeurs" in html
    assert "(classement)" not in html and "6 = " not in html and "ipsati" not in html.lower()
    places = re.findall(r"<tr><td>(\d)</td><th scope=\"row\">", html)
    assert places == ["1", "2", "3", "4", "5", "6"]
    # Said of the person: the YAML's level labels ("Parmi vos valeurs…") are hers.
    main = html[html.index("<main") : html.index('id="notes"')]
    assert "Parmi vos valeurs" not in main


def test_caseload_csv_writes_oui_non_and_whole_t_scores(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    complete(db_app, world.assignments[BFI])
    rows = _csv(claire.get("/conseil/portefeuille.csv").data)
    assert rows and {r["Validité à vérifier"] for r in rows} <= {"Oui", "Non"}
    t_columns = [c for c in rows[0] if c.startswith("ipip-bfi-25.") and c.count(".") == 1]
    assert len(t_columns) == 5
    for r in rows:
        for c in t_columns:
            assert re.fullmatch(r"\d+", r[c]), (c, r[c])  # T scores as displayed: whole
            assert re.fullmatch(r"\d+", r[f"{c}.percentile"])


def test_csv_names_local_norms_in_words_and_json_keeps_the_version_id(
    db_app: Flask, world: World, claire: FlaskClient
) -> None:
    """A score produced with the centre's local norms: the CSV says so as the pages do,
    the JSON (for programs) keeps the stored id."""
    from sqlalchemy import update

    from service.extensions import db
    from service.models import ScoreRecord

    complete(db_app, world.assignments[BFI])
    stored = "local:7:2026-12-02:84"
    with db_app.app_context(), db.standalone() as s:
        s.execute(
            update(ScoreRecord)
            .where(ScoreRecord.assignment_id == world.assignments[BFI])
            .values(norm_version=stored)
        )
    rows = _csv(claire.get(f"/conseil/bilans/{world.bilan}/scores.csv").data)
    assert {r["Normes"] for r in rows} == {
        "normes locales du centre, version du 2 décembre 2026, n\u00a0=\u00a084"
    }
    wide = _csv(claire.get("/conseil/portefeuille.csv").data)
    assert {r["Normes"] for r in wide if r.get("Normes")} == {
        "normes locales du centre, version du 2 décembre 2026, n\u00a0=\u00a084"
    }
    assert stored in claire.get(f"/conseil/bilans/{world.bilan}/scores.json").get_data(as_text=True)
    claire.post("/langue", data={"lang": "en"})
    english = _csv(claire.get(f"/conseil/bilans/{world.bilan}/scores.csv").data)
    assert {r["Norms"] for r in english} == {
        "the centre’s local norms, version of 2 December 2026, n = 84"
    }
