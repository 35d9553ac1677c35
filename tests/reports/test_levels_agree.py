"""Words, chart zones and summary agree, for every built-in instrument and norm group.

Issue 11: "Plutôt bas" was cut on percentile 30 while the chart shaded T 40-60 as the
average zone, so a scale at T 42 was drawn inside the average zone and labelled "Plutôt
bas". Here a grid of scale scores goes through the real scoring (norms of each group of
each shipped norm table, then the levels), the profile and the chart; for every scale the
zone the chart draws the bar's end in must be the level whose words the page prints, and
the summary must list exactly the scales outside the middle level.

The cut-points and labels are read from the YAML files with PyYAML (not through the code
under test); the zones and bar ends are read back from the drawn matplotlib axes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from instruments import BUILTIN_DIR, Instrument, load_instrument
from reports.charts import plot_personality
from reports.profile import ProfileView, build_profile
from reports.restitution import personality_rows, profile_charts
from scoring.interpret import assign_levels
from scoring.norms import NormTable, apply_norms

BUILTINS = sorted(BUILTIN_DIR.glob("*.yaml"))


def _yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _yaml_cuts(path: Path) -> dict[str, list[tuple[str, float, float, str]]]:
    """Per scale with bands: (level, low, high, French label), low inclusive."""
    out = {}
    for s in _yaml(path)["scales"]:
        if "bands" not in s:
            continue
        levels = s["bands"]["levels"]
        cuts = []
        for k, b in enumerate(levels):
            low = -math.inf if k == 0 and "min" not in b else float(b["min"])
            nxt = levels[k + 1] if k + 1 < len(levels) else None
            high = float(nxt["min"]) if nxt is not None else float(b.get("max", math.inf))
            cuts.append((b["level"], low, high, b["label"]["fr"]))
        out[s["id"]] = cuts
    return out


def _yaml_level(cuts: list[tuple[str, float, float, str]], x: float) -> tuple[str, str] | None:
    for level, low, high, label in cuts:
        if low <= x < high:
            return level, label.replace("'", "’")
    return None


def _groups(table: NormTable) -> list[dict[str, str]]:
    """The groups a respondent can be compared with (the others are never used)."""
    return [dict(g["key"]) for g in table.groups if g.get("usable", True)]


def _demographics(table: NormTable, key: dict[str, str], n: int) -> pd.DataFrame:
    """Columns that select the norm group ``key`` (unknown values fall back, by design)."""
    cols: dict[str, Any] = {}
    for var in table.group_by:
        band = next((b for b in table.bands if b.target == var), None)
        value = key.get(var)
        if band is not None:
            age = None
            if value is not None:
                low = value.rstrip("+").split("-")[0]
                age = float(low) + 1
            cols[band.column] = [age] * n
        else:
            cols[var] = [value] * n
    return pd.DataFrame(cols)


def _grid(instrument: Instrument, n: int = 31, seed: int = 11) -> pd.DataFrame:
    """Scale means over each scale's whole range: all scales at the same point, then
    random points (seeded), so that percentiles cover every level of every group."""
    ranges = {}
    for s in instrument.scales:
        lo, hi = instrument.format_of(s.members[0].item).coding_range
        ranges[s.id] = (float(lo), float(hi))
    rng = np.random.default_rng(seed)
    rows = [
        {sid: lo + (hi - lo) * k / (n - 1) for sid, (lo, hi) in ranges.items()} for k in range(n)
    ]
    rows += [
        {sid: float(rng.uniform(lo, hi)) for sid, (lo, hi) in ranges.items()} for _ in range(n)
    ]
    return pd.DataFrame([{f"{sid}.mean": v for sid, v in r.items()} for r in rows])


def _rows(
    instrument: Instrument, means: pd.DataFrame, normed: pd.DataFrame
) -> list[dict[str, Any]]:
    table = pd.concat([means, normed], axis=1)
    levels = assign_levels(instrument, table)
    table = pd.concat([table, levels], axis=1)
    out = []
    for rec in table.to_dict("records"):
        row = {
            k: (v if not isinstance(v, float) or not math.isnan(v) else None)
            for k, v in rec.items()
        }
        for s in instrument.scales:
            row[f"{s.id}.n"] = len(s.members)
            row[f"{s.id}.missing"] = False
        out.append(row)
    return out


def _zone_spans(ax: Any) -> dict[str, tuple[float, float]]:
    spans = {}
    for artist in ax.get_children():
        gid = artist.get_gid() or ""
        if gid.startswith("zone-") and not gid.startswith("zone-label-"):
            display = artist.get_transform().transform(artist.get_path().vertices)
            xs = ax.transData.inverted().transform(display)[:, 0]
            spans[gid.removeprefix("zone-")] = (
                round(float(xs.min()), 9),
                round(float(xs.max()), 9),
            )
    return spans


def _zone_of(spans: dict[str, tuple[float, float]], x: float, right: float) -> str:
    found = [k for k, (lo, hi) in spans.items() if lo <= x < hi or (x == hi == right)]
    assert len(found) == 1, (x, spans)
    return found[0]


def _check_chart_agrees(views: list[ProfileView], cuts: dict[str, Any]) -> int:
    """Draw every scale of ``views`` (domains and facets, as the pages draw them: one
    chart for all, the same function and zones) and check each bar ends in its level's
    zone; returns the number of scales checked.

    Scales whose checked values are all equal (scale, level, words, percentile and its
    band: the bar drawn and what it is compared with) are drawn once: the grid gives
    many such repeats across norm groups (about 45 % of the spi-135 bars), and drawing
    them again checked nothing new (matplotlib's cost is per bar: about a minute)."""
    every = [s for view in views for s in (*view.domains, *view.facets)]
    distinct = {
        (s.id, s.level, s.level_label, s.level_value, s.percentile_value, s.percentile_low,
         s.percentile_high, s.zones): s
        for s in every
    }  # fmt: skip
    scales = list(distinct.values())
    metric, data, zones = personality_rows(scales)
    assert zones is not None, "a normed scale with bands is drawn with its levels' zones"
    ax = plot_personality(data, metric=metric, zones=zones)
    spans = _zone_spans(ax)
    right = ax.get_xlim()[1]
    labels = {t.get_gid().removeprefix("zone-label-"): t.get_text().replace("\n", " ")
              for t in ax.texts if (t.get_gid() or "").startswith("zone-label-")}  # fmt: skip
    bars = [float(b.get_width()) for b in ax.containers[0]]
    assert len(bars) == len(scales)  # every scale is present, bars in row order
    for s, end in zip(scales, bars, strict=True):
        zone = _zone_of(spans, end, right)
        # The drawn zone is the printed level, and the zone's label is its words.
        assert zone == s.level, (s.id, s.percentile_value, zone)
        assert labels[zone] == s.level_label
        # ... which is the YAML's level for the value on the YAML's metric.
        assert _yaml_level(cuts[s.id], s.level_value)[1] == s.level_label
        # The bar's end lies inside its own 90 % band.
        assert s.percentile_low <= end <= s.percentile_high
    ax.get_figure().clear()
    return len(every)


def _check_summary_agrees(view: ProfileView) -> None:
    """The summary lists domains outside the middle level (at most three), never one in
    it, and says "all in the average zone" only when every domain is in the middle."""
    marked = [s for s in view.domains if s.level_position != "middle"]
    listed = [s for s in view.domains if f"{s.name} (" in view.summary]
    assert {s.id for s in listed} <= {s.id for s in marked}, view.summary
    assert len(listed) == min(3, len(marked)), view.summary
    for s in listed:
        assert f"{s.name} ({s.level_label.lower()}, rang percentile {s.percentile})" in view.summary
    assert ("zone moyenne" in view.summary) == (not marked)


NORMED = [p for p in BUILTINS if "norms" in _yaml(p)]


@pytest.mark.slow  # spi-135: 11 norm groups, about 10,000 bars drawn (a minute on CI)
@pytest.mark.parametrize("path", NORMED, ids=lambda p: p.stem)
def test_every_norm_group_words_zones_and_summary_agree(path: Path) -> None:
    instrument = load_instrument(path)
    table = NormTable.load(instrument.norms_path())
    cuts = _yaml_cuts(path)
    assert cuts and all(s.bands is not None for s in instrument.scales)
    means = _grid(instrument)
    levels_seen: set[str] = set()
    views = []  # of every group: drawn together, one chart (the zones are the levels')
    for key in _groups(table):
        demo = _demographics(table, key, len(means))
        normed = apply_norms(means, table, demographics=demo)
        first = instrument.scales[0].id
        assert set(normed[f"{first}.norm_group"].astype(str)) == {table.describe_group(key)}
        for row in _rows(instrument, means, normed):
            view = build_profile(instrument, row, norm_version=table.version)
            _check_summary_agrees(view)
            # The level stored at scoring and the level printed are one definition.
            for s in view.scales:
                assert row[f"{s.id}.level"] == s.level
                levels_seen.add(s.level)
            views.append(view)
    checked = _check_chart_agrees(views, cuts)
    assert levels_seen == {"low", "average", "high"}
    assert checked >= len(_groups(table)) * len(means) * len(instrument.scales)


def test_a_t_of_42_is_drawn_in_the_zone_of_its_words() -> None:
    # The case seen: T 42 (percentile about 21, "Plutôt bas") was drawn inside a grey
    # "Zone moyenne" covering T 40-60. Now the chart is on the levels' own metric.
    spi = load_instrument(BUILTIN_DIR / "spi-135.yaml")
    row: dict[str, Any] = {}
    for s in spi.scales:
        row |= {f"{s.id}.mean": 3.5, f"{s.id}.n": len(s.members), f"{s.id}.t": 42.0}
        row |= {f"{s.id}.percentile": 21.2, f"{s.id}.band_low": 36.0, f"{s.id}.band_high": 48.0}
    view = build_profile(spi, row)
    metric, data, zones = personality_rows(view.domains)
    assert metric == "percentile" and zones is not None
    ax = plot_personality(data, metric=metric, zones=zones)
    spans = _zone_spans(ax)
    for s in view.domains:
        assert s.level_label == "Plutôt bas"
        assert _zone_of(spans, 21.2, 99.0) == "low"
    assert spans["average"] == pytest.approx((30.0, 70.0))


@pytest.mark.parametrize("path", [p for p in BUILTINS if p not in NORMED], ids=lambda p: p.stem)
def test_unnormed_instruments_print_the_yaml_level_of_their_score_and_draw_no_zone(
    path: Path,
) -> None:
    instrument = load_instrument(path)
    if instrument.anonymous:
        # Satisfaction and follow-up: never scored into a profile (issue 11).
        assert instrument.construct in ("satisfaction", "follow_up")
        return
    cuts = _yaml_cuts(path)
    rng = np.random.default_rng(5)
    for _ in range(30):
        answers: dict[str, Any] = {}
        for s in instrument.scales:
            lo, hi = instrument.format_of(s.members[0].item).coding_range
            answers[f"{s.id}.mean"] = float(rng.uniform(lo, hi))
            answers[f"{s.id}.n"] = len(s.members)
        if instrument.profile is not None and instrument.profile.type == "values":
            ids = [sid for _key, sid in instrument.profile.scales]
            for rank, sid in enumerate(rng.permutation(ids), start=1):
                answers[f"{sid}.rank"] = float(rank)
            for k, sid in enumerate(rng.permutation(ids)):
                answers[f"{sid}_classement.mean"] = float(6 - k)
        view = build_profile(instrument, answers)
        for s in view.scales:
            metric = instrument.scale(s.id).bands.metric
            value = answers.get(f"{s.id}.{metric}")
            if value is not None:
                assert _yaml_level(cuts[s.id], value)[1] == s.level_label
        for r in view.value_ranks:
            # Each value's words are its importance scale's band at its ONE place.
            assert _yaml_level(cuts[r.scale_id], r.rank_value)[1] == r.level_label
        for chart in profile_charts(view):
            assert b"zone-" not in chart.image.encode()  # no zones, nothing to contradict
