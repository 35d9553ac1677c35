"""Issue 6 acceptance test: a whole bilan de compétences, with real clicks and typing.

A counsellor signs in and creates a bilan that began three months ago -> its record
("Dossier"): funding, convention (date, signatories, signed), personalised objectives,
planned end (today), the preliminary interview (2 h, présentiel) -> the hours table counts
2 h of interviews; the .ics calendar (eight events) -> status "investigation" -> the three
questionnaires of the "Capital personnel" step assigned from the record page. The
beneficiary, in another browser context, opens the invitation link, consents and answers
them through the real pages (a minute and a half per page on the page's clock, without
waiting for it). Restitution: the counsellor opens the three profiles, releases the report,
logs the restitution interview and some field work -> the questionnaires' measured time is
counted as personal work of the investigation phase -> status "conclusions". Synthesis:
three sections drafted, three results proposed (RIASEC summary and hexagon, values table),
version shared; the beneficiary accepts the two RIASEC results, refuses the values table,
writes an observation and approves -> the counsellor's page, still open, is refused its
next save (409, locked). Action plan: two actions (owner, due date, state), the follow-up
date six months after the end. Documents: DOCX (python-docx), PDF (pypdf, A4) and JSON,
their text checked (section headings, observation, accepted results in, refused one out,
action plan rows, follow-up date, "Page 2 sur"). End of the bilan: status "Terminé", the
satisfaction questionnaire assigned (end page, bilan page, the person's home); the
attestation of attendance holds hours but no content of the bilan.

axe-core (WCAG 2.1 A/AA), plus unique ids and labels tied to their fields, on every page
this test is the first to visit (record, synthesis, results to propose, the person's
synthesis page before and after approval, action plan, document preview, end of bilan,
attestation); on a 375-pixel phone these pages do not scroll sideways and no table cuts
its words letter by letter (a wide one scrolls inside its own box). About 40 s alone.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from pypdf import PdfReader

from reports.dates import day_text

from .conftest import create_counsellor, expect, open_invitation, page_width
from .test_counsellor_journey import (
    A4,
    INSTRUMENTS,
    NAMES,
    PHONE,
    assert_fits_phone,
    click_and_wait,
    complete_questionnaire,
    download,
    shot,
    sign_in_counsellor,
)

PARIS = ZoneInfo("Europe/Paris")
FIRST, LAST = "Maëlle", "Le Goff-Nguyen"
FULL_NAME = f"{FIRST} {LAST}"
RIASEC = INSTRUMENTS["riasec-60"][0]
VALUES = INSTRUMENTS["valeurs-travail"][0]
PRELIMINARY = "1. Attentes — analyse de la demande et des attentes, définition des objectifs"
QUESTIONNAIRES_STEP = "Capital personnel — valeurs, réussites, restitution des questionnaires"
SKILLS_STEP = "4. Capital professionnel — compétences, aspirations"
FUNDING = "CPF (compte personnel de formation)"
SIGNATORIES = f"{FULL_NAME}, bénéficiaire\nCentre de bilan, représenté par sa directrice"
OBJECTIVES = "Vérifier la faisabilité d’une reconversion vers l’accompagnement des adultes."
PRELIMINARY_TOPIC = "Analyse de la demande, objectifs du bilan, convention et calendrier."
RESTITUTION_TOPIC = "Restitution des trois questionnaires (personnalité, intérêts, valeurs)."
FIELD_WORK = "Entretien avec une conseillère en insertion de la mission locale."
READING = 90  # seconds the person spends on each questionnaire page (page clock)
SECTIONS = {  # label of the field (= heading of the document) -> text typed
    "1. Les circonstances du bilan": (
        "Maëlle souhaite quitter la logistique pour un métier de relation d’aide.\n\n"
        "Le bilan a été financé par son compte personnel de formation."
    ),
    "2. Les compétences et aptitudes au regard des perspectives d’évolution envisagées": (
        "Organisation rigoureuse, sens du contact, goût pour la transmission."
    ),
    "3. Le projet professionnel, les principales étapes prévues pour sa réalisation"
    " et le plan d’action": (
        "Devenir conseillère en insertion professionnelle après une formation qualifiante."
    ),
}
OBSERVATION = "Je souhaite ajouter mon expérience bénévole auprès des jeunes du quartier."
ACTIONS = [  # action, owner (None: the default, kept), due in days, state
    ("Enquête métier auprès de trois conseillers en insertion", None, 30, "En cours"),
    (
        "Inscription à la formation de conseiller en insertion",
        "bénéficiaire et OPCO",
        90,
        "À faire",
    ),
]
HEXAGON = "Hexagone RIASEC"
VALUES_CHART = "Échelles et niveaux"  # the values: one ranked table, no chart (issue 11)


# --- helpers --------------------------------------------------------------------------------


def squash(text: str) -> str:
    """Letters and digits only, lower case: compares texts across typography (no-break
    spaces, apostrophes), line breaks and hyphenation of the PDF."""
    return re.sub(r"[\W_]+", "", text).casefold()


def long_date(day: dt.date) -> str:
    """A day as the pages and documents write it ("1er mars 2026", "2 mars 2026")."""
    return day_text(day, "fr")


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamped to the end of a shorter month (as the service does)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fmt_minutes(minutes: int) -> str:
    """``3 h 30``, ``45 min``, ``2 h`` (what the record page prints, spaces normalised)."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest:02d}"
    return f"{rest} min" if rest else f"{hours} h"


