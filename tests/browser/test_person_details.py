"""The counsellor's page to correct a person's details, and the invitation link's copy
button: axe-core, keyboard only, 375 px."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import create_counsellor, expect
from .test_counsellor_journey import click_and_wait, sign_in_counsellor
from .test_full_bilan import fits_phone


@pytest.mark.parametrize("width", [1280, 375])
def test_person_details_and_copy_button(
    new_page: Any, live_server: Any, axe: Any, width: int
) -> None:
    email = create_counsellor(live_server)
    page = new_page(viewport={"width": width, "height": 900})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_counsellor(page, email)
    page.goto("/conseil/bilans/nouveau")
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Nom", exact=True).fill("Roy")
    click_and_wait(page, page.get_by_role("button", name="Créer le bilan"))
    copy = page.get_by_role("button", name="Copier le lien")
    expect(copy).to_be_visible()
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Lien copié.")).to_be_visible()
    link = page.get_by_label(re.compile("^Lien d’invitation personnel")).input_value()
    assert page.evaluate("navigator.clipboard.readText()") == link
    axe(page, f"bilan with its link ({width}px)")
    click_and_wait(page, page.get_by_role("link", name="Modifier les coordonnées"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordonnées de la personne")
    axe(page, f"person's details ({width}px)")
    if width == 375:
        fits_phone(page, "person's details")
    page.get_by_label("Nom", exact=True).fill("Roy-Martin")
    page.get_by_label(re.compile("^Adresse e-mail")).fill(f"lea-{width}@exemple.fr")
    page.get_by_label(re.compile("^Adresse e-mail")).press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Léa Roy-Martin")
    expect(page.get_by_text(f"lea-{width}@exemple.fr")).to_be_visible()
