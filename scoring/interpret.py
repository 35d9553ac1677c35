"""Interpretation levels: each scale's declared bands applied to its metric (vectorised).

A level is a label for a conversation (e.g. "Dans la moyenne"), never a diagnosis; the
texts themselves live in the instrument file and are chosen by the report layer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instruments.model import Instrument, Scale

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
        levels = scale.bands.levels
        cuts = np.array([b.minimum for b in levels[1:]], dtype=np.float64)
        codes = np.searchsorted(cuts, x, side="right")
        first, last = levels[0], levels[-1]
        outside = np.isnan(x)
        if first.minimum is not None:
            outside |= x < first.minimum
        if last.maximum is not None:
            outside |= x >= last.maximum
        codes[outside] = -1
        out[f"{scale.id}.level"] = pd.Categorical.from_codes(
            codes, categories=pd.Index([b.level for b in levels])
        )
    return pd.DataFrame(out, index=table.index, copy=False)
