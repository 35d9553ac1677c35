"""Response-validity indices, one row per respondent, each with a flag.

Indices (thresholds come from the instrument's ``validity`` settings; defaults and their
sources are documented in ``docs/scoring.md``):

- ``longstring``: longest run of identical consecutive answers, in presentation order;
  flagged when ``>= longstring_max`` (default: half the ordered items, at least 6).
- ``irv``: intra-individual response variability, the SD (n - 1, as R's
  ``careless::irv``) of a person's answers across items (Dunn et al., 2018); flagged when
  ``< irv_min``.

Long strings and IRV use the items of the instrument's most used ordered response format
(e.g. the 6-point scale), so that a 0-20 number item does not distort them.
- ``missing_share``: share of numeric items left unanswered; flagged when ``> missing_max``.
- ``seconds_per_item``: time spent divided by items answered, when timings exist;
  flagged when ``< min_seconds_per_item``.
- ``inconsistency``: mean absolute difference between declared item pairs (after
  reversing the second item for ``opposite`` pairs); flagged when ``> inconsistency_max``.
- ``profile_sd``: SD of the person's scale means over ``flat_profile_scales``; flagged
  as a flat profile when ``< flat_profile_sd_min``.

A threshold set to ``null`` in the instrument file switches its flag off.
A flag is never a verdict: it invites the counsellor to talk about how the questionnaire
was taken.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instruments.model import Instrument


def longest_run(x: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive non-missing answers per row.

    Missing answers break a run. Vectorised over rows (loop over the items only).

    Examples
    --------
    >>> longest_run(np.array([[1, 1, 2, 2, 2, 3], [4, 4, 4, 4, 4, 4], [1, np.nan, 1, 2, 3, 4.]]))
    array([3, 6, 1])
    """
    x = np.asarray(x, dtype=np.float64)
    n, k = x.shape
    if k == 0:
        return np.zeros(n, dtype=np.int64)
    present = ~np.isnan(x)
    run = present[:, 0].astype(np.int64)
    best = run.copy()
    for j in range(1, k):
        same = (x[:, j] == x[:, j - 1]) & present[:, j]
        run = np.where(same, run + 1, present[:, j].astype(np.int64))
        np.maximum(best, run, out=best)
    return np.asarray(best, dtype=np.int64)


def response_variability(x: np.ndarray, *, ddof: int = 1) -> np.ndarray:
    """Intra-individual response variability: the SD of each row's answers.

    ``ddof=1`` (default) as R's ``careless::irv`` (``sd``); NaN with fewer than
    ``ddof + 1`` answers.

    Examples
    --------
    >>> np.round(response_variability(np.array([[1, 1, 1, 1], [1, 3, 1, 3],
    ...                                         [2, np.nan, 4, np.nan]])), 4)
    array([0.    , 1.1547, 1.4142])
    """
    # Work on the transpose (items x respondents): for a column-oriented matrix it is
    # contiguous, and the sums below add whole rows; blocks bound the temporaries.
    xt = np.asarray(x, dtype=np.float64).T
    n = xt.shape[1]
    out = np.empty(n)
    for start in range(0, n, 65_536):
        block = xt[:, start : start + 65_536]
        present = ~np.isnan(block)
        if present.all():
            count = np.full(block.shape[1], block.shape[0])
            filled = block
        else:
            count = present.sum(axis=0)
            filled = np.where(present, block, 0.0)
        # Sum and sum of squares: exact for coded answers (small numbers). Added item by
        # item, in the same order for every row whatever the memory layout and the number
        # of rows (numpy's reductions change their order with them): a row's index does
        # not depend on the rows scored with it, to the last digit (``boussole score``
        # scores a file in chunks).
        s1 = np.zeros(block.shape[1])
        s2 = np.zeros(block.shape[1])
        for row in filled:
            s1 += row
            s2 += row * row
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.maximum(s2 - s1 * s1 / count, 0.0) / (count - ddof)
        var[count <= ddof] = np.nan
        out[start : start + 65_536] = np.sqrt(var)
    return out


