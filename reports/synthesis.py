"""The document de synthèse of a bilan: DOCX (python-docx), HTML and A4 PDF (WeasyPrint),
and JSON for other systems.

The service gathers the rows of one version of the document (the three sections written
by the counsellor, the questionnaire results the beneficiary approved item by item, the
action plan, the follow-up date, the beneficiary's observations) into a frozen
:class:`SynthesisDocument`; the functions here only lay it out. Nothing here reads Flask
or the database.

The three sections follow the content the Code du travail gives the document de synthèse
(former art. R6322-38, carried into the conclusions phase of art. R6313-4): the
circumstances of the bilan; the competences and aptitudes with respect to the envisaged
prospects; the professional project, the main steps planned to carry it out (here with the
action plan).

JSON format ``boussole.synthesis``, ``format_version`` 1 (stable: fields are only ever
added; a change of meaning bumps the version)::

    {
      "format": "boussole.synthesis", "format_version": 1,
      "generated_at": "2026-05-12T09:30:00+00:00", "language": "fr",
      "bilan": {"id": 7, "title": "...", "beneficiary": "Camille Martin", "centre": "...",
                "counsellors": ["..."], "start_date": "2026-02-02" | null,
                "end_date": "2026-04-30" | null},
      "version": {"number": 2, "status": "draft" | "shared" | "approved",
                  "shared_at": "<ISO 8601>" | null, "approved_at": "<ISO 8601>" | null},
      "sections": [{"key": "circumstances" | "competences" | "project",
                    "title": "1. Les circonstances du bilan", "text": "..."}],
      "results": [{"questionnaire": "...", "instrument_key": "riasec-60@1.0.0",
                   "completed_on": "2026-03-03" | null,
                   "elements": [{"element": "summary" | "scales" | "chart:<key>",
                                 "kind": "summary" | "scales" | "chart", "title": "...",
                                 "text": "..." | null,
                                 "table": {"caption": "...", "header": [...],
                                           "rows": [[...]]} | null}]}],
      "action_plan": {"followup_date": "2026-10-30" | null,
                      "actions": [{"position": 1, "action": "...", "owner": "...",
                                   "due_date": "2026-06-01" | null,
                                   "status": "a_faire" | "en_cours" | "fait" | "abandonne",
                                   "status_label": "À faire"}]},
      "observations": "..." | null
    }

Dates are ISO 8601 (``YYYY-MM-DD``); moments carry their UTC offset. Texts are as typed.
Charts are given by their data table (no image in the JSON). Only the results the
beneficiary approved are present.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from reports import charts
from reports.dates import day_text
from reports.profile import ProfileView, Translate, translator
from reports.restitution import (
    Chart,
    PdfUnavailable,
    render_pdf,
    template_environment,
    typography,
)

__all__ = [
    "ACTION_STATUSES",
    "FORMAT",
    "FORMAT_VERSION",
    "SECTION_KEYS",
    "PdfUnavailable",
    "PlannedAction",
    "ResultElement",
    "ResultGroup",
    "SynthesisDocument",
    "action_status_labels",
    "element_label",
    "profile_elements",
    "render_docx",
    "render_html",
    "render_pdf",
    "scales_table",
    "section_titles",
    "to_dict",
    "to_json",
]

FORMAT = "boussole.synthesis"
FORMAT_VERSION = 1

#: The three sections of the document, in order (columns of ``SynthesisVersion``).
SECTION_KEYS = ("circumstances", "competences", "project")

#: States of an action of the action plan, in order.
ACTION_STATUSES = ("a_faire", "en_cours", "fait", "abandonne")


# --- the document -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultElement:
    """One questionnaire result the beneficiary approved for the synthesis."""

    element: str  # "summary" | "scales" | "chart:<key>"
    kind: str  # "summary" | "scales" | "chart"
    title: str
    text: str | None = None  # the summary paragraph
    table: charts.DataTable | None = None  # scales, or the data of a chart
    image: str | None = None  # chart as an SVG data URI (HTML, PDF)
    png: bytes | None = None  # chart as PNG (DOCX)
    alt: str | None = None  # accessible name of the chart


@dataclass(frozen=True)
class ResultGroup:
    """The approved elements of one completed questionnaire."""

    questionnaire: str
    instrument_key: str
    completed_on: dt.date | None
    elements: tuple[ResultElement, ...]


@dataclass(frozen=True)
class PlannedAction:
    position: int
    text: str
    owner: str
    due_on: dt.date | None
    status: str  # one of ACTION_STATUSES


@dataclass(frozen=True)
class SynthesisDocument:
    """One version of a bilan's document de synthèse, ready to lay out."""

    bilan_id: int
    bilan_title: str
    beneficiary: str
    centre: str
    counsellors: tuple[str, ...]
    start_date: dt.date | None
    end_date: dt.date | None
    version: int
    status: str  # "draft" | "shared" | "approved"
    circumstances: str
    competences: str
    project: str
    results: tuple[ResultGroup, ...] = ()
    actions: tuple[PlannedAction, ...] = ()
    followup_date: dt.date | None = None
    observations: str | None = None
    shared_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None
    generated_at: dt.datetime | None = None
    lang: str = "fr"
    tz: str = "Europe/Paris"

    def section_text(self, key: str) -> str:
        text: str = getattr(self, key)
        return text


