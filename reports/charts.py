"""Profile charts with the matplotlib Figure API (never pyplot), and their text alternatives.

Every ``plot_*`` function takes plain data and an optional ``ax``; it creates its own
:class:`~matplotlib.figure.Figure` when ``ax`` is None and returns the axes it drew on.
:func:`figure_to_svg` and :func:`figure_to_png` render from memory, deterministically.
Every chart has a text alternative for screen readers (:class:`DataTable`), built from the
same data by :func:`personality_table`, :func:`riasec_table` and :func:`values_table`.

Design choices
--------------
Colours
    The Okabe–Ito palette (:data:`PALETTE`), readable with the common colour-vision
    deficiencies. Colour never carries meaning alone: the Holland code bars are also
    hatched with a thick edge, off-axis values get a triangle marker and their number,
    missing scales the words "non calculé", and every shaded area has a legend entry.
Fonts
    DejaVu Sans, bundled with matplotlib, so the layout computed here is the layout seen
    everywhere. SVG text is drawn as glyph paths by default (``svg.fonttype = "path"``):
    with ``"none"`` the viewer's font would be used (WeasyPrint and browsers pick
    different fallbacks), long labels could overflow the space matplotlib measured, and
    the PDF would differ from the screen. The words stay in the file as XML comments, the
    SVG gets a ``<title>``, and the :class:`DataTable` is the accessible text.
    ``figure_to_svg(fig, text_as_paths=False)`` keeps real ``<text>`` elements instead.
Labels
    French by default (:data:`LABELS_FR`, French typography: no-break space before
    ``%`` and ``:``), numbers with a decimal comma through Babel. Every label can be
    overridden with a ``labels`` mapping (:data:`LABELS_EN` is ready-made English) and
    numbers follow ``locale``.
Thread safety
    Styling goes through :func:`matplotlib.rc_context`, which temporarily swaps values in
    the *global* ``rcParams``; a module lock makes drawing and saving under that context
    one at a time, so concurrent gunicorn threads never see each other's settings.
    Drawing is CPU-bound under the GIL anyway, so the lock costs little throughput.
Holland hexagon
    Plain axes with an equal aspect (not polar axes): a flat-topped hexagon in the
    classic orientation of Holland's figure, R at top left then clockwise I (top right),
    A (right), S (bottom right), E (bottom left), C (left); vertex angles 120°, 60°, 0°,
    -60°, -120°, 180°. A score is drawn at radius ``value / scale_max`` (clipped to
    0–1) on its vertex's spoke, so the profile polygon's vertices are plain
    ``r * (cos θ, sin θ)``.
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Final, Literal
from xml.sax.saxutils import escape

import matplotlib as mpl
import numpy as np
from babel.numbers import format_decimal
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from matplotlib.textpath import text_to_path
from matplotlib.ticker import FixedLocator, FuncFormatter
from matplotlib.transforms import ScaledTranslation

from scoring.profiles import HEXAGON, holland_code

__all__ = [
    "LABELS_EN",
    "LABELS_FR",
    "PALETTE",
    "BarDatum",
    "ChartError",
    "DataTable",
    "Zone",
    "figure_to_png",
    "figure_to_svg",
    "personality_table",
    "plot_personality",
    "plot_riasec_bars",
    "plot_riasec_hexagon",
    "plot_values_ranking",
    "riasec_table",
    "values_table",
]

#: Okabe & Ito (2008) colour-blind-safe palette, by name.
PALETTE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "black": "#000000",
        "orange": "#E69F00",
        "sky_blue": "#56B4E9",
        "bluish_green": "#009E73",
        "yellow": "#F0E442",
        "blue": "#0072B2",
        "vermillion": "#D55E00",
        "reddish_purple": "#CC79A7",
    }
)

_BAR = PALETTE["blue"]
_EMPHASIS = PALETTE["vermillion"]
_OTHER = PALETTE["sky_blue"]
_BAND = "#E3E3E3"  # neutral grey behind the bars: never carries meaning without its legend
_GRID = "#BBBBBB"
_MUTED = "#555555"  # grey text, contrast ratio 7.5:1 on white

_NBSP = "\u00a0"

#: Default (French) labels; pass a ``labels`` mapping to override any of them.
LABELS_FR: Final[Mapping[str, str]] = MappingProxyType(
    {
        "t_axis": "Note T (moyenne 50, écart-type 10)",
        "percentile_axis": "Rang percentile",
        "average_band": "Zone moyenne",
        "interval": f"Intervalle de confiance à 90{_NBSP}%",
        "off_axis": "Valeur hors de l’axe (indiquée en chiffres)",
        "not_computed": "non calculé",
        "scale": "Échelle",
        "t_value": "Note T",
        "percentile_value": "Rang percentile",
        "not_available": "non disponible",
        "level": "Niveau",
        "personality_caption": "Profil de personnalité",
        "R": "Réaliste",
        "I": "Investigateur",
        "A": "Artistique",
        "S": "Social",
        "E": "Entreprenant",
        "C": "Conventionnel",
        "riasec_axis": "Score",
        "riasec_type": "Type",
        "holland_code": f"Code de Holland{_NBSP}: {{code}}",
        "holland_code_missing": f"Code de Holland{_NBSP}: non calculé",
        "holland_column": "Dans le code de Holland",
        "other_types": "Autres types",
        "riasec_caption": "Intérêts professionnels (RIASEC, score sur {max})",
        "yes": "oui",
        "no": "non",
        "values_axis": "Score",
        "rank": "Rang",
        "value": "Valeur",
        "tie": "ex æquo",
        "values_caption": "Valeurs professionnelles par ordre d’importance",
    }
)

#: Ready-made English labels.
LABELS_EN: Final[Mapping[str, str]] = MappingProxyType(
    {
        "t_axis": "T score (mean 50, SD 10)",
        "percentile_axis": "Percentile rank",
        "average_band": "Average range",
        "interval": "90% confidence interval",
        "off_axis": "Value beyond the axis (shown as a number)",
        "not_computed": "not computed",
        "scale": "Scale",
        "t_value": "T score",
        "percentile_value": "Percentile rank",
        "not_available": "not available",
        "level": "Level",
        "personality_caption": "Personality profile",
        "R": "Realistic",
        "I": "Investigative",
        "A": "Artistic",
        "S": "Social",
        "E": "Enterprising",
        "C": "Conventional",
        "riasec_axis": "Score",
        "riasec_type": "Type",
        "holland_code": "Holland code: {code}",
        "holland_code_missing": "Holland code: not computed",
        "holland_column": "In the Holland code",
        "other_types": "Other types",
        "riasec_caption": "Career interests (RIASEC, score out of {max})",
        "yes": "yes",
        "no": "no",
        "values_axis": "Score",
        "rank": "Rank",
        "value": "Value",
        "tie": "tied",
        "values_caption": "Work values in order of importance",
    }
)

# Metric -> (axis limits = range of the bars, default average band, axis label key, value key)
_METRICS: Final = {
    "t": ((20.0, 80.0), (40.0, 60.0), "t_axis", "t_value"),
    "percentile": ((1.0, 99.0), (16.0, 84.0), "percentile_axis", "percentile_value"),
}
_METRIC_TICKS: Final = {
    "t": (20, 30, 40, 50, 60, 70, 80),
    "percentile": (1, 10, 25, 50, 75, 90, 99),
}

# Hexagon vertex angles in degrees, in HEXAGON (R, I, A, S, E, C) order.
_HEX_ANGLES: Final = (120.0, 60.0, 0.0, -60.0, -120.0, 180.0)

_STYLE: Final[dict[str, Any]] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10.0,
    "axes.titlesize": 12.0,
    "axes.titleweight": "bold",
    "axes.edgecolor": _MUTED,
    "axes.labelcolor": "#222222",
    "xtick.color": _MUTED,
    "ytick.color": _MUTED,
    "xtick.labelcolor": "#222222",
    "ytick.labelcolor": "#222222",
    "hatch.linewidth": 1.0,
    "svg.hashsalt": "boussole",  # stable clip-path ids: identical SVG for identical input
    "svg.fonttype": "path",
    "text.parse_math": False,  # a "$" in a scale name is a dollar, not mathtext
}
_LOCK = threading.RLock()


class ChartError(ValueError):
    """Chart input that cannot be drawn; the message says which argument and how to fix."""


@dataclass(frozen=True, slots=True)
class BarDatum:
    """One scale of a profile bar chart.

    ``value`` None (or NaN) means "not computed": drawn as a labelled gap, never a zero
    bar. ``low``/``high`` bound the confidence interval; either one None means no interval.
    """

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Zone:
    """One level's zone behind the bars: ``low <= value < high`` on the chart's metric.

    ``low``/``high`` may be infinite (an open end: the axis edge). The zones come from the
    scale's interpretation bands (:func:`scoring.interpret.level_zones`), so a bar ends in
    the zone whose words the page prints. ``shaded`` zones get the grey fill.
    """

    key: str
    label: str
    low: float
    high: float
    shaded: bool = False


@dataclass(frozen=True, slots=True)
class DataTable:
    """The text alternative of a chart: ready-to-print strings (numbers already formatted).

    Examples
    --------
    >>> t = DataTable("Profil", ("Échelle", "Note T"), (("Ouverture", "57,5"),))
    >>> t.header[1], t.rows[0][1]
    ('Note T', '57,5')
    """

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@contextmanager
def _style(fonttype: str = "path") -> Iterator[None]:
    """House style for drawing and saving; one thread at a time (see the module notes)."""
    rc: Any = {**_STYLE, "svg.fonttype": fonttype}  # Any: the stubs want literal keys
    with _LOCK, mpl.rc_context(rc):
        yield


def _labels(overrides: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(LABELS_FR)
    if overrides:
        unknown = sorted(set(overrides) - set(LABELS_FR))
        if unknown:
            raise ChartError(
                f"labels: unknown key(s) {unknown}; valid keys are {sorted(LABELS_FR)}"
            )
        merged.update(overrides)
    return merged


def _value(x: float | None) -> float | None:
    """``x`` as a float, None when missing (None or NaN)."""
    return None if x is None or math.isnan(x) else float(x)


def _fmt(value: float, locale: str, digits: int = 1) -> str:
    """A number with at most ``digits`` decimals (halves rounded up, as the pages round),
    the locale's way (``57,5`` in French), a real minus sign (U+2212) if negative."""
    quantum = Decimal(1).scaleb(-digits)
    rounded = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "−0"
    pattern = "0" if digits == 0 else "0." + "#" * digits
    return str(format_decimal(rounded, format=pattern, locale=locale)).replace("-", "\u2212")


