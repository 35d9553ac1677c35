"""The person's page on sending their results to the centre's software
(/espace/bilans/<id>/partage-resultats) passes axe-core and works with the keyboard alone:
reached from the home page, accept one software, withdraw the agreement, refuse another
(375 px wide without sideways scrolling)."""

from __future__ import annotations

import pytest

from .conftest import expect
from .test_full_bilan import checked, fits_phone

pytestmark = pytest.mark.browser


def _tokens(live_server, person, *names: str) -> None:  # type: ignore[no-untyped-def]
    from service.features.api import tokens
    from service.models import Bilan

    with live_server.session() as s:
        bilan = s.get(Bilan, person.bilan)
        assert bilan is not None
        for name in names:
            tokens.create_token(
                s,
                centre_id=bilan.centre_id,
                name=name,
                scopes=("results:read",),
                days=90,
                created_by=None,
            )


@pytest.mark.parametrize("width", [375, 1280])
def test_results_sharing_page_passes_axe_and_works_with_the_keyboard(
    new_page, axe, make_person, live_server, screenshot, width
):
    axe = checked(axe)
    person = make_person("riasec-60")
    person.consent()
    _tokens(live_server, person, "Logiciel de gestion XYZ", "Agenda du centre")
    page = new_page(viewport={"width": width, "height": 900})
    person.sign_in(page)
    expect(
        page.get_by_text("2 logiciels du centre demandent à recevoir vos résultats")
    ).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Voir les demandes et décider").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Transmettre mes résultats aux logiciels du centre"
    )
    expect(
        page.get_by_text(
            "« Logiciel de gestion XYZ », logiciel du centre, demande à recevoir vos"
            " résultats : scores, profils, rapport, synthèse approuvée."
        )
    ).to_be_visible()
    axe(page, f"results sharing page ({width}px)")
    if width == 375:
        fits_phone(page, "results sharing page")
    screenshot(page, f"results-sharing-{width}")

    accept = page.get_by_role("button", name="Accepter : Logiciel de gestion XYZ")
    accept.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(
        page.get_by_text(
            "Votre accord est enregistré : Logiciel de gestion XYZ peut recevoir vos résultats."
        )
    ).to_be_visible()
    expect(page.get_by_text("Vous avez donné votre accord le")).to_be_visible()
    axe(page, f"results sharing page, one agreement ({width}px)")
    screenshot(page, f"results-sharing-agreed-{width}")

    with page.expect_navigation():
        page.get_by_role("button", name="Retirer mon accord : Logiciel de gestion XYZ").press(
            "Enter"
        )
    expect(page.get_by_text("Vous avez retiré votre accord le")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Refuser : Agenda du centre").press("Space")
    expect(
        page.get_by_text(
            "Votre refus est enregistré : Agenda du centre ne reçoit pas vos résultats."
        )
    ).to_be_visible()
    axe(page, f"results sharing page, withdrawn and refused ({width}px)")
    if width == 375:
        fits_phone(page, "results sharing page, decided")
