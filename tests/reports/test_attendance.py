"""reports/attendance.py: the attestation of attendance (HTML and A4 PDF), by hand.

Interviews 2 h + 1 h 30 + 1 h = 4 h 30; personal work 150 min = 2 h 30; questionnaires
95 min = 1 h 35; total 270 + 150 + 95 = 515 min = 8 h 35.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest

from reports.attendance import Attendance, InterviewLine, duration_text, render_html

NBSP = "\u00a0"


def attendance(**changes: object) -> Attendance:
    base = Attendance(
        centre="Centre Horizon",
        beneficiary="Léa Roux",
        start=dt.date(2026, 3, 2),
        end=dt.date(2026, 6, 1),
        issued_on=dt.date(2026, 6, 3),
        interviews=(
            InterviewLine(dt.date(2026, 3, 16), 90, "distanciel"),
            InterviewLine(dt.date(2026, 3, 2), 120, "presentiel"),
            InterviewLine(dt.date(2026, 4, 1), 60, "hybride"),
        ),
        personal_minutes=150,
        questionnaire_minutes=95,
        questionnaires_done=3,
        funding="CPF",
        commanditaire="Entreprise Dupont",
        counsellors=("Claire Durand",),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def plain(text: str) -> str:
    """No-break spaces as spaces, for readable assertions."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


def test_totals_are_hand_computed() -> None:
    a = attendance()
    assert (a.interview_minutes, a.work_minutes, a.total_minutes) == (270, 245, 515)
    assert [duration_text(m) for m in (270, 150, 95, 515)] == [
        f"4{NBSP}h{NBSP}30",
        f"2{NBSP}h{NBSP}30",
        f"1{NBSP}h{NBSP}35",
        f"8{NBSP}h{NBSP}35",
    ]


def test_html_lists_dates_interviews_hours_and_completion() -> None:
    html = plain(render_html(attendance()))
    assert "Attestation d’assiduité et de réalisation" in html
    assert "Centre Horizon" in html and "Léa Roux" in html
    assert "2 mars 2026" in html and "1er juin 2026" in html
    assert "CPF" in html and "Entreprise Dupont" in html
    assert "s’est terminé le 1er juin 2026" in html
    # interviews in date order, with their duration and mode
    rows = [
        '<td>2 mars 2026</td><td class="num">2 h</td><td>Présentiel</td>',
        '<td>16 mars 2026</td><td class="num">1 h 30</td><td>À distance</td>',
        '<td>1er avril 2026</td><td class="num">1 h</td><td>Hybride</td>',
    ]
    positions = [html.index(r) for r in rows]
    assert positions == sorted(positions)
    assert "3 entretiens avec le conseiller ou la conseillère" in html
    for label, value in (
        ("Total des entretiens", "4 h 30"),
        ("Travail personnel (recherches, enquêtes, rédaction)", "2 h 30"),
        ("Questionnaires en ligne (temps mesuré)", "1 h 35"),
        ("Total", "8 h 35"),
    ):
        assert f'<th scope="row">{label}</th><td class="num">{value}</td>' in html
    assert "Questionnaires réalisés : 3" in html
    assert "Fait à" in html and "le 3 juin 2026" in html and "Signature et cachet" in html
    assert "Claire Durand" in html


def test_a_running_bilan_says_so_and_optional_fields_are_left_out() -> None:
    html = plain(render_html(attendance(end=None, funding=None, commanditaire=None, interviews=())))
    assert "bilan en cours" in html
    assert "est en cours à la date de la présente attestation" in html
    assert "s’est terminé" not in html
    assert "Financement" not in html and "Commanditaire" not in html
    assert "Aucun entretien enregistré." in html


def test_the_attestation_has_no_field_for_content() -> None:
    """Adding a field (a result, a note, an objective...) must be a deliberate decision:
    the funder never receives the content of the bilan."""
    assert {f.name for f in dataclasses.fields(Attendance)} == {
        "centre",
        "beneficiary",
        "start",
        "end",
        "issued_on",
        "interviews",
        "personal_minutes",
        "questionnaire_minutes",
        "questionnaires_done",
        "funding",
        "commanditaire",
        "counsellors",
        "lang",
    }
    assert {f.name for f in dataclasses.fields(InterviewLine)} == {"day", "minutes", "mode"}


def test_pdf_is_a4_with_the_texts() -> None:
    pypdf = pytest.importorskip("pypdf")
    from reports.restitution import PdfUnavailable, render_pdf

    try:
        pdf = render_pdf(render_html(attendance()))
    except PdfUnavailable as exc:  # pragma: no cover - Pango missing
        pytest.skip(str(exc))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = plain(" ".join(page.extract_text() for page in reader.pages))
    assert "Léa Roux" in text and "Centre Horizon" in text
    assert "8 h 35" in text and "16 mars 2026" in text