def _main_format_columns(instrument: Instrument, items: list[str]) -> np.ndarray:
    """Positions of the items answered in the instrument's most used ordered format:
    long strings and variability only make sense on one response scale."""
    formats = [instrument.item(i).format for i in items]
    ordered = [f for f in formats if instrument.formats[f].ordered]
    if not ordered:
        return np.zeros(len(items), dtype=bool)
    main = max(set(ordered), key=ordered.count)
    return np.array([f == main for f in formats], dtype=bool)


def validity_indices(
    instrument: Instrument,
    matrix: pd.DataFrame,
    *,
    seconds: pd.Series | None = None,
    scale_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compute every validity index and its flag for each respondent.

    Parameters
    ----------
    instrument
        Gives the items (presentation order), coding ranges and thresholds.
    matrix
        Response matrix (NaN = missing).
    seconds
        Total seconds spent per respondent (aligned on ``matrix.index``), if recorded.
    scale_scores
        Output of ``score_scales``, needed for the flat-profile index.

    Returns
    -------
    DataFrame
        Columns ``validity.<index>`` and ``flag.<index>`` (bool), plus ``flag.any``.

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> m = pd.DataFrame([[3.0] * 25], columns=[i.id for i in inst.items])
    >>> v = validity_indices(inst, m, seconds=pd.Series([20.0]))
    >>> int(v.loc[0, "validity.longstring"]), bool(v.loc[0, "flag.longstring"])
    (25, True)
    >>> float(v.loc[0, "validity.seconds_per_item"])
    0.8
    """
    settings = instrument.validity
    items = [it.id for it in instrument.numeric_items]
    x = matrix[items].to_numpy(dtype=np.float64)
    n, k = x.shape
    out: dict[str, np.ndarray] = {}

    main = _main_format_columns(instrument, items)
    xo = x if main.all() else x[:, main]
    longstring = longest_run(xo)
    limit = settings.longstring_max
    out["validity.longstring"] = longstring
    out["flag.longstring"] = longstring >= limit if limit is not None else np.zeros(n, bool)

    irv = response_variability(xo)
    out["validity.irv"] = irv
    out["flag.irv"] = (
        (irv < settings.irv_min) if settings.irv_min is not None else np.zeros(n, bool)
    )

    answered = (~np.isnan(x.T)).sum(axis=0)
    missing_share = 1.0 - answered / k if k else np.zeros(n)
    out["validity.missing_share"] = missing_share
    out["flag.missing"] = (
        missing_share > settings.missing_max
        if settings.missing_max is not None
        else np.zeros(n, bool)
    )

    if seconds is not None:
        secs = pd.to_numeric(seconds.reindex(matrix.index), errors="coerce").to_numpy(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            spi = np.where(answered > 0, secs / answered, np.nan)
        out["validity.seconds_per_item"] = spi
        threshold = settings.min_seconds_per_item
        out["flag.too_fast"] = (spi < threshold) if threshold is not None else np.zeros(n, bool)

    if settings.inconsistency_pairs:
        pos = {item: j for j, item in enumerate(items)}
        diffs = []
        for pair in settings.inconsistency_pairs:
            a = x[:, pos[pair.first]]
            b = x[:, pos[pair.second]]
            if pair.relation == "opposite":
                lo, hi = instrument.format_of(pair.second).coding_range
                b = lo + hi - b
            diffs.append(np.abs(a - b))
        d = np.column_stack(diffs)
        present = ~np.isnan(d)
        with np.errstate(invalid="ignore", divide="ignore"):
            incons = np.where(present, d, 0.0).sum(axis=1) / present.sum(axis=1)
        out["validity.inconsistency"] = incons
        limit_i = settings.inconsistency_max
        out["flag.inconsistent"] = incons > limit_i if limit_i is not None else np.zeros(n, bool)

    if settings.flat_profile_scales and scale_scores is not None:
        cols = [f"{s}.mean" for s in settings.flat_profile_scales]
        prof = response_variability(scale_scores[cols].to_numpy(dtype=np.float64), ddof=0)
        out["validity.profile_sd"] = prof
        sd_min = settings.flat_profile_sd_min
        out["flag.flat_profile"] = prof < sd_min if sd_min is not None else np.zeros(n, bool)

    flags = [v for key, v in out.items() if key.startswith("flag.")]
    out["flag.any"] = np.logical_or.reduce(flags) if flags else np.zeros(n, bool)
    return pd.DataFrame(out, index=matrix.index)