def cells(row: Any) -> list[str]:
    """The data cells of a table row, whitespace normalised (no-break spaces included)."""
    return [re.sub(r"\s+", " ", c).strip() for c in row.get_by_role("cell").all_inner_texts()]


def questionnaire_minutes(server: Any, bilan_id: int) -> tuple[int, int]:
    """(pages measured, minutes) of the bilan's questionnaires, as the record counts them:
    the seconds measured on their pages, rounded to the minute per questionnaire."""
    from sqlalchemy import func, select

    from service.models import Assignment, PageTiming

    with server.session() as s:
        rows = s.execute(
            select(PageTiming.assignment_id, func.count(), func.sum(PageTiming.seconds))
            .join(Assignment, Assignment.id == PageTiming.assignment_id)
            .where(Assignment.bilan_id == bilan_id)
            .group_by(PageTiming.assignment_id)
        ).all()
    return sum(n for _a, n, _s in rows), sum(int(total / 60 + 0.5) for _a, _n, total in rows)


_IDS_AND_LABELS = """() => {
  const count = {}, problems = [];
  // hidden CSRF fields all have the id "csrf_token": harmless, nothing points at them
  for (const e of document.querySelectorAll('[id]:not([type=hidden])'))
    count[e.id] = (count[e.id] || 0) + 1;
  for (const [id, n] of Object.entries(count)) if (n > 1) problems.push(`id "${id}" ${n} times`);
  for (const l of document.querySelectorAll('label'))
    if (!l.control) problems.push(`label "${l.textContent.trim().slice(0, 60)}" names no field`);
  return problems;
}"""


def checked(axe: Any) -> Any:
    """``axe`` plus what axe-core 4.x no longer checks: each id once, each label tied to a
    field (a duplicate id once made a label name a heading instead of its field)."""

    def check(page: Any, label: str) -> None:
        axe(page, label)
        problems = page.evaluate(_IDS_AND_LABELS)
        assert not problems, f"{label} ({page.url}): " + "; ".join(problems)

    return check


# Whole words set on each cell through the CSSOM (element.style), which the site's
# Content-Security-Policy allows, unlike an added <style> element.
_CUT_TABLES = """(limit) => {
  const cells = Array.from(document.querySelectorAll('th, td, caption'));
  const rules = {'overflow-wrap': 'normal', 'word-break': 'normal', 'hyphens': 'manual'};
  cells.forEach(c => Object.entries(rules)
    .forEach(([k, v]) => c.style.setProperty(k, v, 'important')));
  const cut = Array.from(document.querySelectorAll('table'))
    .filter(t => !t.closest('.table-scroll') && t.getBoundingClientRect().right > limit + 1)
    .map(t => (t.caption ? t.caption.textContent.trim() : t.outerHTML.slice(0, 80)));
  cells.forEach(c => Object.keys(rules).forEach(k => c.style.removeProperty(k)));
  return cut;
}"""


def fits_phone(page: Any, what: str) -> None:
    """No sideways scrolling, and no table whose words are cut letter by letter to fit:
    a table too wide for whole words must scroll inside its own box (``.table-scroll``)."""
    assert_fits_phone(page, what)
    cut = page.evaluate(_CUT_TABLES, page_width(page)[1])
    assert not cut, f"{what} ({page.url}): tables cut letter by letter at 375 px: {cut}"


