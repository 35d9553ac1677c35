"""axe-core (WCAG 2.0/2.1 A and AA rules) finds no violation on the pages a beneficiary meets.

Each page is checked as it is displayed, after any script has run, including states that
only a script creates (an answer refused by the autosave, a rank given twice). A failure
lists the rule, its impact, the CSS selector of each element at fault and what to fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from instruments.loader import builtin_files

from .conftest import check_js_errors, create_person, expect, open_invitation, shared_page

# --- pages anyone can reach --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/connexion", 200),
        ("/nouveau-lien", 200),
        ("/nouveau-lien/envoye", 200),
        ("/questionnaires/ipip-bfi-25", 200),
        ("/invitation/ce-lien-n-existe-pas", 404),
        ("/cette-page-n-existe-pas", 404),
    ],
    ids=["home", "login", "new-link", "link-sent", "instrument", "invitation-invalid", "404"],
)
def test_public_page(page, axe, path, status):
    response = page.goto(path)
    assert response is not None and response.status == status
    expect(page.locator("h1")).to_have_count(1)
    axe(page, path)


def test_login_error_state(page, axe):
    """A wrong password: the message is shown and the page still passes."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill("personne@test.fr")
    page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").press("Enter")
    expect(page.get_by_text("Adresse e-mail ou mot de passe incorrect").first).to_be_visible()
    axe(page, "login, wrong password")


def test_invitation_page_keyboard_only(new_page, axe, make_person):
    """The page an invitation link opens: it uses nothing by itself; Tab reaches its one
    button, Enter opens the space."""
    person = make_person("ipip-bfi-25")
    url = person.invitation_url()
    page = new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Boussole")
    axe(page, "invitation page")
    button = page.get_by_role("button", name="Ouvrir mon espace")
    for _ in range(30):  # Tab through the page until the button has the focus
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    else:
        raise AssertionError("the button is not reachable with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/espace/"), page.url


def test_invitation_already_used_and_expired(new_page, axe, make_person):
    person = make_person("ipip-bfi-25")
    url = person.invitation_url()
    open_invitation(new_page(), url)
    page = new_page()  # the same link opened again, e.g. on another device
    response = page.goto(url)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce lien a déjà servi")
    expect(page.get_by_text("Vous avez choisi un mot de passe")).to_be_visible()
    axe(page, "invitation already used")
    response = page.goto(person.invitation_url(days=-1))
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce lien a expiré")
    axe(page, "invitation expired")


def test_forbidden_page(page, axe, make_person):
    """A counsellor opening the beneficiary's space gets the 403 page."""
    person = make_person("ipip-bfi-25")
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(person.counsellor_email)
    page.get_by_label("Mot de passe").fill(person.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").press("Enter")
    response = page.goto("/espace/")
    assert response is not None and response.status == 403
    axe(page, "403")


# --- the beneficiary's space -------------------------------------------------------------


def test_home_consent_and_instructions(page, axe, make_person):
    person = make_person("valeurs-travail", "ipip-bfi-25")
    person.sign_in(page)
    axe(page, "home before consent")

    page.get_by_role("link", name="Lire les informations et décider").click()
    expect(page).to_have_url(re.compile(r"/consentement$"))
    axe(page, "consent page")

    page.get_by_role("button", name="Je refuse").click()
    expect(page.get_by_text("Votre refus est enregistré")).to_be_visible()
    axe(page, "home after a refusal")

    page.get_by_role("link", name=re.compile("^Changer d’avis")).click()
    expect(page.get_by_text("Décision actuelle")).to_be_visible()
    axe(page, "consent page with a decision on record")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="J’accepte que mes réponses soient recueillies").click()
    axe(page, "home after consent")

    page.get_by_role("link", name=re.compile("^Commencer : Valeurs au travail")).click()
    expect(page.get_by_role("heading", name="Consignes")).to_be_visible()
    axe(page, "instructions")