def _text_inches(text: str, size: float, weight: str = "normal") -> tuple[float, float]:
    """Width and height in inches of ``text`` (lines split on newlines) in DejaVu Sans."""
    prop = FontProperties(family="DejaVu Sans", size=size, weight=weight)
    lines = text.split("\n")
    width = max(text_to_path.get_text_width_height_descent(t, prop, ismath=False)[0] for t in lines)
    return width / 72, size * 1.2 * len(lines) / 72


def _new_axes(
    ax: Axes | None,
    size: tuple[float, float],
    *,
    left: float,
    right: float,
    top: float,
    bottom: float,
) -> Axes:
    """``ax``, or the axes of a new figure: ``size`` is the plot area, margins in inches.

    Margins are measured from the labels, not found by a layout engine: constrained layout
    draws every figure once more before saving (about a third of the rendering time).
    """
    if ax is not None:
        return ax
    width, height = size[0] + left + right, size[1] + top + bottom
    fig = Figure(figsize=(width, height))
    return fig.add_axes((left / width, bottom / height, size[0] / width, size[1] / height))


_TITLE_IN = 0.42  # room above the axes for a 12 pt bold title and its pad


def _number_formatter(locale: str) -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: _fmt(x, locale))


def _legend_below(ax: Axes, handles: list[Any], *, inches: float, ncols: int) -> None:
    """A frameless legend ``inches`` below the axes (under tick labels and axis label)."""
    below = ax.transAxes + ScaledTranslation(0, -inches, ax.figure.dpi_scale_trans)
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=below,
        ncols=ncols,
        frameon=False,
        fontsize=9,
        handlelength=1.6,
    )


