"""The centre admin's pages: administration index, satisfaction statistics, the centre's
bilan template. axe-core (WCAG 2.1 A/AA) finds no violation and, on a 375-pixel-wide
screen, the pages do not scroll sideways and no table is cut letter by letter (wide
tables scroll inside their own box)."""

from __future__ import annotations

import pytest

from .conftest import PASSWORD, create_counsellor, expect
from .test_full_bilan import checked, fits_phone


def sign_in(page, email: str) -> None:
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").press("Enter")


@pytest.mark.parametrize("width", [1280, 375])
def test_admin_pages(new_page, live_server, axe, width):
    axe = checked(axe)  # axe-core, plus unique ids and labels tied to fields
    email = create_counsellor(live_server, "Admin du centre", role="admin")
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, email)
    assert page.url.endswith("/admin/"), page.url  # admins land on the administration
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration du centre")
    pages = {
        "administration": "/admin/",
        "satisfaction": "/admin/satisfaction",
        "bilan template": "/conseil/centre/modele",
    }
    for what, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, (what, response)
        expect(page.locator("h1")).to_have_count(1)
        axe(page, f"{what} ({width}px)")
        if width == 375:
            fits_phone(page, what)  # no sideways scroll, no table cut letter by letter
    # the template lists the seed's eight steps
    page.goto("/conseil/centre/modele")
    expect(page.locator("table.record-steps tbody tr")).to_have_count(8)


@pytest.mark.parametrize("width", [1280, 375])
def test_team_pages_and_password_pages(new_page, live_server, axe, width):
    """The team page, inviting a counsellor with the keyboard, the deactivation page, and
    the staff password pages pass axe-core and fit a phone."""
    axe = checked(axe)
    email = create_counsellor(live_server, "Admin du centre", role="admin")
    from sqlalchemy import select

    from service.models import StaffUser

    with live_server.session() as s:
        admin = s.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        s.add(
            StaffUser(
                centre_id=admin.centre_id,
                email=f"claire-{width}@exemple.fr",
                name="Claire Dubois",
                role="counsellor",
                password_hash=admin.password_hash,
            )
        )
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, email)
    page.goto("/admin/equipe")
    expect(page.get_by_role("heading", level=1)).to_have_text("Équipe du centre")
    axe(page, f"team ({width}px)")
    if width == 375:
        fits_phone(page, "team")
    # an empty invitation: the error summary names the field
    page.get_by_role("button", name="Envoyer l’invitation").press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_contain_text("Indiquez le nom de la personne.")
    axe(page, f"team with errors ({width}px)")
    page.get_by_label("Nom et prénom").fill("Nadia Ben Ali")
    page.get_by_label("Adresse e-mail").fill(f"nadia-{width}@exemple.fr")
    page.get_by_label("Rôle").select_option("counsellor")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer l’invitation").press("Enter")
    expect(page.locator("table")).to_contain_text("Invitation en attente")
    page.get_by_role("link", name="Désactiver : Claire Dubois").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Claire Dubois")
    axe(page, f"deactivate ({width}px)")
    for path in ("/compte/mot-de-passe-oublie", "/compte/choisir-mot-de-passe/inconnu"):
        page.goto(path)
        expect(page.locator("h1")).to_have_count(1)
        axe(page, f"{path} ({width}px)")
        if width == 375:
            fits_phone(page, path)
