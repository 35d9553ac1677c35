"""The restitution report: one template, rendered as an HTML page and as an A4 PDF.

:func:`profile_charts` draws the charts of one profile (SVG, embedded as data URIs so that
the same markup works in a browser and in WeasyPrint) with their data tables;
:func:`render_html` renders ``templates/restitution.html`` with Jinja2 and the caller's
translations (the service passes Flask-Babel's catalogue: the template's strings are in
the same catalogue as the site's); :func:`render_pdf` lays the same HTML out on A4 pages
with WeasyPrint (page numbers, French typography, fonts embedded).
"""

from __future__ import annotations

import base64
import contextlib
import gettext
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal

import jinja2
from matplotlib.figure import Figure

from instruments.typography import french
from reports import charts
from reports.profile import ProfileView, ScaleView, fmt

__all__ = [
    "Chart",
    "PdfUnavailable",
    "Report",
    "ReportSection",
    "personality_rows",
    "profile_charts",
    "render_html",
    "render_pdf",
    "template_environment",
    "typography",
]


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are missing; the message says
    what to install."""


@dataclass(frozen=True)
class Chart:
    """A chart ready for a page: an image (data URI), its accessible name, its data."""

    key: str
    title: str
    image: str  # data:image/svg+xml;base64,...
    alt: str
    table: charts.DataTable | None  # None: same data as the chart before it
    png: bytes | None = None  # the same chart as PNG, when asked for (DOCX pictures)


@dataclass(frozen=True)
class ReportSection:
    profile: ProfileView
    charts: tuple[Chart, ...]
    completed_on: str  # date, already formatted
    comment: str | None = None


@dataclass(frozen=True)
class Report:
    beneficiary: str
    bilan_title: str
    date: str  # date of the report, already formatted
    counsellors: tuple[str, ...]
    centre: str
    sections: tuple[ReportSection, ...]
    closing_comment: str | None = None
    lang: str = "fr"
    facets: bool = False  # the facets under their domain, and their chart

    @property
    def has_facets(self) -> bool:
        """Some questionnaire of the report has facets (the facets option applies)."""
        return any(s.profile.facets for s in self.sections)


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _close(ax: Any, png: bool = False, text_as_paths: bool = True) -> tuple[str, bytes | None]:
    fig: Figure = ax.get_figure()
    svg = charts.figure_to_svg(fig, text_as_paths=text_as_paths)
    image = charts.figure_to_png(fig) if png else None
    fig.clear()
    return svg, image


def personality_rows(
    scales: Sequence[ScaleView],
) -> tuple[Literal["t", "percentile"], list[charts.BarDatum], tuple[charts.Zone, ...] | None]:
    """What the personality chart draws for ``scales``: the metric, one bar per scale and
    the levels' zones.

    The chart is drawn on the metric the levels are cut on (the bands' ``percentile`` or
    ``t``) and its zones are THE cut-points of those levels (``ScaleView.zones``), so that
    a bar always ends in the zone whose words the page prints. Scales without bands (or
    with different bands) are drawn on T with the default average band, which is also the
    summary's rule for them (:data:`reports.profile.AVERAGE_T`).
    """
    metrics = {s.level_metric for s in scales if not s.missing}
    zone_sets = {s.zones for s in scales if not s.missing}
    if (
        len(metrics) == 1
        and len(zone_sets) == 1
        and (metric := metrics.pop()) in ("t", "percentile")
    ):
        zones = zone_sets.pop()
        middle = zones[1:-1] if len(zones) >= 3 else ()
        chart_zones = tuple(
            charts.Zone(z.level, z.label, z.low, z.high, shaded=z in middle) for z in zones
        )
        if metric == "percentile":
            # Clipped to 1-99 as the pages print it ("rang percentile 1", never 0,7).
            rows = [
                charts.BarDatum(
                    s.name,
                    None if s.percentile_value is None else min(99.0, max(1.0, s.percentile_value)),
                    s.percentile_low,
                    s.percentile_high,
                )
                for s in scales
            ]
            return "percentile", rows, chart_zones
        return "t", [charts.BarDatum(s.name, s.t, s.t_low, s.t_high) for s in scales], chart_zones
    return "t", [charts.BarDatum(s.name, s.t, s.t_low, s.t_high) for s in scales], None


def profile_charts(
    view: ProfileView,
    *,
    lang: str = "fr",
    facets: bool = False,
    png: bool = False,
    text_as_paths: bool = True,
) -> tuple[Chart, ...]:
    """The charts of one profile: personality bars (domains; facets on demand) on the
    metric of their levels, with the levels' zones (:func:`personality_rows`), the RIASEC
    hexagon and bars; none for questionnaires without a chart (the work values are one
    ranked list, not a chart).

    ``png=True`` also draws each chart as PNG (:attr:`Chart.png`), for documents that do
    not take SVG (DOCX). ``text_as_paths=False`` keeps the SVG's text as ``<text>`` in
    DejaVu Sans: for the PDF, where WeasyPrint embeds the font and lays a text run out
    much faster than hundreds of glyph outlines (pages look the same in every browser
    only with outlines, hence the default).

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> from reports.profile import build_profile
    >>> inst = load_instrument(BUILTIN_DIR / "riasec-60.yaml")
    >>> scores = {f"{s.id}.mean": m for s, m in zip(inst.scales, [1, 3.4, 2, 3.8, 1.2, 0.4])}
    >>> out = profile_charts(build_profile(inst, scores | {"riasec.code": "SIA"}))
    >>> [c.key for c in out], out[0].image.startswith("data:image/svg+xml;base64,")
    (['riasec_hexagon', 'riasec_bars'], True)

    The charts of one view are drawn once: the last ones are kept
    (:data:`PROFILE_CHARTS_KEPT`, keyed by the view, which is frozen and compared by
    value, and the options). A page, its document and the synthesis's proposals draw
    the same charts again and again (about 0.7 s each, a few per questionnaire); the
    drawing is a function of these arguments only, and ``Chart`` is frozen.
    """
    return _profile_charts(view, lang, facets, png, text_as_paths)


#: How many (view, options) the charts of :func:`profile_charts` are kept for: a few
#: questionnaires of a few bilans (each entry is a few SVG images, 100-300 kB).
PROFILE_CHARTS_KEPT = 32


@lru_cache(maxsize=PROFILE_CHARTS_KEPT)
def _profile_charts(
    view: ProfileView, lang: str, facets: bool, png: bool, text_as_paths: bool
) -> tuple[Chart, ...]:
    labels = charts.LABELS_EN if lang == "en" else charts.LABELS_FR
    out: list[Chart] = []

    def chart(key: str, title: str, ax: Any, alt: str, table: charts.DataTable | None) -> None:
        svg, image = _close(ax, png, text_as_paths)
        out.append(Chart(key, title, _data_uri(svg), alt, table, image))

    if view.normed:
        groups: list[tuple[str, Sequence[ScaleView], str]] = [
            ("personality", view.domains, labels["personality_caption"])
        ]
        if facets and view.facets:
            facet_title = "Facets" if lang == "en" else "Facettes"
            groups.append(
                ("facets", view.facets, f"{labels['personality_caption']} — {facet_title}")
            )
        for key, scales, title in groups:
            metric, rows, zones = personality_rows(scales)
            ax = charts.plot_personality(
                rows, metric=metric, zones=zones, labels=labels, locale=lang
            )
            table = charts.personality_table(
                rows,
                metric=metric,
                labels=labels,
                locale=lang,
                caption=title,
                levels=[s.level_label for s in scales] if zones else None,
            )
            chart(key, title, ax, title, table)
    if view.riasec_scores and view.riasec_max:
        scores = {letter: mean for letter, _name, mean in view.riasec_scores}
        caption = labels["riasec_caption"].format(max=fmt(view.riasec_max, lang))
        table = charts.riasec_table(scores, scale_max=view.riasec_max, labels=labels, locale=lang)
        ax = charts.plot_riasec_hexagon(
            scores, scale_max=view.riasec_max, labels=labels, locale=lang
        )
        hex_title = "RIASEC hexagon" if lang == "en" else "Hexagone RIASEC"
        chart("riasec_hexagon", hex_title, ax, caption, table)
        ax = charts.plot_riasec_bars(scores, scale_max=view.riasec_max, labels=labels, locale=lang)
        bars_title = "The six interest scores" if lang == "en" else "Les six scores d’intérêts"
        chart("riasec_bars", bars_title, ax, caption, None)
    return tuple(out)


# --- HTML ---------------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class _French(gettext.NullTranslations):
    """The caller's translations, with French typography applied to French text."""

    def __init__(self, inner: gettext.NullTranslations, lang: str):
        super().__init__()
        self._inner, self._lang = inner, lang

    def gettext(self, message: str) -> str:
        text = self._inner.gettext(message)
        return french(text) if self._lang == "fr" else text

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        text = self._inner.ngettext(msgid1, msgid2, n)
        return french(text) if self._lang == "fr" else text