def test_home_and_instructions_in_progress(page, axe, make_person):
    person = make_person("valeurs-travail", "ipip-bfi-25")
    person.consent()
    person.give_answers("valeurs-travail", skip=("VT20", "VT21"))
    person.sign_in(page)
    expect(page.locator("progress")).to_have_count(1)
    axe(page, "home, questionnaire in progress")
    page.get_by_role("link", name=re.compile("^Relire les consignes : Valeurs au travail")).click()
    axe(page, "instructions, in progress")


def test_set_password_page_and_error(page, axe, make_person):
    person = make_person("ipip-bfi-25")
    person.sign_in(page)
    page.goto("/compte/mot-de-passe")
    axe(page, "set password")
    inputs = page.locator("input[type=password]")
    inputs.nth(0).fill("court")
    inputs.nth(1).fill("différent")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.locator(".field-error").first).to_be_visible()
    axe(page, "set password, refused")


# --- questionnaire pages: one of each item type of the built-in instruments -----------------


def _builtin_types() -> dict[str, str]:
    """Item type -> the first built-in instrument (by id) that uses it."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: dict[str, str] = {}
    for path in sorted(builtin_files(), key=lambda p: Path(p).name):
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)
        if not isinstance(data, dict):
            continue
        for fmt in (data.get("response_formats") or {}).values():
            found.setdefault(fmt["type"], data["id"])
    return found


ITEM_TYPES = _builtin_types()


def first_page_with(live_server, instrument_id: str, item_type: str) -> tuple[int, str]:
    """(page number, item id) of the first item of ``item_type`` in the instrument."""
    from service.features.journey.paging import paginate

    inst = live_server.app.extensions["boussole.instruments"][instrument_id]
    for page in paginate(inst, live_server.app.config["ITEMS_PER_PAGE"]):
        for item in page.items:
            if inst.formats[item.format].type == item_type:
                return page.number, item.id
    raise AssertionError(f"{instrument_id} has no {item_type} item")


@pytest.fixture(scope="module")
def _all_builtins(browser, _live_server):
    """One signed-in beneficiary with every built-in instrument assigned (read-only visits)."""
    person = create_person(_live_server, *sorted(set(ITEM_TYPES.values())))
    person.consent()
    with shared_page(browser, _live_server) as opened:
        person.sign_in(opened.page)
        yield person, opened


@pytest.fixture
def all_builtins(_all_builtins, live_server, request):
    person, opened = _all_builtins
    yield person, opened.page
    check_js_errors(opened, request)


@pytest.mark.parametrize("item_type", sorted(ITEM_TYPES))
def test_questionnaire_page_of_each_item_type(all_builtins, axe, live_server, item_type):
    person, page = all_builtins
    instrument_id = ITEM_TYPES[item_type]
    number, item_id = first_page_with(live_server, instrument_id, item_type)
    page.goto(f"/espace/questionnaires/{person.assignments[instrument_id]}/page/{number}")
    expect(page.locator(f"[data-item='{item_id}']")).to_be_visible()
    axe(page, f"{instrument_id} page {number} ({item_type})")


def test_last_page_with_unanswered_notice(page, axe, make_person):
    person = make_person("ipip-bfi-25")
    person.consent()
    person.give_answers("ipip-bfi-25", skip=("A1", "C2"))
    person.sign_in(page)
    page.goto(f"/espace/questionnaires/{person.assignments['ipip-bfi-25']}/page/5")
    expect(page.get_by_role("button", name="Terminer")).to_be_visible()
    expect(page.get_by_text("restées sans réponse")).to_be_visible()
    axe(page, "last page, some questions unanswered")


# --- error states ---------------------------------------------------------------------------


def test_out_of_range_number_refused(page, axe, make_person, live_server):
    """suivi-6-mois: "how many steps (0 to 20)": 99 is refused, by the autosave script at
    once and by the server when the page is submitted."""
    person = make_person("suivi-6-mois")
    person.consent()
    number, item_id = first_page_with(live_server, "suivi-6-mois", "number")
    person.sign_in(page)
    page.goto(f"/espace/questionnaires/{person.assignments['suivi-6-mois']}/page/{number}")
    box = page.locator(f"[data-item='{item_id}']")
    box.locator("input").fill("99")
    box.locator("input").press("Tab")  # change: the script sends it, the server refuses it
    expect(box.locator(".field-error")).to_be_visible()
    expect(box.locator("input")).to_have_attribute("aria-invalid", "true")
    axe(page, "number refused by the autosave")

    with page.expect_navigation():
        page.get_by_role("button", name="Suivant").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_focused()
    axe(page, "number refused at page submit (error summary)")


def test_ranking_duplicate_and_incomplete(page, axe, make_person, live_server):
    person = make_person("valeurs-travail")
    person.consent()
    number, _ = first_page_with(live_server, "valeurs-travail", "ranking")
    person.sign_in(page)
    page.goto(f"/espace/questionnaires/{person.assignments['valeurs-travail']}/page/{number}")
    selects = page.locator("select")
    selects.nth(0).select_option("1")
    selects.nth(1).select_option("1")  # the same rank twice: the script says so at once
    expect(page.locator(".field-error").first).to_be_visible()
    axe(page, "ranking, a rank given twice")

    selects.nth(1).select_option("2")
    expect(page.locator(".field-error")).to_have_count(0)
    with page.expect_navigation():
        page.get_by_role("button", name="Terminer").click()  # 4 statements left unranked
    expect(page.locator(".field-error").first).to_be_visible()
    axe(page, "ranking incomplete, refused")


# --- the end: thank-you and results pages -----------------------------------------------------


def finish(page, person, instrument_id: str) -> None:
    """Every answer stored already: open the last page and press Terminer."""
    from service.features.journey.paging import paginate

    server = person.server
    inst = server.app.extensions["boussole.instruments"][instrument_id]
    last = len(paginate(inst, server.app.config["ITEMS_PER_PAGE"]))
    page.goto(f"/espace/questionnaires/{person.assignments[instrument_id]}/page/{last}")
    with page.expect_navigation():
        page.get_by_role("button", name="Terminer").click()
    expect(page).to_have_url(re.compile(r"/merci$"))


def test_thanks_page_results_later(page, axe, make_person):
    person = make_person("ipip-bfi-25")
    person.consent()
    person.give_answers("ipip-bfi-25")
    person.sign_in(page)
    finish(page, person, "ipip-bfi-25")
    expect(page.get_by_role("link", name="Voir mes résultats")).to_have_count(0)
    axe(page, "thank-you, results at the restitution interview")
    page.goto("/espace/")
    axe(page, "home, questionnaire done")


def test_anonymous_questionnaire_instructions_and_thanks(page, axe, make_person):
    """A satisfaction survey: the person is told before answering that it is anonymous,
    and thanked without a word about results."""
    person = make_person("satisfaction-fin-bilan")
    person.consent()
    person.give_answers("satisfaction-fin-bilan")
    person.sign_in(page)
    page.goto(f"/espace/questionnaires/{person.assignments['satisfaction-fin-bilan']}")
    expect(page.locator("p.notice", has_text="Vos réponses sont anonymes")).to_be_visible()
    axe(page, "instructions, anonymous questionnaire")
    finish(page, person, "satisfaction-fin-bilan")
    expect(page.get_by_text("Merci d’avoir pris le temps de donner votre avis.")).to_be_visible()
    expect(page.get_by_text("restitution")).to_have_count(0)
    expect(page.get_by_role("link", name="Voir mes résultats")).to_have_count(0)
    axe(page, "thank-you, anonymous questionnaire")
    page.goto("/espace/")
    expect(page.get_by_text("Merci pour votre avis.")).to_be_visible()
    axe(page, "home, anonymous questionnaire done")


@pytest.mark.parametrize("instrument_id", ["ipip-bfi-25", "riasec-60", "valeurs-travail"])
def test_thanks_and_results_pages(page, axe, make_person, instrument_id):
    person = make_person(instrument_id, show_results_now=True)
    person.consent()
    person.give_answers(instrument_id)
    person.sign_in(page)
    finish(page, person, instrument_id)
    axe(page, "thank-you, results shown now")
    page.get_by_role("link", name="Voir mes résultats").click()
    expect(page).to_have_url(re.compile(r"/resultats$"))
    axe(page, f"results of {instrument_id}")
    page.goto("/espace/")
    axe(page, "home, questionnaire done, results available")
