"""Norm tables: build them from a sample, apply them to new respondents.

A norm table holds, per group (e.g. ``sex=2, age_band=25-34``) and per scale, the sample
size, mean, SD, reliability, percentile points and the frequency distribution of the
normed metric (a scale's ``mean`` by default). Applying it gives z, T (50 + 10z),
percentile rank, sten, stanine and a 90% confidence band on the T metric.

Group fallback (documented in ``docs/scoring.md``): a respondent is compared with the most
specific group matching all their ``group_by`` values and holding at least ``min_n``
people; if there is none, the last grouping variable is dropped and so on, down to the
overall group (``{}``). The group used is reported per scale.

Percentile ranks come from the norm sample's distribution (mid-rank: the share below plus
half the share equal) when the table carries it, else from the normal curve; the source
is reported in ``<scale>.percentile_source`` (``empirical`` or ``normal``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from scoring.errors import NormsError
from scoring.reliability import Z90, cronbach_alpha

FORMAT = "boussole-norms/1"
PERCENTILE_POINTS = (1, 2, 5, 10, 16, 20, 25, 30, 40, 50, 60, 70, 75, 80, 84, 90, 95, 98, 99)


def z_to_t(z: np.ndarray) -> np.ndarray:
    """T score, 50 + 10z.

    Examples
    --------
    >>> z_to_t(np.array([-1.0, 0.0, 2.5]))
    array([40., 50., 75.])
    """
    return 50.0 + 10.0 * np.asarray(z, dtype=np.float64)


def _round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5)


def z_to_sten(z: np.ndarray) -> np.ndarray:
    """Sten (standard ten, mean 5.5, SD 2): ``round(2z + 5.5)`` bounded to 1..10.

    Examples
    --------
    >>> z_to_sten(np.array([-3.0, -0.2, 0.0, 0.26, 3.0, np.nan]))
    array([ 1.,  5.,  6.,  6., 10., nan])
    """
    z = np.asarray(z, dtype=np.float64)
    return np.asarray(np.clip(_round_half_up(2.0 * z + 5.5), 1, 10), dtype=np.float64)


def z_to_stanine(z: np.ndarray) -> np.ndarray:
    """Stanine (standard nine, mean 5, SD 2): ``round(2z + 5)`` bounded to 1..9.

    Examples
    --------
    >>> z_to_stanine(np.array([-3.0, -0.24, 0.0, 0.26, 3.0]))
    array([1., 5., 5., 6., 9.])
    """
    z = np.asarray(z, dtype=np.float64)
    return np.asarray(np.clip(_round_half_up(2.0 * z + 5.0), 1, 9), dtype=np.float64)


def percentile_from_normal(z: np.ndarray) -> np.ndarray:
    """Percentile rank under the normal curve, ``100 x Phi(z)``.

    Examples
    --------
    >>> np.round(percentile_from_normal(np.array([-1.0, 0.0, 1.645])), 2)
    array([15.87, 50.  , 95.  ])
    """
    return 100.0 * ndtr(np.asarray(z, dtype=np.float64))


def percentile_from_distribution(
    x: np.ndarray, values: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Mid-rank percentile of ``x`` in a frequency distribution.

    ``100 x (count below x + count equal to x / 2) / n``; ``values`` sorted ascending.

    Examples
    --------
    >>> percentile_from_distribution(np.array([1.0, 2.0, 2.5, 4.0]),
    ...                              np.array([1.0, 2.0, 3.0]), np.array([2, 6, 2]))
    array([ 10.,  50.,  80., 100.])
    """
    values = np.asarray(values, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    cum = np.concatenate([[0.0], np.cumsum(counts)])
    x = np.asarray(x, dtype=np.float64)
    left = np.searchsorted(values, x, side="left")
    # One search: x equals values[left] or lies strictly between two observed values.
    at = np.minimum(left, len(values) - 1)
    equal = np.where(values[at] == x, counts[at], 0.0)
    with np.errstate(invalid="ignore"):
        pr = 100.0 * (cum[left] + 0.5 * equal) / cum[-1]
    return np.where(np.isnan(x), np.nan, pr)


@dataclass(frozen=True)
class AgeBands:
    """Age bands ``(label, low, high)`` with inclusive bounds; ``high`` None = open."""

    column: str
    target: str
    bands: tuple[tuple[str, float, float | None], ...]

    @classmethod
    def parse(cls, spec: str) -> AgeBands:
        """Parse ``age:18-24,25-34,55-`` (source column, then bands).

        Examples
        --------
        >>> AgeBands.parse("age:18-24,25-").bands
        (('18-24', 18.0, 24.0), ('25+', 25.0, None))
        """
        if ":" not in spec:
            raise NormsError(f"bands '{spec}' should look like 'age:18-24,25-34,55-'")
        column, rest = spec.split(":", 1)
        out = []
        for part in rest.split(","):
            lo, _, hi = part.strip().partition("-")
            try:
                low = float(lo)
                high = float(hi) if hi.strip() else None
            except ValueError:
                raise NormsError(f"band '{part}' should look like '25-34' or '55-'") from None
            label = f"{lo}-{hi}" if high is not None else f"{lo}+"
            out.append((label, low, high))
        return cls(column=column.strip(), target=f"{column.strip()}_band", bands=tuple(out))

    def assign(self, values: pd.Series) -> pd.Series:
        """Band label of each value (missing outside every band)."""
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        labels = np.full(x.shape, None, dtype=object)
        done = np.zeros(x.shape, dtype=bool)
        for label, low, high in self.bands:
            inside = (x >= low) & ((x <= high) if high is not None else True) & ~done
            labels[inside] = label
            done |= inside
        return pd.Series(labels, index=values.index, dtype=object)

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "target": self.target,
            "bands": [list(b) for b in self.bands],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> AgeBands:
        return cls(
            column=d["column"],
            target=d["target"],
            bands=tuple(
                (str(b[0]), float(b[1]), None if b[2] is None else float(b[2])) for b in d["bands"]
            ),
        )


def _as_key(values: pd.Series) -> pd.Series:
    """Normalise group values to strings: 2, 2.0 and '2' all become '2' (vectorised).

    Examples
    --------
    >>> _as_key(pd.Series([2, 2.0, " 2", None, "F"], dtype=object)).tolist()
    ['2', '2', '2', None, 'F']
    """
    # Normalise the few distinct values, then map them back (no per-row string work).
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype=object)
    num = pd.to_numeric(distinct, errors="coerce")
    integral = num.notna() & (num == np.floor(num))
    text = distinct.astype("string").str.strip()
    text = text.mask(integral, num.where(integral).astype("Int64").astype("string"))
    labels = np.array([None if pd.isna(v) else str(v) for v in text], dtype=object)
    out = np.full(len(values), None, dtype=object)
    present = codes >= 0
    out[present] = labels[codes[present]]
    return pd.Series(out, index=values.index, dtype=object)


