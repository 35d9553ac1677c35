"""The API token pages (issue 14) and the API documentation page: axe-core finds no
violation, they fit a 375-pixel screen, a token is created with the keyboard, shown once,
and revoked; the documentation page runs no script and breaks no CSP rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import create_counsellor, expect
from .test_admin_pages import sign_in
from .test_full_bilan import checked, fits_phone

SHOTS = Path("/tmp/shots-api")


@pytest.mark.parametrize("width", [1280, 375])
def test_api_token_pages(new_page, live_server, axe, width):
    axe = checked(axe)
    email = create_counsellor(live_server, f"Admin API {width}", role="admin")
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, email)
    page.goto("/admin/api/jetons")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jetons d’API")
    axe(page, f"api tokens ({width}px)")
    # no scope: the error summary names the field
    page.get_by_label("Nom du jeton (le logiciel qui l’utilisera)").fill("Logiciel de formation")
    page.get_by_role("button", name="Créer le jeton").press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_contain_text("Choisissez au moins un droit")
    axe(page, f"api tokens with errors ({width}px)")
    page.get_by_label(re.compile("instruments:read")).check()
    page.get_by_role("button", name="Créer le jeton").press("Enter")
    page.wait_for_load_state()
    token = page.get_by_label("Jeton", exact=True).input_value()
    assert re.fullmatch(r"bsl_[A-Za-z0-9_-]{43}", token)
    axe(page, f"api token created ({width}px)")
    if width == 375:
        fits_phone(page, "api tokens")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"tokens-created-{width}.png"), full_page=True)
    # the token works against the live server, then is shown no more
    answer = page.request.get(
        live_server.url + "/api/v1/instruments", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 200 and answer.json()["data"]
    page.goto("/admin/api/jetons")
    assert token not in page.content()
    page.get_by_role("button", name=re.compile("Révoquer")).first.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("table")).to_contain_text("Révoqué")
    answer = page.request.get(
        live_server.url + "/api/v1/instruments", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 401
    # the documentation page
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Documentation de l’API")
    axe(page, f"api docs ({width}px)")
    if width == 375:
        fits_phone(page, "api docs")
    page.screenshot(path=str(SHOTS / f"docs-{width}.png"), full_page=True)
