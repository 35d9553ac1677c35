"""Benchmark of the restitution report: three scored questionnaires to an A4 PDF.

Run it from the project root with the project's virtual environment:

    .venv/bin/python bench/bench_report.py              # BFI-25, RIASEC-60, values
    .venv/bin/python bench/bench_report.py --spi        # SPI-135 with facets instead
    .venv/bin/python bench/bench_report.py --repeats 10 --lang en
    .venv/bin/python bench/bench_report.py --no-variants  # skip the PDF variants
    .venv/bin/python bench/bench_report.py --cprofile   # + cProfile of one warm run

Target (issue): "Report generation (three instruments, all charts) takes under 1.5 s on
this machine". The verdict uses the median of the warm runs; the first run is reported
apart because it pays for imports (WeasyPrint is imported on the first PDF), font loading
and template compilation, as the first report after a server start does.

What it does:

1. Simulates one respondent per instrument (``scoring.simulate.simulate_answers``, seeded)
   and scores the answers as the service stores them
   (``service.features.journey.completion.score_answers``:
   the JSON-safe row of ``<scale>.<metric>`` values, with norms for the personality
   inventory). This set-up is timed but not part of the report's time.
2. Times the whole generation, stage by stage, as ``service.features.profiles.service`` runs it:
   ``build_profile`` for the three rows -> ``profile_charts`` (SVG data URIs + data tables;
   facets too with ``--spi``) -> ``render_html`` -> ``render_pdf`` (WeasyPrint, A4).
   One cold run, then ``--repeats`` warm runs: min / median / max per stage, wall clock,
   plus the process CPU time of the whole (a wall time well above the CPU time means the
   machine was busy with other work).
3. Baselines in the same process, same repeats: a bare WeasyPrint render of a one-page
   HTML document (the fixed cost of any PDF), and the same charts drawn and saved as SVG
   with ``reports.charts`` alone (no tables): the floor of the chart stage; the same
   charts saved as SVG with ``<text>`` and as PNG too (the drawing cost of the variants).
4. PDF variants (skip with ``--no-variants``): the same HTML laid out by WeasyPrint with
   the charts removed, with the charts as SVG with real ``<text>`` instead of glyph
   outlines, and as PNG (150 dpi). With the time to draw the charts in each format, they
   say how much of the PDF time the embedded SVG costs and what a change of image format
   would save; ``reports`` is not modified.

The exit code is 0 whatever the figures: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gettext
import io
import os
import platform
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from babel.support import Translations
from matplotlib.axes import Axes

from instruments import BUILTIN_DIR, Instrument, load_instrument
from reports import charts
from reports.profile import ProfileView, build_profile
from reports.restitution import (
    Report,
    ReportSection,
    profile_charts,
    render_html,
    render_pdf,
)
from scoring.simulate import simulate_answers
from service.features.journey.completion import score_answers

PROJECT_ROOT = Path(__file__).resolve().parents[1]

TARGET_SECONDS = 1.5
DEFAULT_REPEATS = 5
STAGES = ("profile", "charts", "html", "pdf", "total")
DATA_URI = re.compile(r'src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"')
BARE_HTML = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Page</title>
<style>@page { size: A4; margin: 20mm; @bottom-center { content: counter(page); } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 11pt; }</style></head>
<body><h1>Rapport de restitution</h1>
<p>Un paragraphe d’une page, dans la police du rapport, pour mesurer le coût fixe d’un
PDF WeasyPrint : chargement des polices, mise en page et écriture du fichier.</p>
</body></html>"""


# ---------------------------------------------------------------------------
# Workload
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """One completed questionnaire as the database holds it."""

    instrument: Instrument
    scores: dict[str, Any]
    instrument_key: str
    norm_version: str | None


@dataclass(frozen=True)
class Workload:
    stored: tuple[Stored, ...]
    lang: str
    translations: gettext.NullTranslations | None
    facets: bool


def instrument_names(spi: bool) -> tuple[str, ...]:
    return ("spi-135" if spi else "ipip-bfi-25", "riasec-60", "valeurs-travail")


