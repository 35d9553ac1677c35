"""The job database's pages (issue 13) on the shipped ROME snapshot (release 60), for the
beneficiary and for a counsellor: the métiers search, the competence search and a fiche.
With the keyboard alone: a job title typed and sent with Enter, Tab to the first fiche
found, Enter opens it; then a competence typed with a typo ("gestion de stok"), Tab to the
first fiche that requires the best competence found, Enter. axe-core (WCAG 2.1 A/AA), unique
ids and labels tied to fields on every page; at 375 px nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import create_counsellor, expect
from .test_admin_pages import sign_in
from .test_full_bilan import checked, fits_phone

#: Hand-checked in the v60 files: "boulangr" finds D1102 (Boulanger / Boulangère) first;
#: competence 485267 "Utiliser des logiciels de gestion de stock" is required by 8 fiches,
#: the first by code being D1223.
FIRST_FICHE = "D1102"
STOCK = "Utiliser des logiciels de gestion de stock"
STOCK_FIRST_FICHE = "D1223"


@pytest.fixture
def rome_loaded(live_server: Any) -> Any:
    """The live server's database with the shipped snapshot (loaded once: ensure_snapshot
    does nothing when a release is there)."""
    from service.features.metiers.importer import ensure_snapshot

    with live_server.session() as s:
        ensure_snapshot(s)
    return live_server


def tab_to(page: Any, href_end: str, *, limit: int = 120) -> None:
    """Press Tab until the focused element is the link whose href ends with ``href_end``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement?.getAttribute('href')")
        if href and href.endswith(href_end):
            return
    raise AssertionError(f"{href_end} never reached with Tab ({limit} presses) on {page.url}")


def type_and_send(page: Any, field: Any, text: str) -> None:
    field.focus()
    expect(field).to_be_focused()
    page.keyboard.type(text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("audience", ["beneficiary", "counsellor"])
def test_metiers_pages_with_the_keyboard(
    new_page, rome_loaded, make_person, axe, audience, width, screenshot
):
    axe = checked(axe)
    page = new_page(viewport={"width": width, "height": 900})
    if audience == "counsellor":
        sign_in(page, create_counsellor(rome_loaded, "Conseillère métiers"))
        base = "/conseil/metiers"
    else:
        make_person("valeurs-travail").sign_in(page)
        base = "/espace/metiers"

    def look(what: str) -> None:
        expect(page.locator("h1")).to_have_count(1)
        expect(page.get_by_text("Source : France Travail, ROME 4.0 (version 60")).to_be_visible()
        axe(page, f"{audience} {what} ({width}px)")
        if width == 375:
            fits_phone(page, f"{audience} {what}")
        screenshot(page, f"metiers-{audience}-{what}-{width}")

    response = page.goto(base)
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Base de métiers")
    look("search")

    # a job title with a typo, sent with Enter; Tab to the first fiche; Enter opens it
    type_and_send(page, page.get_by_role("searchbox", name="Intitulé de métier"), "boulangr")
    assert "q=boulangr" in page.url
    expect(page.locator("#metiers-count")).to_contain_text("correspond")
    look("search-results")
    tab_to(page, f"{base}/{FIRST_FICHE}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"{base}/{FIRST_FICHE}"), page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text("Boulanger")
    expect(page.get_by_role("heading", name="Savoir-faire", exact=True)).to_be_visible()
    look("fiche")

    # back with the keyboard, then the competence search
    tab_to(page, base)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    field = page.get_by_role("searchbox", name="Rechercher une compétence")
    type_and_send(page, field, "gestion de stok")
    assert f"{base}/competences?q=gestion+de+stok" in page.url, page.url
    first = page.locator("ul.competences > li").first
    expect(first.get_by_role("heading", level=2)).to_have_text(STOCK)
    expect(first).to_contain_text("Macro-compétence : Utiliser des logiciels spécifiques")
    expect(first).to_contain_text("Demandée par 8 fiches métier :")
    expect(first.get_by_role("link")).to_have_count(8)
    look("competences")
    tab_to(page, f"{base}/{STOCK_FIRST_FICHE}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"{base}/{STOCK_FIRST_FICHE}"), page.url
    expect(page.get_by_text(STOCK)).to_be_visible()  # the competence is on its fiche

    # an over-long competence search: refused in words, the page still clean
    response = page.goto(f"{base}/competences?q=" + "x" * 201)
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("La recherche est trop longue")
    look("competences-too-long")
