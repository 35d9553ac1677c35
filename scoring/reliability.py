"""Reliability: Cronbach's alpha, item statistics, standard error of measurement.

Computed on complete cases of a scale's (keyed) items, from the covariance matrix, as
R's ``psych::alpha`` does on complete data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instruments.model import Instrument
from scoring.scales import keyed_items

Z90 = 1.6448536269514722  # two-sided 90% normal quantile


def _complete(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError("reliability needs a 2-D array with at least two items (columns)")
    return np.asarray(x[~np.isnan(x).any(axis=1)], dtype=np.float64)


def cronbach_alpha(x: np.ndarray) -> float:
    """Cronbach's alpha of keyed items ``x`` (respondents x items), complete cases only.

    ``alpha = k / (k - 1) * (1 - sum(item variances) / variance(total))``.

    Examples
    --------
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 5], [2, 2, 1.0]])
    >>> round(cronbach_alpha(x), 6)  # by hand: 1.5 * (1 - (1.3 + 1.5 + 2.5) / 14.3)
    0.944056
    """
    c = np.cov(_complete(x), rowvar=False)
    k = c.shape[0]
    total = c.sum()
    if total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(c) / total))


def item_statistics(x: np.ndarray, items: list[str] | None = None) -> pd.DataFrame:
    """Item analysis on complete cases: mean, SD, corrected item-total correlation
    (``r_drop``: item vs. the sum of the other items) and alpha if the item is deleted.

    Examples
    --------
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 5], [2, 2, 1.0]])
    >>> item_statistics(x, ["a", "b", "c"]).round(4)
         n  mean      sd  r_drop  alpha_if_deleted
    a  5.0   2.4  1.1402  0.8807            0.9333
    b  5.0   3.0  1.2247  0.9393            0.8824
    c  5.0   3.0  1.5811  0.8928            0.9434
    """
    xc = _complete(x)
    c = np.cov(xc, rowvar=False)
    k = c.shape[0]
    var = np.diag(c)
    row = c.sum(axis=1)
    total = c.sum()
    rest_var = total - 2 * row + var  # variance of the sum of the other items
    cov_rest = row - var  # covariance of the item with the sum of the other items
    with np.errstate(invalid="ignore", divide="ignore"):
        r_drop = cov_rest / np.sqrt(var * rest_var)
        rest_item_var = np.trace(c) - var
        alpha_drop = (
            (k - 1) / (k - 2) * (1 - rest_item_var / rest_var) if k > 2 else np.full(k, np.nan)
        )
    return pd.DataFrame(
        {
            "n": float(xc.shape[0]),
            "mean": xc.mean(axis=0),
            "sd": np.sqrt(var),
            "r_drop": r_drop,
            "alpha_if_deleted": alpha_drop,
        },
        index=items if items is not None else [f"item{i + 1}" for i in range(k)],
    )


def scale_reliability(instrument: Instrument, matrix: pd.DataFrame) -> pd.DataFrame:
    """Alpha, complete-case n and mean r_drop of every multi-item scale of ``instrument``.

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> rng = np.random.default_rng(0)
    >>> m = pd.DataFrame(rng.integers(1, 7, (50, 25)).astype(float),
    ...                  columns=[i.id for i in inst.items])
    >>> list(scale_reliability(inst, m).columns)
    ['n', 'items', 'alpha', 'mean_r_drop']
    """
    rows = {}
    for scale in instrument.scales:
        if len(scale.members) < 2:
            continue
        x = keyed_items(instrument, matrix, scale).to_numpy()
        xc = _complete(x)
        if xc.shape[0] < 3:
            rows[scale.id] = {
                "n": float(xc.shape[0]),
                "items": float(x.shape[1]),
                "alpha": np.nan,
                "mean_r_drop": np.nan,
            }
            continue
        stats = item_statistics(xc)
        rows[scale.id] = {
            "n": float(xc.shape[0]),
            "items": float(x.shape[1]),
            "alpha": cronbach_alpha(xc),
            "mean_r_drop": float(stats["r_drop"].mean()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def standard_error_of_measurement(
    sd: float | np.ndarray, reliability: float | np.ndarray
) -> np.ndarray:
    """SEM = SD x sqrt(1 - reliability).

    Examples
    --------
    >>> float(standard_error_of_measurement(10.0, 0.84))
    4.0
    """
    return np.asarray(sd, dtype=np.float64) * np.sqrt(
        1.0 - np.asarray(reliability, dtype=np.float64)
    )


def confidence_band(
    score: np.ndarray, sem: float | np.ndarray, *, z: float = Z90
) -> tuple[np.ndarray, np.ndarray]:
    """Band ``score +/- z x SEM`` (default: 90%), centred on the observed score.

    Examples
    --------
    >>> lo, hi = confidence_band(np.array([50.0]), 4.0)
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (43.421, 56.579)
    """
    s = np.asarray(score, dtype=np.float64)
    half = z * np.asarray(sem, dtype=np.float64)
    return s - half, s + half