# --- labels -------------------------------------------------------------------------------


def section_titles(
    translations: gettext.NullTranslations | None = None, lang: str = "fr"
) -> dict[str, str]:
    """The numbered headings of the three sections, in ``lang``.

    Examples
    --------
    >>> section_titles()["circumstances"]
    '1. Les circonstances du bilan'
    """
    _ = translator(translations, lang)
    return {
        "circumstances": _("1. Les circonstances du bilan"),
        "competences": _(
            "2. Les compétences et aptitudes au regard des perspectives d’évolution envisagées"
        ),
        "project": _(
            "3. Le projet professionnel, les principales étapes prévues pour sa réalisation"
            " et le plan d’action"
        ),
    }


def action_status_labels(
    translations: gettext.NullTranslations | None = None, lang: str = "fr"
) -> dict[str, str]:
    """Labels of the states of an action, by code.

    Examples
    --------
    >>> action_status_labels()["abandonne"]
    'Abandonnée'
    """
    _ = translator(translations, lang)
    return {
        "a_faire": _("À faire"),
        "en_cours": _("En cours"),
        "fait": _("Faite"),
        "abandonne": _("Abandonnée"),
    }


def element_label(
    element: str, translations: gettext.NullTranslations | None = None, lang: str = "fr"
) -> str:
    """A short name of an element that can be proposed for the synthesis.

    Examples
    --------
    >>> element_label("chart:riasec_hexagon"), element_label("scales")
    ('Graphique\xa0: hexagone RIASEC', 'Tableau des échelles et niveaux')
    """
    _ = translator(translations, lang)
    labels = {
        "summary": _("Résumé en un paragraphe"),
        "scales": _("Tableau des échelles et niveaux"),
        "chart:personality": _("Graphique : profil de personnalité"),
        "chart:facets": _("Graphique : facettes de la personnalité"),
        "chart:riasec_hexagon": _("Graphique : hexagone RIASEC"),
        "chart:riasec_bars": _("Graphique : les six scores d’intérêts"),
        "chart:values": _("Graphique : valeurs classées"),
    }
    return labels.get(element, element)


def scales_table(view: ProfileView, _: Translate) -> charts.DataTable:
    """The table of a profile's scales with their levels (top-level scales only).

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> from reports.profile import build_profile
    >>> inst = load_instrument(BUILTIN_DIR / "riasec-60.yaml")
    >>> table = scales_table(build_profile(inst, {}), lambda s: s)
    >>> table.header, len(table.rows)
    (('Échelle', 'Niveau', 'Score'), 6)
    """
    if view.value_ranks:
        return _values_table(view, _)
    header = [_("Échelle"), _("Niveau"), _("Score")]
    if view.normed:
        header.append(_("Rang percentile"))
    rows = []
    for s in view.scales:
        if s.parent:
            continue
        if s.missing:
            row = [s.name, s.missing_reason or _("non calculé"), "—"]
            row += ["—"] * (len(header) - 3)
        else:
            row = [s.name, s.level_label or "—", s.score or "—"]
            if view.normed:
                row.append(s.percentile or "—")
        rows.append(tuple(row))
    caption = _("Échelles et niveaux : %(name)s") % {"name": view.instrument_name}
    return charts.DataTable(caption, tuple(header), tuple(rows))


