"""Interpretation levels: each scale's declared bands applied to its metric (vectorised).

A level is a label for a conversation (e.g. "Dans la moyenne"), never a diagnosis; the
texts themselves live in the instrument file and are chosen by the report layer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instruments.model import Bands, Instrument, Scale

# metric name in a band definition -> column suffix in the score table
METRIC_COLUMNS = {
    "percentile": "percentile",
    "t": "t",
    "z": "z",
    "sten": "sten",
    "mean": "mean",
    "raw": "raw",
    "rank": "rank",
    "ipsative": "ipsative",
}


def metric_column(scale: Scale, metric: str) -> str:
    """The score-table column holding ``metric`` for ``scale``.

    ``score`` means the scale's own result: mean, raw sum or ipsative score by method.

    Examples
    --------
    >>> from instruments.model import Scale, Text
    >>> s = Scale(id="x", name=Text(fr="x"), members=(), method="sum")
    >>> metric_column(s, "score"), metric_column(s, "percentile")
    ('x.raw', 'x.percentile')
    """
    if metric == "score":
        suffix = {"mean": "mean", "sum": "raw", "ipsative": "ipsative"}[scale.method]
    else:
        suffix = METRIC_COLUMNS[metric]
    return f"{scale.id}.{suffix}"


def level_zones(bands: Bands) -> tuple[tuple[str, float, float], ...]:
    """The level cut-points of ``bands``: ``(level, low, high)`` per level, in order.

    This is THE definition of where a level starts and ends: :func:`assign_levels` (the
    stored level), :func:`level_at` (the level of one value) and the charts' zones all
    read it. A value belongs to the zone with ``low <= value < high``; an open end is
    ``-inf`` or ``+inf``. Each level starts where the previous one ends (its ``min``).

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> level_zones(inst.scale("openness").bands)
    (('low', -inf, 30.0), ('average', 30.0, 70.0), ('high', 70.0, inf))
    """
    levels = bands.levels
    lows = [-np.inf if levels[0].minimum is None else float(levels[0].minimum)]
    lows += [np.inf if b.minimum is None else float(b.minimum) for b in levels[1:]]
    last = np.inf if levels[-1].maximum is None else float(levels[-1].maximum)
    highs = [*lows[1:], last]
    return tuple((b.level, lo, hi) for b, lo, hi in zip(levels, lows, highs, strict=True))


def level_at(bands: Bands, value: float | None) -> str | None:
    """The level of one ``value`` on the bands' metric (None when missing or outside).

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> bands = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml").scale("openness").bands
    >>> level_at(bands, 29.9), level_at(bands, 30.0), level_at(bands, 70.0), level_at(bands, None)
    ('low', 'average', 'high', None)
    """
    if value is None or np.isnan(value):
        return None
    for level, lo, hi in level_zones(bands):
        if lo <= value < hi:
            return level
    return None


def assign_levels(instrument: Instrument, table: pd.DataFrame) -> pd.DataFrame:
    """``<scale>.level`` for every scale with bands whose metric is in ``table``.

    A value belongs to the band with ``min <= value < max``; missing values get no level.

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> t = pd.DataFrame({"openness.percentile": [10.0, 30.0, 69.9, 70.0, np.nan]})
    >>> assign_levels(inst, t)["openness.level"].astype("string").fillna("-").tolist()
    ['low', 'average', 'average', 'high', '-']
    """
    out: dict[str, pd.Categorical[str]] = {}
    for scale in instrument.scales:
        if scale.bands is None:
            continue
        col = metric_column(scale, scale.bands.metric)
        if col not in table.columns:
            continue
        x = table[col].to_numpy(dtype=np.float64)
        zones = level_zones(scale.bands)
        cuts = np.array([lo for _level, lo, _hi in zones[1:]], dtype=np.float64)
        codes = np.searchsorted(cuts, x, side="right")
        outside = np.isnan(x) | (x < zones[0][1]) | (x >= zones[-1][2])
        codes[outside] = -1
        out[f"{scale.id}.level"] = pd.Categorical.from_codes(
            codes, categories=pd.Index([level for level, _lo, _hi in zones])
        )
    return pd.DataFrame(out, index=table.index, copy=False)
