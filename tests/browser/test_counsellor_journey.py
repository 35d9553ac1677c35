"""Issue 5 acceptance test: a counsellor's whole path, with real clicks and typing.

A counsellor signs in -> "Mes bilans" -> "Nouveau bilan" (refused once when empty, then
filled) -> the bilan page shows the personal invitation link -> assigns the three built-in
questionnaires (one with its results shown at once). The beneficiary, in another browser
context, opens the link, consents and answers the three questionnaires through the real
pages. Back to the counsellor: the caseload shows them finished; each profile (summary,
charts with a text alternative and a data table, the answers given), a private note, the
side-by-side comparison; the restitution report as a page and as a PDF (A4, page numbers,
the names); the report is released, and the beneficiary reads and downloads it.

axe-core (WCAG 2.1 A/AA) checks every page visited, and the counsellor's pages and the
report must not scroll sideways on a 375-pixel phone (a wide table scrolls inside its own
box). With ``BOUSSOLE_SCREENSHOTS=1``, full-page screenshots go to tests/browser/artifacts/
(git-ignored) for a human to look at.
"""

from __future__ import annotations

import io
import os
import random
import re
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader

from .conftest import (
    PASSWORD,
    create_counsellor,
    expect,
    open_invitation,
    page_width,
    save_screenshot,
)

INSTRUMENTS = {  # id -> (name shown in French, number of items)
    "ipip-bfi-25": ("Inventaire de personnalité en cinq dimensions (IPIP, 25 questions)", 25),
    "riasec-60": ("Intérêts professionnels (RIASEC, 60 activités)", 60),
    "valeurs-travail": ("Valeurs au travail", 27),
}
NAMES = [name for name, _ in INSTRUMENTS.values()]
SHOW_NOW = "riasec-60"  # the one whose results the person sees as soon as it is finished
FIRST, LAST = "Inès", "Lefèvre-Çelik"
FULL_NAME = f"{FIRST} {LAST}"
NOTE = "Profil cohérent avec l’entretien du 3 juin : explorer les métiers du conseil."
PHONE = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
A4 = (595.28, 841.89)  # points
PDF_SECONDS = 60  # WeasyPrint takes a few seconds, more on a busy machine


# --- helpers --------------------------------------------------------------------------------


def click_and_wait(page: Any, target: Any) -> None:
    """Click a link or a button and wait for the page it leads to."""
    with page.expect_navigation():
        target.click()


def shot(page: Any, name: str) -> None:
    """A full-page screenshot for review, only when BOUSSOLE_SCREENSHOTS=1."""
    if os.environ.get("BOUSSOLE_SCREENSHOTS") == "1":
        save_screenshot(page, f"counsellor-{name}")


def sign_in_counsellor(page: Any, email: str) -> None:
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    click_and_wait(page, page.get_by_role("button", name="Se connecter"))
    expect(page).to_have_url(re.compile(r"/conseil/$"))


def answer_page(page: Any, rng: random.Random) -> int:
    """Answer every question on the current questionnaire page with real clicks: one option
    of each radio group, drawn from ``rng`` (a click on its label); ranks 1..k in order in
    each ranking block; the minimum for a number; a short text. Returns how many."""
    given = 0
    for box in page.locator("#questionnaire fieldset.item").all():
        kind = box.get_attribute("data-kind")
        if kind in ("choice", "multiple"):
            labels = box.locator(".option label")
            labels.nth(rng.randrange(labels.count())).click()
        elif kind == "number":
            field = box.get_by_role("spinbutton")
            field.fill(field.get_attribute("min") or "0")
            field.press("Tab")
        else:
            box.get_by_label("Votre réponse").fill("Une réponse libre.")
        given += 1
    for block in page.locator("#questionnaire fieldset.ranking").all():
        rows = block.locator("[data-item]")
        for rank in range(1, rows.count() + 1):
            rows.nth(rank - 1).get_by_role("combobox").select_option(str(rank))
            given += 1
    return given


