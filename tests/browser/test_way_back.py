"""The first visit, keyboard only: the invitation opens the choice of how to come back
(before consent and questionnaires); a password is chosen, the person signs out, reads how
to come back and signs in with it. The other way: sign-in links by mail. axe-core on each
page, at 1280 and 375 px."""

from __future__ import annotations

import re

from service.models import Beneficiary

from .conftest import expect, open_invitation
from .test_journey_keyboard import assert_focus_visible, press_link, tab_to

NEW_PASSWORD = "une longue phrase de passe"


def _without_password(person) -> None:
    with person.server.session() as s:
        record = s.get(Beneficiary, person.id)
        record.password_hash = None
        record.sign_in_way = None


def test_first_visit_keyboard_only_password_then_sign_out_and_back(
    new_page, make_person, axe, screenshot
):
    person = make_person("ipip-bfi-25")
    _without_password(person)
    page = new_page()
    open_invitation(page, person.invitation_url())
    expect(page).to_have_url(re.compile(r"/compte/revenir$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment revenir dans votre espace")
    expect(page.get_by_role("button", name="Recevoir des liens par e-mail")).to_be_visible()
    axe(page, "first visit: how to come back")
    screenshot(page, "way-back-first-visit-1280")

    # a refused password: the error summary takes the focus and links to the field
    tab_to(page, page.get_by_label("Nouveau mot de passe"))
    page.keyboard.type("court")
    page.keyboard.press("Tab")
    page.keyboard.type("court")
    press_link(page, "Enregistrer le mot de passe")
    expect(page.locator("#error-summary")).to_contain_text("au moins")
    axe(page, "first visit: refused password")

    tab_to(page, page.get_by_label("Nouveau mot de passe"))
    assert_focus_visible(page)
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(NEW_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # implicit submission of the password form
    expect(page).to_have_url(re.compile(r"/espace/$"))
    expect(page.get_by_text("Votre mot de passe est enregistré.")).to_be_visible()

    press_link(page, "Se déconnecter")
    expect(page).to_have_url(re.compile(r"/deconnexion/a-bientot$"))
    expect(page.get_by_text("Vous avez choisi un mot de passe")).to_be_visible()
    axe(page, "signed out: how to come back")
    press_link(page, "Me connecter avec mon mot de passe")
    expect(page).to_have_url(re.compile(r"/connexion$"))
    tab_to(page, page.get_by_label("Adresse e-mail"))
    page.keyboard.type(person.email)
    page.keyboard.press("Tab")
    page.keyboard.type(NEW_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/espace/$"))  # not asked again
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace")


def test_first_visit_keyboard_only_mail_links_at_375px(new_page, make_person, axe, screenshot):
    person = make_person("ipip-bfi-25")
    _without_password(person)
    page = new_page(viewport={"width": 375, "height": 800})
    invitation = person.invitation_url()
    open_invitation(page, invitation)
    expect(page).to_have_url(re.compile(r"/compte/revenir$"))
    sizes = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] == sizes[1], sizes  # nothing scrolls sideways
    axe(page, "first visit at 375 px")
    screenshot(page, "way-back-first-visit-375")
    press_link(page, "Recevoir des liens par e-mail")
    expect(page).to_have_url(re.compile(r"/espace/$"))
    expect(page.get_by_text("Un message de confirmation vient d’y être envoyé")).to_be_visible()

    page.goto(invitation)  # a second click on the invitation: not a dead end
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce lien a déjà servi")
    expect(
        page.get_by_text("Vous avez choisi de revenir par un lien envoyé par e-mail")
    ).to_be_visible()
    axe(page, "used invitation, mail links chosen")
    screenshot(page, "way-back-used-link-375")
    press_link(page, "Recevoir un lien de connexion par e-mail")
    expect(page).to_have_url(re.compile(r"/nouveau-lien$"))