def _values_table(view: ProfileView, _: Translate) -> charts.DataTable:
    """The work values in their one ranking: place, value, the words of its level."""
    tied = _("(ex æquo)")
    rows = tuple(
        (f"{r.rank} {tied}" if r.tied else r.rank, r.name, r.level_label or "—")
        for r in view.value_ranks
    )
    caption = _("Échelles et niveaux : %(name)s") % {"name": view.instrument_name}
    return charts.DataTable(caption, (_("Rang"), _("Valeur"), _("Niveau")), rows)


def profile_elements(
    view: ProfileView,
    profile_charts: Sequence[Chart],
    *,
    translations: gettext.NullTranslations | None = None,
    lang: str = "fr",
) -> tuple[ResultElement, ...]:
    """Every element of one completed questionnaire that can be proposed for the
    synthesis: the one-paragraph summary, the table of scales, each chart (with its data
    table; a chart that shares the data of the chart before it gets that table).

    ``profile_charts`` is :func:`reports.restitution.profile_charts` of ``view`` (with
    ``facets=True`` to offer the facets chart; ``png=True`` for DOCX pictures).
    """
    _ = translator(translations, lang)
    out = [
        ResultElement("summary", "summary", _("En bref"), text=view.summary),
        ResultElement("scales", "scales", _("Échelles et niveaux"), table=scales_table(view, _)),
    ]
    last_table: charts.DataTable | None = None
    for chart in profile_charts:
        table = chart.table or last_table
        last_table = table
        out.append(
            ResultElement(
                f"chart:{chart.key}",
                "chart",
                chart.title,
                table=table,
                image=chart.image,
                png=chart.png,
                alt=chart.alt,
            )
        )
    return tuple(out)


# --- shared preparation -------------------------------------------------------------------


def paragraphs(text: str | None) -> list[str]:
    """A typed text as paragraphs (blank lines separate them; single newlines stay).

    Examples
    --------
    >>> paragraphs("Un.\\r\\nDeux.\\n\\n\\nTrois.")
    ['Un.\\nDeux.', 'Trois.']
    """
    if not text:
        return []
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


@dataclass(frozen=True)
class _Prepared:
    """Every string of the document, translated and typeset once for all renderers."""

    title: str
    cover: tuple[str, ...]
    status: str
    confidential: str
    sections: tuple[tuple[str, str, tuple[str, ...]], ...]  # key, heading, paragraphs
    empty_section: str
    results_intro: str
    completed: dict[str, str]  # instrument key -> "Questionnaire terminé le ..."
    plan_heading: str
    plan_caption: str
    plan_header: tuple[str, ...]
    plan_rows: tuple[tuple[str, ...], ...]
    plan_empty: str
    followup_heading: str
    followup: str
    observations_heading: str
    observations: tuple[str, ...]
    no_observations: str
    approval_heading: str
    approval: str
    chart_data: str  # "Données du graphique : %(caption)s", translated
    figure: str  # "Figure %(n)s : %(title)s", translated
    page: str
    of: str

    def chart_caption(self, caption: str) -> str:
        return self.chart_data % {"caption": caption}