@dataclass(frozen=True)
class NormTable:
    """A loaded norm table (see module docstring)."""

    data: dict[str, Any]

    @property
    def group_by(self) -> list[str]:
        return list(self.data["group_by"])

    @property
    def metric(self) -> str:
        return str(self.data.get("metric", "mean"))

    @property
    def min_n(self) -> int:
        return int(self.data.get("min_n", 1))

    @property
    def version(self) -> str:
        return str(self.data["norm_version"])

    @property
    def bands(self) -> list[AgeBands]:
        return [AgeBands.from_json(b) for b in self.data.get("bands", [])]

    @property
    def groups(self) -> list[dict[str, Any]]:
        return list(self.data["groups"])

    @classmethod
    def load(cls, path: str | Path) -> NormTable:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NormsError(f"{path}: norm file not found") from None
        except json.JSONDecodeError as exc:
            raise NormsError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise NormsError(f"{path}: not a Boussole norm file (expected format '{FORMAT}')")
        for key in ("instrument", "instrument_version", "norm_version", "group_by", "groups"):
            if key not in data:
                raise NormsError(f"{path}: missing '{key}'")
        return cls(data)

    def save(self, path: str | Path) -> None:
        write_atomic(Path(path), json.dumps(self.data, ensure_ascii=False, indent=1) + "\n")

    def describe_group(self, key: Mapping[str, str]) -> str:
        """Readable group name, e.g. ``sex=2, age_band=25-34`` or ``all``."""
        return ", ".join(f"{k}={v}" for k, v in key.items()) or "all"

    def demographics(self, table: pd.DataFrame) -> pd.DataFrame:
        """The grouping columns of ``table`` as normalised strings (bands derived)."""
        out = pd.DataFrame(index=table.index)
        bands = {b.target: b for b in self.bands}
        for col in self.group_by:
            if col in bands and bands[col].column in table.columns:
                out[col] = bands[col].assign(table[bands[col].column])
            elif col in table.columns:
                out[col] = _as_key(table[col])
            else:
                out[col] = pd.Series(None, index=table.index, dtype=object)
        return out


