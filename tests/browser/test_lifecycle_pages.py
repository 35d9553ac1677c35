"""The pages of the data lifecycle pass axe-core and work with the keyboard: the
destruction notice on the home page, the erasure page (and its error), the request for
erasure and the person's list of requests, the admin's list and answer page (375 px wide
without sideways scrolling)."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import _PASSWORD_HASH, PASSWORD, expect
from .test_admin_pages import sign_in
from .test_full_bilan import checked, fits_phone

pytestmark = pytest.mark.browser


def test_notice_and_erasure_pages_pass_axe_and_work_with_the_keyboard(
    page, axe, make_person, live_server
):
    from service import dates
    from service.dates import paris_today
    from service.models import Bilan

    person = make_person("ipip-bfi-25")
    person.consent(accepted=False)  # withdrawn
    with live_server.session() as s:
        bilan = s.get(Bilan, person.bilan)
        assert bilan is not None
        bilan.planned_end = paris_today() + dt.timedelta(days=3)
    person.sign_in(page)
    expect(page.get_by_text("seront détruits le")).to_be_visible()
    axe(page, "home with the destruction notice")

    with live_server.session() as s:
        bilan = s.get(Bilan, person.bilan)
        assert bilan is not None
        bilan.ended_at = dates.utcnow()  # ended: the person erases it themself
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


def _admin_of(live_server, person) -> str:
    from service.models import Bilan, StaffUser

    with live_server.session() as s:
        bilan = s.get(Bilan, person.bilan)
        assert bilan is not None
        email = f"admin-rgpd-{person.id}@test.fr"
        s.add(
            StaffUser(
                centre_id=bilan.centre_id,
                email=email,
                name="Admin RGPD",
                role="admin",
                password_hash=_PASSWORD_HASH[PASSWORD],
            )
        )
    return email


@pytest.mark.parametrize("width", [375, 1280])
def test_erasure_request_pages_pass_axe_and_work_with_the_keyboard(
    new_page, axe, make_person, live_server, width
):
    axe = checked(axe)
    person = make_person("ipip-bfi-25")
    person.consent(accepted=False)  # withdrawn: the request is offered
    page = new_page(viewport={"width": width, "height": 900})
    person.sign_in(page)
    page.goto(f"/espace/bilans/{person.bilan}/consentement")
    link = page.get_by_role("link", name="Demander l’effacement des données de mon bilan")
    with page.expect_navigation():
        link.press("Enter")
    axe(page, f"request page ({width}px)")
    if width == 375:
        fits_phone(page, "request page")
    box = page.get_by_label("Message pour le centre (facultatif)")
    assert box.get_attribute("maxlength") == "2000"  # the browser stops at the limit...
    box.evaluate("e => e.removeAttribute('maxlength')")  # ...the server too, in French
    box.fill("x" * 2001)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer ma demande").press("Enter")
    expect(page.locator("#error-summary")).to_be_visible()
    axe(page, f"request page with its error ({width}px)")
    page.get_by_label("Message pour le centre (facultatif)").fill("Merci")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer ma demande").press("Enter")
    expect(page.get_by_text("Votre demande d’effacement est envoyée")).to_be_visible()
    expect(page.get_by_text("En attente de réponse")).to_be_visible()
    axe(page, f"my requests ({width}px)")
    if width == 375:
        fits_phone(page, "my requests")

    admin = new_page(viewport={"width": width, "height": 900})
    sign_in(admin, _admin_of(live_server, person))
    expect(admin.get_by_text("1 demande d’effacement attend votre réponse.")).to_be_visible()
    axe(admin, f"admin home with the count ({width}px)")
    with admin.expect_navigation():
        admin.get_by_role("link", name="Voir les demandes RGPD").press("Enter")
    axe(admin, f"admin requests ({width}px)")
    if width == 375:
        fits_phone(admin, "admin requests")
    with admin.expect_navigation():
        admin.get_by_role("link", name="Examiner et répondre").first.press("Enter")
    axe(admin, f"admin answer page ({width}px)")
    if width == 375:
        fits_phone(admin, "admin answer page")
    admin.get_by_label("Refuser la demande, avec un motif écrit").press("Space")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer la réponse").press("Enter")
    expect(admin.locator("#error-summary")).to_be_visible()  # no reason written
    axe(admin, f"admin answer page with its error ({width}px)")
    admin.get_by_label("Motif du refus (lu par la personne)").fill("Synthèse à remettre")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer la réponse").press("Enter")
    expect(admin.get_by_text("Le refus est enregistré")).to_be_visible()
    axe(admin, f"admin requests, answered ({width}px)")

    page.goto("/espace/mes-donnees/demandes-effacement")
    expect(page.get_by_text("Synthèse à remettre")).to_be_visible()
