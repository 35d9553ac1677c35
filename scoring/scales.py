"""Reverse keying and scale scores (raw sum, mean, number answered, missing-data rule).

All scales are scored at once with matrix products over the respondents, in row chunks
so that memory stays bounded on very large files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from instruments.model import Instrument, Scale
from scoring.matrix import indicator_columns

CHUNK_ROWS = 65_536


def reverse_key(x: np.ndarray, low: float | np.ndarray, high: float | np.ndarray) -> np.ndarray:
    """Reverse-key answers as ``low + high - x`` using the declared coding range.

    Missing answers (NaN) stay missing.

    Examples
    --------
    >>> reverse_key(np.array([1.0, 6.0, np.nan, 4.0]), 1, 6)
    array([ 6.,  1., nan,  3.])
    >>> reverse_key(np.array([0.0, 4.0]), 0, 4)
    array([4., 0.])
    """
    return np.asarray(np.asarray(low) + np.asarray(high) - np.asarray(x), dtype=np.float64)


@dataclass(frozen=True)
class ScoringKeys:
    """Dense keying of an instrument: matrices mapping item columns to scales.

    ``weights[i, s]`` is the signed weight (key x weight) of column i in scale s;
    ``offsets[i, s]`` adds ``(low + high) x weight`` for reverse-keyed members so that
    ``x @ weights + answered @ offsets`` is the keyed weighted sum.
    """

    columns: tuple[str, ...]
    scales: tuple[Scale, ...]
    weights: np.ndarray
    offsets: np.ndarray
    membership: np.ndarray
    low: np.ndarray
    high: np.ndarray


def scoring_keys(instrument: Instrument, columns: list[str] | None = None) -> ScoringKeys:
    """Build the dense keys of all scales of ``instrument``.

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> k = scoring_keys(load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml"))
    >>> k.weights.shape, float(k.weights[0, 0]), float(k.offsets[0, 0])
    ((25, 5), -1.0, 7.0)
    """
    cols: list[str] = (
        list(columns) if columns is not None else [it.id for it in instrument.numeric_items]
    )
    for scale in instrument.scales:
        for m in scale.members:
            if m.column not in cols:
                cols.append(m.column)
    index = {c: i for i, c in enumerate(cols)}
    n_cols, n_scales = len(cols), len(instrument.scales)
    weights = np.zeros((n_cols, n_scales))
    offsets = np.zeros((n_cols, n_scales))
    membership = np.zeros((n_cols, n_scales))
    low = np.full(n_cols, np.nan)
    high = np.full(n_cols, np.nan)
    for s, scale in enumerate(instrument.scales):
        for m in scale.members:
            i = index[m.column]
            if m.option is not None:
                lo, hi = 0.0, 1.0
            else:
                lo, hi = instrument.format_of(m.item).coding_range
            low[i], high[i] = lo, hi
            weights[i, s] = m.key * m.weight
            membership[i, s] = 1.0
            if m.key < 0:
                offsets[i, s] = (lo + hi) * m.weight
    return ScoringKeys(tuple(cols), instrument.scales, weights, offsets, membership, low, high)


def _sums_t(
    xt: np.ndarray, keys: ScoringKeys, counts_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keyed weighted sums, answered counts and answered weights for a block of
    respondents, transposed (items x respondents in, scales x respondents out).

    ``counts_t`` stacks ``[offsets | membership | |weights|]`` (transposed) so that one
    product with the answered mask gives the three per-scale counts.
    """
    n_scales = keys.weights.shape[1]
    missing = np.isnan(xt)
    if not missing.any():  # complete block: one product, constant counts
        per = counts_t.sum(axis=1, keepdims=True)
        raw = keys.weights.T @ xt + per[:n_scales]
        shape = raw.shape
        return (
            raw,
            np.broadcast_to(per[n_scales : 2 * n_scales], shape),
            np.broadcast_to(per[2 * n_scales :], shape),
        )
    both = counts_t @ (~missing).astype(np.float64)
    raw = keys.weights.T @ np.where(missing, 0.0, xt) + both[:n_scales]
    return raw, both[n_scales : 2 * n_scales], both[2 * n_scales :]


def _row_nanmean(x: np.ndarray) -> np.ndarray:
    """Mean of each row over its non-missing cells (NaN when the row is all missing)."""
    present = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(present, x, 0.0).sum(axis=1) / present.sum(axis=1), np.float64)


METHODS: dict[str, Callable[[pd.DataFrame, list[Scale]], None]] = {}


def scoring_method(
    name: str,
) -> Callable[
    [Callable[[pd.DataFrame, list[Scale]], None]], Callable[[pd.DataFrame, list[Scale]], None]
]:
    """Register a post-processing step for scales scored with method ``name``."""

    def deco(
        fn: Callable[[pd.DataFrame, list[Scale]], None],
    ) -> Callable[[pd.DataFrame, list[Scale]], None]:
        METHODS[name] = fn
        return fn

    return deco


@scoring_method("mean")
def _mean_method(table: pd.DataFrame, scales: list[Scale]) -> None:
    """Mean of the answered keyed items: nothing more to do."""


