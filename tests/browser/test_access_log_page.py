"""The beneficiary's page "Qui a consulté mes données" (issue 12, section 7): reached from
their home with the keyboard, axe-core clean at 375 px and 1280 px, and it names the
counsellor who opened their attestation."""

from __future__ import annotations

import os

import pytest

from .conftest import expect
from .test_counsellor_journey import sign_in_counsellor

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("BOUSSOLE_SCREENSHOTS")


@pytest.mark.parametrize("width", [375, 1280])
def test_access_log_page(new_page, make_person, axe, width):
    person = make_person("ipip-bfi-25")
    person.consent()
    staff = new_page()
    sign_in_counsellor(staff, person.counsellor_email)
    staff.goto(f"/conseil/bilans/{person.bilan}/attestation")
    page = new_page(viewport={"width": width, "height": 800})
    person.sign_in(page)
    link = page.get_by_role("link", name="Voir qui a consulté mes résultats et mes documents")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Qui a consulté mes données")
    row = page.locator("ol.accesses li")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Claire Dubois")
    expect(row).to_contain_text("a consulté votre attestation d’assiduité")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/accesses-{width}.png", full_page=True)
    axe(page, f"access log at {width} px")