def _day(moment: dt.date | dt.datetime | None, doc: SynthesisDocument) -> dt.date | None:
    if isinstance(moment, dt.datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return aware.astimezone(ZoneInfo(doc.tz)).date()
    return moment


def _long(moment: dt.date | dt.datetime | None, doc: SynthesisDocument) -> str:
    day = _day(moment, doc)
    return "" if day is None else day_text(day, doc.lang)


def _prepare(doc: SynthesisDocument, translations: gettext.NullTranslations | None) -> _Prepared:
    _ = translator(translations, doc.lang)
    fr = typography(doc.lang)
    cover = [doc.beneficiary, doc.bilan_title]
    if doc.start_date and doc.end_date:
        cover.append(
            _("Bilan réalisé du %(start)s au %(end)s")
            % {"start": _long(doc.start_date, doc), "end": _long(doc.end_date, doc)}
        )
    elif doc.start_date:
        cover.append(_("Bilan commencé le %(start)s") % {"start": _long(doc.start_date, doc)})
    if doc.counsellors:
        names = ", ".join(doc.counsellors)
        who = (
            _("Conseiller ou conseillère : %(names)s")
            if len(doc.counsellors) == 1
            else _("Conseillers et conseillères : %(names)s")
        )
        cover.append(who % {"names": names})
    if doc.centre:
        cover.append(doc.centre)
    if doc.status == "approved":
        status = _("Version %(n)s, approuvée par la personne le %(date)s.") % {
            "n": doc.version,
            "date": _long(doc.approved_at, doc),
        }
    elif doc.status == "shared":
        status = _(
            "Version %(n)s, partagée avec la personne le %(date)s ; pas encore approuvée."
        ) % {"n": doc.version, "date": _long(doc.shared_at, doc)}
    else:
        status = _("Version de travail %(n)s, pas encore partagée avec la personne.") % {
            "n": doc.version
        }
    titles = section_titles(translations, doc.lang)
    sections = tuple(
        (key, titles[key], tuple(fr(p) for p in paragraphs(doc.section_text(key))))
        for key in SECTION_KEYS
    )
    labels = action_status_labels(translations, doc.lang)
    plan_rows = tuple(
        (
            fr(a.text),
            fr(a.owner),
            _long(a.due_on, doc) or "—",
            labels.get(a.status, a.status),
        )
        for a in sorted(doc.actions, key=lambda a: a.position)
    )
    if doc.followup_date:
        followup = _("Date prévue pour le suivi du bilan : %(date)s.") % {
            "date": _long(doc.followup_date, doc)
        }
    else:
        followup = _("La date du suivi sera fixée avec la personne.")
    if doc.status == "approved":
        approval = _("Document approuvé par %(name)s le %(date)s.") % {
            "name": doc.beneficiary,
            "date": _long(doc.approved_at, doc),
        }
    else:
        approval = _("Ce document n’a pas encore été approuvé par la personne.")
    return _Prepared(
        title=_("Document de synthèse"),
        cover=tuple(cover),
        status=status,
        confidential=_(
            "Document confidentiel. Le document de synthèse appartient à la personne : il ne"
            " peut être communiqué à un tiers qu’avec son accord."
        ),
        sections=sections,
        empty_section=_("(Rubrique non rédigée.)"),
        results_intro=_(
            "Résultats de questionnaires retenus avec la personne, qui a approuvé chacun"
            " d’eux. Ils décrivent la manière dont elle s’est décrite en répondant : ce sont"
            " des points de repère pour l’échange, pas des verdicts."
        ),
        completed={
            g.instrument_key: _("Questionnaire terminé le %(date)s.")
            % {"date": _long(g.completed_on, doc)}
            for g in doc.results
            if g.completed_on is not None
        },
        plan_heading=_("Plan d’action"),
        plan_caption=_("Plan d’action (état au %(date)s)")
        % {"date": _long(doc.generated_at or dt.datetime.now(dt.UTC), doc)},
        plan_header=(_("Action"), _("Responsable"), _("Échéance"), _("État")),
        plan_rows=plan_rows,
        plan_empty=_("Aucune action n’est encore inscrite au plan d’action."),
        followup_heading=_("Suivi du bilan"),
        followup=followup,
        observations_heading=_("Observations de la personne"),
        observations=tuple(fr(p) for p in paragraphs(doc.observations)),
        no_observations=_("Aucune observation."),
        approval_heading=_("Approbation"),
        approval=approval,
        chart_data=_("Données du graphique : %(caption)s"),
        figure=_("Figure %(n)s : %(title)s"),
        page=_("Page"),
        of=_("sur"),
    )


# --- HTML and PDF -------------------------------------------------------------------------


def render_html(
    doc: SynthesisDocument,
    *,
    translations: gettext.NullTranslations | None = None,
    links: Mapping[str, str] | None = None,
    nonce: str | None = None,
) -> str:
    """The document as a complete HTML page (A4 print styles included); ``links``
    (``{"back": url, "pdf": url, "docx": url}``) adds a navigation bar for the web page;
    ``nonce`` marks the inline style block for the page's Content-Security-Policy.

    :func:`render_pdf` (from :mod:`reports.restitution`) lays the same HTML out as an A4
    PDF: ``render_pdf(render_html(doc))``.
    """
    env = template_environment(translations, doc.lang)
    template = env.get_template("synthesis.html")
    return template.render(doc=doc, t=_prepare(doc, translations), links=links or {}, nonce=nonce)


# --- DOCX ---------------------------------------------------------------------------------


def _language_tag(lang: str) -> str:
    return {"fr": "fr-FR", "en": "en-GB"}.get(lang, lang)


def _set_language(document: Any, tag: str) -> None:
    """Spell-check language on the document defaults and on every text style."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def apply(rpr: Any) -> None:
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
        lang.set(qn("w:val"), tag)

    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            apply(rpr)
    for style in document.styles:
        if style.type in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER):
            apply(style.element.get_or_add_rPr())
    document.core_properties.language = tag


def _field(paragraph: Any, instruction: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``): begin, instruction, separate, value, end."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(element: Any) -> None:
        paragraph.add_run()._r.append(element)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    paragraph.add_run("1")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _text(document: Any, text: str, style: str | None = None) -> Any:
    """A paragraph whose single newlines become line breaks."""
    paragraph = document.add_paragraph(style=style)
    first, *others = text.split("\n")
    paragraph.add_run(first)
    for line in others:
        run = paragraph.add_run()
        run.add_break()
        run.add_text(line)
    return paragraph


def _table(document: Any, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on each page
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    return table


def _docx_page_setup(document: Any, doc: SynthesisDocument, t: _Prepared) -> None:
    """Core properties, A4 page with margins, and the "Page X sur Y" footer (not on the cover)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    props = document.core_properties
    props.title = f"{t.title} — {doc.beneficiary}"
    props.author = doc.centre or "Boussole"
    props.subject = doc.bilan_title
    props.comments = t.status

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(22)
    section.left_margin, section.right_margin = Mm(20), Mm(20)
    section.different_first_page_header_footer = True  # the cover has no page number
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{t.title} — {doc.beneficiary} — {t.page} ")
    _field(footer, "PAGE")
    footer.add_run(f" {t.of} ")
    _field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(9)


def _docx_cover(document: Any, t: _Prepared) -> None:
    """The title page: title, cover lines (the first one larger and bold), status, notice."""
    from docx.shared import Pt

    document.add_heading(t.title, level=0)
    for k, line in enumerate(t.cover):
        run = document.add_paragraph().add_run(line)
        run.font.size = Pt(14 if k == 0 else 12)
        run.bold = k == 0
    document.add_paragraph(t.status)
    document.add_paragraph(t.confidential).runs[0].italic = True
    document.add_page_break()


def _docx_results(document: Any, results: Sequence[ResultGroup], t: _Prepared, figure: int) -> int:
    """The approved results, one heading per questionnaire; returns the last figure number."""
    document.add_paragraph(t.results_intro)
    for group in results:
        document.add_heading(group.questionnaire, level=2)
        if group.instrument_key in t.completed:
            document.add_paragraph(t.completed[group.instrument_key])
        for element in group.elements:
            figure = _docx_element(document, element, t, figure)
    return figure


def _docx_element(document: Any, element: ResultElement, t: _Prepared, figure: int) -> int:
    """One result: heading, text, chart picture with its numbered caption (figure + 1) and
    its data table; returns the last figure number."""
    from docx.shared import Mm

    document.add_heading(element.title, level=3)
    if element.text:
        _text(document, element.text)
    if element.kind == "chart" and element.png:
        figure += 1
        document.add_picture(io.BytesIO(element.png), width=Mm(160))
        picture = document.paragraphs[-1]
        picture.paragraph_format.keep_with_next = True
        shape = document.inline_shapes[-1]._inline.docPr
        shape.set("descr", element.alt or element.title)
        shape.set("title", element.title)
        document.add_paragraph(
            t.figure % {"n": figure, "title": element.alt or element.title},
            style="Caption",
        )
    if element.table is not None:
        caption = element.table.caption
        if element.kind == "chart":
            caption = t.chart_caption(caption)
        cap = document.add_paragraph(caption, style="Caption")
        cap.paragraph_format.keep_with_next = True
        _table(document, element.table.header, element.table.rows)
    return figure


def _docx_plan(document: Any, t: _Prepared) -> None:
    """The action plan as a table (or a sentence when empty), then the follow-up."""
    document.add_heading(t.plan_heading, level=2)
    if t.plan_rows:
        cap = document.add_paragraph(t.plan_caption, style="Caption")
        cap.paragraph_format.keep_with_next = True
        _table(document, t.plan_header, t.plan_rows)
    else:
        document.add_paragraph(t.plan_empty)
    document.add_heading(t.followup_heading, level=2)
    document.add_paragraph(t.followup)


def render_docx(
    doc: SynthesisDocument, *, translations: gettext.NullTranslations | None = None
) -> bytes:
    """The document as DOCX, editable in Word or LibreOffice: A4, headings (Title, Heading
    1-3) for navigation, charts as pictures with a caption and their data as a real table,
    the action plan as a table, "Page X sur Y" in the footer, French spell-check language.

    Charts need their PNG (:attr:`ResultElement.png`); a chart without one is given by its
    table only.
    """
    from docx import Document

    t = _prepare(doc, translations)
    document = Document()
    _set_language(document, _language_tag(doc.lang))
    _docx_page_setup(document, doc, t)
    _docx_cover(document, t)

    figure = 0
    for key, heading, texts in t.sections:
        document.add_heading(heading, level=1)
        for text in texts or (t.empty_section,):
            _text(document, text)
        if key == "competences" and doc.results:
            figure = _docx_results(document, doc.results, t, figure)
        if key == "project":
            _docx_plan(document, t)
    document.add_heading(t.observations_heading, level=1)
    for text in t.observations or (t.no_observations,):
        _text(document, text)
    document.add_heading(t.approval_heading, level=1)
    document.add_paragraph(t.approval)

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- JSON ---------------------------------------------------------------------------------


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def _table_dict(table: charts.DataTable | None) -> dict[str, Any] | None:
    if table is None:
        return None
    return {
        "caption": table.caption,
        "header": list(table.header),
        "rows": [list(r) for r in table.rows],
    }


def to_dict(
    doc: SynthesisDocument, *, translations: gettext.NullTranslations | None = None
) -> dict[str, Any]:
    """The document as plain data (format ``boussole.synthesis`` version 1: see the
    module docstring)."""
    titles = section_titles(translations, doc.lang)
    labels = action_status_labels(translations, doc.lang)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": _iso(doc.generated_at),
        "language": doc.lang,
        "bilan": {
            "id": doc.bilan_id,
            "title": doc.bilan_title,
            "beneficiary": doc.beneficiary,
            "centre": doc.centre,
            "counsellors": list(doc.counsellors),
            "start_date": _iso(doc.start_date),
            "end_date": _iso(doc.end_date),
        },
        "version": {
            "number": doc.version,
            "status": doc.status,
            "shared_at": _iso(doc.shared_at),
            "approved_at": _iso(doc.approved_at),
        },
        "sections": [
            {"key": key, "title": titles[key], "text": doc.section_text(key)}
            for key in SECTION_KEYS
        ],
        "results": [
            {
                "questionnaire": g.questionnaire,
                "instrument_key": g.instrument_key,
                "completed_on": _iso(g.completed_on),
                "elements": [
                    {
                        "element": e.element,
                        "kind": e.kind,
                        "title": e.title,
                        "text": e.text,
                        "table": _table_dict(e.table),
                    }
                    for e in g.elements
                ],
            }
            for g in doc.results
        ],
        "action_plan": {
            "followup_date": _iso(doc.followup_date),
            "actions": [
                {
                    "position": a.position,
                    "action": a.text,
                    "owner": a.owner,
                    "due_date": _iso(a.due_on),
                    "status": a.status,
                    "status_label": labels.get(a.status, a.status),
                }
                for a in sorted(doc.actions, key=lambda a: a.position)
            ],
        },
        "observations": doc.observations,
    }


def to_json(
    doc: SynthesisDocument, *, translations: gettext.NullTranslations | None = None
) -> bytes:
    """:func:`to_dict` as UTF-8 JSON (indented, keys in a stable order)."""
    data = to_dict(doc, translations=translations)
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