def write_atomic(path: Path, text: str | bytes, *, private: bool = False) -> None:
    """Write a file atomically: a temporary file in the same folder, then rename.

    ``private=True`` keeps the file readable by its owner only (personal data such as
    scores); otherwise it gets the usual permissions (0666 minus the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if not private:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _scale_stats(x: np.ndarray, keyed: np.ndarray | None) -> dict[str, Any]:
    x = x[~np.isnan(x)]
    values, counts = np.unique(x, return_counts=True)
    stats: dict[str, Any] = {
        "n": int(x.size),
        "mean": float(x.mean()) if x.size else None,
        "sd": float(x.std(ddof=1)) if x.size > 1 else None,
        "percentiles": {str(p): float(np.percentile(x, p)) for p in PERCENTILE_POINTS}
        if x.size
        else {},
        "distribution": {
            "values": [float(v) for v in values],
            "counts": [int(c) for c in counts],
        },
    }
    if keyed is not None and keyed.shape[1] > 1:
        complete = keyed[~np.isnan(keyed).any(axis=1)]
        if complete.shape[0] > 2:
            stats["alpha"] = cronbach_alpha(complete)
            stats["alpha_n"] = int(complete.shape[0])
    return stats


def build_norms(
    scores: pd.DataFrame,
    demographics: pd.DataFrame,
    *,
    instrument_id: str,
    instrument_version: str,
    scales: Sequence[str],
    group_by: Sequence[str],
    keyed_items: Mapping[str, np.ndarray] | None = None,
    metric: str = "mean",
    bands: Sequence[AgeBands] = (),
    min_n: int = 100,
    provenance: Mapping[str, Any] | None = None,
    norm_version: str | None = None,
) -> NormTable:
    """Build a norm table from a scored sample.

    Groups are every combination of the leading grouping variables: overall, then by
    ``group_by[0]``, then by ``group_by[0]`` and ``group_by[1]``..., matching the fallback
    order used by :func:`apply_norms`. Groups below ``min_n`` are kept with their ``n``
    but marked ``usable: false``.

    Examples
    --------
    >>> s = pd.DataFrame({"x.mean": [1.0, 2.0, 3.0, 4.0]})
    >>> d = pd.DataFrame({"sex": [1, 1, 2, 2]})
    >>> t = build_norms(s, d, instrument_id="i", instrument_version="1", scales=["x"],
    ...                 group_by=["sex"], min_n=2, norm_version="test")
    >>> [(g["key"], g["scales"]["x"]["mean"]) for g in t.groups]
    [({}, 2.5), ({'sex': '1'}, 1.5), ({'sex': '2'}, 3.5)]
    """
    demo = pd.DataFrame(index=demographics.index)
    band_map = {b.target: b for b in bands}
    for col in group_by:
        if col in band_map:
            src = band_map[col].column
            if src not in demographics.columns:
                raise NormsError(f"column '{src}' needed for bands '{col}' is not in the input")
            demo[col] = band_map[col].assign(demographics[src])
        elif col in demographics.columns:
            demo[col] = _as_key(demographics[col])
        else:
            raise NormsError(f"group-by column '{col}' is not in the input")
    groups = []
    for depth in range(len(group_by) + 1):
        cols = list(group_by[:depth])
        if cols:
            keyed_frame = demo[cols]
            valid = keyed_frame.notna().all(axis=1).to_numpy()
            # Grouping happens once per group (few), never per respondent.
            grouped = keyed_frame[valid].groupby(cols, sort=True).indices
            parts = [
                (
                    dict(zip(cols, (k if isinstance(k, tuple) else (k,)), strict=True)),
                    np.flatnonzero(valid)[idx],
                )
                for k, idx in grouped.items()
            ]
        else:
            parts = [({}, np.arange(len(demo)))]
        for key, rows in parts:
            entry: dict[str, Any] = {
                "key": {k: str(v) for k, v in key.items()},
                "n": int(rows.size),
            }
            entry["usable"] = bool(rows.size >= min_n)
            entry["scales"] = {
                sid: _scale_stats(
                    scores[f"{sid}.{metric}"].to_numpy(dtype=np.float64)[rows],
                    keyed_items[sid][rows] if keyed_items and sid in keyed_items else None,
                )
                for sid in scales
            }
            groups.append(entry)
    data = {
        "format": FORMAT,
        "instrument": instrument_id,
        "instrument_version": instrument_version,
        "norm_version": norm_version or _dt.date.today().isoformat(),
        "metric": metric,
        "group_by": list(group_by),
        "bands": [b.to_json() for b in bands],
        "min_n": int(min_n),
        "fallback": "most specific usable group, then drop the last group-by variable, down to all",
        "provenance": dict(provenance or {}),
        "groups": groups,
    }
    return NormTable(data)


def _choose_groups(table: NormTable, demo: pd.DataFrame, n: int) -> np.ndarray:
    """The index of the norm group of each of the ``n`` respondents: the most specific usable
    group matching their ``demo`` values, then dropping the last group-by variable, down to
    the overall group."""
    groups = table.groups
    usable = [i for i, g in enumerate(groups) if g.get("usable", True)]
    chosen = np.full(n, -1, dtype=np.int64)
    by = table.group_by
    for depth in range(len(by), -1, -1):
        cols = by[:depth]
        level = [i for i in usable if len(groups[i]["key"]) == depth]
        if not cols:
            if not level:
                raise NormsError("the norm table has no usable overall group")
            chosen[chosen < 0] = level[0]
            continue
        if not level:
            continue
        lookup = pd.DataFrame([groups[i]["key"] for i in level], dtype=object)[cols]
        lookup["_group"] = level
        frame = demo[cols].reset_index(drop=True)
        ok = frame.notna().all(axis=1).to_numpy()
        # A hash join on the group values: vectorised, order of the left side kept.
        merged = frame.astype(object).merge(lookup, on=cols, how="left")
        idx = merged["_group"].to_numpy(dtype=np.float64, na_value=np.nan)
        take = (chosen < 0) & ok & ~np.isnan(idx)
        chosen[take] = idx[take].astype(np.int64)
    return chosen


def _per_group(
    groups: list[dict[str, Any]], sid: str, key: str, fallback: float | None = None
) -> np.ndarray:
    """Statistic ``key`` of scale ``sid`` in each norm group (``fallback``, else NaN, if absent)."""
    values = []
    for g in groups:
        v = g["scales"].get(sid, {}).get(key)
        values.append(fallback if v is None else v)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _percentiles(
    sid: str,
    x: np.ndarray,
    z: np.ndarray,
    groups: list[dict[str, Any]],
    rows_of: Mapping[int, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile ranks and their source per respondent (0 normal curve, 1 empirical,
    -1 missing): from the group's distribution when it has one, else the normal curve."""
    n = len(x)
    pct = np.empty(n)
    source = np.zeros(n, dtype=np.int8)  # 0 normal curve, 1 empirical, -1 missing
    for gi, rows in rows_of.items():
        dist = groups[gi]["scales"][sid].get("distribution")
        if dist and dist.get("values"):
            pct[rows] = percentile_from_distribution(
                x[rows], np.asarray(dist["values"]), np.asarray(dist["counts"])
            )
            source[rows] = 1
        else:
            pct[rows] = percentile_from_normal(z[rows])
    missing = np.isnan(x)
    pct[missing] = np.nan
    source[missing] = -1
    return pct, source


