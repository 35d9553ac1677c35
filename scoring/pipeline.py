"""The whole scoring pipeline: response matrix -> scale scores -> norms -> validity -> profile.

Examples
--------
>>> import numpy as np
>>> from instruments import load_instrument, BUILTIN_DIR
>>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
>>> rng = np.random.default_rng(1)
>>> m = pd.DataFrame(rng.integers(1, 7, (3, 25)).astype(float),
...                  columns=[i.id for i in inst.items], index=["a", "b", "c"])
>>> result = score(inst, m)
>>> bool(result.table.loc["a", "openness.t"] > 0)
True
>>> result.norm_version is not None
True
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from instruments.model import Instrument
from scoring.errors import NormsError
from scoring.interpret import assign_levels
from scoring.norms import NormTable, apply_norms
from scoring.profiles import riasec_profile, value_ranks
from scoring.scales import score_scales
from scoring.validity import validity_indices


@dataclass(frozen=True)
class ScoreResult:
    """Scores of many respondents: one row each, columns per scale and index.

    ``instrument_key`` (``id@version``) and ``norm_version`` identify what produced them,
    so that re-scoring is reproducible.
    """

    table: pd.DataFrame
    instrument_key: str
    norm_version: str | None


def load_norms(instrument: Instrument) -> NormTable | None:
    """The instrument's norm table, or None when it declares none."""
    path = instrument.norms_path()
    return NormTable.load(path) if path is not None else None


def check_norms_fit(instrument: Instrument, table: NormTable) -> None:
    """Refuse a norm table built for another instrument or version."""
    built_for = (table.data.get("instrument"), table.data.get("instrument_version"))
    if built_for != (instrument.id, instrument.version):
        raise NormsError(
            f"norm table {table.version} was built for {built_for[0]}@{built_for[1]},"
            f" not {instrument.key}"
        )


def score(
    instrument: Instrument,
    matrix: pd.DataFrame,
    *,
    demographics: pd.DataFrame | None = None,
    seconds: pd.Series | None = None,
    norms: NormTable | bool | None = True,
) -> ScoreResult:
    """Score a response matrix completely.

    Parameters
    ----------
    instrument
        The validated instrument.
    matrix
        Respondents x item ids, NaN for missing (see :mod:`scoring.matrix`).
    demographics
        Columns used by the norm groups (e.g. ``sex``, ``age``), same index as ``matrix``.
    seconds
        Total seconds spent per respondent, for the speed index.
    norms
        ``True`` (default) loads the instrument's own norm table if it declares one;
        a :class:`NormTable` uses that one; ``None``/``False`` skips norms.
    """
    table = score_scales(instrument, matrix)
    parts = [table]
    table_norms: NormTable | None
    if norms is True:
        table_norms = load_norms(instrument)
    elif isinstance(norms, NormTable):
        table_norms = norms
    else:
        table_norms = None
    if table_norms is not None:
        check_norms_fit(instrument, table_norms)
        rel = {sc.id: sc.reliability for sc in instrument.scales}
        parts.append(apply_norms(table, table_norms, demographics=demographics, reliabilities=rel))
    if instrument.profile is not None:
        cols = {key: table[f"{sid}.mean"] for key, sid in instrument.profile.scales}
        frame = pd.DataFrame(cols, index=table.index)
        if instrument.profile.type == "riasec":
            # Prorated sums (mean x total weight of the items): a missing answer does not
            # lower a type's score, so it cannot change the code by itself.
            sums = pd.DataFrame(
                {
                    key: table[f"{sid}.mean"] * sum(m.weight for m in instrument.scale(sid).members)
                    for key, sid in instrument.profile.scales
                },
                index=table.index,
            )
            parts.append(
                riasec_profile(
                    sums,
                    flat_max_differentiation=instrument.profile.flat_max_differentiation,
                    low_max=instrument.profile.low_max,
                )
            )
        else:
            # Ranks of the value scales within each person (1 = most important), named
            # after the scales so that bands on the "rank" metric apply.
            ranks = value_ranks(frame)
            ranks.columns = [f"{sid}.rank" for _, sid in instrument.profile.scales]
            parts.append(ranks)
    parts.append(validity_indices(instrument, matrix, seconds=seconds, scale_scores=table))
    columns = {c: part[c] for part in parts for c in part.columns}
    levels = assign_levels(instrument, pd.DataFrame(columns, copy=False))
    columns.update({c: levels[c] for c in levels.columns})
    result = _ordered(columns, [sc.id for sc in instrument.scales], table.index)
    return ScoreResult(
        table=result,
        instrument_key=instrument.key,
        norm_version=table_norms.version if table_norms is not None else None,
    )


def _ordered(columns: dict[str, pd.Series], scale_ids: list[str], index: pd.Index) -> pd.DataFrame:
    """One table, built once without copying: columns grouped per scale (in the
    instrument's order), then profile and validity."""
    order: list[str] = []
    for sid in scale_ids:
        order.extend(c for c in columns if c.rsplit(".", 1)[0] == sid)
    placed = set(order)
    order.extend(c for c in columns if c not in placed)
    return pd.DataFrame({c: columns[c] for c in order}, index=index, copy=False)