def render_html(
    report: Report,
    *,
    translations: gettext.NullTranslations | None = None,
    links: Mapping[str, str] | None = None,
    nonce: str | None = None,
) -> str:
    """The report as a complete HTML document (A4 print styles included).

    ``links`` (``{"back": url, "pdf": url}``) adds a navigation bar for the web page; the
    PDF is rendered without it. ``nonce`` marks the inline style block for the page's
    Content-Security-Policy (a web page; the PDF needs none).
    """
    template = template_environment(translations, report.lang).get_template("restitution.html")
    return template.render(
        report=report, links=links or {}, fr=typography(report.lang), nonce=nonce
    )


def template_environment(
    translations: gettext.NullTranslations | None, lang: str
) -> jinja2.Environment:
    """The Jinja2 environment of ``reports/templates`` with the caller's translations
    (French typography applied to French strings); shared by the report templates."""
    tr = _French(translations or gettext.NullTranslations(), lang)
    # A fresh environment per call would recompile the template: install the
    # translations on a child environment sharing the compiled cache instead.
    env = _environment().overlay()
    env.install_gettext_translations(tr, newstyle=True)  # type: ignore[attr-defined]
    return env


def typography(lang: str) -> Callable[[str], str]:
    """French typography for French text (no-break spaces, apostrophes); other
    languages unchanged. Templates apply it to text typed by people (``fr(...)``)."""
    return french if lang == "fr" else (lambda s: s)


# --- PDF ----------------------------------------------------------------------------------


def warm_up() -> None:
    """Load WeasyPrint and its fonts once (about half a second), so that the first report a
    server process makes is not slower than the next ones. Does nothing without Pango."""
    with contextlib.suppress(PdfUnavailable):
        render_pdf("<p>Boussole</p>")


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Lay the report's HTML out as an A4 PDF with WeasyPrint.

    Raises :class:`PdfUnavailable` when WeasyPrint cannot load (Pango missing).
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: a system library is missing
        raise PdfUnavailable(
            "La génération PDF demande WeasyPrint et la bibliothèque Pango"
            " (Debian/Ubuntu : apt install libpango-1.0-0 libpangoft2-1.0-0)."
            f" Détail : {exc}"
        ) from exc
    document = weasyprint.HTML(string=html, base_url=base_url)
    pdf: bytes = document.write_pdf()
    return pdf
