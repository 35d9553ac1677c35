"""Norm tables: building, group fallback, z/T/percentile/sten/stanine, SEM bands.
Expected values are hand calculations."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from scoring import NormsError, NormTable, apply_norms, build_norms
from scoring.norms import AgeBands, percentile_from_distribution, z_to_stanine, z_to_sten


def _table(min_n=2):
    scores = pd.DataFrame({"x.mean": [1.0, 2.0, 3.0, 4.0, 2.0, 4.0, 6.0, 8.0]})
    demo = pd.DataFrame({"sex": [1, 1, 1, 1, 2, 2, 2, 2], "age": [20, 22, 40, 41, 20, 30, 40, 50]})
    return build_norms(
        scores,
        demo,
        instrument_id="t",
        instrument_version="1",
        scales=["x"],
        group_by=["sex", "age_band"],
        bands=[AgeBands.parse("age:18-29,30-")],
        min_n=min_n,
        norm_version="v1",
        provenance={"source": "hand"},
    )


def test_groups_statistics_are_the_sample_statistics():
    t = _table()
    by_key = {json.dumps(g["key"], sort_keys=True): g for g in t.groups}
    overall = by_key["{}"]["scales"]["x"]
    assert overall["n"] == 8
    assert overall["mean"] == pytest.approx(3.75)
    assert overall["sd"] == pytest.approx(np.std([1, 2, 3, 4, 2, 4, 6, 8], ddof=1))
    women = by_key[json.dumps({"sex": "2"})]["scales"]["x"]
    assert (women["mean"], women["sd"]) == (pytest.approx(5.0), pytest.approx(math.sqrt(20 / 3)))
    young_men = by_key[json.dumps({"age_band": "18-29", "sex": "1"}, sort_keys=True)]
    assert young_men["n"] == 2 and young_men["scales"]["x"]["mean"] == pytest.approx(1.5)
    assert t.data["provenance"] == {"source": "hand"}


def test_z_t_and_fallback_to_broader_groups():
    t = _table(min_n=3)  # the sex x age groups have 1-3 people: those of 2 are not usable
    scores = pd.DataFrame({"x.mean": [5.0, 5.0, 5.0, 5.0]}, index=list("abcd"))
    demo = pd.DataFrame({"sex": [2, 2, None, "1"], "age": [45, 25, 30, 35]}, index=list("abcd"))
    out = apply_norms(scores, t, demographics=demo)
    # a: sex=2, age 45 -> band 30+ (n=3: usable) -> mean 6, sd 2
    assert out.loc["a", "x.norm_group"] == "sex=2, age_band=30+"
    assert out.loc["a", "x.z"] == pytest.approx(-0.5)
    assert out.loc["a", "x.t"] == pytest.approx(45.0)
    # b: sex=2, 18-29 has n=1 (unusable) -> falls back to sex=2 (mean 5)
    assert out.loc["b", "x.norm_group"] == "sex=2"
    assert out.loc["b", "x.z"] == pytest.approx(0.0)
    # c: sex unknown -> overall
    assert out.loc["c", "x.norm_group"] == "all"
    assert out.loc["c", "x.z"] == pytest.approx(
        (5 - 3.75) / np.std([1, 2, 3, 4, 2, 4, 6, 8], ddof=1)
    )
    # d: "1" given as text matches the group built from integers; 30+ men n=2 -> sex=1
    assert out.loc["d", "x.norm_group"] == "sex=1"


def test_percentiles_empirical_mid_rank_and_source():
    t = _table()
    out = apply_norms(pd.DataFrame({"x.mean": [4.0, np.nan]}), t)
    # overall sample 1,2,2,3,4,4,6,8: below 4 -> 4 values, equal -> 2: (4 + 1) / 8
    assert out.loc[0, "x.percentile"] == pytest.approx(62.5)
    assert out.loc[0, "x.percentile_source"] == "empirical"
    assert np.isnan(out.loc[1, "x.percentile"]) and pd.isna(out.loc[1, "x.percentile_source"])


def test_percentiles_from_normal_curve_when_no_distribution():
    t = _table()
    for g in t.data["groups"]:
        del g["scales"]["x"]["distribution"]
    sd = np.std([1, 2, 3, 4, 2, 4, 6, 8], ddof=1)
    out = apply_norms(pd.DataFrame({"x.mean": [3.75 + sd]}), t)
    assert out.loc[0, "x.percentile"] == pytest.approx(84.134474606854, abs=1e-9)
    assert out.loc[0, "x.percentile_source"] == "normal"


def test_sem_band_uses_the_group_reliability():
    t = _table()
    for g in t.data["groups"]:
        g["scales"]["x"]["alpha"] = 0.84
    out = apply_norms(pd.DataFrame({"x.mean": [3.75]}), t)
    assert out.loc[0, "x.sem_t"] == pytest.approx(4.0)
    assert out.loc[0, "x.band_low"] == pytest.approx(50 - 1.6448536269514722 * 4)
    assert out.loc[0, "x.band_high"] == pytest.approx(50 + 1.6448536269514722 * 4)


def test_sem_band_falls_back_to_instrument_reliability_or_is_missing():
    t = _table()
    out = apply_norms(pd.DataFrame({"x.mean": [3.75]}), t, reliabilities={"x": 0.75})
    assert out.loc[0, "x.sem_t"] == pytest.approx(5.0)
    out = apply_norms(pd.DataFrame({"x.mean": [3.75]}), t)
    assert np.isnan(out.loc[0, "x.band_low"])


@pytest.mark.parametrize(
    ("z", "sten", "stanine"),
    [
        (-2.25, 1, 1),
        (-0.25, 5, 5),
        (-0.24, 5, 5),
        (0.0, 6, 5),
        (0.25, 6, 6),
        (2.25, 10, 9),
        (5, 10, 9),
    ],
)
def test_sten_and_stanine_boundaries(z, sten, stanine):
    assert z_to_sten(np.array([z]))[0] == sten
    assert z_to_stanine(np.array([z]))[0] == stanine


def test_percentile_from_distribution_hand_values():
    pr = percentile_from_distribution(
        np.array([0.0, 1.0, 1.5, 9.0]), np.array([1.0, 2.0]), np.array([1, 3])
    )
    np.testing.assert_allclose(pr, [0.0, 12.5, 25.0, 100.0])


def test_round_trip_and_bad_files(tmp_path):
    t = _table()
    p = tmp_path / "n.json"
    t.save(p)
    assert NormTable.load(p).data == json.loads(p.read_text())
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(NormsError, match="not valid JSON"):
        NormTable.load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(NormsError, match="not a Boussole norm file"):
        NormTable.load(tmp_path / "other.json")


def test_unknown_group_column_is_refused():
    with pytest.raises(NormsError, match="'region'"):
        build_norms(
            pd.DataFrame({"x.mean": [1.0]}),
            pd.DataFrame({"sex": [1]}),
            instrument_id="t",
            instrument_version="1",
            scales=["x"],
            group_by=["region"],
        )