def _interval(low: float | None, high: float | None) -> tuple[float, float] | None:
    lo, hi = _value(low), _value(high)
    return None if lo is None or hi is None else (lo, hi)


# --------------------------------------------------------------------------- personality


def _draw_intervals(ax: Axes, present: list[tuple[int, BarDatum, float]]) -> bool:
    """Confidence intervals of the present rows, as lines with end ticks; False if none."""
    intervals = [(y, iv) for y, r, _ in present if (iv := _interval(r.low, r.high))]
    if not intervals:
        return False
    iy = [y for y, _ in intervals]
    lows = [iv[0] for _, iv in intervals]
    highs = [iv[1] for _, iv in intervals]
    lines = ax.hlines(iy, lows, highs, colors="black", lw=1.6, zorder=3)
    lines.set_gid("intervals")
    ax.plot(lows + highs, iy + iy, ls="none", marker="|", ms=9, mew=1.6, color="black")
    return True


def _draw_off_axis(
    ax: Axes,
    present: list[tuple[int, BarDatum, float]],
    xlim: tuple[float, float],
    locale: str,
) -> bool:
    """A triangle at the axis edge and the number of every value outside ``xlim``;
    False if there is none."""
    clip_lo, clip_hi = xlim
    off_axis = False
    for y, _, v in present:
        if clip_lo <= v <= clip_hi:
            continue
        off_axis = True
        high_side = v > clip_hi
        edge = xlim[1] if high_side else xlim[0]
        # The low-side marker sits just inside the axes, clear of the tick labels.
        inside = ScaledTranslation(0 if high_side else 5 / 72, 0, ax.figure.dpi_scale_trans)
        ax.plot(
            [edge], [y], marker=">" if high_side else "<", ms=9, color="black",
            clip_on=False, zorder=4, transform=ax.transData + inside,
        )  # fmt: skip
        ax.annotate(
            _fmt(v, locale),
            (edge, y),
            xytext=(-10 if high_side else 14, 0),
            textcoords="offset points",
            ha="right" if high_side else "left",
            va="center",
            fontsize=9,
            fontweight="bold",
            color="white" if high_side else "black",
            zorder=5,
        )
    return off_axis


def _draw_not_computed(
    ax: Axes, rows: Sequence[BarDatum], xlim: tuple[float, float], text: str
) -> None:
    """``text`` ("non calculé") on the row of every missing value."""
    for y, r in enumerate(rows):
        if _value(r.value) is None:
            ax.text(
                xlim[0] + 0.01 * (xlim[1] - xlim[0]),
                y,
                text,
                va="center",
                ha="left",
                style="italic",
                color=_MUTED,
                fontsize=9,
                gid=f"missing-{r.label}",
            )


def _personality_axes(
    ax: Axes,
    tick_labels: list[str],
    xlim: tuple[float, float],
    metric: str,
    xlabel: str,
    locale: str,
) -> None:
    """Row labels (first row at the top), the metric's axis and grid, no top/right spines."""
    ax.set_yticks(list(range(len(tick_labels))), labels=tick_labels)
    ax.set_ylim(len(tick_labels) - 0.5, -0.5)  # first row at the top
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(*xlim)
    ax.xaxis.set_major_locator(FixedLocator(_METRIC_TICKS[metric]))
    ax.xaxis.set_major_formatter(_number_formatter(locale))
    ax.grid(axis="x", color=_GRID, lw=0.6, ls=":", zorder=1)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _draw_zones(ax: Axes, zones: Sequence[Zone], xlim: tuple[float, float]) -> None:
    """Each level's zone (clipped to ``xlim``), its label centred above the plot area and
    a dashed line at every inner boundary."""
    top = ax.get_xaxis_transform()  # x in data, y in axes fraction
    for z in zones:
        lo, hi = max(z.low, xlim[0]), min(z.high, xlim[1])
        if not lo < hi:
            continue
        patch = ax.axvspan(lo, hi, color=_BAND if z.shaded else "white", zorder=0, lw=0)
        patch.set_gid(f"zone-{z.key}")
        ax.text(
            (lo + hi) / 2, 1.01, textwrap.fill(z.label, 14), transform=top, ha="center",
            va="bottom", fontsize=8, color="#222222", gid=f"zone-label-{z.key}",
        )  # fmt: skip
        if hi < xlim[1]:
            ax.axvline(hi, color=_MUTED, lw=0.8, ls="--", zorder=1)


