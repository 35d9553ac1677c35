"""The pages of the data lifecycle a beneficiary meets pass axe-core and work with the
keyboard: the destruction notice on the home page, the erasure page (and its error)."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import expect

pytestmark = pytest.mark.browser


def test_notice_and_erasure_pages_pass_axe_and_work_with_the_keyboard(
    page, axe, make_person, live_server
):
    from service.dates import paris_today
    from service.models import Bilan

    person = make_person("ipip-bfi-25")
    person.consent(accepted=False)  # withdrawn: erasure offered
    with live_server.session() as s:
        bilan = s.get(Bilan, person.bilan)
        assert bilan is not None
        bilan.planned_end = paris_today() + dt.timedelta(days=3)
    person.sign_in(page)
    expect(page.get_by_text("seront détruits le")).to_be_visible()
    axe(page, "home with the destruction notice")

    page.goto(f"/espace/bilans/{person.bilan}/effacement")
    axe(page, "erasure page")
    with page.expect_navigation():
        page.get_by_role("button", name="Effacer définitivement").press("Enter")
    expect(page.locator("#error-summary")).to_be_visible()
    axe(page, "erasure page, not confirmed")
    page.get_by_label("Je comprends que ces données seront détruites définitivement.").press(
        "Space"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Effacer définitivement").press("Enter")
    expect(page.get_by_text("Les données de votre bilan ont été effacées.")).to_be_visible()