def build_workload(spi: bool, seed: int, lang: str) -> Workload:
    """Scores one simulated respondent per instrument, as stored at completion."""
    stored = []
    for k, name in enumerate(instrument_names(spi)):
        inst = load_instrument(BUILTIN_DIR / f"{name}.yaml")
        row = simulate_answers(inst, 1, seed=seed + k).iloc[0]
        answers = {str(item): value for item, value in row.items()}
        seconds = 8.0 * len(inst.numeric_items)  # a plausible pace, no "too fast" flag
        scores, key, norm_version = score_answers(inst, answers, respondent=1, seconds=seconds)
        stored.append(Stored(inst, scores, key, norm_version))
    translations = None
    if lang != "fr":
        translations = Translations.load(str(PROJECT_ROOT / "service" / "translations"), [lang])
    return Workload(tuple(stored), lang, translations, facets=spi)


# ---------------------------------------------------------------------------
# The generation, stage by stage
# ---------------------------------------------------------------------------


@dataclass
class Run:
    """Wall seconds per stage of one generation, CPU seconds of the whole, the output."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu: float = 0.0
    report: Report | None = None
    html: str = ""
    pdf: bytes = b""


def generate(work: Workload) -> Run:
    """Profiles -> charts -> HTML -> PDF, as ``service.features.profiles.service`` does it."""
    run = Run()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    views = [
        build_profile(
            s.instrument,
            s.scores,
            norm_version=s.norm_version,
            instrument_key=s.instrument_key,
            lang=work.lang,
            translations=work.translations,
        )
        for s in work.stored
    ]
    t1 = time.perf_counter()
    drawn = [
        profile_charts(v, lang=work.lang, facets=work.facets, text_as_paths=False) for v in views
    ]
    t2 = time.perf_counter()
    comment = "Bravo pour ce travail : on en reparle lors du prochain entretien ?"
    report = Report(
        beneficiary="Camille Martin",
        bilan_title="Bilan de compétences — reconversion",
        date="4 novembre 2026",
        counsellors=("Alex Durand",),
        centre="Centre de bilan Boussole",
        sections=tuple(
            ReportSection(profile=v, charts=c, completed_on="3 novembre 2026", comment=comment)
            for v, c in zip(views, drawn, strict=True)
        ),
        closing_comment="Les pistes à explorer : enquêtes métiers, stage d’observation.",
        lang=work.lang,
    )
    html = render_html(report, translations=work.translations)
    t3 = time.perf_counter()
    pdf = render_pdf(html)
    t4 = time.perf_counter()
    run.cpu = time.process_time() - cpu0
    run.seconds = {
        "profile": t1 - t0,
        "charts": t2 - t1,
        "html": t3 - t2,
        "pdf": t4 - t3,
        "total": t4 - t0,
    }
    run.report, run.html, run.pdf = report, html, pdf
    return run


# ---------------------------------------------------------------------------
# Baselines and variants
# ---------------------------------------------------------------------------


def same_figures(view: ProfileView, lang: str, facets: bool) -> Iterator[tuple[str, Axes]]:
    """The figures ``profile_charts`` draws for ``view``, in the same order, drawn with
    ``reports.charts`` directly (the caller saves them as it likes)."""
    labels = charts.LABELS_EN if lang == "en" else charts.LABELS_FR
    if view.normed:
        groups = [("personality", view.domains)]
        if facets and view.facets:
            groups.append(("facets", view.facets))
        for key, scales in groups:
            rows = [charts.BarDatum(s.name, s.t, s.t_low, s.t_high) for s in scales]
            yield key, charts.plot_personality(rows, metric="t", labels=labels, locale=lang)
    if view.riasec_scores and view.riasec_max:
        scores = {letter: value for letter, _name, value in view.riasec_scores}
        kw: dict[str, Any] = {"scale_max": view.riasec_max, "labels": labels, "locale": lang}
        yield "riasec_hexagon", charts.plot_riasec_hexagon(scores, **kw)
        yield "riasec_bars", charts.plot_riasec_bars(scores, **kw)
    if view.value_ranks:
        values = [(r.rank_value, r.name, r.score) for r in view.value_ranks]
        yield "values", charts.plot_values_ranking(values, labels=labels, locale=lang)


BLANK_GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def encode(ax: Axes, how: str) -> str:
    """A drawn chart as a data URI: ``svg`` (glyph outlines, as the report does it),
    ``svg-text`` (SVG with <text> elements), ``png`` (150 dpi), ``none`` (a blank GIF)."""
    if how == "png":
        return "data:image/png;base64," + base64.b64encode(charts.figure_to_png(ax)).decode()
    if how in ("svg", "svg-text"):
        svg = charts.figure_to_svg(ax, text_as_paths=how == "svg")
        return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return BLANK_GIF


def images_as(report: Report, lang: str, facets: bool, how: str) -> list[str]:
    """``src`` attributes of the report's charts drawn again and encoded as ``how``."""
    out = []
    for section in report.sections:
        keys = [c.key for c in section.charts]
        figures = list(same_figures(section.profile, lang, facets))
        if [k for k, _ax in figures] != keys:
            raise SystemExit(f"bench out of date: charts {keys} != {[k for k, _ in figures]}")
        for _key, ax in figures:
            out.append(f'src="{encode(ax, how)}"')
            ax.get_figure().clear()  # type: ignore[union-attr]
    return out


