"""A beneficiary's whole journey with the keyboard only (no mouse, no click):

invitation link -> home -> consent -> instructions -> pages of "Valeurs au travail"
(21 five-point items, then a ranking block of six statements) -> the browser is closed
half-way -> a new link on a "new device" -> the answers are there, the person resumes
where they stopped -> Terminer -> thank-you page; the database then holds one answer per
item and the scores.

Keys used: Tab / Shift+Tab to move, Space to tick a radio button, arrow keys to move within
a radio group, digits to pick a rank in a list, Enter to follow a link or press a button.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from service.models import Answer, Assignment, Consent, PageTiming, ScoreRecord

from .conftest import expect, open_invitation

INSTRUMENT = "valeurs-travail"
# Importance (1..5) given to VT01..VT21, and the ranks given to the six values.
IMPORTANCE = {f"VT{n:02d}": 1 + (n * 3) % 5 for n in range(1, 22)}
RANKS = {
    "RANG_REUSSITE": 2,
    "RANG_INDEPENDANCE": 1,
    "RANG_RECONNAISSANCE": 5,
    "RANG_RELATIONS": 3,
    "RANG_SOUTIEN": 6,
    "RANG_CONDITIONS": 4,
}
MAX_TABS = 80


def tab_to(page, target, *, backwards: bool = False) -> None:
    """Press Tab until ``target`` (a locator) has the focus; fail with the focus path."""
    key = "Shift+Tab" if backwards else "Tab"
    element = target.element_handle()
    seen: list[str] = []
    for _ in range(MAX_TABS):
        focused, where = page.evaluate(
            """(el) => { const e = document.activeElement;
              return [e === el, e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + (e.name ? '[name=' + e.name + ']' : '')
                + ' ' + (e.innerText || e.value || '').trim().slice(0, 30)]; }""",
            element,
        )
        if focused:
            return
        seen.append(where)
        page.keyboard.press(key)
    raise AssertionError(
        f"{target} cannot be reached with {key} ({MAX_TABS} presses); focus went through: "
        + " | ".join(seen[:40])
    )


def assert_focus_visible(page) -> None:
    """WCAG 2.4.7: the focused element shows a focus indicator."""
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"""
    )
    assert (style[0] != "none" and style[1] != "0px") or style[2] != "none", (
        f"no visible focus indicator on the focused element: {style}"
    )


def press_link(page, name: str | re.Pattern[str]) -> None:
    """Tab to a link (or a button) by its accessible name and press Enter."""
    exact = isinstance(name, str)
    target = page.get_by_role("link", name=name, exact=exact).or_(
        page.get_by_role("button", name=name, exact=exact)
    )
    expect(target).to_have_count(1)
    tab_to(page, target)
    assert_focus_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def item_box(page, item_id: str):
    return page.locator(f"[data-item='{item_id}']")


def choose_radio(page, item_id: str, value: int) -> None:
    """Tab into the item's radio group, tick the first option with Space, then move to the
    wanted option with the down arrow (which ticks it, as in every browser)."""
    radios = item_box(page, item_id).get_by_role("radio")
    first = radios.first
    tab_to(page, first)
    assert_focus_visible(page)
    page.keyboard.press("Space")
    values = [int(v) for v in radios.evaluate_all("els => els.map(e => e.value)")]
    for _ in range(values.index(value)):
        page.keyboard.press("ArrowDown")
    expect(item_box(page, item_id).locator(f"input[value='{value}']")).to_be_checked()


def choose_rank(page, item_id: str, rank: int) -> None:
    """Tab to the statement's list of ranks and type the rank (keyboard type-ahead)."""
    select_ = item_box(page, item_id).locator("select")
    tab_to(page, select_)
    page.keyboard.type(str(rank))
    expect(select_).to_have_value(str(rank))


def wait_saved(page, person, answered: int) -> None:
    """The autosave script has stored ``answered`` answers (no pending request)."""
    expect(page.locator("#progress-text")).to_contain_text(f"{answered} réponses sur 27")
    expect(page.locator("#save-status")).to_have_text("Réponse enregistrée.")
    assert stored_count(person) == answered


def stored_count(person) -> int:
    with person.server.session() as s:
        return s.scalar(
            select(func.count())
            .select_from(Answer)
            .where(Answer.assignment_id == person.assignments[INSTRUMENT])
        )


def page_items(page) -> list[str]:
    return page.locator("#questionnaire [data-item]").evaluate_all(
        "els => els.map(e => e.getAttribute('data-item'))"
    )


