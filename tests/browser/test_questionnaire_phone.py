"""The questionnaire on a phone (375 px) and a laptop (issue 11, phone points): a compact
header; after a page change the focus is on the page's first question; "Reprendre" opens
the page in one tap; "Terminer" with questions unanswered lists them, each link jumps to
its question and a button leads back to "Terminer"; the buttons keep their order on the
last page, where Enter never finishes."""

from __future__ import annotations

import re

from sqlalchemy import select

from service.models import Answer, Assignment

from .conftest import expect
from .test_journey_keyboard import press_link, tab_to

BFI = "ipip-bfi-25"  # 25 items, 6 a page: page 1 A1..C1, 2 C2..E2, 3 E3..N3, 4 N4..O4, 5 O5
PHONE = {"width": 375, "height": 667}
BUTTONS = "#questionnaire .actions button"


def _focused_item(page) -> str | None:
    return page.evaluate(
        "() => { const b = document.activeElement.closest('[data-item]');"
        " return b ? b.getAttribute('data-item') : null; }"
    )


def _expect_focus_on(page, item_id: str) -> None:
    """The focus is on a control of the question (on the first one: a key acts on it)."""
    page.wait_for_function(
        "(id) => { const e = document.activeElement, b = e.closest('[data-item]');"
        " return b !== null && e !== b && b.getAttribute('data-item') === id; }",
        arg=item_id,
        timeout=5_000,
    )
    assert _focused_item(page) == item_id


def _status(person) -> str:
    with person.server.session() as s:
        return s.get(Assignment, person.assignments[BFI]).status


def test_compact_header_and_focus_after_a_page_change(new_page, make_person, axe, screenshot):
    person = make_person(BFI)
    person.consent()
    page = new_page(viewport=PHONE)
    person.sign_in(page)
    press_link(page, re.compile("^Commencer : "))
    press_link(page, "Commencer")
    expect(page).to_have_url(re.compile(r"/page/1#item-q-A1$"))
    _expect_focus_on(page, "A1")  # the first question, not the top of the page

    # the header: the page count on one line, the whole header under a fifth of the screen
    count = page.locator(".page-count")
    expect(count).to_have_text("Page 1 sur 5")
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.q-meta')).lineHeight)"
    )
    assert count.bounding_box()["height"] <= line * 1.2, "the page count wraps"
    head = page.locator(".q-head").bounding_box()
    assert head["height"] < PHONE["height"] / 5, head
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "questionnaire-page1-375", full_page=False)
    axe(page, "questionnaire page 1 at 375 px")

    page.keyboard.press("Space")  # the focus is on A1's first option: Space answers it
    expect(page.locator("[data-item='A1'] input").first).to_be_checked()
    press_link(page, "Suivant")
    expect(page).to_have_url(re.compile(r"/page/2#item-q-C2$"))
    _expect_focus_on(page, "C2")
    press_link(page, "Précédent")
    expect(page).to_have_url(re.compile(r"/page/1#item-q-A1$"))
    _expect_focus_on(page, "A1")

    wide = new_page()
    person.sign_in(wide)
    wide.goto(f"/espace/questionnaires/{person.assignments[BFI]}/page/2")
    screenshot(wide, "questionnaire-page2-1280", full_page=False)


def test_resuming_takes_one_tap_to_the_first_unanswered_question(
    new_page, make_person, axe, screenshot
):
    person = make_person(BFI)
    person.consent()
    person.give_answers(BFI, skip=("C4", "C5", "E1", "E2", "E3", "E4", "E5"))
    page = new_page(viewport=PHONE)
    person.sign_in(page)
    axe(page, "home, a questionnaire to resume, 375 px")
    screenshot(page, "home-resume-375")
    press_link(page, re.compile("^Reprendre : "))  # one tap, from the home page
    expect(page).to_have_url(re.compile(r"/page/2#item-q-C4$"))
    _expect_focus_on(page, "C4")


def test_missing_answers_link_to_their_question_and_back_to_finish(
    new_page, make_person, axe, screenshot
):
    person = make_person(BFI)
    person.consent()
    person.give_answers(BFI, skip=("A3", "N2"))
    page = new_page(viewport=PHONE)
    person.sign_in(page)
    assignment = person.assignments[BFI]
    page.goto(f"/espace/questionnaires/{assignment}/page/5")

    # the same order as the other pages, the way forward first
    expect(page.locator(BUTTONS)).to_have_text(
        ["Terminer", "Précédent", "Enregistrer et reprendre plus tard"]
    )
    press_link(page, "Terminer")
    expect(page).to_have_url(re.compile(r"/page/5\?manquantes=1#manquantes$"))
    box = page.locator("#manquantes")
    expect(box).to_be_focused()
    expect(box.get_by_role("heading")).to_have_text("2 questions sont restées sans réponse")
    expect(box.get_by_role("link")).to_have_text(
        ["Je sais réconforter les autres.", "Je m’irrite facilement."]
    )
    assert _status(person) == "in_progress"  # nothing finished yet
    axe(page, "last page, unanswered questions listed")
    screenshot(page, "questionnaire-missing-375")

    press_link(page, "Je sais réconforter les autres.")
    expect(page).to_have_url(re.compile(r"/page/1\?fin=1#item-q-A3$"))
    _expect_focus_on(page, "A3")  # the link jumps to the question
    page.keyboard.press("Space")
    expect(page.locator("#save-status")).to_have_text("Réponse enregistrée.")
    press_link(page, "Revenir à « Terminer »")
    expect(page).to_have_url(re.compile(r"/page/5\?manquantes=1#manquantes$"))
    expect(page.locator("#manquantes").get_by_role("link")).to_have_text(
        ["Je m’irrite facilement."]
    )
    press_link(page, "Terminer quand même")
    expect(page).to_have_url(re.compile(rf"/questionnaires/{assignment}/merci$"))
    assert _status(person) == "completed"
    with person.server.session() as s:
        answered = set(s.scalars(select(Answer.item_id).where(Answer.assignment_id == assignment)))
    assert "A3" in answered and "N2" not in answered


def test_enter_on_the_last_page_saves_and_never_finishes(new_page, make_person, screenshot):
    person = make_person(BFI)
    person.consent()
    person.give_answers(BFI, skip=("O5",))
    page = new_page()
    person.sign_in(page)
    assignment = person.assignments[BFI]
    page.goto(f"/espace/questionnaires/{assignment}/page/1")
    expect(page.locator(BUTTONS)).to_have_text(
        ["Suivant", "Précédent", "Enregistrer et reprendre plus tard"]
    )
    page.goto(f"/espace/questionnaires/{assignment}/page/5")
    radio = page.locator("[data-item='O5'] input").first
    tab_to(page, radio)
    page.keyboard.press("Space")
    expect(page.locator("#save-status")).to_have_text("Réponse enregistrée.")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # implicit submission: the hidden "stay" button
    expect(page).to_have_url(re.compile(r"/page/5#item-q-O5$"))
    assert _status(person) == "in_progress"
    expect(page.locator("#manquantes")).to_have_count(0)  # all answered: no list
    screenshot(page, "questionnaire-last-page-1280", full_page=False)
    press_link(page, "Terminer")  # everything answered: finishes at once
    expect(page).to_have_url(re.compile(rf"/questionnaires/{assignment}/merci$"))