def replace_images(html: str, sources: list[str]) -> str:
    found = DATA_URI.findall(html)
    if len(found) != len(sources):
        raise SystemExit(f"bench out of date: {len(found)} SVG images, {len(sources)} given")
    replacements = iter(sources)
    return DATA_URI.sub(lambda _m: next(replacements), html)


def pdf_pages(pdf: bytes) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(io.BytesIO(pdf)).pages)


# ---------------------------------------------------------------------------
# Measurement helpers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    values: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def row(self, name: str) -> str:
        return (
            f"  {name:<34} {ms(self.min):>9} {ms(self.median):>9} {ms(self.max):>9}"
            f"   (n={len(self.values)})"
        )


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.0f} ms"


def timed(fn: Callable[[], object], repeats: int, *, warm: bool = True) -> Stats:
    if warm:
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return Stats(tuple(out))


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages and the CPU count, to spot a busy machine."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPU(s)"


def versions() -> str:
    """Library versions, read from the installed metadata: importing WeasyPrint here would
    take its import out of the cold run."""
    found = []
    for dist in ("matplotlib", "weasyprint", "pydyf", "fonttools"):
        try:
            found.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{dist} not installed")
    return f"Python {platform.python_version()}, {', '.join(found)}, {platform.machine()}"


def ratio(a: float, b: float) -> str:
    return "n/a" if b <= 0 else f"{a / b:.1f}x"


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--repeats", type=int, default=DEFAULT_REPEATS, help="warm runs (default 5)"
    )
    parser.add_argument("--spi", action="store_true", help="SPI-135 with facets, not BFI-25")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the simulated answers")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr", help="report language")
    parser.add_argument("--no-variants", action="store_true", help="skip the PDF variants")
    parser.add_argument("--cprofile", action="store_true", help="cProfile one warm run")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be positive")
    return args


VARIANT_LABELS = {
    "none": "PDF, charts removed",
    "svg-text": "PDF, charts as SVG with <text>",
    "png": "PDF, charts as PNG 150 dpi",
}


@dataclass(frozen=True)
class Baselines:
    """Timings measured besides the report itself (see the module docstring, 3. and 4.)."""

    bare: Stats  # bare WeasyPrint, one-page HTML
    drawn: dict[str, Stats]  # the report's charts drawn alone, per image format
    pdf_as: dict[str, Stats]  # the report's PDF with the charts removed or in another format


def set_up(args: argparse.Namespace) -> Workload:
    """Build the workload, printing the set-up time and any validity flag raised."""
    start = time.perf_counter()
    work = build_workload(args.spi, args.seed, args.lang)
    keys = ", ".join(s.instrument_key for s in work.stored)
    print(
        f"set-up (load instruments, simulate and score answers, not timed below):"
        f" {ms(time.perf_counter() - start)}; {keys}"
    )
    flagged = [
        s.instrument.id for s in work.stored if s.scores.get("flag.any") is True
    ]  # a flag only adds a sentence; said for completeness
    if flagged:
        print(f"  validity flags raised for: {', '.join(flagged)}")
    return work


def cold_run(work: Workload, args: argparse.Namespace) -> tuple[Run, Report]:
    """The first generation (pays for imports, fonts, template), described and timed."""
    preloaded = "weasyprint" in sys.modules  # imported by something before the cold run?
    cold = generate(work)
    if cold.report is None:
        raise SystemExit("no report generated")
    n_charts = sum(len(s.charts) for s in cold.report.sections)
    print(
        f"report: {len(cold.report.sections)} questionnaires, {n_charts} charts"
        f"{' (with SPI facets)' if args.spi else ''}, HTML {len(cold.html) / 1e3:.0f} kB,"
        f" PDF {len(cold.pdf) / 1e3:.0f} kB, {pdf_pages(cold.pdf) or '?'} pages, lang"
        f" {args.lang}"
    )
    what = "fonts, template" if preloaded else "WeasyPrint import, fonts, template"
    print(
        f"first run, cold ({what}): " + ", ".join(f"{k} {ms(v)}" for k, v in cold.seconds.items())
    )
    return cold, cold.report