def plot_personality(
    rows: Sequence[BarDatum],
    *,
    metric: Literal["t", "percentile"] = "t",
    average_band: tuple[float, float] | None = None,
    zones: Sequence[Zone] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    locale: str = "fr",
    wrap: int = 24,
) -> Axes:
    """Horizontal bars, one per scale (first row at the top), on the T or percentile metric.

    Parameters
    ----------
    rows
        The scales to draw, in order (domains, or facets: the caller chooses).
    metric
        ``"t"``: T scores on a 20–80 axis; ``"percentile"``: percentile ranks on a 1–99
        axis. A bar's width is its value clipped to the axis range; a clipped value gets
        a triangle marker at the axis edge and its number (bars start at 0, so a value
        at or below the left edge shows no bar, only the marker).
    average_band
        Shaded band behind the bars, default T 40–60 or percentile 16–84; ignored when
        ``zones`` is given.
    zones
        The levels' zones (:class:`Zone`, from the scale's interpretation bands): each
        drawn behind the bars with its label above the plot, boundaries as dashed lines,
        the ``shaded`` ones in grey (gid ``zone-<key>``). The words of a level and the
        zone a bar ends in then come from the same cut-points.
    ax
        Axes to draw on; when None a new figure about 7 in wide, 0.5 in per row, with
        margins fitted to the labels.
    title
        Axes title, none by default.
    labels
        Overrides of :data:`LABELS_FR` (axis label, legend, "non calculé").
    locale
        Babel locale of the numbers (decimal comma in French).
    wrap
        Scale names longer than this many characters are wrapped onto several lines.

    Returns
    -------
    Axes
        Bars in ``ax.containers[0]`` (present values only), the band's patch has the gid
        ``average-band``, the interval lines (a LineCollection) the gid ``intervals``.

    Examples
    --------
    >>> ax = plot_personality([BarDatum("Ouverture", 62.0, 57.0, 67.0),
    ...                        BarDatum("Névrosisme", None)])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Ouverture', 'Névrosisme']
    >>> [float(bar.get_width()) for bar in ax.containers[0]]
    [62.0]
    """
    if metric not in _METRICS:
        raise ChartError(f"plot_personality: metric={metric!r}; use 't' or 'percentile'")
    if not rows:
        raise ChartError("plot_personality: rows is empty; pass at least one BarDatum")
    lab = _labels(labels)
    xlim, default_band, axis_key, _ = _METRICS[metric]
    clip_lo, clip_hi = xlim
    band = default_band if average_band is None else average_band
    if not band[0] < band[1]:
        raise ChartError(f"plot_personality: average_band={band}; low must be below high")

    tick_labels = [textwrap.fill(r.label, wrap) for r in rows]
    values = [_value(r.value) for r in rows]
    beyond = any(v is not None and not clip_lo <= v <= clip_hi for v in values)
    with_iv = any(
        _interval(r.low, r.high) and v is not None for r, v in zip(rows, values, strict=True)
    )
    n_handles = 1 + with_iv + beyond

    with _style():
        label_w = max(_text_inches(t, 10)[0] for t in tick_labels)
        ax = _new_axes(
            ax,
            (max(4.0, 7.0 - label_w), 0.5 * len(rows)),
            left=label_w + 0.2,
            right=0.3,
            top=(_TITLE_IN if title else 0.15) + (0.4 if zones else 0.0),
            bottom=0.6 + 0.2 * math.ceil(n_handles / 2) + 0.1,
        )
        present = [(y, r, v) for y, r in enumerate(rows) if (v := _value(r.value)) is not None]

        if zones:
            _draw_zones(ax, zones, xlim)
        else:
            band_patch = ax.axvspan(*band, color=_BAND, zorder=0, lw=0, label=lab["average_band"])
            band_patch.set_gid("average-band")

        widths = [min(max(v, clip_lo), clip_hi) for _, _, v in present]
        bars = ax.barh([y for y, _, _ in present], widths, height=0.6, color=_BAR, zorder=2)
        for (_, r, _), bar in zip(present, bars, strict=True):
            bar.set_gid(f"bar-{r.label}")

        handles: list[Any] = (
            [Patch(facecolor=_BAND, label=z.label) for z in zones if z.shaded]
            if zones
            else [Patch(facecolor=_BAND, label=lab["average_band"])]
        )
        if _draw_intervals(ax, present):
            handles.append(
                Line2D([], [], color="black", lw=1.6, marker="|", ms=9, label=lab["interval"])
            )
        if _draw_off_axis(ax, present, xlim, locale):
            handles.append(
                Line2D([], [], ls="none", marker=">", ms=8, color="black", label=lab["off_axis"])
            )
        _draw_not_computed(ax, rows, xlim, lab["not_computed"])
        _personality_axes(ax, tick_labels, xlim, metric, lab[axis_key], locale)
        if title:
            ax.set_title(title, loc="left", pad=32 if zones else 6)
        _legend_below(ax, handles, inches=0.55, ncols=2)
    return ax


