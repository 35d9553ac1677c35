"""Agreement with R psych on self-contained fixtures (tests/scoring/reference): seeded
synthetic answers for the built-in instruments, scored by ``score_psych.R`` with
``psych::scoreItems(impute = "none")`` and ``psych::alpha``. Nothing outside the
repository is read, so these tests never skip. Tolerance 1e-9."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instruments import BUILTIN_DIR, Instrument, load_instrument
from scoring import cronbach_alpha, from_wide, item_statistics, score_scales
from scoring.scales import keyed_items
from tests.scoring.reference import make_data

TOL = 1e-9
REF = Path(__file__).resolve().parent / "reference"
SPEC = json.loads((REF / "keys.json").read_text(encoding="utf-8"))
ALPHA = json.loads((REF / "alpha_psych.json").read_text(encoding="utf-8"))
INSTRUMENTS = list(SPEC["instruments"])


def _any_answer(instrument: Instrument) -> Instrument:
    """The instrument with psych's rule: a scale needs at least one answered item
    (as in test_golden_psych.py)."""
    scales = tuple(dataclasses.replace(s, min_answered=0.0) for s in instrument.scales)
    return dataclasses.replace(instrument, scales=scales)


@cache
def _instrument(instrument_id: str) -> Instrument:
    return load_instrument(BUILTIN_DIR / f"{instrument_id}.yaml")


@cache
def _answers(instrument_id: str) -> pd.DataFrame:
    return pd.read_csv(REF / make_data.data_file(instrument_id), dtype={"id": str})


@cache
def _psych_scores(instrument_id: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"{instrument_id}.scores_psych.csv", comment="#", dtype={"id": str})


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _close(ours: pd.Series | np.ndarray, ref: pd.Series | np.ndarray) -> None:
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(ref, float), rtol=0, atol=TOL)


# --- the fixtures themselves ---------------------------------------------------------------


def test_committed_inputs_are_what_the_generator_writes(tmp_path: Path) -> None:
    written = make_data.write_fixtures(tmp_path)
    expected = {make_data.data_file(i) for i in make_data.INSTRUMENTS} | {make_data.KEYS_FILE}
    assert {p.name for p in written} == expected
    for path in written:
        assert path.read_bytes() == (REF / path.name).read_bytes(), (
            f"{path.name} is not what make_data.py writes: regenerate the inputs and the R"
            " outputs (tests/scoring/reference/README.md)"
        )


def test_r_outputs_were_computed_from_the_committed_inputs() -> None:
    inputs = [make_data.KEYS_FILE, *(make_data.data_file(i) for i in INSTRUMENTS)]
    assert ALPHA["meta"]["input_md5"] == {name: _md5(REF / name) for name in inputs}
    assert ALPHA["meta"]["psych_version"] and ALPHA["meta"]["R_version"].startswith("R version")
    for instrument_id in INSTRUMENTS:
        data = make_data.data_file(instrument_id)
        with (REF / f"{instrument_id}.scores_psych.csv").open(encoding="utf-8") as f:
            first = f.readline()
        assert f"from {data} (md5 {_md5(REF / data)})" in first


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_fixture_covers_every_scale_and_the_missing_data_cases(instrument_id: str) -> None:
    inst = _instrument(instrument_id)
    ref = _psych_scores(instrument_id)
    table = _answers(instrument_id)
    assert len(table) == SPEC["instruments"][instrument_id]["rows"] == len(ref)
    assert list(SPEC["instruments"][instrument_id]["scales"]) == [sc.id for sc in inst.scales]
    items = table.drop(columns="id")
    assert items.isna().all(axis=1).sum() >= 1  # a row with nothing answered
    assert 0.03 < items.isna().to_numpy().mean() < 0.1
    for sc in inst.scales:
        n = ref[f"{sc.id}.n"]
        assert (n == 0).sum() >= 2, sc.id  # all items of the scale missing
        if len(sc.members) > 1:
            assert ((n > 0) & (n < len(sc.members))).sum() >= 2, sc.id  # partly missing
    if any(m.key < 0 for sc in inst.scales for m in sc.members):
        reversed_items = {m.item for sc in inst.scales for m in sc.members if m.key < 0}
        assert len(reversed_items) >= 5


# --- scale scores: psych::scoreItems(impute = "none") ----------------------------------------


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_scale_means_and_sums_match_score_items(instrument_id: str) -> None:
    inst = _any_answer(_instrument(instrument_id))
    ours = score_scales(inst, from_wide(inst, _answers(instrument_id)).data)
    ref = _psych_scores(instrument_id)
    assert ours.index.astype(str).tolist() == ref["id"].tolist()
    for sc in inst.scales:
        sid = sc.id
        n = ref[f"{sid}.n"].to_numpy()
        assert (ours[f"{sid}.n"].to_numpy() == n).all(), sid
        answered = n > 0
        mean, raw = ours[f"{sid}.mean"].to_numpy(), ours[f"{sid}.raw"].to_numpy()
        # psych: mean of the answered keyed items, NaN when none is answered.
        assert (np.isnan(ref[f"{sid}.mean"].to_numpy()) == ~answered).all(), sid
        assert (np.isnan(mean) == ~answered).all(), sid
        _close(mean[answered], ref[f"{sid}.mean"][answered])
        # psych's totals: sum of the answered keyed items, not prorated.
        _close(raw[answered], ref[f"{sid}.sum"][answered])
        # The documented difference: nothing answered is a total of 0 for psych, a missing
        # (flagged) score for Boussole.
        assert (ref[f"{sid}.sum"][~answered] == 0).all(), sid
        assert np.isnan(raw[~answered]).all(), sid
        assert ours[f"{sid}.missing"].to_numpy()[~answered].all(), sid
        if f"{sid}.ipsative" in ref:
            got = ours[f"{sid}.ipsative"].to_numpy()
            want = ref[f"{sid}.ipsative"].to_numpy()
            assert (np.isnan(got) == np.isnan(want)).all(), sid
            _close(got[~np.isnan(want)], want[~np.isnan(want)])


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_declared_min_answered_rule_keeps_psych_scores_or_none(instrument_id: str) -> None:
    """With the instrument's own ``min_answered`` rules: psych's score where enough items
    are answered, a missing (flagged) score below the rule. The rule is docs/scoring.md's
    formula, ``n >= max(1, ceil(min_answered x k))``, written out here (not the engine's
    ``Scale.required_answers``), with ``n`` counted in R."""
    inst = _instrument(instrument_id)
    ours = score_scales(inst, from_wide(inst, _answers(instrument_id)).data)
    ref = _psych_scores(instrument_id)
    below_rule = 0
    for sc in inst.scales:
        sid = sc.id
        n = ref[f"{sid}.n"].to_numpy()
        required = max(1, math.ceil(round(sc.min_answered * len(sc.members), 9)))
        kept = n >= required
        below_rule += int((~kept & (n > 0)).sum())
        assert (ours[f"{sid}.missing"].to_numpy() == ~kept).all(), sid
        _close(ours[f"{sid}.mean"].to_numpy()[kept], ref[f"{sid}.mean"][kept])
        _close(ours[f"{sid}.raw"].to_numpy()[kept], ref[f"{sid}.sum"][kept])
        assert np.isnan(ours[f"{sid}.mean"].to_numpy()[~kept]).all(), sid
        assert np.isnan(ours[f"{sid}.raw"].to_numpy()[~kept]).all(), sid
    if any(sc.min_answered * len(sc.members) > 1 for sc in inst.scales):
        assert below_rule > 0  # some scores really are refused by the rule, not by psych


# --- reliability: psych::alpha on complete cases ---------------------------------------------


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_alpha_and_item_statistics_match_psych_alpha(instrument_id: str) -> None:
    inst = _instrument(instrument_id)
    matrix = from_wide(inst, _answers(instrument_id)).data
    ref = ALPHA["instruments"][instrument_id]
    multi = [sc for sc in inst.scales if len(sc.members) >= 2]
    assert list(ref) == [sc.id for sc in multi]
    scores = score_scales(inst, matrix)
    for sc in multi:
        r = ref[sc.id]
        x = keyed_items(inst, matrix, sc).to_numpy()
        assert abs(cronbach_alpha(x) - r["raw_alpha"]) < TOL, sc.id
        stats = item_statistics(x, list(sc.item_ids))
        assert int(stats["n"].iloc[0]) == r["n_complete"] < len(matrix), sc.id
        for row, item in zip(stats.itertuples(), r["items"], strict=True):
            assert row.Index == item["item"]
            assert abs(row.r_drop - item["r.drop"]) < TOL, (sc.id, row.Index)
            assert abs(row.mean - item["mean"]) < TOL, (sc.id, row.Index)
            assert abs(row.sd - item["sd"]) < TOL, (sc.id, row.Index)
            if len(sc.members) > 2:
                assert abs(row.alpha_if_deleted - item["alpha_if_deleted"]) < TOL
            else:
                # One item left: psych still prints a number, Boussole says NaN.
                assert np.isnan(row.alpha_if_deleted) and item["alpha_if_deleted"] is not None
        # Scale mean score of the complete cases: Boussole's <scale>.mean.
        complete = scores[f"{sc.id}.n"].to_numpy() == len(sc.members)
        mean = scores[f"{sc.id}.mean"].to_numpy()[complete]
        assert complete.sum() == r["scale_score"]["n"]
        assert abs(mean.mean() - r["scale_score"]["mean"]) < TOL
        assert abs(mean.std(ddof=1) - r["scale_score"]["sd"]) < TOL
