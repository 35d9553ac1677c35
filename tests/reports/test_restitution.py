"""The restitution report (reports/restitution.py): charts of a profile, the HTML page and
the A4 PDF. Profiles come from real scoring of the built-in instruments; expectations come
from the instrument YAML files, the English catalogue and hand-written strings."""

from __future__ import annotations

import base64
import html.parser
import io
import re
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import yaml
from babel.support import Translations
from pypdf import PdfReader

from instruments import BUILTIN_DIR, Instrument, load_instrument
from reports.profile import ProfileView, build_profile
from reports.restitution import (
    Chart,
    PdfUnavailable,
    Report,
    ReportSection,
    profile_charts,
    render_html,
    render_pdf,
)
from scoring.simulate import simulate_answers
from service.features.journey.completion import score_answers
from tests.conftest import ROOT

NBSP, NNBSP = "\u00a0", "\u202f"
A4_POINTS = (595.28, 841.89)  # 210 x 297 mm at 72 pt per inch
DATA_URI = "data:image/svg+xml;base64,"
COMMENT = "Bravo ! Vos intérêts sont nets : on en parle ? <script>alert(1)</script>"
CLOSING = "À bientôt : prochain entretien le 12 ; apportez vos notes !"


def yaml_of(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / f"{name}.yaml").read_text("utf-8"))
    return data


def scored_view(
    name: str, *, seed: int, lang: str = "fr", translations: Any = None
) -> tuple[Instrument, ProfileView]:
    """A profile of simulated answers scored as the service stores them."""
    inst = load_instrument(BUILTIN_DIR / f"{name}.yaml")
    answers = simulate_answers(inst, 1, seed=seed).iloc[0].to_dict()
    scores, key, norm_version = score_answers(inst, answers, respondent=1, seconds=900)
    view = build_profile(
        inst,
        scores,
        norm_version=norm_version,
        instrument_key=key,
        lang=lang,
        translations=translations,
    )
    return inst, view


@pytest.fixture(scope="module")
def english() -> Translations:
    return Translations.load(str(ROOT / "service" / "translations"), ["en"])


@pytest.fixture(scope="module")
def views() -> dict[str, ProfileView]:
    names = ("ipip-bfi-25", "riasec-60", "valeurs-travail", "spi-135")
    return {name: scored_view(name, seed=seed)[1] for seed, name in enumerate(names, start=11)}


def make_report(
    views: list[ProfileView], *, lang: str = "fr", counsellors: tuple[str, ...] = ("Alex Durand",)
) -> Report:
    sections = tuple(
        ReportSection(
            profile=v,
            charts=profile_charts(v, lang=lang),
            completed_on="3 novembre 2026",
            comment=COMMENT,
        )
        for v in views
    )
    return Report(
        beneficiary="Camille Martin",
        bilan_title="Bilan de compétences 2026",
        date="4 novembre 2026",
        counsellors=counsellors,
        centre="Centre Boussole Lyon",
        sections=sections,
        closing_comment=CLOSING,
        lang=lang,
    )


@pytest.fixture(scope="module")
def report(views) -> Report:
    return make_report([views["ipip-bfi-25"], views["riasec-60"], views["valeurs-travail"]])


@pytest.fixture(scope="module")
def page(report) -> str:
    return render_html(report)


