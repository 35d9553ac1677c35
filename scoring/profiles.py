"""Instrument-level profiles: the RIASEC (Holland) code and ipsative value ranks.

Holland code: the letters of the three highest scores. Ties are never broken silently:
a group of tied letters that reaches into the first three places is written in brackets,
e.g. ``S[AE]`` (A and E tied for 2nd-3rd) or ``SA[EIR]`` (E, I and R tied for 3rd).

Differentiation: highest minus lowest of the six scores (Holland, 1997), in score units.
Consistency: position on the hexagon R-I-A-S-E-C of the first two letters: adjacent = 3
(high), alternate = 2 (medium), opposite = 1 (low); undefined (NaN) when the first two
places are not determined because of a tie.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HEXAGON = "RIASEC"


def _rank_desc(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable descending order of each row and the sorted values (NaN last)."""
    filled = np.where(np.isnan(x), -np.inf, x)
    order = np.argsort(-filled, axis=1, kind="stable")
    return order, np.take_along_axis(filled, order, axis=1)


def holland_code(scores: np.ndarray, letters: str = HEXAGON) -> np.ndarray:
    """Three-letter Holland codes with ties shown in brackets, one per row.

    Parameters
    ----------
    scores
        Array (respondents x 6) in the order of ``letters``; a row with a missing score
        gets an empty code.

    Examples
    --------
    >>> holland_code(np.array([[10, 30, 20, 40, 5, 0],
    ...                        [10, 30, 30, 40, 5, 0],
    ...                        [20, 30, 20, 40, 20, 0],
    ...                        [5, 5, 5, 5, 5, 5.0]]))
    array(['SIA', 'S[IA]', 'SI[RAE]', '[RIASEC]'], dtype=object)
    """
    x = np.asarray(scores, dtype=np.float64)
    n, k = x.shape
    order, sv = _rank_desc(x)
    letter_arr = np.array(list(letters), dtype=object)[order]
    tie_prev = np.zeros((n, k), dtype=bool)
    tie_prev[:, 1:] = sv[:, 1:] == sv[:, :-1]
    tie_next = np.zeros((n, k), dtype=bool)
    tie_next[:, :-1] = tie_prev[:, 1:]
    # Position where each tie group starts: a running maximum of group starts.
    starts = np.where(~tie_prev, np.arange(k), 0)
    group_start = np.maximum.accumulate(starts, axis=1)
    include = group_start < 3
    code = np.full(n, "", dtype=object)
    for j in range(k):  # loop over the six positions, vectorised over respondents
        opening = ~tie_prev[:, j] & tie_next[:, j]
        closing = tie_prev[:, j] & ~tie_next[:, j]
        piece = np.where(opening, "[", "") + letter_arr[:, j] + np.where(closing, "]", "")
        code = np.where(include[:, j], code + piece, code)
    code[np.isnan(x).any(axis=1)] = ""
    return code


def differentiation(scores: np.ndarray) -> np.ndarray:
    """Highest minus lowest score per row.

    Examples
    --------
    >>> differentiation(np.array([[10, 30, 20, 40, 5, 0], [5, 5, 5, 5, 5, 5.0]]))
    array([40.,  0.])
    """
    x = np.asarray(scores, dtype=np.float64)
    return np.asarray(x.max(axis=1) - x.min(axis=1), dtype=np.float64)


def consistency(scores: np.ndarray, letters: str = HEXAGON) -> np.ndarray:
    """Hexagon consistency of the first two letters: 3 adjacent, 2 alternate, 1 opposite.

    NaN when a tie makes the first two letters undetermined.

    Examples
    --------
    >>> consistency(np.array([[10, 30, 20, 40, 5, 0],   # S, I: alternate
    ...                       [40, 30, 0, 0, 0, 10],    # R, I: adjacent
    ...                       [40, 0, 0, 30, 0, 10],    # R, S: opposite
    ...                       [40, 30, 30, 0, 0, 0.0]]))  # R then I/A tied
    array([ 2.,  3.,  1., nan])
    """
    x = np.asarray(scores, dtype=np.float64)
    order, sv = _rank_desc(x)
    pos = np.array([HEXAGON.index(c) for c in letters])
    a, b = pos[order[:, 0]], pos[order[:, 1]]
    dist = np.abs(a - b)
    dist = np.minimum(dist, 6 - dist)
    level = (4 - dist).astype(np.float64)  # 1 -> 3, 2 -> 2, 3 -> 1
    undetermined = sv[:, 1] == sv[:, 2]  # second place shared with the third
    level[undetermined | np.isnan(x).any(axis=1)] = np.nan
    return np.asarray(level, dtype=np.float64)


def riasec_profile(
    scores: pd.DataFrame,
    *,
    flat_max_differentiation: float | None = None,
    low_max: float | None = None,
) -> pd.DataFrame:
    """RIASEC summary per respondent from six columns named R, I, A, S, E, C.

    ``flat`` is True when differentiation is at most ``flat_max_differentiation``;
    ``low`` when the highest score is at most ``low_max`` (uniformly low interests).
    """
    x = scores[list(HEXAGON)].to_numpy(dtype=np.float64)
    diff = differentiation(x)
    out = pd.DataFrame(
        {
            "riasec.code": holland_code(x),
            "riasec.differentiation": diff,
            "riasec.consistency": consistency(x),
        },
        index=scores.index,
    )
    unknown = np.isnan(x).any(axis=1)  # a missing type: flags are unknown, not False
    if flat_max_differentiation is not None:
        flat = pd.array(diff <= flat_max_differentiation, dtype="boolean")
        flat[unknown] = pd.NA
        out["riasec.flat"] = flat
    if low_max is not None:
        low = pd.array(x.max(axis=1) <= low_max, dtype="boolean")
        low[unknown] = pd.NA
        out["riasec.low"] = low
    return out


def value_ranks(scores: pd.DataFrame) -> pd.DataFrame:
    """Within-person ranks of value scores: 1 = most important; ties share the mean rank.

    Ipsative: compare values within a person, never people with each other.

    Examples
    --------
    >>> value_ranks(pd.DataFrame({"a": [3.0, 1.0], "b": [2.0, 2.0], "c": [3.0, 3.0]}))
         a    b    c
    0  1.5  3.0  1.5
    1  3.0  2.0  1.0
    """
    return scores.rank(axis=1, ascending=False, method="average")