def complete_questionnaire(
    page: Any, name: str, total: int, seed: int, on_page: Callable[[Any], None] | None = None
) -> None:
    """From the beneficiary's home: open the questionnaire, answer each page, "Suivant",
    and "Terminer" on the last one. ``on_page(page)`` runs on each questionnaire page
    before its answers (e.g. to let the page's clock run)."""
    click_and_wait(page, page.get_by_role("link", name=f"Commencer : {name}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    click_and_wait(page, page.get_by_role("link", name="Commencer", exact=True))
    rng = random.Random(seed)  # varied answers, the same at every run
    answered = 0
    while True:
        expect(page).to_have_url(re.compile(r"/page/\d+#item-q-[^/]+$"))  # on its 1st question
        if on_page is not None:
            on_page(page)
        answered += answer_page(page, rng)
        # The autosave script has stored every answer of the page: no request pending.
        expect(page.locator("#progress-text")).to_contain_text(f"{answered} réponses sur {total}")
        finish = page.get_by_role("button", name="Terminer")
        if finish.count():
            click_and_wait(page, finish)
            break
        click_and_wait(page, page.get_by_role("button", name="Suivant"))
    assert answered == total, (name, answered)
    expect(page).to_have_url(re.compile(r"/merci$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci !")


def download(page: Any, link: Any) -> bytes:
    """The file behind ``link``, downloaded with a real click."""
    with page.expect_download(timeout=PDF_SECONDS * 1000) as info:
        link.click(timeout=PDF_SECONDS * 1000)  # the click waits for the response too
    path = info.value.path()
    assert path is not None, info.value.failure()
    with open(path, "rb") as f:
        return f.read()


def assert_fits_phone(page: Any, what: str) -> None:
    """The page does not scroll sideways (a wide table may scroll inside its own box)."""
    scroll, client = page_width(page)
    if scroll > client + 1:
        beyond = page.evaluate(
            """(limit) => Array.from(document.querySelectorAll('body *'))
              .filter(e => e.getBoundingClientRect().right > limit + 1)
              .slice(0, 8)
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                 + (typeof e.className === 'string' && e.className.trim()
                    ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                 + ' (right edge at ' + Math.round(e.getBoundingClientRect().right) + 'px)')""",
            client,
        )
        raise AssertionError(
            f"{what} ({page.url}) scrolls sideways on a 375-px phone: {scroll}px of content"
            f" in {client}px; beyond the edge: " + (", ".join(beyond) or "?")
        )


def check_profile(page: Any, instrument_id: str, total: int) -> None:
    """A profile page: summary, charts (SVG with a text alternative, data table on demand),
    then the answers given, one row per question."""
    expect(page.locator("p.summary")).to_contain_text("En bref :")
    if instrument_id == "valeurs-travail":  # one ranked list, no chart (issue 11)
        expect(page.locator("ol.ranks li")).to_have_count(6)
        expect(page.locator("figure.chart")).to_have_count(0)
        _answers(page, total)
        return
    charts = page.locator("figure.chart")
    expect(charts.first).to_be_visible()
    for img in charts.get_by_role("img").all():
        assert (img.get_attribute("src") or "").startswith("data:image/svg+xml;")
        assert (img.get_attribute("alt") or "").strip(), "a chart without a text alternative"
    details = charts.first.locator("details")
    table = details.get_by_role("table")
    expect(table).to_be_hidden()
    details.get_by_text("Données du graphique (tableau)").click()
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() >= 5
    if instrument_id == "ipip-bfi-25":  # the BFI has no facets: no link to show them
        expect(page.get_by_role("link", name="Afficher les facettes")).to_have_count(0)
    _answers(page, total)


def _answers(page: Any, total: int) -> None:
    click_and_wait(page, page.get_by_role("link", name="Afficher les réponses données"))
    answers = page.get_by_role("table", name="Réponses données, question par question")
    expect(answers.locator("tbody tr")).to_have_count(total)
    expect(answers).not_to_contain_text("sans réponse")


# --- the test -------------------------------------------------------------------------------


def test_counsellor_journey(new_page: Any, live_server: Any, axe: Any) -> None:
    email = create_counsellor(live_server)

    # --- 1. sign in; the new bilan form, refused empty, then filled ---------------------
    page = new_page()
    sign_in_counsellor(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes bilans")
    expect(page.get_by_text("Aucun bilan pour le moment.")).to_be_visible()
    axe(page, "dashboard, no bilan yet")

    click_and_wait(page, page.get_by_role("link", name="Nouveau bilan"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau bilan")
    axe(page, "new bilan form")
    click_and_wait(page, page.get_by_role("button", name="Créer le bilan"))
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Saisissez le prénom.")
    expect(summary).to_contain_text("Saisissez le nom.")
    expect(page.get_by_label("Prénom")).to_have_attribute("aria-invalid", "true")
    axe(page, "new bilan form, refused (empty)")

    page.get_by_label("Prénom").fill(FIRST)
    page.get_by_label("Nom", exact=True).fill(LAST)
    page.get_by_label(re.compile("^Adresse e-mail")).fill(email.replace("conseil", "ines"))
    page.get_by_label("Langue des pages").select_option("fr")
    page.get_by_label("Prochain entretien (facultatif)").fill("2030-06-14T10:30")
    click_and_wait(page, page.get_by_role("button", name="Créer le bilan"))
    expect(page.get_by_role("heading", level=1)).to_have_text(FULL_NAME)
    expect(page.get_by_text(f"Le bilan de {FULL_NAME} est créé.")).to_be_visible()
    link_box = page.get_by_label(re.compile("^Lien d’invitation personnel"))
    expect(link_box).to_have_id("invitation-link")
    expect(link_box).to_have_attribute("readonly", "")
    invitation = link_box.input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/invitation/\S+", invitation), invitation
    axe(page, "bilan page with the invitation link")

    # --- 2. assign the three questionnaires, one with its results shown at once ---------
    for instrument_id, (name, _) in INSTRUMENTS.items():
        page.get_by_label("Questionnaire", exact=True).select_option(instrument_id)
        show = page.get_by_label(re.compile("^Montrer les résultats à la personne dès la fin"))
        expect(show).not_to_be_checked()
        if instrument_id == SHOW_NOW:
            show.check()
        click_and_wait(page, page.get_by_role("button", name="Assigner", exact=True))
        expect(page.get_by_text(f"« {name} » est assigné.")).to_be_visible()
        row = page.get_by_role("row", name=re.compile(re.escape(name)))
        expect(row).to_contain_text("Non commencé")
        expect(row).to_contain_text("visibles" if instrument_id == SHOW_NOW else "après")
    found = re.search(r"/conseil/bilans/(\d+)$", page.url)  # each assignment comes back here
    assert found, page.url
    bilan_id = int(found.group(1))
    axe(page, "bilan page, three questionnaires assigned")

    # --- 3. the beneficiary, on another device: link, consent, the three questionnaires -
    person = new_page()
    open_invitation(person, invitation)
    expect(person).to_have_url(re.compile(r"/compte/revenir$"))  # first: how to come back
    click_and_wait(person, person.get_by_role("button", name="Recevoir des liens par e-mail"))
    expect(person).to_have_url(re.compile(r"/espace/$"))
    click_and_wait(person, person.get_by_role("link", name="Lire les informations et décider"))
    click_and_wait(
        person, person.get_by_role("button", name="J’accepte que mes réponses soient recueillies")
    )
    for seed, (instrument_id, (name, total)) in enumerate(INSTRUMENTS.items()):
        complete_questionnaire(person, name, total, seed)
        results = person.get_by_role("link", name="Voir mes résultats")
        if instrument_id == SHOW_NOW:
            click_and_wait(person, results)
            expect(person).to_have_url(re.compile(r"/resultats$"))
        else:
            expect(results).to_have_count(0)
        click_and_wait(person, person.get_by_role("link", name="Retour à mon espace"))

    # --- 4. the counsellor: caseload, profiles and answers, a note, the comparison ------
    click_and_wait(page, page.get_by_role("link", name="← Mes bilans"))
    row = page.get_by_role("row", name=re.compile(re.escape(FULL_NAME)))
    expect(row.get_by_text(re.compile(r"^terminé le "))).to_have_count(3)
    expect(row).to_contain_text("14 juin 2030")
    axe(page, "dashboard, three questionnaires done")
    shot(page, "dashboard")

    click_and_wait(page, row.get_by_role("link", name=FULL_NAME))
    expect(page.get_by_text("Consentement donné.")).to_be_visible()
    expect(page.get_by_text(re.compile("^Terminé le "))).to_have_count(3)
    axe(page, "bilan page, questionnaires done")
    shot(page, "bilan")
    for instrument_id, (name, total) in INSTRUMENTS.items():
        click_and_wait(page, page.get_by_role("link", name=f"Voir le profil — {name}"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        check_profile(page, instrument_id, total)
        axe(page, f"profile of {instrument_id}, answers shown")
        if instrument_id == "ipip-bfi-25":
            shot(page, "profile-bfi")
            page.get_by_label("Nouvelle note (visible des seuls conseillers du bilan)").fill(NOTE)
            click_and_wait(page, page.get_by_role("button", name="Ajouter la note"))
            expect(page.get_by_text("Note enregistrée.")).to_be_visible()
            notes = page.get_by_role("listitem").filter(has_text=NOTE)
            expect(notes).to_have_count(1)
            expect(notes).to_contain_text("Hélène Garnier")
            axe(page, "profile with a note")
        click_and_wait(page, page.get_by_role("link", name=f"← Bilan de {FULL_NAME}"))

    click_and_wait(page, page.get_by_role("link", name="Comparer les questionnaires côte à côte"))
    columns = page.locator(".compare-col")
    expect(columns).to_have_count(3)
    for i, name in enumerate(NAMES):
        expect(columns.nth(i).get_by_role("heading", level=2)).to_have_text(name)
        expect(columns.nth(i).locator("p.summary")).to_contain_text("En bref :")
    axe(page, "comparison")
    shot(page, "compare")
    click_and_wait(page, page.get_by_role("link", name=f"← Bilan de {FULL_NAME}"))

    # --- 5. the report: the page, then the PDF --------------------------------------------
    click_and_wait(page, page.get_by_role("link", name="Voir le rapport de restitution"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapport de restitution")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        ["Comment lire ce rapport", *NAMES, "Comment utiliser ces résultats"]
    )
    expect(page.get_by_text(FULL_NAME, exact=True)).to_be_visible()
    axe(page, "report page (counsellor)")
    shot(page, "report")
    report_url = page.url
    click_and_wait(page, page.get_by_role("link", name="← Retour"))

    pdf = PdfReader(
        io.BytesIO(download(page, page.get_by_role("link", name="Télécharger le rapport (PDF)")))
    )
    assert len(pdf.pages) >= 5, len(pdf.pages)
    for number, pdf_page in enumerate(pdf.pages, 1):
        size = (float(pdf_page.mediabox.width), float(pdf_page.mediabox.height))
        assert abs(size[0] - A4[0]) <= 1 and abs(size[1] - A4[1]) <= 1, (number, size)
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pdf.pages))
    for expected in ["Rapport de restitution", FULL_NAME, "Page 2 sur", *NAMES]:
        assert expected in text, f"{expected!r} is not in the PDF's text"

    # --- 6. the report released: the beneficiary reads it and downloads it --------------
    click_and_wait(
        page, page.get_by_role("button", name="Mettre le rapport à disposition de la personne")
    )
    expect(
        page.get_by_text("Le rapport est disponible pour la personne dans son espace.")
    ).to_be_visible()
    person.reload()
    expect(person.get_by_role("heading", name="Mon rapport de restitution")).to_be_visible()
    click_and_wait(person, person.get_by_role("link", name="Lire le rapport"))
    expect(person.get_by_role("heading", level=1)).to_have_text("Rapport de restitution")
    expect(person.get_by_role("heading", level=2)).to_have_count(len(NAMES) + 2)
    axe(person, "report page (beneficiary)")
    beneficiary_report = person.url
    click_and_wait(person, person.get_by_role("link", name="← Retour"))
    own = download(person, person.get_by_role("link", name="Télécharger le rapport (PDF)"))
    assert own.startswith(b"%PDF")

    # --- 7. on a 375-pixel phone: no sideways scrolling -------------------------------------
    phone = new_page(**PHONE)
    sign_in_counsellor(phone, email)
    assert_fits_phone(phone, "dashboard")
    shot(phone, "phone-dashboard")
    for path, what in [
        ("/conseil/bilans/nouveau", "new-bilan"),
        (f"/conseil/bilans/{bilan_id}", "bilan"),
        (f"/conseil/bilans/{bilan_id}/comparaison", "comparison"),
        (report_url, "report"),
    ]:
        phone.goto(path)
        assert_fits_phone(phone, what)
        shot(phone, f"phone-{what}")
    for instrument_id, (name, _) in INSTRUMENTS.items():
        phone.goto(f"/conseil/bilans/{bilan_id}")
        click_and_wait(phone, phone.get_by_role("link", name=f"Voir le profil — {name}"))
        click_and_wait(phone, phone.get_by_role("link", name="Afficher les réponses données"))
        assert_fits_phone(phone, f"profile of {instrument_id}, answers shown")
        shot(phone, f"phone-profile-{instrument_id}")
    person.set_viewport_size(PHONE["viewport"])
    person.goto(beneficiary_report)
    assert_fits_phone(person, "report page (beneficiary)")
