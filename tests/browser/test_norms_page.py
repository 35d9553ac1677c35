"""The centre admin's norms pages (issue 11, local norms), with the keyboard alone: build
local norms from the centre's completed questionnaires, compare them with the shipped
ones, choose them. axe-core (WCAG 2.1 A/AA) finds no violation on each state of the
pages, and at 375 px nothing scrolls sideways but the comparison table in its own box."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from .conftest import create_counsellor, expect, valid_answers
from .test_admin_pages import sign_in
from .test_full_bilan import checked, fits_phone

BFI = "ipip-bfi-25"
N = 12


def plant_completed(server, admin_email: str, n: int) -> None:
    """``n`` consented, completed BFIs with random answers in the admin's centre."""
    from sqlalchemy import select

    from service.features.journey.consent import CONSENT_VERSION
    from service.models import Answer, Assignment, Beneficiary, Bilan, Consent, StaffUser

    inst = server.app.extensions["boussole.instruments"][BFI]
    rng = np.random.default_rng(5)
    items = list(valid_answers(inst))
    with server.session() as s:
        centre_id = s.scalars(
            select(StaffUser.centre_id).where(StaffUser.email == admin_email)
        ).one()
        for _ in range(n):
            person = Beneficiary(centre_id=centre_id, first_name="Témoin", last_name="Norme")
            s.add(person)
            s.flush()
            bilan = Bilan(centre_id=centre_id, beneficiary_id=person.id)
            s.add(bilan)
            s.flush()
            s.add(
                Consent(
                    bilan_id=bilan.id,
                    beneficiary_id=person.id,
                    text_version=CONSENT_VERSION,
                    accepted=True,
                )
            )
            a = Assignment(
                bilan_id=bilan.id,
                instrument_id=BFI,
                instrument_version=inst.version,
                status="completed",
                completed_at=dt.datetime.now(dt.UTC),
            )
            s.add(a)
            s.flush()
            s.add_all(
                Answer(assignment_id=a.id, item_id=k, value=int(rng.integers(1, 7))) for k in items
            )


@pytest.mark.parametrize("width", [1280, 375])
def test_norms_pages_with_the_keyboard(new_page, live_server, axe, width, screenshot):
    axe = checked(axe)
    email = create_counsellor(live_server, "Admin du centre", role="admin")
    plant_completed(live_server, email, N)
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, email)

    def look(what: str) -> None:
        expect(page.locator("h1")).to_have_count(1)
        axe(page, f"{what} ({width}px)")
        if width == 375:
            fits_phone(page, what)
        screenshot(page, f"norms-{what}-{width}")

    page.goto("/admin/")
    page.get_by_role("link", name="Normes des questionnaires").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Normes des questionnaires")
    look("index")

    page.get_by_role("link", name="Inventaire de personnalité en cinq dimensions").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text(f"{N} questionnaires utilisables aujourd’hui.")).to_be_visible()
    expect(page.get_by_text("n’a pas encore construit de normes locales")).to_be_visible()
    look("instrument")

    # the default minimum (30) refuses 12 questionnaires: an error saying how many
    page.get_by_role("button", name="Construire les normes locales").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_contain_text(
        f"ne compte que {N} questionnaires utilisables, moins que le minimum de 30"
    )
    look("refused")

    minimum = page.get_by_label("Effectif minimum du groupe")
    minimum.focus()
    minimum.fill("10")
    with page.expect_navigation():
        minimum.press("Enter")
    expect(page.get_by_text("Nouvelles normes locales construites")).to_be_visible()
    table = page.get_by_role("table", name="Normes fournies (2026.11-bfi-adults) et normes locales")
    expect(table.get_by_role("row")).to_have_count(2 + 5)  # two header rows, five scales
    expect(table.get_by_role("row").nth(2)).to_contain_text(str(N))
    look("built")

    # choose the local norms with the keyboard: the radio, the space bar, the button
    local = page.get_by_role("radio", name="Normes locales du centre")
    local.focus()
    page.keyboard.press("Space")
    expect(local).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Enregistrer ce choix")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text(
        "les nouveaux scores utilisent les normes locales du centre, version du"
    )
    expect(page.locator("section[aria-labelledby=choix] > p").first).to_contain_text(
        "Les nouveaux scores utilisent les normes locales du centre, version du"
    )
    expect(page.get_by_role("radio", name="Normes locales du centre")).to_be_checked()
    look("chosen")