def personality_table(
    rows: Sequence[BarDatum],
    *,
    metric: Literal["t", "percentile"] = "t",
    labels: Mapping[str, str] | None = None,
    locale: str = "fr",
    caption: str | None = None,
    levels: Sequence[str | None] | None = None,
) -> DataTable:
    """Text alternative of :func:`plot_personality`: scale, value, interval (unclipped),
    and the level's words when ``levels`` (one per row) is given.

    Examples
    --------
    >>> t = personality_table([BarDatum("Ouverture", 57.5, 52.25, 62.75),
    ...                        BarDatum("Névrosisme", None)])
    >>> t.header
    ('Échelle', 'Note T', 'Intervalle de confiance à 90\\xa0%')
    >>> t.rows
    (('Ouverture', '57,5', '52,3–62,8'), ('Névrosisme', 'non calculé', 'non disponible'))
    """
    if metric not in _METRICS:
        raise ChartError(f"personality_table: metric={metric!r}; use 't' or 'percentile'")
    lab = _labels(labels)
    value_key = _METRICS[metric][3]
    digits = 0 if metric == "percentile" else 1  # percentile ranks are printed whole
    out: list[tuple[str, ...]] = []
    for r in rows:
        v, iv = _value(r.value), _interval(r.low, r.high)
        if v is None:
            out.append((r.label, lab["not_computed"], lab["not_available"]))
        elif iv is None:
            out.append((r.label, _fmt(v, locale, digits), lab["not_available"]))
        else:
            band = f"{_fmt(iv[0], locale, digits)}–{_fmt(iv[1], locale, digits)}"
            out.append((r.label, _fmt(v, locale, digits), band))
    header: tuple[str, ...] = (lab["scale"], lab[value_key], lab["interval"])
    if levels is not None:
        header += (lab["level"],)
        out = [(*row, level or "—") for row, level in zip(out, levels, strict=True)]
    return DataTable(
        caption=caption or lab["personality_caption"],
        header=header,
        rows=tuple(out),
    )


# --------------------------------------------------------------------------- RIASEC


def _riasec_values(scores: Mapping[str, float | None], where: str) -> list[float | None]:
    unknown = sorted(set(scores) - set(HEXAGON))
    if unknown:
        raise ChartError(
            f"{where}: unknown RIASEC letter(s) {unknown}; keys must be among R, I, A, S, E, C"
        )
    return [_value(scores.get(letter)) for letter in HEXAGON]


def _check_scale_max(scale_max: float, where: str) -> None:
    if not scale_max > 0:
        raise ChartError(f"{where}: scale_max={scale_max}; it must be a positive number")


def _code_letters(values: list[float | None]) -> tuple[str, set[str]]:
    """Holland code (ties in brackets, from scoring) and the set of its letters."""
    row = np.array([[math.nan if v is None else v for v in values]], dtype=np.float64)
    code = str(holland_code(row)[0])
    return code, {c for c in code if c.isalpha()}