def form_with(page: Any, button: str) -> Any:
    """The form holding the button named ``button`` (fields of several forms share labels)."""
    return page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))


def unfold(page: Any, title: str) -> None:
    """Open the part of the record page titled ``title`` (a <details>), as a user would:
    the parts are folded until opened (issue 11)."""
    summary = page.locator("details.fold > summary").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )
    if not summary.locator("xpath=..").evaluate("d => d.open"):
        summary.click()
    expect(summary.locator("xpath=..")).to_have_attribute("open", "")


def hours_row(page: Any, header: str | re.Pattern[str]) -> list[str]:
    unfold(page, "Heures : prévu et réalisé")
    table = page.get_by_role("table", name="Heures prévues et réalisées par phase")
    return cells(table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=header)))


# --- the test -------------------------------------------------------------------------------


def test_full_bilan(new_page: Any, live_server: Any, axe: Any) -> None:
    axe = checked(axe)
    email = create_counsellor(live_server, name="Sophie Marchand")
    today = dt.datetime.now(PARIS).date()
    start = today - dt.timedelta(days=91)  # the bilan began three months ago
    followup = add_months(today, 6)  # six months after the end (today)

    # --- 1. new bilan, its record: convention, objectives, preliminary interview ----------
    page = new_page()
    sign_in_counsellor(page, email)
    click_and_wait(page, page.get_by_role("link", name="Nouveau bilan"))
    page.get_by_label("Prénom").fill(FIRST)
    page.get_by_label("Nom", exact=True).fill(LAST)
    page.get_by_label(re.compile("^Adresse e-mail")).fill(email.replace("conseil", "maelle"))
    page.get_by_label("Début du bilan").fill(start.isoformat())
    click_and_wait(page, page.get_by_role("button", name="Créer le bilan"))
    expect(page.get_by_role("heading", level=1)).to_have_text(FULL_NAME)
    invitation = page.get_by_label(re.compile("^Lien d’invitation personnel")).input_value()
    record_link = page.get_by_role("link", name="Dossier : phases, heures, calendrier")
    found = re.fullmatch(r"/conseil/bilans/(\d+)/dossier", record_link.get_attribute("href") or "")
    assert found, record_link.get_attribute("href")  # the page was rendered at /nouveau
    bilan_id = int(found.group(1))
    bilan_url = f"/conseil/bilans/{bilan_id}"

    click_and_wait(page, record_link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dossier du bilan de {FULL_NAME}")
    for part in ("Statut du bilan", "Étapes, heures prévues et calendrier"):
        unfold(page, part)
    expect(page.get_by_text("Statut actuel : Phase préliminaire.")).to_be_visible()
    plan = page.get_by_role("table", name=re.compile("^Plan du bilan"))
    expect(plan.locator("tbody tr")).to_have_count(8)  # the centre's default template
    first_step = plan.get_by_role("row").filter(has=page.get_by_role("rowheader", name=PRELIMINARY))
    expect(first_step).to_contain_text(long_date(start))
    expect(plan.locator("tfoot")).to_contain_text(re.compile(r"24\s*h sur 24\s*h"))
    record_url = page.url
    axe(page, "record page of a new bilan")

    unfold(page, "Convention, financement et objectifs")
    record = form_with(page, "Enregistrer le dossier")
    record.get_by_label("Financement", exact=True).fill(FUNDING)
    record.get_by_label("Date de la convention").fill((start - dt.timedelta(days=7)).isoformat())
    record.get_by_label("Signataires de la convention").fill(SIGNATORIES)
    record.get_by_label("Convention signée par toutes les parties").check()
    record.get_by_label("Fin prévue").fill(today.isoformat())
    record.get_by_label(re.compile("^Objectifs personnalisés du bilan")).fill(OBJECTIVES)
    click_and_wait(page, record.get_by_role("button", name="Enregistrer le dossier"))
    expect(page.get_by_text("Dossier du bilan enregistré.")).to_be_visible()
    record = form_with(page, "Enregistrer le dossier")
    expect(record.get_by_label("Financement", exact=True)).to_have_value(FUNDING)
    expect(record.get_by_label("Convention signée par toutes les parties")).to_be_checked()
    expect(record.get_by_label(re.compile("^Objectifs personnalisés"))).to_have_value(OBJECTIVES)

    unfold(page, "Entretiens")
    interview = form_with(page, "Enregistrer l’entretien")
    interview.get_by_label("Date et heure de l’entretien").fill(f"{start.isoformat()}T09:30")
    interview.get_by_label("Durée (minutes)").fill("120")
    interview.get_by_label("Mode").select_option(label="Présentiel")
    interview.get_by_label("Étape du bilan").select_option(label=PRELIMINARY)
    interview.get_by_label("Thème de l’entretien").fill(PRELIMINARY_TOPIC)
    click_and_wait(page, interview.get_by_role("button", name="Enregistrer l’entretien"))
    expect(page.get_by_text("Entretien enregistré.")).to_be_visible()
    logged = page.get_by_role("table", name="Entretiens enregistrés").locator("tbody tr")
    expect(logged).to_have_count(1)
    assert cells(logged)[:4] == ["2 h", "Présentiel", PRELIMINARY[3:], PRELIMINARY_TOPIC]
    assert hours_row(page, "Phase préliminaire") == ["2 h", "0 h", "2 h", "0 h", "0 h", "2 h"]
    unfold(page, "Heures : prévu et réalisé")
    expect(page.get_by_text(re.compile(r"^Réalisé : 2\s*h sur 24\s*h"))).to_be_visible()
    axe(page, "record page, convention and preliminary interview")

    unfold(page, "Étapes, heures prévues et calendrier")
    ics = download(
        page, page.get_by_role("link", name="Télécharger le calendrier des entretiens (.ics)")
    ).decode("utf-8")
    assert ics.startswith("BEGIN:VCALENDAR\r\n"), ics[:80]
    assert ics.count("BEGIN:VEVENT") == 8, ics  # seven interviews and the follow-up

    unfold(page, "Statut du bilan")
    click_and_wait(page, page.get_by_role("button", name=re.compile("^Passer en « Phase d’inv")))
    expect(page.get_by_text("Statut actuel : Phase d’investigation.")).to_be_visible()

    # --- 2. the step's questionnaires, assigned from the record, answered by the person -----
    unfold(page, "Étapes, heures prévues et calendrier")
    click_and_wait(
        page,
        page.get_by_role("button", name=f"Assigner les questionnaires — {QUESTIONNAIRES_STEP}"),
    )
    expect(page.get_by_text(re.compile("^Assignés : "))).to_contain_text(RIASEC)
    step = plan.get_by_role("row").filter(has_text=QUESTIONNAIRES_STEP)
    expect(step.get_by_role("listitem")).to_have_text(
        [f"{name} : Non commencé" for name, _ in INSTRUMENTS.values()]
    )

    person = new_page()
    person.clock.install()  # the person's reading time, without waiting for it
    open_invitation(person, invitation)
    expect(person).to_have_url(re.compile(r"/compte/revenir$"))  # first: how to come back
    click_and_wait(person, person.get_by_role("button", name="Recevoir des liens par e-mail"))
    expect(person).to_have_url(re.compile(r"/espace/$"))
    click_and_wait(person, person.get_by_role("link", name="Lire les informations et décider"))
    click_and_wait(
        person, person.get_by_role("button", name="J’accepte que mes réponses soient recueillies")
    )
    for seed, (name, total) in enumerate(INSTRUMENTS.values()):
        complete_questionnaire(
            person, name, total, seed, on_page=lambda p: p.clock.fast_forward(READING * 1000)
        )
        expect(person.get_by_role("link", name="Voir mes résultats")).to_have_count(0)
        click_and_wait(person, person.get_by_role("link", name="Retour à mon espace"))

    # --- 3. restitution: profiles, report released, interview, hours ----------------------
    page.goto(bilan_url)
    expect(page.get_by_text(re.compile("^Terminé le "))).to_have_count(3)
    for name, _ in INSTRUMENTS.values():
        click_and_wait(page, page.get_by_role("link", name=f"Voir le profil — {name}"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        expect(page.locator("p.summary")).to_contain_text("En bref :")
        click_and_wait(page, page.get_by_role("link", name=f"← Bilan de {FULL_NAME}"))
    click_and_wait(
        page, page.get_by_role("button", name="Mettre le rapport à disposition de la personne")
    )
    expect(
        page.get_by_text("Le rapport est disponible pour la personne dans son espace.")
    ).to_be_visible()

    page.goto(record_url)
    now = dt.datetime.now(PARIS)
    unfold(page, "Entretiens")
    interview = form_with(page, "Enregistrer l’entretien")
    interview.get_by_label("Date et heure de l’entretien").fill(now.strftime("%Y-%m-%dT%H:%M"))
    interview.get_by_label("Durée (minutes)").fill("90")
    interview.get_by_label("Mode").select_option(label="Distanciel")
    interview.get_by_label("Étape du bilan").select_option(label=f"3. {QUESTIONNAIRES_STEP}")
    interview.get_by_label("Thème de l’entretien").fill(RESTITUTION_TOPIC)
    click_and_wait(page, interview.get_by_role("button", name="Enregistrer l’entretien"))
    expect(
        page.get_by_role("table", name="Entretiens enregistrés").locator("tbody tr")
    ).to_have_count(2)

    unfold(page, "Travail personnel")
    work = form_with(page, "Enregistrer le travail personnel")
    work.get_by_label("Date", exact=True).fill(today.isoformat())
    work.get_by_label("Durée (minutes)").fill("60")
    work.get_by_label("Type de travail").select_option(label="Enquêtes de terrain")
    work.get_by_label("Étape du bilan").select_option(label=SKILLS_STEP)
    work.get_by_label("Description").fill(FIELD_WORK)
    click_and_wait(page, work.get_by_role("button", name="Enregistrer le travail personnel"))
    expect(page.get_by_text("Travail personnel enregistré.")).to_be_visible()

    pages, tests = questionnaire_minutes(live_server, bilan_id)
    assert pages >= 10 and tests >= pages * READING // 60, (pages, tests)  # the clock ran
    unfold(page, "Étapes, heures prévues et calendrier")
    step = page.get_by_role("table", name=re.compile("^Plan du bilan")).get_by_role("row")
    expect(step.filter(has_text=QUESTIONNAIRES_STEP).get_by_role("listitem")).to_have_text(
        [f"{name} : Terminé" for name, _ in INSTRUMENTS.values()]
    )
    personal = 60 + tests
    assert hours_row(page, "Phase d’investigation") == [
        "8 h", "6 h", "1 h 30", fmt_minutes(personal), fmt_minutes(tests),
        fmt_minutes(90 + personal),
    ]  # fmt: skip
    assert hours_row(page, re.compile(r"^Bilan \(plafond")) == [
        "14 h", "10 h", "3 h 30", fmt_minutes(personal), fmt_minutes(tests),
        fmt_minutes(210 + personal),
    ]  # fmt: skip
    axe(page, "record page, questionnaires done, hours counted")
    unfold(page, "Statut du bilan")
    click_and_wait(page, page.get_by_role("button", name=re.compile("^Passer en « Phase de con")))
    expect(page.get_by_text("Statut actuel : Phase de conclusions.")).to_be_visible()

    # --- 4. synthesis: drafted, results proposed, shared ------------------------------------
    page.goto(bilan_url)
    click_and_wait(page, page.get_by_role("link", name="Document de synthèse"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Document de synthèse")
    expect(page.get_by_text("Aucune version n’est encore rédigée.")).to_be_visible()
    axe(page, "synthesis page, nothing written")
    for label, text in SECTIONS.items():
        page.get_by_label(label).fill(text)
    click_and_wait(page, page.get_by_role("button", name="Enregistrer", exact=True))
    expect(page.get_by_text("Version 1 enregistrée (brouillon non partagé).")).to_be_visible()

    click_and_wait(page, page.get_by_role("link", name="Résultats à proposer pour la synthèse"))
    # The questionnaires' results, then the portfolio's (its own group, issue 13).
    expect(page.get_by_role("heading", level=2)).to_have_text(
        [*NAMES, "Portefeuille de compétences et analyse des écarts"]
    )
    axe(page, "results to propose for the synthesis")
    for title, questionnaire in [("En bref", RIASEC), (HEXAGON, RIASEC), (VALUES_CHART, VALUES)]:
        click_and_wait(
            page,
            page.get_by_role(
                "button", name=f"Proposer pour la synthèse : {title} ({questionnaire})"
            ),
        )
        expect(page.get_by_text(re.compile("^Élément proposé"))).to_be_visible()
    expect(page.get_by_text(re.compile("en attente de la décision de la personne"))).to_have_count(
        3
    )
    click_and_wait(page, page.get_by_role("link", name=f"← Document de synthèse de {FULL_NAME}"))
    click_and_wait(page, page.get_by_role("button", name="Partager avec la personne"))
    expect(page.get_by_text(re.compile("^La version 1 est partagée"))).to_be_visible()
    proposed = page.get_by_role("table", name="Résultats proposés et décision de la personne")
    expect(proposed.locator("tbody tr")).to_have_count(3)
    axe(page, "synthesis page, version shared, results proposed")
    synthesis_url = page.url

    # --- the person reads, decides, observes, approves -------------------------------------
    person.goto("/espace/")
    click_and_wait(
        person,
        person.get_by_role("link", name="Lire mon document de synthèse et mon plan d’action"),
    )
    expect(person.get_by_role("heading", level=1)).to_have_text("Mon document de synthèse")
    for title in SECTIONS:
        expect(person.get_by_role("heading", name=title)).to_be_visible()
    summary = person.locator(".scale").filter(
        has=person.get_by_role("heading", name="En bref", exact=True)
    )
    riasec_summary = summary.locator("p.summary").inner_text()
    assert len(riasec_summary) > 40, riasec_summary
    axe(person, "the person's synthesis page, results to decide")
    person_synthesis = person.url
    for verb, title, questionnaire in [
        ("Accepter", "En bref", RIASEC),
        ("Accepter", HEXAGON, RIASEC),
        ("Refuser", VALUES_CHART, VALUES),
    ]:
        click_and_wait(
            person, person.get_by_role("button", name=f"{verb} : {title} ({questionnaire})")
        )
    expect(person.get_by_text("Vous avez accepté ce résultat", exact=False)).to_have_count(2)
    expect(person.get_by_text("Vous avez refusé ce résultat", exact=False)).to_have_count(1)
    person.get_by_label("Mes observations sur ce document (facultatif)").fill(OBSERVATION)
    click_and_wait(person, person.get_by_role("button", name="Enregistrer mes observations"))
    expect(person.get_by_text(re.compile("^Vos observations sont enregistrées"))).to_be_visible()
    person.get_by_label(re.compile("^J’ai lu ce document et je l’approuve")).check()
    click_and_wait(person, person.get_by_role("button", name="J’approuve mon document de synthèse"))
    expect(
        person.get_by_text("Vous avez approuvé votre document de synthèse. Merci.")
    ).to_be_visible()
    expect(
        person.get_by_text(f"Vous avez approuvé ce document le {long_date(today)}.")
    ).to_be_visible()
    expect(person.get_by_role("button", name=re.compile("^(Accepter|Refuser) :"))).to_have_count(0)
    expect(person.get_by_text(OBSERVATION)).to_be_visible()
    axe(person, "the person's synthesis page, approved")

    # --- the counsellor, whose page was open: locked, an edit refused -------------------------
    first_section = next(iter(SECTIONS))
    page.get_by_label(first_section).fill(SECTIONS[first_section] + "\n\nUn ajout.")
    with page.expect_navigation() as refused:
        page.get_by_role("button", name="Enregistrer", exact=True).click()
    assert refused.value is not None and refused.value.status == 409, refused.value
    expect(page.locator("#error-summary")).to_contain_text("le document est verrouillé")
    expect(
        page.get_by_text(re.compile(r"^La personne a approuvé la version 1 le "))
    ).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer", exact=True)).to_have_count(0)
    versions = page.get_by_role("table", name=re.compile("^Versions du document de synthèse"))
    expect(versions.locator("tbody tr")).to_have_count(1)
    expect(versions).to_contain_text(f"Approuvée le {long_date(today)}")
    expect(versions).to_contain_text(OBSERVATION)
    expect(proposed).to_contain_text(re.compile("Accepté.*Accepté.*Refusé", re.S))
    axe(page, "synthesis page, approved and locked")

    # --- 5. action plan and follow-up date ---------------------------------------------------
    click_and_wait(page, page.get_by_role("link", name="Plan d’action"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan d’action")
    expect(
        page.get_by_text(re.compile(f"^Proposée par défaut : {long_date(followup)}"))
    ).to_be_visible()
    axe(page, "action plan, empty")
    for text, owner, days, state in ACTIONS:
        add = form_with(page, "Ajouter au plan")
        add.get_by_label("Action", exact=True).fill(text)
        expect(add.get_by_label("Responsable")).to_have_value("bénéficiaire")
        if owner:
            add.get_by_label("Responsable").fill(owner)
        add.get_by_label("Échéance (facultative)").fill(
            (today + dt.timedelta(days=days)).isoformat()
        )
        add.get_by_label("État").select_option(label=state)
        click_and_wait(page, add.get_by_role("button", name="Ajouter au plan"))
        expect(page.get_by_text("Action ajoutée au plan.")).to_be_visible()
    rows = page.get_by_role("table", name="Actions du plan, dans l’ordre").locator("tbody tr")
    expect(rows).to_have_count(2)
    for row, (text, owner, days, state) in zip(rows.all(), ACTIONS, strict=True):
        expect(row.get_by_role("rowheader")).to_have_text(text)
        assert cells(row)[1:4] == [
            owner or "bénéficiaire",
            long_date(today + dt.timedelta(days=days)),
            state,
        ], cells(row)
    expect(page.get_by_text(f"Suivi prévu le {long_date(followup)}.")).to_be_visible()
    expect(page.get_by_label(re.compile("^Date de suivi du bilan"))).to_have_value(
        followup.isoformat()
    )
    axe(page, "action plan, two actions")

    # --- 6. the documents: preview, DOCX, PDF, JSON -------------------------------------------
    page.goto(synthesis_url)
    click_and_wait(page, page.get_by_role("link", name="Aperçu du document"))
    expect(page.get_by_role("heading", name=HEXAGON)).to_be_visible()
    axe(page, "synthesis document preview")
    page.go_back()

    docx = Document(
        io.BytesIO(download(page, page.get_by_role("link", name="Télécharger (DOCX, modifiable)")))
    )
    headings = {
        level: [p.text for p in docx.paragraphs if p.style.name == f"Heading {level}"]
        for level in (1, 2, 3)
    }
    assert headings[1][:3] == list(SECTIONS), headings
    assert headings[2][0] == RIASEC and headings[3][:2] == ["En bref", HEXAGON], headings
    body = "\n".join(p.text for p in docx.paragraphs)
    tables = ["\n".join(c.text for r in t.rows for c in r.cells) for t in docx.tables]
    everything = squash(body + "\n".join(tables))
    for text in [*SECTIONS.values(), OBSERVATION, riasec_summary]:
        assert all(squash(p) in everything for p in text.split("\n\n")), text
    for absent in (VALUES_CHART, VALUES):
        assert squash(absent) not in everything, f"{absent!r} (refused) is in the DOCX"
    plan_table = next(t for t in docx.tables if t.rows[0].cells[0].text == "Action")
    assert [[c.text for c in r.cells] for r in plan_table.rows[1:]] == [
        [text, owner or "bénéficiaire", long_date(today + dt.timedelta(days=days)), state]
        for text, owner, days, state in ACTIONS
    ]
    assert f"Date prévue pour le suivi du bilan : {long_date(followup)}." in body.replace(
        "\u00a0", " "
    )

    pdf_bytes = download(page, page.get_by_role("link", name="Télécharger (PDF)"))
    pdf = PdfReader(io.BytesIO(pdf_bytes))
    for number, pdf_page in enumerate(pdf.pages, 1):
        size = (float(pdf_page.mediabox.width), float(pdf_page.mediabox.height))
        assert abs(size[0] - A4[0]) <= 1 and abs(size[1] - A4[1]) <= 1, (number, size)
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Page 2 sur" in re.sub(r"\s+", " ", text)
    flat = squash(text)
    for expected in [*SECTIONS, *SECTIONS.values(), OBSERVATION, riasec_summary, HEXAGON,
                     *(a[0] for a in ACTIONS), FULL_NAME]:  # fmt: skip
        assert all(squash(p) in flat for p in expected.split("\n\n")), f"{expected!r} not in PDF"
    for absent in (VALUES_CHART, VALUES):
        assert squash(absent) not in flat, f"{absent!r} (refused) is in the PDF"

    data = json.loads(download(page, page.get_by_role("link", name="Exporter (JSON)")))
    assert data["format"] == "boussole.synthesis" and data["version"]["status"] == "approved"
    assert [g["questionnaire"] for g in data["results"]] == [RIASEC]
    assert [e["element"] for e in data["results"][0]["elements"]] == [
        "summary",
        "chart:riasec_hexagon",
    ]
    assert data["action_plan"]["followup_date"] == followup.isoformat()
    assert [
        (a["action"], a["owner"], a["due_date"], a["status_label"])
        for a in data["action_plan"]["actions"]
    ] == [
        (text, owner or "bénéficiaire", (today + dt.timedelta(days=days)).isoformat(), state)
        for text, owner, days, state in ACTIONS
    ]
    assert data["observations"] == OBSERVATION

    # --- 7. end of the bilan: satisfaction questionnaire, attestation -------------------------
    page.goto(bilan_url)
    click_and_wait(page, page.get_by_role("link", name="Terminer le bilan"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fin du bilan et suivi à 6 mois")
    expect(page.get_by_label(re.compile("^Date de fin du bilan"))).to_have_value(today.isoformat())
    axe(page, "end of the bilan, before")
    end_url = page.url
    click_and_wait(page, page.get_by_role("button", name="Terminer le bilan"))
    expect(
        page.get_by_text(f"Le bilan est terminé. Suivi à 6 mois prévu le {long_date(followup)}.")
    ).to_be_visible()
    expect(
        page.get_by_text("Le questionnaire de satisfaction de fin de bilan est assigné.")
    ).to_be_visible()
    expect(page.get_by_text(f"Bilan terminé le {long_date(today)}.")).to_be_visible()
    end_table = page.get_by_role("table", name="Questionnaire de fin de bilan")
    expect(end_table.locator("tbody tr")).to_have_count(1)
    expect(end_table.locator("tbody tr")).to_contain_text("Satisfaction de fin de bilan")
    expect(end_table.locator("tbody tr")).to_contain_text("Non commencé")
    axe(page, "end of the bilan, after")

    click_and_wait(page, page.get_by_role("link", name="Voir l’attestation"))
    attestation = re.sub(r"\s+", " ", page.locator("body").inner_text())
    assert FULL_NAME in attestation and "3 h 30" in attestation, attestation
    for secret in (OBJECTIVES, PRELIMINARY_TOPIC, RESTITUTION_TOPIC, FIELD_WORK, OBSERVATION,
                   RIASEC, HEXAGON, riasec_summary):  # fmt: skip
        assert secret not in attestation, f"{secret!r} is in the attestation"
    axe(page, "attestation of attendance")

    page.goto(bilan_url)
    expect(page.get_by_text(re.compile(r"· Terminé"))).to_be_visible()
    satisfaction = page.get_by_role("row", name=re.compile("^Satisfaction de fin de bilan"))
    expect(satisfaction).to_contain_text("Non commencé")
    expect(page.get_by_role("link", name="Terminer le bilan")).to_have_count(0)
    page.goto(record_url)
    unfold(page, "Statut du bilan")
    expect(page.get_by_text("Statut actuel : Terminé.")).to_be_visible()
    person.goto("/espace/")
    expect(
        person.get_by_role("link", name="Commencer : Satisfaction de fin de bilan")
    ).to_be_visible()

    # --- 8. a 375-pixel phone: nothing scrolls sideways, no word cut to fit -------------------
    phone = new_page(**PHONE)
    sign_in_counsellor(phone, email)
    person.set_viewport_size(PHONE["viewport"])
    problems = []
    for who, path, what in [
        (phone, record_url, "record"),
        (phone, synthesis_url, "synthesis"),
        (phone, f"{synthesis_url}/resultats", "results to propose"),
        (phone, f"{synthesis_url}/document", "synthesis preview"),
        (phone, f"/conseil/bilans/{bilan_id}/plan-action", "action plan"),
        (phone, end_url, "end of the bilan"),
        (phone, f"/conseil/bilans/{bilan_id}/attestation", "attestation"),
        (person, person_synthesis, "the person's synthesis page"),
    ]:
        who.goto(path)
        shot(who, "full-bilan-phone-" + re.sub(r"\W+", "-", what))
        try:
            fits_phone(who, what)
        except AssertionError as exc:
            problems.append(str(exc))
    assert not problems, "\n".join(problems)
