"""Interpretation levels from declared bands."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from instruments.model import Band, Bands, Text
from scoring.interpret import assign_levels


def _band(level, lo=None, hi=None):
    return Band(level=level, label=Text(fr=level), text=Text(fr=level), minimum=lo, maximum=hi)


def test_levels_follow_min_inclusive_max_exclusive(bfi_instrument):
    levels = (_band("bas", 1, 2.5), _band("moyen", 2.5, 4.5), _band("haut", 4.5, 6.01))
    bands = Bands("mean", levels)
    scale = dataclasses.replace(bfi_instrument.scales[0], bands=bands)
    inst = dataclasses.replace(bfi_instrument, scales=(scale,))
    t = pd.DataFrame({f"{scale.id}.mean": [1.0, 2.49, 2.5, 4.5, 6.0, 0.5, np.nan]})
    levels = assign_levels(inst, t)[f"{scale.id}.level"]
    assert levels.iloc[:5].tolist() == ["bas", "bas", "moyen", "haut", "haut"]
    assert levels.iloc[5:].isna().all()  # below the first band's min, and missing


def test_score_metric_follows_the_scale_method(bfi_instrument):
    bands = Bands("score", (_band("faible", None, 10), _band("fort", 10, None)))
    scale = dataclasses.replace(bfi_instrument.scales[0], method="sum", bands=bands)
    inst = dataclasses.replace(bfi_instrument, scales=(scale,))
    t = pd.DataFrame({f"{scale.id}.raw": [9.0, 10.0, 30.0], f"{scale.id}.mean": [5.0, 1.0, 1.0]})
    assert assign_levels(inst, t)[f"{scale.id}.level"].tolist() == ["faible", "fort", "fort"]


def test_pipeline_reports_levels_from_norms(bfi_instrument):
    from scoring import score

    m = pd.DataFrame([[6.0] * 25, [1.0] * 25], columns=[i.id for i in bfi_instrument.items])
    table = score(bfi_instrument, m).table
    pct = table["neuroticism.percentile"]
    expected = np.where(pct < 30, "low", np.where(pct < 70, "average", "high"))
    assert table["neuroticism.level"].tolist() == expected.tolist()
    assert table.loc[0, "neuroticism.level"] == "high"
    assert table.loc[1, "neuroticism.level"] == "low"