def plot_riasec_hexagon(
    scores: Mapping[str, float | None],
    *,
    scale_max: float,
    ax: Axes | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    locale: str = "fr",
    grid: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
) -> Axes:
    """The Holland hexagon with the person's profile as a filled polygon.

    Flat-topped hexagon on plain equal-aspect axes (see the module notes): R top left,
    then clockwise I, A, S, E, C. Each score sits at radius ``value / scale_max`` (clipped
    to 0–1) on its spoke; a missing score is drawn at 0 and its label says "(non calculé)".

    Parameters
    ----------
    scores
        Letter (R, I, A, S, E, C) -> score or None; an absent letter counts as None.
    scale_max
        The score drawn on the outer hexagon.
    ax
        Axes to draw on (a new 6 x 5.2 in figure when None); its aspect is set to equal.
    title
        Axes title, none by default.
    labels
        Overrides of :data:`LABELS_FR`, e.g. the six type names.
    locale
        Babel locale of the numbers.
    grid
        Fractions of ``scale_max`` drawn as concentric hexagons (value printed at the top).

    Returns
    -------
    Axes
        The profile polygon has the gid ``riasec-profile``.

    Examples
    --------
    >>> ax = plot_riasec_hexagon({"R": 10, "I": 30, "A": 20, "S": 40, "E": 5, "C": None},
    ...                          scale_max=40)
    >>> profile = next(p for p in ax.patches if p.get_gid() == "riasec-profile")
    >>> [round(float(c), 3) for c in profile.get_xy()[3]]  # S: full radius at -60°
    [0.5, -0.866]
    """
    _check_scale_max(scale_max, "plot_riasec_hexagon")
    values = _riasec_values(scores, "plot_riasec_hexagon")
    lab = _labels(labels)
    angles = [math.radians(a) for a in _HEX_ANGLES]
    unit = [(math.cos(a), math.sin(a)) for a in angles]

    vertex_labels = [
        f"{lab[c]}\n" + (f"({lab['not_computed']})" if v is None else _fmt(v, locale))
        for c, v in zip(HEXAGON, values, strict=True)
    ]
    with _style():
        label_w = max(_text_inches(t, 10)[0] for t in vertex_labels)
        ax = _new_axes(
            ax,
            (4.0 + 2 * label_w, 4.2),
            left=0.1,
            right=0.1,
            top=_TITLE_IN if title else 0.1,
            bottom=0.1,
        )
        for f in grid:
            ax.add_patch(
                Polygon(
                    [(f * x, f * y) for x, y in unit],
                    closed=True,
                    fill=False,
                    edgecolor=_GRID,
                    lw=1.2 if f == 1.0 else 0.6,
                    zorder=1,
                )
            )
            ax.text(
                0.0,
                f * math.sqrt(3) / 2,  # apothem: middle of the top edge
                _fmt(f * scale_max, locale),
                ha="center",
                va="bottom",
                fontsize=7,
                color=_MUTED,
                zorder=4,
            )
        for x, y in unit:
            ax.plot([0, x], [0, y], color=_GRID, lw=0.6, zorder=1)

        radii = [0.0 if v is None else min(max(v / scale_max, 0.0), 1.0) for v in values]
        points = [(r * x, r * y) for r, (x, y) in zip(radii, unit, strict=True)]
        profile = Polygon(
            points,
            closed=True,
            facecolor=PALETTE["sky_blue"],
            alpha=0.45,
            edgecolor="none",
            zorder=2,
        )
        profile.set_gid("riasec-profile")
        ax.add_patch(profile)
        ax.add_patch(Polygon(points, closed=True, fill=False, edgecolor=_BAR, lw=2, zorder=3))
        ax.plot(*zip(*points, strict=True), ls="none", marker="o", ms=5, color=_BAR, zorder=3)

        for letter, text, (x, y) in zip(HEXAGON, vertex_labels, unit, strict=True):
            ax.text(
                1.1 * x,
                1.1 * y,
                text,
                ha="left" if x > 0.6 else "right" if x < -0.6 else "center",
                va="bottom" if y > 0.3 else "top" if y < -0.3 else "center",
                multialignment="center",
                fontsize=10,
                gid=f"label-{letter}",
            )
        # 4 in per 2.3 data units both ways (equal aspect); the side labels beside it.
        ax.set_xlim(-1.15 - label_w * 2.3 / 4, 1.15 + label_w * 2.3 / 4)
        ax.set_ylim(-1.15 * 4.2 / 4, 1.15 * 4.2 / 4)
        ax.set_aspect("equal")
        ax.set_axis_off()
        if title:
            ax.set_title(title)
    return ax


def plot_riasec_bars(
    scores: Mapping[str, float | None],
    *,
    scale_max: float,
    ax: Axes | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    locale: str = "fr",
) -> Axes:
    """Six vertical bars in R, I, A, S, E, C order; the Holland code letters emphasised.

    The letters of the Holland code (three highest scores, computed by
    :func:`scoring.profiles.holland_code`) get a hatched, darker bar with a thick edge,
    so the emphasis does not rest on colour. When a tie reaches into the third place
    every tied letter is emphasised (the code reads e.g. ``SA[EI]``); with a missing
    score the code is not computed and no bar is emphasised.

    Parameters
    ----------
    scores
        Letter -> score or None (no bar, "non calculé" written in its place).
    scale_max
        Top of the y axis (values are printed above the bars).
    ax, title, labels, locale
        As in :func:`plot_riasec_hexagon`.

    Returns
    -------
    Axes
        Bars in ``ax.containers[0]``, each with the gid ``riasec-<letter>``.

    Examples
    --------
    >>> ax = plot_riasec_bars({"R": 10, "I": 30, "A": 20, "S": 40, "E": 5, "C": 0},
    ...                       scale_max=50)
    >>> [b.get_gid()[-1] for b in ax.containers[0] if b.get_hatch()]
    ['I', 'A', 'S']
    """
    _check_scale_max(scale_max, "plot_riasec_bars")
    values = _riasec_values(scores, "plot_riasec_bars")
    lab = _labels(labels)
    code, top = _code_letters(values)

    with _style():
        ticks_w = _text_inches(_fmt(scale_max, locale) + ",5", 10)[0]
        ax = _new_axes(
            ax,
            (6.8, 3.2),
            left=ticks_w + 0.5,
            right=0.15,
            top=_TITLE_IN if title else 0.15,
            bottom=0.95,
        )
        present = list(enumerate(zip(HEXAGON, values, strict=True)))
        drawn = [(i, c, v) for i, (c, v) in present if v is not None]
        bars = ax.bar(
            [i for i, _, _ in drawn],
            [v for _, _, v in drawn],
            width=0.65,
            color=_OTHER,
            edgecolor=_MUTED,
            lw=0.8,
            zorder=2,
        )
        for (_, c, _), bar in zip(drawn, bars, strict=True):
            bar.set_gid(f"riasec-{c}")
            if c in top:
                bar.set_facecolor(_EMPHASIS)
                bar.set_hatch("//")
                bar.set_edgecolor("black")
                bar.set_linewidth(2.0)
        ax.bar_label(
            bars,
            labels=[_fmt(v, locale) for _, _, v in drawn],
            padding=3,
            fontsize=9,
        )
        for i, (c, v) in present:
            if v is None:
                ax.text(
                    i, 0.02 * scale_max, lab["not_computed"], ha="center", va="bottom",
                    style="italic", color=_MUTED, fontsize=9, gid=f"missing-{c}",
                )  # fmt: skip

        ax.set_xticks(range(6), labels=[f"{lab[c]}\n({c})" for c in HEXAGON])
        ax.tick_params(axis="x", length=0)
        ax.set_xlim(-0.6, 5.6)
        ax.set_ylim(0, scale_max * 1.08)
        ax.yaxis.set_major_formatter(_number_formatter(locale))
        ax.set_ylabel(lab["riasec_axis"])
        ax.grid(axis="y", color=_GRID, lw=0.6, ls=":")
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if title:
            ax.set_title(title, loc="left")
        if code:
            handles = [
                Patch(
                    facecolor=_EMPHASIS, hatch="//", edgecolor="black", lw=2.0,
                    label=lab["holland_code"].format(code=code),
                ),
                Patch(facecolor=_OTHER, edgecolor=_MUTED, lw=0.8, label=lab["other_types"]),
            ]  # fmt: skip
        else:  # nothing emphasised: the legend only says why
            handles = [Patch(fill=False, lw=0, label=lab["holland_code_missing"])]
        _legend_below(ax, handles, inches=0.5, ncols=2)
    return ax


