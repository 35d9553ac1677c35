"""Agreement with R psych 2.2.9 (reference figures in tests/scoring/golden, made by
make_reference.R): scale means and sums with missing answers left out, Cronbach's alpha
and item statistics on complete cases, to 1e-9."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from scoring import cronbach_alpha, from_wide, item_statistics, score_scales
from scoring.scales import keyed_items
from tests.conftest import GOLDEN

TOL = 1e-9
# psych scale names (bfi_keys.json) -> Boussole scale ids (ipip-bfi-25.yaml)
NAMES = {
    "agree": "agreeableness",
    "conscientious": "conscientiousness",
    "extraversion": "extraversion",
    "neuroticism": "neuroticism",
    "openness": "openness",
}


def _any_answer(instrument):
    """The instrument with psych's rule: a scale needs at least one answered item."""
    scales = tuple(dataclasses.replace(s, min_answered=0.0) for s in instrument.scales)
    return dataclasses.replace(instrument, scales=scales)


@pytest.fixture(scope="module")
def bfi(shared_data):
    return pd.read_csv(shared_data / "bfi.csv")


def test_keys_match_the_reference_keys(shared_data, bfi_instrument):
    keys = json.loads((shared_data / "bfi_keys.json").read_text())
    for psych_name, ours in NAMES.items():
        members = [("-" if m.key < 0 else "") + m.item for m in bfi_instrument.scale(ours).members]
        assert members == keys[psych_name]


def test_scale_means_and_sums_match_score_items(bfi, bfi_instrument):
    inst = _any_answer(bfi_instrument)
    matrix = from_wide(inst, bfi)
    ours = score_scales(inst, matrix.data)
    ref = pd.read_csv(GOLDEN / "bfi_scores_psych.csv", comment="#")
    assert ref["id"].astype(str).tolist() == matrix.data.index.astype(str).tolist()
    partial = 0
    for psych_name, sid in NAMES.items():
        np.testing.assert_allclose(
            ours[f"{sid}.mean"].to_numpy(), ref[f"{psych_name}.mean"].to_numpy(), rtol=0, atol=TOL
        )
        # psych's totals are the sums of answered items (not prorated), as ours.
        np.testing.assert_allclose(
            ours[f"{sid}.raw"].to_numpy(), ref[f"{psych_name}.sum"].to_numpy(), rtol=0, atol=TOL
        )
        partial += int((ours[f"{sid}.n"] < 5).sum())
    assert partial > 300  # the comparison really covers respondents with missing answers


def test_alpha_and_item_statistics_match_psych_alpha(bfi, bfi_instrument):
    ref = json.loads((GOLDEN / "bfi_alpha_psych.json").read_text())["scales"]
    matrix = from_wide(bfi_instrument, bfi).data
    for psych_name, sid in NAMES.items():
        x = keyed_items(bfi_instrument, matrix, bfi_instrument.scale(sid)).to_numpy()
        r = ref[psych_name]
        assert abs(cronbach_alpha(x) - r["raw_alpha"]) < TOL
        stats = item_statistics(x)
        assert int(stats["n"].iloc[0]) == r["n_complete"]
        for row, item in zip(stats.itertuples(), r["items"], strict=True):
            assert abs(row.r_drop - item["r.drop"]) < TOL
            assert abs(row.alpha_if_deleted - item["alpha_if_deleted"]) < TOL
            assert abs(row.mean - item["mean"]) < TOL
            assert abs(row.sd - item["sd"]) < TOL


def test_missing_data_semantics_match_psych_except_all_missing(bfi_instrument):
    """Synthetic 6-row case (no reference data needed): psych gives the mean of the answered
    items and their unprorated sum; with nothing answered psych gives a sum of 0, Boussole
    a missing score, flagged."""
    from instruments.model import Scale, ScaleMember, Text

    demo = pd.read_csv(GOLDEN / "scoreitems_missing_demo.csv", comment="#").set_index("row")
    fmt_item = bfi_instrument.items[0]
    items = tuple(dataclasses.replace(fmt_item, id=i) for i in ("i1", "i2", "i3"))
    scale = Scale(
        id="s",
        name=Text(fr="s"),
        members=(ScaleMember("i1"), ScaleMember("i2"), ScaleMember("i3", key=-1)),
        min_answered=0.0,
    )
    inst = dataclasses.replace(bfi_instrument, items=items, scales=(scale,), norms=None)
    out = score_scales(inst, demo[["i1", "i2", "i3"]])
    answered = demo["n_answered"] > 0
    np.testing.assert_allclose(out.loc[answered, "s.mean"], demo.loc[answered, "s.mean"], atol=TOL)
    np.testing.assert_allclose(out.loc[answered, "s.raw"], demo.loc[answered, "s.sum"], atol=TOL)
    assert (out["s.n"] == demo["n_answered"]).all()
    assert demo.loc["r4", "s.sum"] == 0  # psych
    assert np.isnan(out.loc["r4", "s.raw"]) and bool(out.loc["r4", "s.missing"])  # Boussole


def test_spi_reference_alphas_are_in_the_published_range():
    """Sanity of the committed SPI reference (used by the SPI instrument's metadata)."""
    ref = json.loads((GOLDEN / "spi_alpha_psych.json").read_text())["scales"]
    assert len(ref) == 32
    domains = {k: v["raw_alpha"] for k, v in ref.items() if len(v["items"]) == 14}
    assert len(domains) == 5
    assert all(0.8 < a < 0.95 for a in domains.values())


def test_spi_bilan_reference_is_the_spi_keys_without_the_removed_items():
    """spi_bilan_alpha_psych.json (spi-135 2.0.0): the SAPA keys of spi_alpha_psych.json
    minus the 8 items left out, a scale left empty dropped, and the same alphas for the
    scales that keep all their items."""
    full = json.loads((GOLDEN / "spi_alpha_psych.json").read_text())["scales"]
    doc = json.loads((GOLDEN / "spi_bilan_alpha_psych.json").read_text())
    removed = set(doc["meta"]["removed_items"])
    assert len(removed) == 8
    bilan = doc["scales"]
    assert list(bilan) == [name for name in full if name != "Conservatism"]
    assert {k.lstrip("-") for k in full["Conservatism"]["keys"]} <= removed
    for name, ref in bilan.items():
        keys = [k for k in full[name]["keys"] if k.lstrip("-") not in removed]
        assert ref["keys"] == keys
        if keys == full[name]["keys"]:
            assert ref["raw_alpha"] == full[name]["raw_alpha"]
    domains = {k: v["raw_alpha"] for k, v in bilan.items() if len(v["items"]) >= 13}
    assert len(domains) == 5 and all(0.8 < a < 0.95 for a in domains.values())
