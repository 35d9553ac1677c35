"""Profile charts: structure of the figures (not pixels), rendering, text alternatives."""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from reports.charts import (
    LABELS_EN,
    LABELS_FR,
    PALETTE,
    BarDatum,
    ChartError,
    figure_to_png,
    figure_to_svg,
    personality_table,
    plot_personality,
    plot_riasec_bars,
    plot_riasec_hexagon,
    plot_values_ranking,
    riasec_table,
    values_table,
)
from tests.conftest import ROOT

DOMAINS = [
    BarDatum("Ouverture à l’expérience", 62.5, 57.0, 68.0),
    BarDatum("Conscienciosité", 48.0, 43.0, 53.0),
    BarDatum("Extraversion", 85.2, 80.0, 90.0),  # beyond the T axis on the right
    BarDatum("Agréabilité", None),  # not computed
    BarDatum("Stabilité émotionnelle", 15.0, 10.0, 20.0),  # beyond on the left
    BarDatum("Recherche de sensations", 39.5),  # no interval
]
RIASEC = {"R": 10, "I": 30, "A": 20, "S": 40, "E": 5, "C": 0}
VALUES = [
    (4.0, "Rémunération", 2.9),
    (1.0, "Reconnaissance", 4.6),
    (2.5, "Autonomie", 4.25),
    (2.5, "Sécurité de l’emploi", 4.25),
    (5.0, "Créativité", None),
]


def _bars(ax):
    return list(ax.containers[0])


def _by_gid(ax, gid):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert len(found) == 1, f"{len(found)} artists with gid {gid!r}"
    return found[0]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _x_span(ax, patch):
    """Data x extent of a patch drawn with any (possibly blended) transform."""
    display = patch.get_transform().transform(patch.get_path().vertices)
    xs = ax.transData.inverted().transform(display)[:, 0]
    return float(xs.min()), float(xs.max())


# --------------------------------------------------------------------------- personality


def test_personality_bars_are_the_present_values_clipped_to_the_t_axis():
    ax = plot_personality(DOMAINS)
    bars = _bars(ax)
    assert len(bars) == 5  # "Agréabilité" has no bar, not a zero bar
    assert [b.get_width() for b in bars] == [62.5, 48.0, 80.0, 20.0, 39.5]
    assert [b.get_gid() for b in bars] == [f"bar-{d.label}" for d in DOMAINS if d.value]
    assert ax.get_xlim() == (20.0, 80.0)
    assert ax.get_xlabel() == "Note T (moyenne 50, écart-type 10)"


def test_personality_rows_top_down_with_french_names_wrapped():
    ax = plot_personality(DOMAINS, wrap=20)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert [lab.replace("\n", " ") for lab in labels] == [d.label for d in DOMAINS]
    assert labels[0] == "Ouverture à\nl’expérience"  # 24 characters, wrapped at 20
    # first row at the top: the y axis is inverted and bar 0 sits on tick 0
    bottom, top = ax.get_ylim()
    assert bottom > top
    assert _bars(ax)[0].get_y() + _bars(ax)[0].get_height() / 2 == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("metric", "band", "xlim"),
    [("t", (40.0, 60.0), (20.0, 80.0)), ("percentile", (16.0, 84.0), (1.0, 99.0))],
)
def test_personality_average_band_default_per_metric(metric, band, xlim):
    ax = plot_personality([BarDatum("Ouverture", 50.0)], metric=metric)
    assert _x_span(ax, _by_gid(ax, "average-band")) == pytest.approx(band)
    assert ax.get_xlim() == xlim
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Zone moyenne"


def test_personality_average_band_is_a_parameter_and_is_checked():
    ax = plot_personality([BarDatum("Ouverture", 50.0)], average_band=(35.0, 65.0))
    assert _x_span(ax, _by_gid(ax, "average-band")) == pytest.approx((35.0, 65.0))
    with pytest.raises(ChartError, match="average_band"):
        plot_personality([BarDatum("Ouverture", 50.0)], average_band=(60.0, 40.0))


def test_personality_percentiles_clip_to_1_99():
    rows = [BarDatum("a", 99.6), BarDatum("b", 0.4), BarDatum("c", 42.0)]
    ax = plot_personality(rows, metric="percentile")
    assert [b.get_width() for b in _bars(ax)] == [99.0, 1.0, 42.0]
    assert ax.get_xlabel() == "Rang percentile"
    assert {"99,6", "0,4"} <= set(_texts(ax))