def riasec_table(
    scores: Mapping[str, float | None],
    *,
    scale_max: float,
    labels: Mapping[str, str] | None = None,
    locale: str = "fr",
    caption: str | None = None,
) -> DataTable:
    """Text alternative of :func:`plot_riasec_hexagon` and :func:`plot_riasec_bars`.

    Examples
    --------
    >>> t = riasec_table({"R": 10.5, "I": 30, "A": 20, "S": 40, "E": 5, "C": 0},
    ...                  scale_max=50)
    >>> t.caption
    'Intérêts professionnels (RIASEC, score sur 50) — Code de Holland\\xa0: SIA'
    >>> t.rows[0], t.rows[3]
    (('Réaliste (R)', '10,5', 'non'), ('Social (S)', '40', 'oui'))
    """
    _check_scale_max(scale_max, "riasec_table")
    values = _riasec_values(scores, "riasec_table")
    lab = _labels(labels)
    code, top = _code_letters(values)
    code_label = lab["holland_code"].format(code=code) if code else lab["holland_code_missing"]
    rows = tuple(
        (
            f"{lab[c]} ({c})",
            lab["not_computed"] if v is None else _fmt(v, locale),
            lab["yes"] if c in top else lab["no"],
        )
        for c, v in zip(HEXAGON, values, strict=True)
    )
    base = caption or lab["riasec_caption"].format(max=_fmt(scale_max, locale))
    return DataTable(
        caption=f"{base} — {code_label}",
        header=(lab["riasec_type"], lab["riasec_axis"], lab["holland_column"]),
        rows=rows,
    )


# --------------------------------------------------------------------------- work values


def _ranked(
    values: Sequence[tuple[float, str, float | None]], tie: str
) -> list[tuple[str, str, float | None]]:
    """(rank text, label, score) sorted by rank; tied ranks shown as ``2-3 (ex æquo)``.

    A group of k values sharing the (mean) rank r covers places r-(k-1)/2 to r+(k-1)/2.
    """
    cleaned = [(_value(rank), label, _value(score)) for rank, label, score in values]
    counts = Counter(rank for rank, _, _ in cleaned if rank is not None)
    out = []
    for rank, label, score in sorted(cleaned, key=lambda v: math.inf if v[0] is None else v[0]):
        if rank is None:
            text = "–"
        elif counts[rank] > 1:
            half = (counts[rank] - 1) / 2
            text = f"{rank - half:g}-{rank + half:g} ({tie})"
        else:
            text = f"{rank:g}"
        out.append((text, label, score))
    return out