def _normed_scale(
    sid: str,
    x: np.ndarray,
    groups: list[dict[str, Any]],
    chosen: np.ndarray,
    rows_of: Mapping[int, np.ndarray],
    fallback: float | None,
) -> dict[str, Any]:
    """The norm-referenced columns of one scale (all but ``.norm_group``), from its scores
    ``x`` and each respondent's ``chosen`` group; ``fallback`` is the reliability used when
    a group has no ``alpha``."""
    mean = _per_group(groups, sid, "mean")[chosen]
    sd = _per_group(groups, sid, "sd")[chosen]
    rel = _per_group(groups, sid, "alpha", fallback)[chosen]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x - mean) / sd
    pct, source = _percentiles(sid, x, z, groups, rows_of)
    t = z_to_t(z)
    sem_t = 10.0 * np.sqrt(1.0 - rel)
    sem_t[np.isnan(x)] = np.nan
    return {
        f"{sid}.z": z,
        f"{sid}.t": t,
        f"{sid}.percentile": pct,
        f"{sid}.percentile_source": pd.Categorical.from_codes(
            source, categories=pd.Index(["normal", "empirical"])
        ),
        f"{sid}.sten": z_to_sten(z).astype(np.float32),
        f"{sid}.stanine": z_to_stanine(z).astype(np.float32),
        f"{sid}.sem_t": sem_t,
        f"{sid}.band_low": t - Z90 * sem_t,
        f"{sid}.band_high": t + Z90 * sem_t,
    }


