"""Pages whose wording changed (issue 11): the approval error of the synthesis, the login
error, the beneficiary's home and the public catalogue in English. Each passes axe-core
at 375 px and 1280 px, and the error summary leads to its field with the keyboard alone."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import expect, page_width

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def _share_a_synthesis(server, bilan_id: int) -> None:
    from service.models import SynthesisVersion

    with server.session() as s:
        s.add(
            SynthesisVersion(
                bilan_id=bilan_id,
                version=1,
                circumstances="Reprise d’études envisagée.",
                shared_at=dt.datetime.now(dt.UTC),
            )
        )


def _english(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_the_approval_error_is_short_and_leads_to_the_checkbox(
    new_page, axe, make_person, live_server, viewport
):
    person = make_person("valeurs-travail")
    _share_a_synthesis(live_server, person.bilan)
    page = new_page(viewport=viewport)
    person.sign_in(page)
    page.goto(f"/espace/bilans/{person.bilan}/synthese")
    with page.expect_navigation():
        page.get_by_role("button", name="J’approuve mon document de synthèse").click()
    summary = page.locator("#error-summary")
    expect(summary.get_by_role("heading")).to_have_text("Le document n’est pas encore approuvé")
    link = summary.get_by_role("link")
    expect(link).to_have_text("Cochez la case pour confirmer votre approbation.")
    axe(page, "synthesis, approval error")
    assert page_width(page)[0] <= page_width(page)[1]
    link.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Space")  # the focus is on the checkbox: ticks it
    expect(page.get_by_label("J’ai lu ce document et je l’approuve.", exact=False)).to_be_checked()


def test_the_login_error_says_what_is_missing_in_both_languages(page, axe):
    page.goto("/connexion")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").press("Enter")
    expect(page.locator("#error-summary h2")).to_have_text("Connexion impossible")
    axe(page, "login, empty")
    _english(page)
    page.goto("/connexion")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").press("Enter")
    expect(page.locator("#error-summary h2")).to_have_text("Could not sign in")
    expect(page.locator("#error-summary")).to_contain_text("Password: Enter your password.")
    axe(page, "login, empty, English")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_the_home_and_the_catalogue_in_english(new_page, axe, make_person, live_server, viewport):
    from service.models import Assignment

    person = make_person("valeurs-travail", "ipip-bfi-25")
    with live_server.session() as s:
        s.get(Assignment, person.assignments["ipip-bfi-25"]).language = "en"
    page = new_page(viewport=viewport)
    person.sign_in(page)
    expect(
        page.get_by_role("heading", name="Inventaire de personnalité", exact=False)
    ).to_have_text(
        "Inventaire de personnalité en cinq dimensions (IPIP, 25 questions) (en anglais)"
    )
    _english(page)
    expect(page.get_by_role("heading", level=2).first).to_have_text("Skills assessment")
    expect(page.get_by_role("heading", name="Work values (in French)")).to_be_visible()
    axe(page, "home, English")
    assert page_width(page)[0] <= page_width(page)[1]
    page = new_page(viewport=viewport)  # signed out: the public catalogue
    page.goto("/")
    _english(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Available questionnaires")
    axe(page, "catalogue, English")
    assert page_width(page)[0] <= page_width(page)[1]