def test_keyboard_only_journey_with_resume(new_page, make_person):
    person = make_person(INSTRUMENT, "ipip-bfi-25")
    assignment = person.assignments[INSTRUMENT]

    # --- first device: invitation, consent, instructions, two pages and a half -------
    page = new_page()
    open_invitation(page, person.invitation_url())
    expect(page).to_have_url(re.compile(r"/espace/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace")
    press_link(page, "Lire les informations et décider")
    expect(page).to_have_url(re.compile(rf"/espace/bilans/{person.bilan}/consentement$"))
    press_link(page, "J’accepte que mes réponses soient recueillies")
    expect(page).to_have_url(re.compile(r"/espace/$"))
    with person.server.session() as s:
        consents = s.scalars(select(Consent).where(Consent.beneficiary_id == person.id)).all()
        assert [(c.bilan_id, c.accepted) for c in consents] == [(person.bilan, True)]

    press_link(page, re.compile("^Commencer : Valeurs au travail"))
    expect(page).to_have_url(re.compile(rf"/espace/questionnaires/{assignment}$"))
    expect(page.get_by_role("heading", level=2, name="Consignes")).to_be_visible()
    press_link(page, "Commencer")
    expect(page).to_have_url(re.compile(rf"/questionnaires/{assignment}/page/1#item-q-VT01$"))

    answered = 0
    for number in (1, 2):
        items = page_items(page)
        assert len(items) == 6
        for item_id in items:
            choose_radio(page, item_id, IMPORTANCE[item_id])
            answered += 1
        wait_saved(page, person, answered)
        press_link(page, "Suivant")
        expect(page).to_have_url(re.compile(rf"/page/{number + 1}#item-q-VT\d+$"))

    items3 = page_items(page)
    for item_id in items3[:3]:  # half of page 3, saved by the script only
        choose_radio(page, item_id, IMPORTANCE[item_id])
        answered += 1
    wait_saved(page, person, answered)
    page.context.close()  # the browser is closed without submitting the page

    # --- second device: a new link; the answers are kept, resume on page 3 ----------
    page = new_page()
    open_invitation(page, person.invitation_url())
    expect(page).to_have_url(re.compile(r"/espace/$"))
    expect(page.get_by_text(re.compile(r"En cours\s*:\s*5[56]\s*%"))).to_be_visible()  # 15 of 27
    press_link(page, re.compile("^Reprendre : Valeurs au travail"))  # one tap: the page
    expect(page).to_have_url(re.compile(rf"/questionnaires/{assignment}/page/3#item-q-VT16$"))
    assert page_items(page) == items3
    for item_id in items3[:3]:
        expect(
            item_box(page, item_id).locator(f"input[value='{IMPORTANCE[item_id]}']")
        ).to_be_checked()
    for item_id in items3[3:]:
        expect(item_box(page, item_id).locator("input:checked")).to_have_count(0)
        choose_radio(page, item_id, IMPORTANCE[item_id])
        answered += 1
    wait_saved(page, person, answered)
    press_link(page, "Suivant")

    expect(page).to_have_url(re.compile(r"/page/4#item-q-VT19$"))
    items = page_items(page)
    assert len(items) == 3
    for item_id in items:
        choose_radio(page, item_id, IMPORTANCE[item_id])
        answered += 1
    wait_saved(page, person, answered)
    press_link(page, "Suivant")

    expect(page).to_have_url(re.compile(r"/page/5#item-q-RANG_REUSSITE$"))
    assert page_items(page) == list(RANKS)
    for item_id, rank in RANKS.items():
        choose_rank(page, item_id, rank)
        answered += 1
    wait_saved(page, person, answered)
    expect(page.locator(".field-error")).to_have_count(0)
    press_link(page, "Terminer")

    expect(page).to_have_url(re.compile(rf"/questionnaires/{assignment}/merci$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci !")

    # --- the database: one answer per item, as given; scores stored -------------------
    with person.server.session() as s:
        rows = s.execute(
            select(Answer.item_id, Answer.value).where(Answer.assignment_id == assignment)
        ).all()
        record = s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == assignment)).one()
        status = s.get(Assignment, assignment).status
        timed_pages = s.scalars(
            select(PageTiming.page).where(PageTiming.assignment_id == assignment)
        ).all()
    ids = [item_id for item_id, _ in rows]
    assert len(ids) == len(set(ids)) == 27
    assert dict(rows) == {**IMPORTANCE, **RANKS}
    assert status == "completed"
    assert record.instrument_key.startswith(INSTRUMENT)
    assert record.scores and any(v is not None for v in record.scores.values())
    assert set(timed_pages) == {1, 2, 3, 4, 5}  # time spent per page was recorded
    # The other questionnaire is untouched.
    with person.server.session() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Answer)
                .where(Answer.assignment_id == person.assignments["ipip-bfi-25"])
            )
            == 0
        )


def test_keyboard_only_password_sign_in_resumes(new_page, make_person):
    """The other way back in: email and password on /connexion, still keyboard only."""
    person = make_person("ipip-bfi-25")
    person.consent()
    # Page 2 holds C2..C5, E1, E2: C2 answered, the rest not; resume there.
    given = person.give_answers("ipip-bfi-25", skip=("C3", "C4", "C5", "E1", "E2"))
    page = new_page()
    page.goto("/connexion")
    tab_to(page, page.get_by_label("Adresse e-mail"))
    page.keyboard.type(person.email)
    page.keyboard.press("Tab")
    page.keyboard.type(person.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # implicit submission from the password field
    expect(page).to_have_url(re.compile(r"/espace/$"))
    press_link(page, re.compile("^Reprendre : Inventaire de personnalité"))
    expect(page).to_have_url(re.compile(r"/page/2#item-q-C3$"))
    items = page_items(page)
    assert items == ["C2", "C3", "C4", "C5", "E1", "E2"]
    for item_id in items:
        checked = item_box(page, item_id).locator("input:checked")
        if item_id in given:
            expect(checked).to_have_value(str(given[item_id]))
        else:
            expect(checked).to_have_count(0)
