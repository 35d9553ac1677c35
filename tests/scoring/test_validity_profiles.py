"""Validity indices and RIASEC / values profiles, against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.profiles import consistency, differentiation, holland_code, riasec_profile, value_ranks
from scoring.validity import validity_indices

ITEMS = [f"{d}{k}" for d in "ACENO" for k in range(1, 6)]


def _frame(rows):
    return pd.DataFrame(rows, columns=ITEMS, dtype=np.float64)


def test_straight_liner_is_flagged_and_a_varied_respondent_is_not(bfi_instrument):
    varied = [1, 6, 2, 5, 3, 4, 6, 1, 5, 2, 4, 3, 1, 6, 2, 5, 3, 4, 6, 1, 5, 2, 4, 3, 1]
    m = _frame([[4] * 25, varied])
    v = validity_indices(bfi_instrument, m)
    assert v["validity.longstring"].tolist() == [25, 1]
    assert v["flag.longstring"].tolist() == [True, False]
    assert v["validity.irv"].iloc[0] == 0.0
    assert v["flag.irv"].tolist() == [True, False]
    assert v["flag.any"].tolist() == [True, False]


def test_missing_share_and_speed(bfi_instrument):
    row = [3.0] * 20 + [np.nan] * 5
    v = validity_indices(bfi_instrument, _frame([row]), seconds=pd.Series([30.0]))
    assert v.loc[0, "validity.missing_share"] == pytest.approx(0.2)
    assert not v.loc[0, "flag.missing"]  # threshold: more than 20 %
    assert v.loc[0, "validity.seconds_per_item"] == pytest.approx(1.5)
    assert not v.loc[0, "flag.too_fast"]  # 1.5 s is the limit, not below it
    v = validity_indices(bfi_instrument, _frame([row]), seconds=pd.Series([29.0]))
    assert v.loc[0, "flag.too_fast"]


def test_inconsistency_pairs(bfi_instrument):
    # pairs: N1~N2 same, E1~E4 opposite, C4~C3 opposite (1-6 coding)
    base = dict.fromkeys(ITEMS, 3.0)
    consistent = {**base, "N1": 5, "N2": 5, "E1": 2, "E4": 5, "C4": 1, "C3": 6}
    inconsistent = {**base, "N1": 6, "N2": 1, "E1": 6, "E4": 6, "C4": 6, "C3": 6}
    v = validity_indices(bfi_instrument, pd.DataFrame([consistent, inconsistent])[ITEMS])
    # consistent: |5-5|, |2-(7-5)|, |1-(7-6)| -> 0; inconsistent: 5, |6-1|, |6-1| -> 5
    assert v["validity.inconsistency"].tolist() == [0.0, 5.0]
    assert v["flag.inconsistent"].tolist() == [False, True]


def test_flat_profile(bfi_instrument):
    from scoring import score_scales

    flat = [4.0] * 25  # reverse keyed items make the domain means 3 or 4, SD 0.49
    m = _frame([flat, [4.0, 3, 4, 3, 4, 3, 4, 3, 4, 3] + [3.0] * 15])
    scales = score_scales(bfi_instrument, m)
    v = validity_indices(bfi_instrument, m, scale_scores=scales)
    assert v.loc[1, "validity.profile_sd"] == pytest.approx(
        np.std(scales.loc[1, [f"{s.id}.mean" for s in bfi_instrument.scales]].to_numpy(float))
    )
    equal = pd.DataFrame({f"{s.id}.mean": [3.0] for s in bfi_instrument.scales})
    v = validity_indices(bfi_instrument, m.iloc[:1], scale_scores=equal)
    assert v.loc[0, "flag.flat_profile"]


@pytest.mark.parametrize(
    ("scores", "code"),
    [
        ([10, 30, 20, 40, 5, 0], "SIA"),
        ([10, 30, 30, 40, 5, 0], "S[IA]"),
        ([30, 30, 30, 40, 5, 0], "S[RIA]"),
        ([20, 30, 20, 40, 20, 0], "SI[RAE]"),
        ([40, 40, 10, 10, 10, 10], "[RI][ASEC]"),
        ([0, 0, 0, 0, 0, 1], "C[RIASE]"),
        ([3, 3, 3, 3, 3, 3], "[RIASEC]"),
        ([np.nan, 3, 3, 3, 3, 3], ""),
    ],
)
def test_holland_code_shows_ties(scores, code):
    assert holland_code(np.array([scores], dtype=float))[0] == code


def test_differentiation_and_consistency():
    x = np.array(
        [
            [40, 30, 0, 0, 0, 10],
            [40, 0, 30, 0, 0, 0],
            [40, 0, 0, 30, 0, 0],
            [0, 0, 0, 0, 30, 40],
            [40, 40, 10, 0, 0, 0],
        ],
        dtype=float,
    )
    assert differentiation(x).tolist() == [40, 40, 40, 40, 40]
    # R-I adjacent, R-A alternate, R-S opposite, C-E adjacent, R/I tied for 1st-2nd: adjacent
    assert consistency(x).tolist() == [3, 2, 1, 3, 3]


def test_riasec_profile_flags_flat_and_low():
    frame = pd.DataFrame([[5, 6, 5, 6, 5, 6], [40, 10, 5, 30, 20, 0]], columns=list("RIASEC"))
    out = riasec_profile(frame, flat_max_differentiation=5, low_max=10)
    assert out["riasec.flat"].tolist() == [True, False]
    assert out["riasec.low"].tolist() == [True, False]
    assert out["riasec.code"].tolist() == ["[ISC]", "RSE"]


def test_riasec_flags_are_unknown_when_a_type_is_missing():
    frame = pd.DataFrame([[np.nan, 6, 5, 6, 5, 6]], columns=list("RIASEC"))
    out = riasec_profile(frame, flat_max_differentiation=5, low_max=10)
    assert pd.isna(out.loc[0, "riasec.flat"]) and pd.isna(out.loc[0, "riasec.low"])
    assert out.loc[0, "riasec.code"] == ""


def test_value_ranks_are_within_person():
    ranks = value_ranks(pd.DataFrame({"a": [1.0, 4.0], "b": [2.0, 4.0], "c": [3.0, 1.0]}))
    assert ranks.to_numpy().tolist() == [[3, 2, 1], [1.5, 1.5, 3]]