@scoring_method("sum")
def _sum_method(table: pd.DataFrame, scales: list[Scale]) -> None:
    """Sum of the answered keyed items (``.raw``): nothing more to do."""


@scoring_method("ipsative")
def _ipsative_method(table: pd.DataFrame, scales: list[Scale]) -> None:
    """Within-person scores: the scale mean minus the person's mean over the scales of
    the same ipsative group. Only comparable within a person, never between people."""
    groups: dict[str, list[Scale]] = {}
    for sc in scales:
        groups.setdefault(sc.ipsative_group or "_", []).append(sc)
    for members in groups.values():
        means = table[[f"{sc.id}.mean" for sc in members]].to_numpy()
        centre = _row_nanmean(means)
        for j, sc in enumerate(members):
            table[f"{sc.id}.ipsative"] = means[:, j] - centre


def score_scales(instrument: Instrument, matrix: pd.DataFrame) -> pd.DataFrame:
    """Score every scale of ``instrument``.

    Parameters
    ----------
    instrument
        Validated instrument.
    matrix
        Response matrix (respondents x item ids), NaN for missing answers.

    Returns
    -------
    DataFrame
        Per scale: ``<scale>.raw`` (keyed weighted sum of answered items), ``<scale>.mean``
        (raw / answered weights), ``<scale>.n`` (items answered) and ``<scale>.missing``
        (True when fewer items than the scale's ``min_answered`` rule were answered: then
        raw and mean are NaN); ipsative scales add ``<scale>.ipsative``.

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> row = {it.id: 6.0 for it in inst.items}
    >>> row["A2"] = np.nan
    >>> t = score_scales(inst, pd.DataFrame([row], index=["p1"]))
    >>> cols = ["agreeableness.raw", "agreeableness.mean", "agreeableness.n"]
    >>> t.loc["p1", cols].astype(float).tolist()
    [19.0, 4.75, 4.0]
    """
    matrix = indicator_columns(matrix, instrument)
    keys = scoring_keys(instrument, list(matrix.columns))
    cols = list(keys.columns)
    frame = matrix if list(matrix.columns) == cols else matrix[cols]
    table = pd.DataFrame(
        score_arrays(keys, frame.to_numpy(dtype=np.float64)), index=matrix.index, copy=False
    )
    by_method: dict[str, list[Scale]] = {}
    for sc in keys.scales:
        by_method.setdefault(sc.method, []).append(sc)
    for method, scales in by_method.items():
        METHODS[method](table, scales)
    return table


def score_arrays(keys: ScoringKeys, x_all: np.ndarray) -> dict[str, np.ndarray]:
    """The per-scale columns of :func:`score_scales` from a response array whose columns
    are ``keys.columns``.

    Works on the transposed matrix (items x respondents), which is contiguous for a
    column-oriented DataFrame, so that every output column is contiguous too; blocks of
    respondents bound the temporaries when answers are missing.
    """
    xt = x_all.T
    counts_t = np.hstack(
        [keys.offsets, keys.membership, keys.membership * np.abs(keys.weights)]
    ).T.copy()
    n_rows = x_all.shape[0]
    n_scales = len(keys.scales)
    required = np.array([sc.required_answers() for sc in keys.scales], dtype=np.float64)
    if not np.isnan(xt).any():  # nothing missing: one product, constant counts
        raw, n_c, w_c = _sums_t(xt, keys, counts_t)
        n_int = np.ascontiguousarray(np.broadcast_to(n_c.astype(np.int32), raw.shape))
        missing = np.ascontiguousarray(np.broadcast_to(n_c < required[:, None], raw.shape))
        mean = raw / w_c
        if missing.any():
            raw[missing] = np.nan
            mean[missing] = np.nan
    else:
        raw = np.empty((n_scales, n_rows))
        n = np.empty((n_scales, n_rows))
        wsum = np.empty((n_scales, n_rows))
        for start in range(0, n_rows, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n_rows)
            raw[:, start:stop], n[:, start:stop], wsum[:, start:stop] = _sums_t(
                xt[:, start:stop], keys, counts_t
            )
        missing = n < required[:, None]
        raw[missing] = np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = raw / wsum
        n_int = n.astype(np.int32)
    out: dict[str, np.ndarray] = {}
    for s, sc in enumerate(keys.scales):
        out[f"{sc.id}.raw"] = raw[s]
        out[f"{sc.id}.mean"] = mean[s]
        out[f"{sc.id}.n"] = n_int[s]
        out[f"{sc.id}.missing"] = missing[s]
    return out


def keyed_items(instrument: Instrument, matrix: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    """The member answers of one scale after reverse keying (for item analysis).

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> m = pd.DataFrame([{it.id: 2.0 for it in inst.items}])
    >>> keyed_items(inst, m, inst.scale("agreeableness")).iloc[0].tolist()
    [5.0, 2.0, 2.0, 2.0, 2.0]
    """
    matrix = indicator_columns(matrix, instrument)
    cols = {}
    for m in scale.members:
        x = matrix[m.column].to_numpy(dtype=np.float64)
        if m.key < 0:
            lo, hi = instrument.format_of(m.item).coding_range
            x = reverse_key(x, lo, hi)
        cols[m.column] = x
    return pd.DataFrame(cols, index=matrix.index)