class Outline(html.parser.HTMLParser):
    """Headings, sections, images and the root element's attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.html_attrs: dict[str, str | None] = {}
        self.headings: list[tuple[str, str]] = []
        self.sections: list[dict[str, str | None]] = []
        self.images: list[dict[str, str | None]] = []
        self.tags: list[str] = []
        self._heading: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "html":
            self.html_attrs = dict(attrs)
        elif tag == "section":
            self.sections.append(dict(attrs))
        elif tag == "img":
            self.images.append(dict(attrs))
        elif tag in ("h1", "h2", "h3"):
            self._heading, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self.headings.append((tag, "".join(self._text)))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text.append(data)


def outline(document: str) -> Outline:
    parser = Outline()
    parser.feed(document)
    parser.close()
    return parser


def svg_root(chart: Chart) -> ET.Element:
    assert chart.image.startswith(DATA_URI)
    svg = base64.b64decode(chart.image[len(DATA_URI) :], validate=True).decode("utf-8")
    return ET.fromstring(svg)


# --- charts -------------------------------------------------------------------------------


def test_bfi_has_one_personality_chart_with_a_row_per_domain(views):
    charts = profile_charts(views["ipip-bfi-25"])
    assert [c.key for c in charts] == ["personality"]
    table = charts[0].table
    assert table is not None
    names = [s["name"]["fr"] for s in yaml_of("ipip-bfi-25")["scales"]]
    assert [row[0] for row in table.rows] == [n.replace("'", "’") for n in names]
    # facets=True changes nothing: the BFI has no facets.
    assert [c.key for c in profile_charts(views["ipip-bfi-25"], facets=True)] == ["personality"]


def test_spi_facets_add_a_second_chart_on_demand(views):
    spi = views["spi-135"]
    assert [c.key for c in profile_charts(spi)] == ["personality"]
    charts = profile_charts(spi, facets=True)
    assert [c.key for c in charts] == ["personality", "facets"]
    scales = yaml_of("spi-135")["scales"]
    n_domains = sum(1 for s in scales if s.get("level") == "domain")
    n_facets = sum(1 for s in scales if s.get("level") == "facet")
    assert (n_domains, n_facets) == (5, 26)
    assert [len(c.table.rows) for c in charts if c.table] == [n_domains, n_facets]
    assert charts[1].title == "Profil de personnalité — Facettes"


def test_riasec_has_hexagon_and_bars_and_the_bars_share_the_hexagon_table(views):
    charts = profile_charts(views["riasec-60"])
    assert [c.key for c in charts] == ["riasec_hexagon", "riasec_bars"]
    hexagon, bars = charts
    assert bars.table is None  # same data as the hexagon's table
    assert hexagon.table is not None and len(hexagon.table.rows) == 6
    # The caption gives the maximum: 10 items x 4 points.
    assert "score sur 40" in hexagon.alt and "score sur 40" in bars.alt


def test_values_have_no_chart_of_signed_scores(views):
    # The values are one ranked list (ProfileView.value_ranks): no bar chart of the
    # within-person scores, whose negative bars readers took for bad results.
    assert profile_charts(views["valeurs-travail"]) == ()
    assert len(views["valeurs-travail"].value_ranks) == 6


@pytest.mark.parametrize("name", ["ipip-bfi-25", "riasec-60", "spi-135"])
def test_chart_images_are_svg_data_uris_with_a_text_alternative(views, name):
    charts = profile_charts(views[name], facets=True)
    assert charts
    for chart in charts:
        root = svg_root(chart)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert len(list(root.iter())) > 20  # something is drawn
        assert chart.alt.strip() and chart.title.strip()


def test_english_chart_titles(english):
    _inst, view = scored_view("riasec-60", seed=3, lang="en", translations=english)
    charts = profile_charts(view, lang="en")
    assert [c.title for c in charts] == ["RIASEC hexagon", "The six interest scores"]
    assert not any("Hexagone" in c.alt or "Intérêts" in c.alt for c in charts)


def test_no_chart_for_a_profile_without_scores():
    inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    view = build_profile(inst, {})
    assert not view.normed
    assert profile_charts(view) == ()


# --- HTML ---------------------------------------------------------------------------------


def test_html_is_a_complete_french_document_with_one_h1(page):
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert page.rstrip().endswith("</html>")
    found = outline(page)
    assert found.html_attrs.get("lang") == "fr"
    assert [h for h in found.headings if h[0] == "h1"] == [("h1", "Rapport de restitution")]
    assert found.tags.count("body") == 1 and found.tags.count("main") == 1


def test_html_has_one_section_per_questionnaire_titled_with_its_name(page, report):
    found = outline(page)
    questionnaires = [s for s in found.sections if s.get("class") == "questionnaire"]
    assert len(questionnaires) == len(report.sections) == 3
    names = [yaml_of(n)["name"]["fr"] for n in ("ipip-bfi-25", "riasec-60", "valeurs-travail")]
    h2 = [text for tag, text in found.headings if tag == "h2"]
    assert h2 == ["Comment lire ce rapport", *names, "Comment utiliser ces résultats"]


def test_html_shows_every_chart_with_its_alt_text_and_data_tables(page, report):
    found = outline(page)
    charts = [c for s in report.sections for c in s.charts]
    assert len(found.images) == len(charts) == 3  # BFI 1, RIASEC 2 (values: a ranked list)
    assert all(img.get("alt") and img["src"].startswith(DATA_URI) for img in found.images)
    assert found.tags.count("table") == sum(1 for c in charts if c.table is not None) == 2


def test_html_has_a4_page_rules_with_page_numbers(page):
    style = page[page.index("<style>") : page.index("</style>")]
    assert "size: A4" in style
    assert re.search(r'"Page " counter\(page\) " sur " counter\(pages\)', style)
    assert "@page :first" in style  # the cover has no page number


def test_counsellor_comment_is_escaped(page):
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_comments_get_french_typography(page):
    assert f"Bravo{NNBSP}! Vos intérêts sont nets{NBSP}: on en parle{NNBSP}?" in page
    assert f"À bientôt{NBSP}: prochain entretien le 12{NNBSP}; apportez vos notes{NNBSP}!" in page


def test_percent_sign_is_tied_to_its_number(page):
    # "intervalle de confiance à 90 %": no line break between the number and the sign.
    assert f"90{NBSP}%" in page
    assert not re.search(r"\d %", page)


def test_translated_template_strings_get_french_typography(page):
    assert f"Date{NBSP}: 4 novembre 2026" in page
    assert f"Conseiller ou conseillère{NBSP}: Alex Durand" in page
    assert "Date :" not in page and "Conseiller ou conseillère :" not in page


def test_several_counsellors_use_the_plural(views):
    document = render_html(make_report([views["ipip-bfi-25"]], counsellors=("Alex", "Sam")))
    assert f"Conseillers{NBSP}: Alex, Sam" in document


def test_links_bar_only_when_links_are_given(report, page):
    assert "<nav" not in page
    linked = render_html(report, links={"back": "/bilans/7", "pdf": "/bilans/7/rapport.pdf"})
    nav = linked[linked.index("<nav") : linked.index("</nav>")]
    assert 'href="/bilans/7"' in nav and 'href="/bilans/7/rapport.pdf"' in nav
    assert "Télécharger le rapport (PDF)" in nav


def test_report_without_questionnaires_says_so():
    empty = Report("Camille", "Bilan", "4 novembre 2026", (), "Centre", ())
    document = render_html(empty)
    assert "Aucun questionnaire n’est terminé pour le moment." in document
    assert 'class="questionnaire"' not in document
    assert "Conseiller ou conseillère\u00a0:" not in document
    assert "Conseillers\u00a0:" not in document


def test_english_report_with_the_english_catalogue(english):
    views = [
        scored_view(name, seed=seed, lang="en", translations=english)[1]
        for seed, name in enumerate(("ipip-bfi-25", "riasec-60"), start=21)
    ]
    document = render_html(make_report(views, lang="en"), translations=english)
    found = outline(document)
    assert found.html_attrs.get("lang") == "en"
    assert [t for tag, t in found.headings if tag == "h1"] == ["Feedback report"]
    h2 = [t for tag, t in found.headings if tag == "h2"]
    names = [yaml_of(n)["name"]["en"] for n in ("ipip-bfi-25", "riasec-60")]
    assert h2 == ["How to read this report", *names, "How to use these results"]
    assert '"Page " counter(page) " of " counter(pages)' in document
    assert "Date: 4 novembre 2026" in document  # the date string is the caller's
    headings = [t for _tag, t in found.headings]
    assert not any(NBSP in t or NNBSP in t for t in headings)
    assert "Rapport de restitution" not in document


# --- PDF ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(page) -> PdfReader:
    data = render_pdf(page)
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_pdf_pages_are_a4(pdf):
    assert len(pdf.pages) >= 4  # cover, how to read, three questionnaires, closing
    for p in pdf.pages:
        box = p.mediabox
        assert float(box.width) == pytest.approx(A4_POINTS[0], abs=1)
        assert float(box.height) == pytest.approx(A4_POINTS[1], abs=1)


def test_pdf_text_has_the_headings_and_page_numbers_except_on_the_cover(pdf):
    n = len(pdf.pages)
    texts = [flat(p.extract_text()) for p in pdf.pages]
    assert "Rapport de restitution" in texts[0] and "Camille Martin" in texts[0]
    assert "Page 1 sur" not in texts[0]
    assert f"Page 2 sur {n}" in texts[1]
    assert f"Page {n} sur {n}" in texts[-1]
    everything = " ".join(texts)
    for heading in ("Comment lire ce rapport", "Comment utiliser ces résultats"):
        assert heading in everything
    for name in ("ipip-bfi-25", "riasec-60", "valeurs-travail"):
        assert flat(yaml_of(name)["name"]["fr"]) in everything
    # The escaped comment is printed as text.
    assert "<script>alert(1)</script>" in everything


def test_pdf_fonts_are_embedded(pdf):
    embedded, seen = set(), set()
    for p in pdf.pages:
        fonts = p["/Resources"].get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            name = str(font.get("/BaseFont"))
            seen.add(name)
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            if descriptor is not None and any(
                k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                embedded.add(name)
    assert embedded, f"no embedded font among {sorted(seen)}"
    assert embedded == seen  # every font used is embedded


def test_pdf_unavailable_explains_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails
    with pytest.raises(PdfUnavailable, match="Pango"):
        render_pdf("<p>x</p>")
