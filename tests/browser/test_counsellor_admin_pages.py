"""Issue 11, counsellor and admin pages, in Chromium: the dashboard's "nouveau" notice,
search and filters (keyboard only); the record page's table of contents and foldable
parts (keyboard only); the action plan read on a 375-px phone; the account page; the
centre's activity page. axe-core (WCAG 2.1 A/AA) on each, at 1280 px and at 375 px, where
nothing scrolls sideways."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .conftest import PASSWORD, create_counsellor, expect
from .test_counsellor_journey import PHONE, assert_fits_phone, click_and_wait

DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def sign_in(page: Any, email: str) -> None:
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    click_and_wait(page, page.get_by_role("button", name="Se connecter"))


def complete_now(person: Any, instrument_id: str) -> None:
    """Answer and complete a questionnaire through the journey's own function."""
    from service.extensions import db
    from service.features.journey import completion
    from service.models import Assignment

    person.give_answers(instrument_id)
    server = person.server
    instrument = server.app.extensions["boussole.instruments"][instrument_id]
    server.bind()
    with server.app.test_request_context(), db.standalone() as s:
        assignment = s.get(Assignment, person.assignments[instrument_id])
        assert completion.complete(s, assignment, instrument, per_page=6).completed


def plan_record(person: Any, *, actions: int = 0) -> None:
    """The centre's template planned from 40 days ago, two interviews, and actions."""
    from service.features.record import service as record
    from service.features.synthesis import service as synthesis
    from service.models import Bilan

    with person.server.session() as s:
        bilan = s.get(Bilan, person.bilan)
        record.plan_bilan(s, bilan, dt.date.today() - dt.timedelta(days=40))
        steps = record.bilan_steps(s, bilan)
        for k in range(2):
            held = dt.datetime.now(dt.UTC) - dt.timedelta(days=40 - 15 * k)
            values = record.InterviewValues(held, 120, "presentiel", "Analyse", steps[k].id)
            record.add_interview(s, bilan, values)
        for k in range(actions):
            synthesis.add_action(
                s,
                bilan,
                text=f"Contacter trois organismes de formation au métier n° {k + 1}",
                owner="bénéficiaire et conseillère",
                due_on=dt.date.today() + dt.timedelta(days=30),
            )


def press(page: Any, locator: Any, key: str = "Enter") -> None:
    """Focus ``locator`` and press ``key`` (what a keyboard user does after tabbing to it)."""
    locator.focus()
    expect(locator).to_be_focused()
    page.keyboard.press(key)


def test_dashboard_notice_search_and_filters_with_the_keyboard(new_page, make_person, axe):
    person = make_person("valeurs-travail", "riasec-60")
    complete_now(person, "valeurs-travail")
    page = new_page(**DESKTOP)
    sign_in(page, person.counsellor_email)
    notice = page.get_by_role("region", name=re.compile("^Nouveau : 1 questionnaire terminé"))
    expect(notice).to_contain_text("Camille Martin a terminé « Valeurs au travail »")
    axe(page, "dashboard with a notice")

    search = page.get_by_label("Nom de la personne")
    search.focus()
    page.keyboard.type("martin camille")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=martin+camille" in page.url
    expect(page.get_by_text("1 bilan sur 1 correspond à la recherche.")).to_be_visible()
    page.get_by_label("Phase").select_option(label="Phase de conclusions")
    with page.expect_navigation():
        press(page, page.get_by_role("button", name="Filtrer"))
    expect(page.get_by_text("Aucun bilan ne correspond à ces filtres.")).to_be_visible()
    page.goto("/conseil/?phase=inconnue")
    expect(page.get_by_text("Filtre « Phase » ignoré")).to_be_visible()
    axe(page, "dashboard, a filter ignored")
    page.goto("/conseil/")

    with page.expect_navigation():
        press(page, notice.get_by_role("button", name=re.compile("^Marquer comme vu")))
    expect(page.get_by_text("La nouveauté est marquée comme vue.")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("^Nouveau"))).to_have_count(0)

    complete_now(person, "riasec-60")
    phone = new_page(**PHONE)
    sign_in(phone, person.counsellor_email)
    expect(phone.get_by_role("region", name=re.compile("^Nouveau : 1"))).to_be_visible()
    assert_fits_phone(phone, "dashboard")
    row = phone.get_by_role("table").get_by_role("row").filter(has_text="Camille Martin")
    box = row.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 376, box
    axe(phone, "dashboard at 375 px")
    with phone.expect_navigation():
        press(phone, phone.get_by_role("link", name=re.compile("^Voir le profil")))
    phone.goto("/conseil/")
    expect(phone.get_by_role("region", name=re.compile("^Nouveau"))).to_have_count(0)