def test_personality_confidence_intervals_span_low_to_high():
    ax = plot_personality(DOMAINS)
    lines = _by_gid(ax, "intervals")
    assert isinstance(lines, LineCollection)
    segments = [seg.tolist() for seg in lines.get_segments()]
    # rows 0, 1, 2, 4 have an interval (drawn at their y); the others have none
    assert segments == [
        [[57.0, 0.0], [68.0, 0.0]],
        [[43.0, 1.0], [53.0, 1.0]],
        [[80.0, 2.0], [90.0, 2.0]],
        [[10.0, 4.0], [20.0, 4.0]],
    ]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Intervalle de confiance à 90\u00a0%" in legend


def test_personality_without_any_interval_draws_no_interval_line():
    ax = plot_personality([BarDatum("a", 50.0, None, 55.0), BarDatum("b", 52.0)])
    assert not [a for a in ax.get_children() if a.get_gid() == "intervals"]
    assert len(ax.get_legend().get_texts()) == 1  # the average band only


def test_personality_missing_scale_is_a_labelled_gap():
    ax = plot_personality(DOMAINS)
    note = _by_gid(ax, "missing-Agréabilité")
    assert note.get_text() == "non calculé"
    assert note.get_position()[1] == 3  # on the row of "Agréabilité"
    bar_rows = [round(b.get_y() + b.get_height() / 2) for b in _bars(ax)]
    assert 3 not in bar_rows
    assert _texts(ax).count("non calculé") == 1


def test_personality_nan_is_missing_too():
    ax = plot_personality([BarDatum("a", math.nan), BarDatum("b", 50.0)])
    assert len(_bars(ax)) == 1
    assert "non calculé" in _texts(ax)


def test_personality_off_axis_values_get_marker_number_and_legend():
    ax = plot_personality(DOMAINS)
    assert {"85,2", "15"} <= set(_texts(ax))
    markers = {line.get_marker() for line in ax.get_lines()}
    assert {">", "<"} <= markers
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1].startswith("Valeur hors de l’axe")
    inside = plot_personality([BarDatum("a", 55.0)])
    assert not {">", "<"} & {line.get_marker() for line in inside.get_lines()}


def test_personality_bad_input_raises_typed_errors():
    with pytest.raises(ChartError, match="metric='z'"):
        plot_personality(DOMAINS, metric="z")  # type: ignore[arg-type]
    with pytest.raises(ChartError, match="rows is empty"):
        plot_personality([])
    with pytest.raises(ChartError, match=r"unknown key\(s\) \['t_axe'\]"):
        plot_personality(DOMAINS, labels={"t_axe": "T"})


def test_personality_draws_on_given_axes():
    fig = Figure(figsize=(8, 6))
    left, right = fig.subplots(1, 2)
    out = plot_personality(DOMAINS, ax=right, title="Domaines")
    assert out is right
    assert len(_bars(right)) == 5
    assert not left.patches
    assert right.get_title(loc="left") == "Domaines"


# --------------------------------------------------------------------------- hexagon

ANGLES = {"R": 120, "I": 60, "A": 0, "S": -60, "E": -120, "C": 180}


def test_hexagon_profile_vertices_at_value_over_max_on_each_spoke():
    scores = {"R": 10, "I": 30, "A": 20, "S": 40, "E": 5, "C": 60}  # C above the max
    ax = plot_riasec_hexagon(scores, scale_max=40)
    xy = _by_gid(ax, "riasec-profile").get_xy()
    expected = []
    for letter in "RIASEC":
        r = min(scores[letter] / 40, 1.0)
        theta = math.radians(ANGLES[letter])
        expected.append((r * math.cos(theta), r * math.sin(theta)))
    assert xy[:6] == pytest.approx(np.array(expected))
    # hand-checked: R at 1/4 radius, top left; I at 3/4, top right; S at full radius
    assert xy[0] == pytest.approx([-0.125, 0.25 * math.sqrt(3) / 2])
    assert xy[1] == pytest.approx([0.375, 0.75 * math.sqrt(3) / 2])
    assert xy[3] == pytest.approx([0.5, -math.sqrt(3) / 2])
    assert xy[5] == pytest.approx([-1.0, 0.0])  # 60 / 40 clipped to the outer hexagon