def measure_baselines(
    cold: Run, report: Report, work: Workload, args: argparse.Namespace
) -> Baselines:
    """Bare WeasyPrint, the charts drawn alone in each format, and the PDF variants."""
    bare = timed(partial(render_pdf, BARE_HTML), args.repeats)
    drawn = {
        how: timed(partial(images_as, report, args.lang, work.facets, how), args.repeats)
        for how in ("svg", "svg-text", "png")
    }
    pdf_as: dict[str, Stats] = {}
    if not args.no_variants:
        for how in ("none", "svg-text", "png"):
            html = replace_images(cold.html, images_as(report, args.lang, work.facets, how))
            pdf_as[how] = timed(partial(render_pdf, html), args.repeats)
    return Baselines(bare, drawn, pdf_as)


def profile_one_run(work: Workload) -> None:
    """cProfile of one warm generation, top 25 by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    generate(work)
    profiler.disable()
    print("\ncProfile of one warm run (cumulative time, top 25):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def print_timings(stage: dict[str, Stats], cpu: Stats, base: Baselines, n_charts: int) -> None:
    """The min / median / max table of the warm runs and of the baselines."""
    print(f"warm runs (wall clock)                {'min':>9} {'median':>9} {'max':>9}")
    for k in STAGES:
        print(stage[k].row(k))
    print(cpu.row("total, process CPU time"))
    print("baselines (same process)")
    print(base.bare.row("bare WeasyPrint, one-page HTML"))
    print(base.drawn["svg"].row(f"same {n_charts} charts to SVG alone"))
    print(base.drawn["svg-text"].row(f"same {n_charts} charts to SVG with <text>"))
    print(base.drawn["png"].row(f"same {n_charts} charts to PNG 150 dpi"))
    for how, stats in base.pdf_as.items():
        print(stats.row(VARIANT_LABELS[how]))


def print_ratios(stage: dict[str, Stats], cpu: Stats, base: Baselines) -> None:
    """Ratios of the medians, and what another chart format would save."""
    total, pdf, charts_t = stage["total"].median, stage["pdf"].median, stage["charts"].median
    drawn, pdf_as = base.drawn, base.pdf_as
    print("ratios (medians)")
    print(f"  charts stage / SVG alone                {ratio(charts_t, drawn['svg'].median)}")
    print(f"  PDF stage / bare WeasyPrint             {ratio(pdf, base.bare.median)}")
    print(f"  PDF share of the total                  {100 * pdf / total:.0f} %")
    print(f"  wall / CPU time (total)                 {total / cpu.median:.2f}")
    if pdf_as:
        print(f"  PDF time due to the SVG charts          {ms(pdf - pdf_as['none'].median)}")
        now = drawn["svg"].median + pdf
        print(f"  charts + PDF, as now (SVG outlines)     {ms(now)}")
        for how in ("svg-text", "png"):
            other = drawn[how].median + pdf_as[how].median
            name = VARIANT_LABELS[how].removeprefix("PDF, charts ")
            print(f"  charts + PDF, {name:<25} {ms(other)} (saves {ms(now - other)})")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"# {versions()}")
    print(f"# start: {load_average()}")
    work = set_up(args)
    cold, report = cold_run(work, args)
    n_charts = sum(len(s.charts) for s in report.sections)

    runs = [generate(work) for _ in range(args.repeats)]
    stage = {k: Stats(tuple(r.seconds[k] for r in runs)) for k in STAGES}
    cpu = Stats(tuple(r.cpu for r in runs))
    base = measure_baselines(cold, report, work, args)
    if args.cprofile:
        profile_one_run(work)

    print(f"\n# end: {load_average()} (a load above the CPU count inflates wall times)")
    print_timings(stage, cpu, base, n_charts)
    print_ratios(stage, cpu, base)

    total = stage["total"].median
    ok = total < TARGET_SECONDS
    print(
        f"\ntarget: report under {TARGET_SECONDS} s -> median {total:.2f} s:"
        f" {'met' if ok else 'NOT met'}; first run (cold) {cold.seconds['total']:.2f} s:"
        f" {'met' if cold.seconds['total'] < TARGET_SECONDS else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