def plot_values_ranking(
    values: Sequence[tuple[float, str, float | None]],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    locale: str = "fr",
    xlim: tuple[float, float] | None = None,
) -> Axes:
    """Ranked work values as horizontal bars, rank 1 at the top.

    Parameters
    ----------
    values
        ``(rank, label, score)`` triples in any order: rank 1 = most important, tied values
        share their mean rank (as :func:`scoring.profiles.value_ranks` gives), score an
        ipsative score or a mean (None: "non calculé", no bar). A NaN rank goes last.
    ax, title, labels, locale
        As in :func:`plot_personality`.
    xlim
        Score axis limits; by default from 0 (or the lowest negative score) to the highest
        score plus room for the printed values.

    Returns
    -------
    Axes
        Tick labels read ``"1. Reconnaissance"``, ties ``"2-3 (ex æquo). Autonomie"``.

    Examples
    --------
    >>> ax = plot_values_ranking([(2.5, "Autonomie", 4.0), (1.0, "Reconnaissance", 4.5),
    ...                           (2.5, "Sécurité", 4.0)])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['1. Reconnaissance', '2-3 (ex æquo). Autonomie', '2-3 (ex æquo). Sécurité']
    """
    if not values:
        raise ChartError("plot_values_ranking: values is empty; pass (rank, label, score)")
    lab = _labels(labels)
    ranked = _ranked(values, lab["tie"])

    tick_labels = [f"{r}. {label}" for r, label, _ in ranked]
    with _style():
        label_w = max(_text_inches(t, 10)[0] for t in tick_labels)
        ax = _new_axes(
            ax,
            (max(3.5, 6.8 - label_w), 0.45 * len(ranked)),
            left=label_w + 0.2,
            right=0.25,
            top=_TITLE_IN if title else 0.15,
            bottom=0.6,
        )
        ys = list(range(len(ranked)))
        drawn = [(y, s) for y, (_, _, s) in zip(ys, ranked, strict=True) if s is not None]
        bars = ax.barh(
            [y for y, _ in drawn], [s for _, s in drawn], height=0.6, color=_BAR, zorder=2
        )
        ax.bar_label(bars, labels=[_fmt(s, locale) for _, s in drawn], padding=3, fontsize=9)
        for y, (_, label, s) in zip(ys, ranked, strict=True):
            if s is None:
                ax.text(
                    0, y, f" {lab['not_computed']}", va="center", ha="left", style="italic",
                    color=_MUTED, fontsize=9, gid=f"missing-{label}",
                )  # fmt: skip
        ax.set_yticks(ys, labels=tick_labels)
        ax.set_ylim(len(ranked) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        if xlim is None:
            scores = [s for _, s in drawn] or [1.0]
            lo, hi = min(0.0, *scores), max(0.0, *scores)
            span = (hi - lo) or 1.0
            xlim = (lo - (0.12 * span if lo < 0 else 0.0), hi + 0.12 * span)
        ax.set_xlim(*xlim)
        ax.axvline(0, color=_MUTED, lw=0.8, zorder=3)
        ax.xaxis.set_major_formatter(_number_formatter(locale))
        ax.set_xlabel(lab["values_axis"])
        ax.grid(axis="x", color=_GRID, lw=0.6, ls=":")
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if title:
            ax.set_title(title, loc="left")
    return ax


def values_table(
    values: Sequence[tuple[float, str, float | None]],
    *,
    labels: Mapping[str, str] | None = None,
    locale: str = "fr",
    caption: str | None = None,
) -> DataTable:
    """Text alternative of :func:`plot_values_ranking`, rank 1 first.

    Examples
    --------
    >>> values_table([(2.5, "Autonomie", 4.25), (1.0, "Reconnaissance", 4.5),
    ...               (2.5, "Sécurité", 4.25)]).rows[:2]
    (('1', 'Reconnaissance', '4,5'), ('2-3 (ex æquo)', 'Autonomie', '4,3'))
    """
    lab = _labels(labels)
    rows = tuple(
        (r, label, lab["not_computed"] if s is None else _fmt(s, locale))
        for r, label, s in _ranked(values, lab["tie"])
    )
    return DataTable(
        caption=caption or lab["values_caption"],
        header=(lab["rank"], lab["value"], lab["values_axis"]),
        rows=rows,
    )


# --------------------------------------------------------------------------- rendering


def _figure_of(fig: Figure | Axes) -> Figure:
    """The root figure of ``fig`` (a figure, or axes possibly inside a subfigure)."""
    parent: Any = fig.figure if isinstance(fig, Axes) else fig
    while not isinstance(parent, Figure):
        parent = parent.figure
    return parent


def figure_to_svg(
    fig: Figure | Axes,
    *,
    title: str | None = None,
    text_as_paths: bool = True,
) -> str:
    """The figure as an SVG document (a string), deterministic for identical input.

    Parameters
    ----------
    fig
        The figure, or any of its axes (what the ``plot_*`` functions return).
    title
        Text of the SVG ``<title>`` (the accessible name); by default the first axes
        title, no ``<title>`` when there is none.
    text_as_paths
        True (default): glyphs drawn as paths in DejaVu Sans, identical everywhere, words
        kept as XML comments. False: real ``<text>`` elements in the viewer's font.

    Examples
    --------
    >>> ax = plot_riasec_bars(dict(zip("RIASEC", [1, 2, 3, 4, 5, 6])), scale_max=6)
    >>> svg = figure_to_svg(ax, title="Intérêts")
    >>> svg.startswith("<?xml") and "<title>Intérêts</title>" in svg
    True
    """
    figure = _figure_of(fig)
    if title is None:
        title = next((a.get_title(loc) for a in figure.axes for loc in ("left", "center")
                      if a.get_title(loc)), None)  # fmt: skip
    buf = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None, "Title": title} if title else {"Date": None}
    with _style("path" if text_as_paths else "none"):
        figure.savefig(buf, format="svg", metadata=metadata)
    svg = buf.getvalue().decode("utf-8")
    if title:  # the accessible name: a <title> as the first child of the root element
        start = svg.index("<svg ")
        end = svg.index(">", start) + 1
        head = svg[:start] + '<svg role="img" ' + svg[start + 5 : end]
        svg = f"{head}\n <title>{escape(title)}</title>{svg[end:]}"
    return svg


def figure_to_png(fig: Figure | Axes, dpi: float = 150) -> bytes:
    """The figure as PNG bytes (``figsize * dpi`` pixels), deterministic for identical input.

    Examples
    --------
    >>> ax = plot_values_ranking([(1.0, "Autonomie", 3.0)])
    >>> figure_to_png(ax, dpi=50)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    figure = _figure_of(fig)
    buf = io.BytesIO()
    with _style():
        figure.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