def test_hexagon_missing_score_at_centre_and_labelled():
    ax = plot_riasec_hexagon({**RIASEC, "E": None}, scale_max=40)
    xy = _by_gid(ax, "riasec-profile").get_xy()
    assert xy[4] == pytest.approx([0.0, 0.0])
    assert _by_gid(ax, "label-E").get_text() == "Entreprenant\n(non calculé)"
    assert _by_gid(ax, "label-S").get_text() == "Social\n40"


def test_hexagon_absent_letter_counts_as_missing_and_unknown_letter_is_refused():
    ax = plot_riasec_hexagon({"R": 10, "I": 30}, scale_max=40)
    assert _by_gid(ax, "label-C").get_text().endswith("(non calculé)")
    with pytest.raises(ChartError, match=r"unknown RIASEC letter\(s\) \['X'\]"):
        plot_riasec_hexagon({"X": 1}, scale_max=40)
    with pytest.raises(ChartError, match="scale_max=0"):
        plot_riasec_hexagon(RIASEC, scale_max=0)


def test_hexagon_grid_at_fractions_with_french_numbers():
    ax = plot_riasec_hexagon(RIASEC, scale_max=50)
    assert {"12,5", "25", "37,5", "50"} <= set(_texts(ax))
    outer = [p for p in ax.patches if p.get_gid() is None and not p.get_fill()]
    radii = sorted({round(float(np.hypot(*p.get_xy()[0])), 6) for p in outer})
    assert radii[-1] == 1.0
    assert {0.25, 0.5, 0.75} <= set(radii)
    assert ax.get_aspect() == 1.0


def test_hexagon_labels_default_french_overridable_to_english():
    fr = plot_riasec_hexagon(RIASEC, scale_max=40)
    en = plot_riasec_hexagon(RIASEC, scale_max=40, labels=LABELS_EN, locale="en")
    names_fr = [_by_gid(fr, f"label-{c}").get_text().split("\n")[0] for c in "RIASEC"]
    names_en = [_by_gid(en, f"label-{c}").get_text().split("\n")[0] for c in "RIASEC"]
    assert names_fr == [
        "Réaliste",
        "Investigateur",
        "Artistique",
        "Social",
        "Entreprenant",
        "Conventionnel",
    ]
    assert names_en == [
        "Realistic",
        "Investigative",
        "Artistic",
        "Social",
        "Enterprising",
        "Conventional",
    ]


# --------------------------------------------------------------------------- RIASEC bars


def _emphasised(ax):
    return [b.get_gid()[-1] for b in _bars(ax) if b.get_hatch()]


def test_riasec_bars_in_hexagon_order_with_values():
    ax = plot_riasec_bars(RIASEC, scale_max=50)
    bars = _bars(ax)
    assert [b.get_gid() for b in bars] == [f"riasec-{c}" for c in "RIASEC"]
    assert [b.get_height() for b in bars] == [10, 30, 20, 40, 5, 0]
    assert [b.get_x() + b.get_width() / 2 for b in bars] == pytest.approx(range(6))
    names = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert names == [LABELS_FR[c] for c in "RIASEC"]


def test_riasec_bars_emphasise_exactly_the_holland_code_not_by_colour_only():
    ax = plot_riasec_bars(RIASEC, scale_max=50)
    assert _emphasised(ax) == ["I", "A", "S"]
    top = [b for b in _bars(ax) if b.get_hatch()]
    rest = [b for b in _bars(ax) if not b.get_hatch()]
    assert all(b.get_linewidth() > max(r.get_linewidth() for r in rest) for b in top)
    assert mpl.colors.to_hex(top[0].get_facecolor()) == PALETTE["vermillion"].lower()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Code de Holland\u00a0: SIA", "Autres types"]


def test_riasec_bars_tie_at_third_place_emphasises_every_tied_letter():
    ax = plot_riasec_bars({**RIASEC, "R": 20}, scale_max=50)  # R and A tied for 3rd
    assert _emphasised(ax) == ["R", "I", "A", "S"]
    assert ax.get_legend().get_texts()[0].get_text() == "Code de Holland\u00a0: SI[RA]"