def apply_norms(
    scores: pd.DataFrame,
    table: NormTable,
    *,
    demographics: pd.DataFrame | None = None,
    reliabilities: Mapping[str, float | None] | None = None,
) -> pd.DataFrame:
    """Norm-referenced scores for every scale in the table.

    Parameters
    ----------
    scores
        Output of :func:`scoring.scales.score_scales`.
    table
        The norm table.
    demographics
        Columns needed by the table's ``group_by`` (e.g. ``sex``, ``age``); absent columns
        mean "unknown", which falls back to broader groups.
    reliabilities
        Per scale reliability used for the SEM when the norm group has no ``alpha``.

    Returns
    -------
    DataFrame
        Per scale: ``.z``, ``.t``, ``.percentile``, ``.percentile_source``, ``.sten``,
        ``.stanine``, ``.sem_t``, ``.band_low``, ``.band_high`` (90% band on T) and
        ``.norm_group``.
    """
    demo = table.demographics(
        demographics if demographics is not None else pd.DataFrame(index=scores.index)
    )
    groups = table.groups
    chosen = _choose_groups(table, demo, len(scores))
    out: dict[str, Any] = {}
    scale_ids = [sid for sid in groups[0]["scales"] if f"{sid}.{table.metric}" in scores.columns]
    # The group of each respondent is the same for every scale: split the rows once.
    rows_of = {int(gi): np.flatnonzero(chosen == gi) for gi in np.unique(chosen)}
    group_names = [table.describe_group(g["key"]) for g in groups]
    norm_group = pd.Categorical.from_codes(chosen, categories=pd.Index(group_names))
    for sid in scale_ids:
        x = scores[f"{sid}.{table.metric}"].to_numpy(dtype=np.float64)
        fallback = reliabilities.get(sid) if reliabilities else None
        out |= _normed_scale(sid, x, groups, chosen, rows_of, fallback)
        out[f"{sid}.norm_group"] = norm_group
    return pd.DataFrame(out, index=scores.index, copy=False)
