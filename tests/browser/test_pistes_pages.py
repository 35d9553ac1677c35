"""The "pistes à explorer" pages in the browser: the counsellor's (from the RIASEC profile)
and the beneficiary's (from their results page), keyboard only (filter by grand domaine,
"show more"), axe-core clean, and at 375 px without sideways scrolling."""

from __future__ import annotations

import os
import re

from .conftest import PASSWORD, expect, save_screenshot

PHONE = {"width": 375, "height": 740}
LEVELS = {"S": 4, "A": 3, "I": 2, "E": 1, "C": 1, "R": 0}  # sums S 40, A 30, I 20: SAI


def _riasec_done(make_person):
    """A person whose riasec-60 is completed (code SAI) with the ROME snapshot loaded."""
    from service.extensions import db
    from service.features.journey import completion
    from service.features.journey import store as answer_store
    from service.features.metiers.importer import ensure_snapshot
    from service.models import Assignment

    person = make_person("riasec-60", show_results_now=True)
    person.consent()
    server = person.server
    inst = server.app.extensions["boussole.instruments"]["riasec-60"]
    server.bind()
    with server.app.test_request_context(), db.standalone() as s:
        ensure_snapshot(s)
        aid = person.assignments["riasec-60"]
        for item in inst.numeric_items:
            answer_store.upsert_answer(s, aid, item.id, LEVELS[item.id[0]])
        answer_store.add_page_seconds(s, aid, 1, 600)
        a = s.get(Assignment, aid)
        assert completion.complete(s, a, inst, per_page=6).completed
    return person


def _tab_to(page, locator, limit: int = 150) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"never reached {locator} with Tab")


def _shot(page, name: str) -> None:
    """A full-page screenshot for review, only when BOUSSOLE_SCREENSHOTS=1."""
    if os.environ.get("BOUSSOLE_SCREENSHOTS"):
        save_screenshot(page, name)


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width


def test_counsellor_pistes_keyboard_only(new_page, make_person, axe):
    person = _riasec_done(make_person)
    aid = person.assignments["riasec-60"]
    page = new_page()
    page.goto("/connexion")
    page.keyboard.press("Tab")
    page.get_by_label("Adresse e-mail").focus()
    page.keyboard.type(person.counsellor_email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"/conseil/questionnaires/{aid}/profil")
    link = page.get_by_role("link", name=re.compile("Pistes de métiers à explorer"))
    _tab_to(page, link)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/conseil/questionnaires/{aid}/pistes$"))
    expect(page.locator("h1")).to_have_text("Pistes de métiers à explorer")
    expect(page.locator("ol.pistes > li")).to_have_count(20)
    expect(page.get_by_text("Code d’intérêts : SAI")).to_be_visible()
    axe(page, "counsellor's pistes")
    _shot(page, "pistes-counsellor-1280")
    # The method folded in a <details>, opened with Enter.
    summary = page.get_by_text("Comment ces pistes sont classées")
    _tab_to(page, summary)
    page.keyboard.press("Enter")
    expect(page.locator("details.method")).to_have_attribute("open", "")
    # Filter by grand domaine with the keyboard: the select, a letter, the button.
    select = page.get_by_label("Grand domaine")
    _tab_to(page, select)
    page.keyboard.press("K")
    expect(select).to_have_value("K")
    _tab_to(page, page.get_by_role("button", name="Filtrer"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"gd=K"))
    codes = page.locator("ol.pistes > li h2 .muted").all_inner_texts()
    assert codes and all(c.startswith("(K") for c in codes), codes
    # "Show more" with the keyboard: 40 pistes, the filter kept.
    more = page.get_by_role("link", name=re.compile("Voir 20 pistes de plus"))
    _tab_to(page, more, limit=400)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"gd=K.*page=2"))
    expect(page.locator("ol.pistes > li")).to_have_count(40)
    axe(page, "counsellor's pistes, filtered, shown more")
    phone = new_page(viewport=PHONE, storage_state=page.context.storage_state())
    phone.goto(f"/conseil/questionnaires/{aid}/pistes")
    _no_sideways_scroll(phone)
    axe(phone, "counsellor's pistes at 375 px")
    _shot(phone, "pistes-counsellor-375")


def test_beneficiary_pistes_from_results_at_375px(new_page, make_person, axe):
    person = _riasec_done(make_person)
    aid = person.assignments["riasec-60"]
    page = new_page(viewport=PHONE)
    person.sign_in(page)
    page.goto(f"/espace/questionnaires/{aid}/resultats")
    link = page.get_by_role("link", name=re.compile("Des pistes de métiers à explorer"))
    _tab_to(page, link)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/espace/questionnaires/{aid}/pistes$"))
    expect(page.get_by_text("pas un verdict", exact=False).first).to_be_visible()
    expect(page.locator("ol.pistes > li")).to_have_count(20)
    _no_sideways_scroll(page)
    axe(page, "beneficiary's pistes at 375 px")
    _shot(page, "pistes-beneficiary-375")
    wide = new_page(storage_state=page.context.storage_state())
    wide.goto(f"/espace/questionnaires/{aid}/pistes")
    _shot(wide, "pistes-beneficiary-1280")
    # A fiche opens from its piste with the keyboard.
    first = page.locator("ol.pistes > li h2 a").first
    _tab_to(page, first)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/espace/metiers/[A-N]\d{4}$"))
