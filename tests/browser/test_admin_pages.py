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