def test_riasec_bars_missing_score_no_bar_no_code():
    ax = plot_riasec_bars({**RIASEC, "C": None}, scale_max=50)
    assert [b.get_gid() for b in _bars(ax)] == [f"riasec-{c}" for c in "RIASE"]
    assert _emphasised(ax) == []
    assert _by_gid(ax, "missing-C").get_text() == "non calculé"
    assert ax.get_legend().get_texts()[0].get_text() == "Code de Holland\u00a0: non calculé"


def test_riasec_bars_value_labels_use_decimal_comma():
    ax = plot_riasec_bars({**RIASEC, "S": 40.5}, scale_max=50)
    assert "40,5" in _texts(ax)
    en = plot_riasec_bars({**RIASEC, "S": 40.5}, scale_max=50, labels=LABELS_EN, locale="en")
    assert "40.5" in _texts(en)
    assert en.get_xticklabels()[0].get_text() == "Realistic\n(R)"
    assert en.get_legend().get_texts()[0].get_text() == "Holland code: SIA"


# --------------------------------------------------------------------------- values


def test_values_ranked_top_down_with_tie_labels():
    ax = plot_values_ranking(VALUES)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "1. Reconnaissance",
        "2-3 (ex æquo). Autonomie",
        "2-3 (ex æquo). Sécurité de l’emploi",
        "4. Rémunération",
        "5. Créativité",
    ]
    assert [b.get_width() for b in _bars(ax)] == [4.6, 4.25, 4.25, 2.9]
    bottom, top = ax.get_ylim()
    assert bottom > top  # rank 1 at the top


def test_values_three_way_tie_and_missing_score():
    ax = plot_values_ranking([(3.0, "a", 1.0), (3.0, "b", 1.0), (3.0, "c", 1.0), (1, "d", 2.0)])
    assert [t.get_text() for t in ax.get_yticklabels()][1:] == [
        "2-4 (ex æquo). a",
        "2-4 (ex æquo). b",
        "2-4 (ex æquo). c",
    ]
    missing = plot_values_ranking(VALUES)
    assert len(_bars(missing)) == 4
    assert _by_gid(missing, "missing-Créativité").get_position()[1] == 4


def test_values_negative_scores_extend_the_axis_left():
    ax = plot_values_ranking([(1.0, "a", 3.5), (2.0, "b", -4.0)])
    lo, hi = ax.get_xlim()
    assert lo < -4.0 and hi > 3.5
    assert [b.get_width() for b in _bars(ax)] == [3.5, -4.0]
    assert "\u22124" in _texts(ax)


def test_values_english_tie_label():
    ax = plot_values_ranking(VALUES, labels=LABELS_EN, locale="en")
    assert ax.get_yticklabels()[1].get_text() == "2-3 (tied). Autonomie"
    assert ax.get_xlabel() == "Score"


# --------------------------------------------------------------------------- rendering


CHARTS = [
    lambda: plot_personality(DOMAINS, title="Personnalité"),
    lambda: plot_riasec_hexagon(RIASEC, scale_max=40),
    lambda: plot_riasec_bars(RIASEC, scale_max=50),
    lambda: plot_values_ranking(VALUES),
]


def _all_charts():
    return [make() for make in CHARTS]