def test_record_page_table_of_contents_and_folds_with_the_keyboard(new_page, make_person, axe):
    person = make_person("valeurs-travail")
    plan_record(person)
    page = new_page(**DESKTOP)
    sign_in(page, person.counsellor_email)
    page.goto(f"/conseil/bilans/{person.bilan}/dossier")
    folds = page.locator("details.fold")
    expect(folds).to_have_count(6)
    assert folds.evaluate_all("ds => ds.filter(d => d.open).length") == 0
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2000, height  # it was about 7,800 px with everything shown
    expect(page.get_by_role("heading", name="Entretiens", exact=True)).to_be_visible()
    expect(page.get_by_text("2 entretiens enregistrés").first).to_be_visible()
    axe(page, "record page, folded")

    interviews = page.locator("details.fold").filter(
        has=page.get_by_role("heading", name="Entretiens", exact=True)
    )
    press(page, interviews.locator("summary"))
    expect(interviews).to_have_attribute("open", "")
    expect(page.get_by_role("table", name="Entretiens enregistrés")).to_be_visible()
    page.keyboard.press("Enter")
    expect(interviews).not_to_have_attribute("open", "")

    toc = page.get_by_role("navigation", name="Parties du dossier")
    press(page, toc.get_by_role("link", name="Travail personnel"))
    expect(page.get_by_label("Type de travail")).to_be_visible()
    press(page, toc.get_by_role("button", name="Tout déplier"))
    assert folds.evaluate_all("ds => ds.filter(d => d.open).length") == 6
    axe(page, "record page, unfolded")
    page.reload()  # the parts opened stay open (after a save, the page comes back)
    assert folds.evaluate_all("ds => ds.filter(d => d.open).length") == 6
    press(page, toc.get_by_role("button", name="Tout replier"))
    assert folds.evaluate_all("ds => ds.filter(d => d.open).length") == 0

    phone = new_page(**PHONE)
    sign_in(phone, person.counsellor_email)
    phone.goto(f"/conseil/bilans/{person.bilan}/dossier#entretiens")
    expect(phone.get_by_role("table", name="Entretiens enregistrés")).to_be_visible()
    assert_fits_phone(phone, "record page")
    axe(phone, "record page at 375 px")


def test_action_plan_reads_on_a_phone(new_page, make_person, axe):
    person = make_person("valeurs-travail")
    plan_record(person, actions=3)
    phone = new_page(**PHONE)
    sign_in(phone, person.counsellor_email)
    phone.goto(f"/conseil/bilans/{person.bilan}/plan-action")
    table = phone.get_by_role("table", name="Actions du plan, dans l’ordre")
    rows = table.locator("tbody").get_by_role("row")
    expect(rows).to_have_count(3)
    assert_fits_phone(phone, "action plan")
    for cell in table.locator("tbody").get_by_role("cell").all():  # nothing cut at the edge
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 376, box
    due = rows.first.get_by_role("cell").nth(2)
    expect(due).to_have_attribute("data-label", "Échéance :")
    label = due.evaluate("c => getComputedStyle(c, '::before').content")
    assert "Échéance" in label, label  # each cell says which column it is
    caption = table.locator("caption").bounding_box()
    assert caption is not None and caption["height"] < 60, caption  # not a word per line
    axe(phone, "action plan at 375 px")


def test_account_page_mail_preference_with_the_keyboard(new_page, make_person, axe):
    person = make_person("valeurs-travail")
    page = new_page(**DESKTOP)
    sign_in(page, person.counsellor_email)
    with page.expect_navigation():
        press(page, page.get_by_role("link", name="Mon compte"))
    box = page.get_by_label(re.compile("^M’envoyer un e-mail"))
    expect(box).not_to_be_checked()
    axe(page, "account page")
    press(page, box, "Space")
    expect(box).to_be_checked()
    with page.expect_navigation():
        press(page, page.get_by_role("button", name="Enregistrer"))
    expect(
        page.get_by_text("Vous recevrez un e-mail à chaque questionnaire terminé.")
    ).to_be_visible()
    expect(page.get_by_label(re.compile("^M’envoyer un e-mail"))).to_be_checked()
    phone = new_page(**PHONE)
    sign_in(phone, person.counsellor_email)
    phone.goto("/mon-compte")
    assert_fits_phone(phone, "account page")
    axe(phone, "account page at 375 px")


def test_admin_activity_page(new_page, live_server, make_person, axe):
    from service.models import StaffUser

    person = make_person("valeurs-travail")
    complete_now(person, "valeurs-travail")
    plan_record(person)
    email = create_counsellor(live_server, "Admin Centre", role="admin")
    with live_server.session() as s:  # the admin of the person's centre
        counsellor = s.get(StaffUser, person.counsellor)
        admin = s.query(StaffUser).filter_by(email=email).one()
        admin.centre_id = counsellor.centre_id
    for screen in (DESKTOP, PHONE):
        page = new_page(**screen)
        sign_in(page, email)
        with page.expect_navigation():
            press(page, page.get_by_role("link", name="Activité du centre"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Activité du centre")
        expect(page.get_by_text("1 bilan au total, dont 1 en cours.")).to_be_visible()
        rates = page.get_by_role("table", name=re.compile("^Questionnaires du bilan assignés"))
        expect(rates.get_by_role("row").filter(has_text="Valeurs au travail")).to_contain_text(
            "100\u00a0%"
        )
        hours = page.get_by_role("table", name="Heures réalisées par mois")
        expect(hours.locator("tfoot")).to_contain_text("4\u00a0h")
        if screen is PHONE:
            assert_fits_phone(page, "activity page")
        axe(page, f"activity page at {screen['viewport']['width']} px")
    refused = new_page(**DESKTOP)
    sign_in(refused, person.counsellor_email)
    response = refused.goto("/admin/activite")
    assert response is not None and response.status == 403
