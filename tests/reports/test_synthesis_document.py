"""The document de synthèse laid out (reports/synthesis.py): the DOCX opened with
python-docx (headings and their styles, tables, pictures, footer fields, A4, French
language), the PDF read with pypdf (A4, text, page numbers), the JSON round trip; built
from real scoring of the built-in instruments."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from pypdf import PdfReader

from instruments import BUILTIN_DIR, load_instrument
from reports import synthesis as S
from reports.profile import build_profile
from reports.restitution import profile_charts
from service.features.journey.completion import score_answers
from tests.reports.test_exports import answers

NNBSP = "\u202f"  # narrow no-break space (French typography before ! ? ;)


def _profile(name: str, *, by_scale: dict[str, int] | None = None) -> Any:
    inst = load_instrument(BUILTIN_DIR / f"{name}.yaml")
    given = answers(inst, offset=1, by_scale=by_scale)
    scores, key, norm_version = score_answers(inst, given, respondent=1, seconds=600)
    return build_profile(inst, scores, norm_version=norm_version, instrument_key=key)


@pytest.fixture(scope="module")
def elements() -> dict[str, tuple[Any, dict[str, S.ResultElement]]]:
    """Every element of three real profiles, by instrument: (view, {element: element})."""
    out = {}
    riasec = {"social": 4, "artistique": 3, "investigateur": 2}
    for name, by_scale in (("ipip-bfi-25", None), ("riasec-60", riasec), ("valeurs-travail", None)):
        view = _profile(name, by_scale=by_scale)
        drawn = profile_charts(view, facets=True, png=True)
        out[name] = (view, {e.element: e for e in S.profile_elements(view, drawn)})
    return out


def _group(elements: Any, name: str, *keys: str) -> S.ResultGroup:
    view, by = elements[name]
    return S.ResultGroup(
        view.instrument_name, view.instrument_key, dt.date(2026, 3, 3), tuple(by[k] for k in keys)
    )


SECTIONS = {
    "circumstances": "Camille a demandé ce bilan pour changer de métier.\n\nSecond paragraphe"
    " du contexte.\nAvec un retour à la ligne.",
    "competences": "Rigueur, sens du service, goût pour la transmission.",
    "project": "Devenir formatrice pour adultes : enquêtes, puis titre professionnel.",
}


@pytest.fixture(scope="module")
def doc(elements: Any) -> S.SynthesisDocument:
    return S.SynthesisDocument(
        bilan_id=7,
        bilan_title="Bilan de compétences",
        beneficiary="Camille Martin",
        centre="Centre Horizon",
        counsellors=("Claire Dubois",),
        start_date=dt.date(2026, 2, 2),
        end_date=dt.date(2026, 4, 30),
        version=2,
        status="approved",
        **SECTIONS,
        results=(
            _group(elements, "riasec-60", "summary", "chart:riasec_hexagon", "chart:riasec_bars"),
            _group(elements, "valeurs-travail", "scales"),
            _group(elements, "ipip-bfi-25", "scales"),
        ),
        actions=(
            S.PlannedAction(
                2, "S'inscrire au titre professionnel", "bénéficiaire", None, "a_faire"
            ),
            S.PlannedAction(
                1, "Rencontrer deux formatrices", "Camille", dt.date(2026, 6, 1), "fait"
            ),
        ),
        followup_date=dt.date(2026, 10, 30),
        observations="Je suis d'accord !",
        shared_at=dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC),
        # 22:30 UTC on 12 May is 00:30 on 13 May in Paris (summer time)
        approved_at=dt.datetime(2026, 5, 12, 22, 30, tzinfo=dt.UTC),
        generated_at=dt.datetime(2026, 5, 14, 9, 0, tzinfo=dt.UTC),
    )


TITLES = S.section_titles()


# --- DOCX ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docx(doc: S.SynthesisDocument) -> Any:
    return Document(io.BytesIO(S.render_docx(doc)))


def _headings(document: Any) -> list[tuple[str, str]]:
    return [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style.name == "Title" or p.style.name.startswith("Heading")
    ]


def test_docx_headings_are_real_heading_styles_in_order(docx: Any, elements: Any) -> None:
    heads = _headings(docx)
    assert heads[0] == ("Title", "Document de synthèse")
    level1 = [text for style, text in heads if style == "Heading 1"]
    assert level1 == [
        "1. Les circonstances du bilan",
        "2. Les compétences et aptitudes au regard des perspectives d’évolution envisagées",
        "3. Le projet professionnel, les principales étapes prévues pour sa réalisation"
        " et le plan d’action",
        "Observations de la personne",
        "Approbation",
    ]
    level2 = [text for style, text in heads if style == "Heading 2"]
    names = [
        elements[n][0].instrument_name for n in ("riasec-60", "valeurs-travail", "ipip-bfi-25")
    ]
    assert level2 == [*names, "Plan d’action", "Suivi du bilan"]
    level3 = [text for style, text in heads if style == "Heading 3"]
    assert level3[:3] == ["En bref", "Hexagone RIASEC", "Les six scores d’intérêts"]


def test_docx_text_cover_paragraphs_and_french_typography(docx: Any) -> None:
    texts = [p.text for p in docx.paragraphs]
    assert "Camille Martin" in texts and "Centre Horizon" in texts
    assert "Bilan réalisé du 2 février 2026 au 30 avril 2026" in texts
    assert "Conseiller ou conseillère\u00a0: Claire Dubois" in texts
    assert "Version 2, approuvée par la personne le 13 mai 2026." in texts  # Paris date
    # blank lines make paragraphs; a single newline is a line break inside one
    first = texts.index("Camille a demandé ce bilan pour changer de métier.")
    second = docx.paragraphs[first + 1]
    assert second.text == "Second paragraphe du contexte.\nAvec un retour à la ligne."
    assert second._p.xpath(".//w:br")
    assert f"Je suis d’accord{NNBSP}!" in texts  # observations, typeset
    assert "Document approuvé par Camille Martin le 13 mai 2026." in texts
    assert "Date prévue pour le suivi du bilan\u00a0: 30 octobre 2026." in texts


def test_docx_action_plan_is_a_table_in_plan_order(docx: Any) -> None:
    plan = next(t for t in docx.tables if t.rows[0].cells[0].text == "Action")
    rows = [tuple(c.text for c in r.cells) for r in plan.rows]
    assert rows == [
        ("Action", "Responsable", "Échéance", "État"),
        ("Rencontrer deux formatrices", "Camille", "1er juin 2026", "Faite"),
        ("S’inscrire au titre professionnel", "bénéficiaire", "—", "À faire"),
    ]
    header = plan.rows[0]._tr
    assert header.xpath("./w:trPr/w:tblHeader")  # repeated on each page
    assert plan.style.name == "Table Grid"


def test_docx_pictures_are_the_approved_charts_with_captions_and_data_tables(
    docx: Any, elements: Any
) -> None:
    assert len(docx.inline_shapes) == 2  # RIASEC hexagon and bars (values: a ranked table)
    for shape in docx.inline_shapes:
        assert shape.width == Mm(160)
        assert shape._inline.docPr.get("descr")  # alt text for screen readers
    captions = [p.text for p in docx.paragraphs if p.style.name == "Caption"]
    assert sum(c.startswith("Figure ") for c in captions) == 2
    # every chart has its data as a real table; the scales of the BFI as a table too
    data_captions = [c for c in captions if c.startswith("Données du graphique")]
    assert len(data_captions) == 2
    view, _by = elements["ipip-bfi-25"]
    scales = next(t for t in docx.tables if t.rows[0].cells[0].text == "Échelle")
    assert [c.text for c in scales.rows[0].cells] == [
        "Échelle",
        "Niveau",
        "Score",
        "Rang percentile",
    ]
    assert len(scales.rows) == 1 + len([s for s in view.scales if not s.parent])


def test_docx_page_a4_footer_fields_and_french_language(docx: Any) -> None:
    section = docx.sections[0]
    # A4 = Mm(210) x Mm(297), stored by Word in twentieths of a point: 11906 x 16838
    assert abs(section.page_width - Mm(210)) < Mm(0.05)
    assert abs(section.page_height - Mm(297)) < Mm(0.05)
    page_size = section._sectPr.find(qn("w:pgSz"))
    assert (page_size.get(qn("w:w")), page_size.get(qn("w:h"))) == ("11906", "16838")
    assert round(section.left_margin.mm) == 20 and round(section.bottom_margin.mm) == 22
    assert section.different_first_page_header_footer  # no number on the cover
    footer = section.footer.paragraphs[0]
    instructions = [t.text.strip() for t in footer._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert "Page" in footer.text and " sur " in footer.text
    for name in ("Normal", "Heading 1", "Title", "Caption"):
        lang = docx.styles[name].element.rPr.find(qn("w:lang"))
        assert lang is not None and lang.get(qn("w:val")) == "fr-FR", name
    defaults = docx.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(f".//{qn('w:lang')}").get(qn("w:val")) == "fr-FR"
    assert docx.core_properties.language == "fr-FR"
    assert docx.core_properties.title == "Document de synthèse — Camille Martin"


def test_docx_without_results_has_no_results_part(doc: S.SynthesisDocument) -> None:
    from dataclasses import replace

    bare = replace(doc, results=(), actions=(), observations=None, status="draft")
    document = Document(io.BytesIO(S.render_docx(bare)))
    texts = [p.text for p in document.paragraphs]
    assert len(document.inline_shapes) == 0
    assert not any(t.startswith("Résultats de questionnaires") for t in texts)
    assert "Aucune action n’est encore inscrite au plan d’action." in texts
    assert "Aucune observation." in texts
    assert "Version de travail 2, pas encore partagée avec la personne." in texts
    assert "Ce document n’a pas encore été approuvé par la personne." in texts


# --- HTML and PDF -------------------------------------------------------------------------


def test_html_escapes_typed_text_and_links_only_when_asked(doc: S.SynthesisDocument) -> None:
    from dataclasses import replace

    html = S.render_html(replace(doc, competences="<script>alert(1)</script>"))
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "report-nav" not in html.split("</style>")[1]
    assert html.count("<img") == 2 and html.count("<h2") == 5
    linked = S.render_html(doc, links={"back": "/retour", "docx": "/s.docx"})
    assert 'href="/retour"' in linked and 'href="/s.docx"' in linked


def test_pdf_is_a4_with_the_three_sections_and_page_numbers(doc: S.SynthesisDocument) -> None:
    pdf = PdfReader(io.BytesIO(S.render_pdf(S.render_html(doc))))
    assert len(pdf.pages) >= 3
    for page in pdf.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = "\n".join(page.extract_text() for page in pdf.pages)
    flat = " ".join(text.split())
    for title in TITLES.values():
        assert " ".join(title.split()) in flat, title
    assert "Camille a demandé ce bilan pour changer de métier." in flat
    assert "Rencontrer deux formatrices" in flat and "Hexagone RIASEC" in flat
    assert "Page 2 sur" in text and "Page 1 sur" not in text  # the cover is not numbered
    assert "Document approuvé par Camille Martin le 13 mai 2026." in flat


# --- JSON ---------------------------------------------------------------------------------


def test_json_round_trip_and_stable_structure(doc: S.SynthesisDocument) -> None:
    data = json.loads(S.to_json(doc))
    assert data == S.to_dict(doc)
    assert (data["format"], data["format_version"]) == ("boussole.synthesis", 1)
    assert data["version"] == {
        "number": 2,
        "status": "approved",
        "shared_at": "2026-05-04T08:00:00+00:00",
        "approved_at": "2026-05-12T22:30:00+00:00",
    }
    assert data["bilan"]["start_date"] == "2026-02-02" and data["bilan"]["end_date"] == "2026-04-30"
    assert [s["key"] for s in data["sections"]] == ["circumstances", "competences", "project"]
    assert data["sections"][0]["text"] == SECTIONS["circumstances"]  # as typed
    assert data["observations"] == "Je suis d'accord !"
    elements = [
        (r["instrument_key"].split("@")[0], e["element"])
        for r in data["results"]
        for e in r["elements"]
    ]
    assert elements == [
        ("riasec-60", "summary"),
        ("riasec-60", "chart:riasec_hexagon"),
        ("riasec-60", "chart:riasec_bars"),
        ("valeurs-travail", "scales"),
        ("ipip-bfi-25", "scales"),
    ]
    hexagon, bars = data["results"][0]["elements"][1:3]
    assert bars["table"] == hexagon["table"]  # the bars share the hexagon's data
    assert data["action_plan"] == {
        "followup_date": "2026-10-30",
        "actions": [
            {
                "position": 1,
                "action": "Rencontrer deux formatrices",
                "owner": "Camille",
                "due_date": "2026-06-01",
                "status": "fait",
                "status_label": "Faite",
            },
            {
                "position": 2,
                "action": "S'inscrire au titre professionnel",
                "owner": "bénéficiaire",
                "due_date": None,
                "status": "a_faire",
                "status_label": "À faire",
            },
        ],
    }
    assert "png" not in json.dumps(data) and "data:image" not in json.dumps(data)


# --- elements -----------------------------------------------------------------------------


def test_profile_elements_offer_each_chart_of_profile_charts(elements: Any) -> None:
    keys = {name: list(by) for name, (_view, by) in elements.items()}
    assert keys == {
        "ipip-bfi-25": ["summary", "scales", "chart:personality"],
        "riasec-60": ["summary", "scales", "chart:riasec_hexagon", "chart:riasec_bars"],
        "valeurs-travail": ["summary", "scales"],
    }
    view, by = elements["valeurs-travail"]
    assert by["summary"].text == view.summary
    # One ranking of the values: one row per value, in its place, never two rankings.
    table = by["scales"].table
    assert table is not None and table.header == ("Rang", "Valeur", "Niveau")
    assert [row[1] for row in table.rows] == [r.name for r in view.value_ranks]
    assert len(table.rows) == 6
    assert all(by[k].png and by[k].png.startswith(b"\x89PNG") for k in by if k.startswith("chart:"))
    spi = _profile("spi-135")
    facets = S.profile_elements(spi, profile_charts(spi, facets=True))
    assert [e.element for e in facets][2:] == ["chart:personality", "chart:facets"]
    assert all(S.element_label(e.element) != e.element for e in facets)
