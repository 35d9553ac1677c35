"""The competence portfolio and the gap analysis (issue 13) through the real pages, keyboard
only: the person finds a ROME competence by typing a search, rates it and adds it (and is
told what is wrong when a field is missing); the counsellor picks a target job by its
title, reads the gap analysis and adds a missing competence to the action plan. axe-core
(plus unique ids and labels tied to fields) on every new page and state, and at 375 px no
sideways scrolling. With ``BOUSSOLE_SCREENSHOTS=1``, full-page screenshots of each page go
to tests/browser/artifacts/ (portfolio-*.png)."""

from __future__ import annotations

import os

import pytest

from .conftest import expect, save_screenshot
from .test_admin_pages import sign_in
from .test_full_bilan import checked, fits_phone

pytestmark = pytest.mark.browser


def _rome(live_server) -> None:
    """A small hand-made release: fiche Z9901 « Métier d’essai », job title « Testeur de
    métier », its savoir-faire 901 « Pétrir la pâte », 902 « Cuire », 903 « Vendre » and
    savoir-être 950 and 951 (five required competences)."""
    from service.models import (
        RomeAppellation,
        RomeCompetence,
        RomeDomaine,
        RomeFiche,
        RomeFicheLink,
        RomeGrandDomaine,
        RomeRelease,
    )

    with live_server.session() as s:
        if s.get(RomeFiche, "Z9901") is not None:
            return
        s.add(RomeRelease(version=990, title="Essai", source="test"))
        s.add(RomeGrandDomaine(code="Z", label="Essais"))
        s.flush()
        s.add(RomeDomaine(code="Z99", label="Essais", grand_domaine_code="Z"))
        s.flush()
        s.add(
            RomeFiche(
                code_rome="Z9901",
                code_ogr=1,
                label="Métier d’essai",
                search_key="metier d essai",
                domaine_code="Z99",
            )
        )
        s.flush()
        s.add(
            RomeAppellation(
                code_ogr=99001,
                code_rome="Z9901",
                label="Testeur de métier",
                search_key="testeur de metier",
            )
        )
        sf, se = "Savoir-faire", "Savoir-être professionnel"
        for code, label, key, cat, macro, is_macro in (
            (900, "Macro A", "macro a", sf, None, True),
            (910, "Macro B", "macro b", sf, None, True),
            (901, "Pétrir la pâte", "petrir la pate", sf, 900, False),
            (902, "Cuire", "cuire", sf, 900, False),
            (903, "Vendre", "vendre", sf, 910, False),
            (950, "Travailler en équipe", "travailler en equipe", se, None, True),
            (951, "Faire preuve de rigueur", "faire preuve de rigueur", se, None, True),
        ):
            s.add(
                RomeCompetence(
                    code_ogr=code,
                    label=label,
                    search_key=key,
                    category=cat,
                    macro_code_ogr=macro,
                    is_macro=is_macro,
                )
            )
        s.flush()
        for code, rubrique in (
            (900, "1"),
            (901, "1"),
            (902, "1"),
            (903, "1"),
            (950, "2"),
            (951, "2"),
        ):
            s.add(RomeFicheLink(code_rome="Z9901", code_ogr=code, bloc=5, rubrique=rubrique))


def _shot(page, name: str, width: int) -> None:
    if os.environ.get("BOUSSOLE_SCREENSHOTS"):
        save_screenshot(page, f"portfolio-{name}-{width}")


def _type(page, label: str, text: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.type(text)


@pytest.mark.parametrize("width", [1280, 375])
def test_portfolio_and_gap_analysis_keyboard_only(new_page, axe, make_person, live_server, width):
    axe = checked(axe)
    _rome(live_server)
    person = make_person("ipip-bfi-25")
    person.consent()
    page = new_page(viewport={"width": width, "height": 900})
    person.sign_in(page)

    # the person: home -> portfolio, by the keyboard
    with page.expect_navigation():
        page.get_by_role("link", name="Mes compétences et mes réalisations").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portefeuille de compétences")
    axe(page, "portfolio, empty")
    if width == 375:
        fits_phone(page, "portfolio, empty")

    # a free-text competence without its label: refused, said, nothing added
    add_free = page.locator("form").filter(has=page.locator("#free-label"))
    with page.expect_navigation():
        add_free.get_by_role("button", name="Ajouter au portefeuille").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("« Compétence » est obligatoire.")
    axe(page, "portfolio, refused entry")

    # a ROME competence: typed search (with a typo and no accent), picked, rated, added
    _type(page, "Rechercher une compétence", "petrr la pate")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_label("Pétrir la pâte")).to_be_checked()
    axe(page, "portfolio, competences found")
    _shot(page, "search", width)
    page.locator("#pick-rating").focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # 1 -> 4 « expert, je peux transmettre »
    expect(page.locator("#pick-rating")).to_have_value("4")
    pick = page.locator("form").filter(has=page.locator("#pick-rating"))
    with page.expect_navigation():
        pick.get_by_role("button", name="Ajouter au portefeuille").press("Enter")
    expect(page.get_by_text("Compétence ajoutée au portefeuille.")).to_be_visible()
    expect(page.locator(".portfolio-entries legend")).to_contain_text("Pétrir la pâte")
    axe(page, "portfolio with a competence")
    _shot(page, "portfolio", width)
    if width == 375:
        fits_phone(page, "portfolio with a competence")

    with page.expect_navigation():
        page.get_by_role("link", name="Historique des modifications").press("Enter")
    expect(page.get_by_role("table")).to_contain_text("compétence ajoutée")
    axe(page, "portfolio history")
    _shot(page, "history", width)
    if width == 375:
        fits_phone(page, "portfolio history")

    # the counsellor: a target job by its title, the analysis, one gap into the plan
    staff = new_page(viewport={"width": width, "height": 900})
    sign_in(staff, person.counsellor_email)
    staff.goto(f"/conseil/bilans/{person.bilan}/portefeuille/ecarts")
    axe(staff, "gap analysis, no target")
    _type(staff, "Intitulé de métier", "testeur de metier")
    with staff.expect_navigation():
        staff.keyboard.press("Enter")
    expect(staff.get_by_label("Testeur de métier (Z9901 — Métier d’essai)")).to_be_checked()
    axe(staff, "gap analysis, job titles found")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Ajouter comme métier cible").press("Enter")
    expect(staff.get_by_text("Part couverte : 20 %")).to_be_visible()  # 1 held of 5
    expect(staff.locator(".gap-held")).to_contain_text("Pétrir la pâte")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Ajouter au plan d’action : Vendre").press("Enter")
    expect(staff.get_by_text("Action ajoutée au plan d’action.")).to_be_visible()
    expect(staff.locator(".gap-missing").filter(has_text="Vendre")).to_contain_text(
        "dans le plan d’action"
    )
    axe(staff, "gap analysis with a target")
    _shot(staff, "gap-counsellor", width)
    if width == 375:
        fits_phone(staff, "gap analysis with a target")
    staff.goto(f"/conseil/bilans/{person.bilan}/plan-action")
    expect(staff.get_by_role("table")).to_contain_text("Se former ou s’exercer : Vendre")

    # the person reads the same analysis, without the counsellor's buttons
    page.goto(f"/espace/bilans/{person.bilan}/portefeuille/ecarts")
    expect(page.get_by_text("Part couverte : 20 %")).to_be_visible()
    expect(page.get_by_role("button", name="Ajouter au plan d’action : Cuire")).to_have_count(0)
    axe(page, "gap analysis, the person's page")
    _shot(page, "gap-person", width)
    if width == 375:
        fits_phone(page, "gap analysis, the person's page")