def test_svg_parses_has_a_title_and_contains_the_labels():
    svg = figure_to_svg(plot_riasec_bars(RIASEC, scale_max=50), title="Intérêts & goûts")
    root = ET.fromstring(svg.encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.get("role") == "img"
    assert root[0].tag == f"{ns}title"
    assert root[0].text == "Intérêts & goûts"
    for word in ("Réaliste", "Conventionnel", "Code de Holland\u00a0: SIA", "Score"):
        assert f"<!-- {word} -->" in svg  # glyphs as paths: the words stay as comments


def test_svg_title_defaults_to_the_axes_title_and_text_mode_keeps_text():
    svg = figure_to_svg(plot_personality(DOMAINS, title="Personnalité"), text_as_paths=False)
    root = ET.fromstring(svg.encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "Personnalité"
    texts = {"".join(t.itertext()) for t in root.iter(f"{ns}text")}
    assert {"Extraversion", "non calculé", "85,2", "Zone moyenne"} <= texts
    assert "font-family: 'DejaVu Sans'" in svg


def test_png_signature_and_pixel_size_from_figsize_and_dpi():
    ax = plot_riasec_hexagon(RIASEC, scale_max=40, ax=Figure(figsize=(6, 4.5)).add_subplot())
    for dpi, size in ((72, (432, 324)), (150, (900, 675))):
        png = figure_to_png(ax, dpi=dpi)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert png[12:16] == b"IHDR"
        assert struct.unpack(">II", png[16:24]) == size
    assert struct.unpack(">II", figure_to_png(plot_values_ranking(VALUES))[16:24])[0] > 900


def test_rendering_is_deterministic_across_separately_built_figures():
    first = [(figure_to_svg(ax), figure_to_png(ax)) for ax in _all_charts()]
    second = [(figure_to_svg(ax), figure_to_png(ax)) for ax in _all_charts()]
    assert first == second
    assert all('id="' in svg for svg, _ in first)  # there are ids, and they are stable
    assert "<dc:date>" not in first[0][0]


def test_concurrent_rendering_equals_serial_and_leaves_global_rcparams_alone():
    before = {k: mpl.rcParams[k] for k in ("svg.fonttype", "svg.hashsalt", "font.sans-serif")}

    def render(i: int) -> str:
        return figure_to_svg(CHARTS[i % 4]())

    serial = [render(i) for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(render, range(8)))
    assert concurrent == serial
    assert {k: mpl.rcParams[k] for k in before} == before


def test_dollar_signs_are_not_mathtext():
    ax = plot_values_ranking([(1.0, "Salaire en $ et en $", 3.0)])
    svg = figure_to_svg(ax)
    assert "<!-- 1. Salaire en $ et en $ -->" in svg


def test_pyplot_is_never_imported():
    code = (
        "import sys\n"
        "from reports import charts\n"
        "ax = charts.plot_riasec_bars(dict(zip('RIASEC', range(6))), scale_max=6)\n"
        "charts.figure_to_png(ax); charts.figure_to_svg(ax)\n"
        "print('matplotlib.pyplot' in sys.modules, 'matplotlib' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()
    assert out == ["False", "True"]


# --------------------------------------------------------------------------- data tables


def test_personality_table_decimal_commas_and_missing_values():
    table = personality_table(DOMAINS)
    assert table.caption == "Profil de personnalité"
    assert table.header == ("Échelle", "Note T", "Intervalle de confiance à 90\u00a0%")
    assert table.rows[0] == ("Ouverture à l’expérience", "62,5", "57–68")
    assert table.rows[2] == ("Extraversion", "85,2", "80–90")  # not clipped in the table
    assert table.rows[3] == ("Agréabilité", "non calculé", "non disponible")
    assert table.rows[5] == ("Recherche de sensations", "39,5", "non disponible")
    pct = personality_table(DOMAINS[:1], metric="percentile", labels=LABELS_EN, locale="en")
    assert pct.header[1] == "Percentile rank"
    assert pct.rows[0][1] == "63"  # percentile ranks whole, halves up, as the pages print them


def test_riasec_table_flags_the_code_letters():
    table = riasec_table({**RIASEC, "I": 30.25}, scale_max=50)
    assert table.caption.endswith("Code de Holland\u00a0: SIA")
    assert [row[2] for row in table.rows] == ["non", "oui", "oui", "oui", "non", "non"]
    assert table.rows[1] == ("Investigateur (I)", "30,3", "oui")  # halves rounded up
    missing = riasec_table({**RIASEC, "E": None}, scale_max=50)
    assert missing.rows[4][1] == "non calculé"
    assert missing.caption.endswith("non calculé")


def test_values_table_rank_order_and_ties():
    table = values_table(VALUES)
    assert table.header == ("Rang", "Valeur", "Score")
    assert table.rows == (
        ("1", "Reconnaissance", "4,6"),
        ("2-3 (ex æquo)", "Autonomie", "4,3"),
        ("2-3 (ex æquo)", "Sécurité de l’emploi", "4,3"),
        ("4", "Rémunération", "2,9"),
        ("5", "Créativité", "non calculé"),
    )


def test_french_typography_in_default_labels():
    assert LABELS_FR["interval"].endswith("90\u00a0%")
    assert "\u00a0:" in LABELS_FR["holland_code"]
    assert set(LABELS_EN) == set(LABELS_FR)  # the English set is complete
